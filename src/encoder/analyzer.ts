/**
 * Analyzers for the lexical (BM25) encoder: text -> analyzed tokens. The default was chosen by
 * nDCG@10 on SciFact with BM25 fixed at k1 = 1.2, b = 0.75 (scripts/choose-analyzer.ts; figures in
 * the README). The others stay selectable so the measurement can be reproduced.
 */
// The package ships no types; the reference keeps them in any compilation that includes this file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./wink-porter2-stemmer.d.ts" />
import { stemmer as porter } from 'stemmer';
import porter2 from 'wink-porter2-stemmer';

export type AnalyzerName = 'lower' | 'lower-stop' | 'porter' | 'porter2' | 'english';

export interface Analyzer {
  readonly name: AnalyzerName;
  /** Appends the analyzed tokens of `text` to `out`. */
  analyze(text: string, out: string[]): void;
  /** Calls `emit` with each analyzed token, without holding them all (memory bounded by the text). */
  forEachToken(text: string, emit: (token: string) => void): void;
  /** The same tokens, each with the [start, end) of the word of `text` it was made from (UTF-16):
   * a stem maps back to the whole word it came from. */
  forEachTokenAt(text: string, emit: (token: string, start: number, end: number) => void): void;
}

/** Lucene's EnglishAnalyzer stop set (ENGLISH_STOP_WORDS_SET). */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  ('a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with').split(' '),
);

// Runs of letters, marks and digits; `'` or `’` inside a word is kept (don't, o'neil), as Lucene's
// StandardTokenizer does; every other character separates tokens.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const WORD_WITH_APOSTROPHE = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;
const POSSESSIVE = /['’]s$/;
const NON_ASCII = /[\u0080-\uffff]/;

/** In ASCII, WORD's letters, marks and digits are 0-9 and a-z (after lowercasing): the same words. */
function isAsciiWordChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}
const MAX_TOKEN_LENGTH = 255;
const STEM_CACHE_LIMIT = 200_000;

/** Memoizes a stemmer: words repeat, and Porter2 costs microseconds per call. */
function cached(stem: (token: string) => string): (token: string) => string {
  const cache = new Map<string, string>();
  return (token) => {
    let out = cache.get(token);
    if (out === undefined) {
      out = stem(token);
      if (cache.size >= STEM_CACHE_LIMIT) cache.clear();
      cache.set(token, out);
    }
    return out;
  };
}

function analyzer(name: AnalyzerName, pattern: RegExp, stop: boolean, stem?: (token: string) => string, possessive = false): Analyzer {
  const forEachTokenAt = (text: string, emit: (token: string, start: number, end: number) => void): void => {
    const lower = text.toLowerCase();
    // Only U+0130 lowercases to two units; when the length changed, offsets go through a map.
    const origin = lower.length === text.length ? undefined : lowerToOriginal(text, lower.length);
    // ASCII text with the plain word pattern: the same words found by comparing character codes,
    // without a regular expression match (and its result array) per word.
    if (pattern === WORD && origin === undefined && !NON_ASCII.test(lower)) {
      for (let start = 0, end = 0; end < lower.length; start = end) {
        while (start < lower.length && !isAsciiWordChar(lower.charCodeAt(start))) start++;
        for (end = start; end < lower.length && isAsciiWordChar(lower.charCodeAt(end)); ) end++;
        if (end === start || end - start > MAX_TOKEN_LENGTH) continue;
        const token = lower.slice(start, end);
        if (stop && ENGLISH_STOP_WORDS.has(token)) continue;
        emit(stem === undefined ? token : stem(token), start, end);
      }
      return;
    }
    pattern.lastIndex = 0;
    for (let m = pattern.exec(lower); m !== null; m = pattern.exec(lower)) {
      let token = m[0];
      if (token.length > MAX_TOKEN_LENGTH) continue;
      if (possessive) token = token.replace(POSSESSIVE, '');
      if (stop && ENGLISH_STOP_WORDS.has(token)) continue;
      const end = m.index + m[0].length;
      emit(stem === undefined ? token : stem(token), origin ? origin[m.index] : m.index, origin ? origin[end] : end);
    }
  };
  const forEachToken = (text: string, emit: (token: string) => void): void => forEachTokenAt(text, (token) => emit(token));
  return { name, forEachToken, forEachTokenAt, analyze: (text, out) => forEachToken(text, (t) => out.push(t)) };
}

/** For each UTF-16 offset of text.toLowerCase() (and its end), the offset in `text` of the code point it came from. */
function lowerToOriginal(text: string, lowerLength: number): Int32Array {
  const map = new Int32Array(lowerLength + 1);
  let at = 0;
  let i = 0;
  for (const ch of text) {
    const n = ch.toLowerCase().length;
    for (let u = 0; u < n; u++) map[at + u] = i;
    at += n;
    i += ch.length;
  }
  map[lowerLength] = text.length;
  return map;
}

export const ANALYZERS: Readonly<Record<AnalyzerName, Analyzer>> = {
  lower: analyzer('lower', WORD, false),
  'lower-stop': analyzer('lower-stop', WORD, true),
  porter: analyzer('porter', WORD, true, cached(porter)),
  porter2: analyzer('porter2', WORD, true, cached(porter2)),
  english: analyzer('english', WORD_WITH_APOSTROPHE, true, cached(porter), true),
};

export const DEFAULT_ANALYZER: AnalyzerName = 'porter2';

export function getAnalyzer(name: AnalyzerName = DEFAULT_ANALYZER): Analyzer {
  const found = (ANALYZERS as Record<string, Analyzer | undefined>)[name];
  if (found === undefined) throw new TypeError(`analyzer: unknown name ${JSON.stringify(name)} (known: ${Object.keys(ANALYZERS).join(', ')})`);
  return found;
}
