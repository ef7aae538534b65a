/**
 * BERT text normalization and pre-tokenization, as Hugging Face's BertNormalizer and
 * BertPreTokenizer do it (tokenizers crate). The rules are evaluated with this Node's Unicode data;
 * where HF's older Unicode tables disagree, bert-unicode-table.ts (generated from the `tokenizers`
 * package) overrides them. test/encoder/bert-normalizer.test.ts compares every code point.
 */
import { HF_DROP, HF_KEEP, HF_PUNCTUATION_FLIP } from './bert-unicode-table.js';

export interface BertNormalizerOptions {
  /** drop control characters, NUL and U+FFFD; map whitespace to ' ' */
  cleanText: boolean;
  /** put spaces around CJK ideographs so each becomes a word */
  handleChineseChars: boolean;
  /** NFD, then drop nonspacing marks (Mn) */
  stripAccents: boolean;
  lowercase: boolean;
}

const ALL: BertNormalizerOptions = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };

// HF's is_control: Cc, Cf, Co, Cs except \t \n \r (unassigned code points are kept, as HF keeps them).
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const WHITESPACE = /[\t\n\r\p{White_Space}]/u;
const NONSPACING_MARKS = /\p{Mn}/gu;
const PUNCTUATION = /[\p{P}!-/:-@[-`{-~]/u;
// Printable ASCII: no control, no CJK, no accent; only lowercasing.
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

function inRanges(table: Uint32Array, cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[2 * mid]) hi = mid - 1;
    else if (cp > table[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** One code point, by the rules alone (Rust's char::to_lowercase: no final-sigma context). */
function normalizeChar(ch: string, cp: number, o: BertNormalizerOptions): string {
  if (o.cleanText) {
    if (cp === 0 || cp === 0xfffd || (CONTROL.test(ch) && cp !== 9 && cp !== 10 && cp !== 13)) return '';
    if (WHITESPACE.test(ch)) return ' ';
  }
  let out = ch;
  if (o.stripAccents) out = out.normalize('NFD').replace(NONSPACING_MARKS, '');
  if (o.lowercase) {
    let lower = '';
    for (const c of out) lower += c.toLowerCase();
    out = lower;
  }
  return o.handleChineseChars && isChineseChar(cp) ? ` ${out} ` : out;
}

/** The rules without HF's Unicode-version overrides (used to generate the override table). */
export function normalizeBertRules(text: string, options: BertNormalizerOptions = ALL): string {
  let out = '';
  for (const ch of text) out += normalizeChar(ch, ch.codePointAt(0) as number, options);
  return out;
}

export function isBertPunctuationRule(cp: number): boolean {
  return PUNCTUATION.test(String.fromCodePoint(cp));
}

/** Normalizes text exactly as HF's BertNormalizer with these options. Canonical reordering of
 * kept combining marks (NFD across code points) is not applied: decomposition is per code point. */
export function normalizeBert(text: string, options: BertNormalizerOptions): string {
  if (PLAIN_ASCII.test(text)) return options.lowercase ? text.toLowerCase() : text;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      if (cp >= 0x20 && cp < 0x7f) out += options.lowercase ? ch.toLowerCase() : ch;
      else out += normalizeChar(ch, cp, options);
    } else if (inRanges(HF_KEEP, cp)) {
      out += ch;
    } else if (options.stripAccents && inRanges(HF_DROP, cp)) {
      continue;
    } else {
      out += normalizeChar(ch, cp, options);
    }
  }
  return out;
}

// BertPreTokenizer: split on whitespace (removed) and on punctuation (each a word of its own):
// ASCII punctuation (which includes symbols like $ + < = > ^ ` |) or any Unicode P* category.
const WORDS = /[^\p{White_Space}\p{P}!-/:-@[-`{-~]+|[\p{P}!-/:-@[-`{-~]/gu;

/** Splits normalized text into words. */
export function preTokenizeBert(normalized: string): string[] {
  if (PLAIN_ASCII.test(normalized)) return normalized.match(WORDS) ?? [];
  const out: string[] = [];
  forEachBertWord(normalized, (start, end) => out.push(normalized.slice(start, end)));
  return out;
}

/** Calls `emit` with each word's [start, end) in the normalized text (UTF-16), as preTokenizeBert splits it. */
export function forEachBertWord(normalized: string, emit: (start: number, end: number) => void): void {
  if (PLAIN_ASCII.test(normalized)) {
    for (const m of normalized.matchAll(WORDS)) emit(m.index, m.index + m[0].length);
    return;
  }
  let start = -1;
  let i = 0;
  for (const ch of normalized) {
    const cp = ch.codePointAt(0) as number;
    const next = i + ch.length;
    const space = cp < 0x80 ? cp === 0x20 || (cp >= 9 && cp <= 13) : WHITESPACE.test(ch);
    if (space || PUNCTUATION.test(ch) !== (cp >= 0x80 && inRanges(HF_PUNCTUATION_FLIP, cp))) {
      if (start >= 0) emit(start, i);
      start = -1;
      if (!space) emit(i, next);
    } else if (start < 0) {
      start = i;
    }
    i = next;
  }
  if (start >= 0) emit(start, i);
}

/**
 * normalizeBert with, for each UTF-16 unit of the result, the [start, end) of the code point of
 * `text` it came from (normalization works code point by code point, so this is exact).
 */
export function normalizeBertAligned(text: string, options: BertNormalizerOptions): { normalized: string; from: Int32Array; to: Int32Array } {
  if (PLAIN_ASCII.test(text)) {
    const from = new Int32Array(text.length);
    const to = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) [from[i], to[i]] = [i, i + 1];
    return { normalized: options.lowercase ? text.toLowerCase() : text, from, to };
  }
  const parts: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const ch of text) {
    const out = normalizeBert(ch, options);
    for (let u = 0; u < out.length; u++) {
      from.push(i);
      to.push(i + ch.length);
    }
    parts.push(out);
    i += ch.length;
  }
  return { normalized: parts.join(''), from: Int32Array.from(from), to: Int32Array.from(to) };
}
