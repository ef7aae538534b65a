/**
 * MurmurHash3 x86_32 (Austin Appleby's reference, seed 0) over the UTF-8 bytes of a string:
 * lexical term ids. Workers need no shared dictionary; two tokens colliding on one id is rare
 * (about n²/2³³ pairs for n distinct tokens) and then merges their statistics (README: encoders).
 */

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** The UTF-8 bytes of `text` into scratch; their count. ASCII (most tokens) is copied here, without
 * a call into the runtime's encoder per token. */
function utf8(text: string): number {
  const n = text.length;
  if (scratch.length < n * 3) scratch = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(text, scratch).written;
    scratch[i] = c;
  }
  return n;
}

export function murmur3(text: string, seed = 0): number {
  const len = utf8(text);
  const bytes = scratch;
  let h = seed >>> 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = bytes[blocks];
    if (tail > 1) k ^= bytes[blocks + 1] << 8;
    if (tail > 2) k ^= bytes[blocks + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
