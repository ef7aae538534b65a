import { describe, expect, it } from 'vitest';
import tk from 'tokenizers';
import { normalizeBert, preTokenizeBert } from '../../src/encoder/bert-normalizer.js';

const OPTIONS = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };

/** All code points but surrogates and '|', which separates them in one normalize call per block. */
function block(start: number): string[] {
  const chars: string[] = [];
  for (let cp = start; cp < Math.min(start + 4096, 0x110000); cp++) {
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x7c) continue;
    chars.push(String.fromCodePoint(cp));
  }
  return chars;
}

describe('BertNormalizer and BertPreTokenizer, every code point against Hugging Face', () => {
  it('normalizes each code point as HF does', () => {
    const oracle = tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true });
    const mismatches: string[] = [];
    for (let start = 0; start < 0x110000; start += 4096) {
      const chars = block(start);
      const expected = oracle.normalizeString(chars.join('|')).split('|');
      const actual = normalizeBert(chars.join('|'), OPTIONS).split('|');
      expect(actual.length).toBe(expected.length);
      chars.forEach((ch, i) => {
        if (actual[i] !== expected[i]) mismatches.push(`U+${ch.codePointAt(0)?.toString(16)}`);
      });
    }
    expect(mismatches).toEqual([]);
  });

  it('splits words around each code point as HF does', () => {
    const oracle = tk.bertPreTokenizer();
    for (let start = 0; start < 0x110000; start += 4096) {
      const text = block(start).map((ch) => `x${ch}x`).join(' ');
      expect(preTokenizeBert(text)).toEqual(oracle.preTokenizeString(text).map(([word]) => word));
    }
  });

  it('lower-cases Σ per character, without the final-sigma rule', () => {
    expect(normalizeBert('ΟΔΟΣ', { ...OPTIONS, stripAccents: false })).toBe('οδοσ');
  });
});
