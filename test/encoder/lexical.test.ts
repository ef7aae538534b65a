import { describe, expect, it } from 'vitest';
import { ANALYZERS, DEFAULT_ANALYZER, getAnalyzer } from '../../src/encoder/analyzer.js';
import { BM25_PARAMS, bm25DocumentWeights, bm25QueryVector, countTerms, luceneIdf } from '../../src/encoder/bm25.js';
import { encodeLexicalDocument } from '../../src/encoder/lexical-document.js';
import { murmur3 } from '../../src/encoder/murmur3.js';

const stats = (numDocs: number, df: Record<number, number>, avgDocLength = 10) => ({ numDocs, avgDocLength, docFreq: (t: number) => df[t] ?? 0 });

describe('murmur3_32', () => {
  it('matches the reference vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    expect(murmur3('a', 0x9747b28c)).toBe(0x7fa09ea6);
    expect(murmur3('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3('ππππππππ', 0x9747b28c)).toBe(0xd58063c1); // UTF-8 bytes
    expect(murmur3('x'.repeat(1000))).toBe(murmur3('x'.repeat(1000)));
  });
});

describe('analyzers', () => {
  it('default is porter2: lower-case words, Lucene stop words, Porter2 stems', () => {
    expect(DEFAULT_ANALYZER).toBe('porter2');
    const out: string[] = [];
    getAnalyzer().analyze("The Running DOGS' generously-studied IL-6 levels, and 3.5 µg!", out);
    expect(out).toEqual(['run', 'dog', 'generous', 'studi', 'il', '6', 'level', '3', '5', 'µg']);
  });

  it('each analyzer does its own step', () => {
    const run = (name: keyof typeof ANALYZERS, text: string) => {
      const out: string[] = [];
      ANALYZERS[name].analyze(text, out);
      return out;
    };
    expect(run('lower', 'The Cats')).toEqual(['the', 'cats']);
    expect(run('lower-stop', 'The Cats')).toEqual(['cats']);
    expect(run('porter', 'The generously Cats')).toEqual(['gener', 'cat']);
    expect(run('english', "The patient's don't")).toEqual(['patient', "don't"]);
  });

  it('ASCII text gives the tokens and offsets the Unicode word pattern gives (its character-code scan)', () => {
    const at = (name: keyof typeof ANALYZERS, text: string) => {
      const out: Array<[string, number, number]> = [];
      ANALYZERS[name].forEachTokenAt(text, (token, start, end) => out.push([token, start, end]));
      return out;
    };
    const ascii = "  The IL-6 (interleukin 6) levels rose 3.5-fold in 2019's cohort_B, x".concat('y'.repeat(300), ' end!~\t\n42');
    // a non-ASCII word at the end sends the same text through the regular expression
    const unicode = `${ascii} é`;
    for (const name of ['lower', 'lower-stop', 'porter', 'porter2'] as const) {
      expect(at(name, ascii)).toEqual(at(name, unicode).slice(0, -1));
      expect(at(name, unicode).at(-1)?.[0]).toBe('é');
    }
    expect(at('lower', 'Ab9 z')).toEqual([
      ['ab9', 0, 3],
      ['z', 4, 5],
    ]);
    expect(at('lower', 'x'.repeat(256))).toEqual([]); // longer than 255 characters: dropped, as before
  });

  it('empty and whitespace text give no tokens; an unknown analyzer is a TypeError', () => {
    const out: string[] = [];
    getAnalyzer().analyze('  \n ', out);
    expect(out).toEqual([]);
    expect(() => getAnalyzer('nope' as never)).toThrow(TypeError);
  });
});

describe('lexical documents', () => {
  it('term frequencies under murmur3 ids, ascending, with their tokens and the length', () => {
    const doc = encodeLexicalDocument(getAnalyzer(), 'cells cell CELLS protein the');
    expect(doc.length).toBe(4);
    expect([...(doc.tokens ?? [])].sort()).toEqual(['cell', 'protein']);
    const byToken = new Map(doc.tokens?.map((t, i) => [t, i]));
    const cell = byToken.get('cell') as number;
    expect(doc.vector.indices[cell]).toBe(murmur3('cell'));
    expect(doc.vector.values[cell]).toBe(3);
    expect([...doc.vector.indices]).toEqual([...doc.vector.indices].sort((a, b) => a - b));
    // tokens follow the order of the ids
    doc.tokens?.forEach((t, i) => expect(doc.vector.indices[i]).toBe(murmur3(t)));
  });

  it('empty text gives an empty vector', () => {
    const doc = encodeLexicalDocument(getAnalyzer(), '');
    expect(doc.vector.indices.length).toBe(0);
    expect(doc.length).toBe(0);
  });

  it('a 1 MB text is encoded with one entry per distinct token', () => {
    const doc = encodeLexicalDocument(getAnalyzer(), 'alpha beta gamma '.repeat(62_000));
    expect(doc.length).toBe(3 * 62_000);
    expect(doc.vector.indices.length).toBe(3);
  });
});

describe('BM25', () => {
  it('Lucene IDF', () => {
    expect(luceneIdf(10, 1)).toBeCloseTo(Math.log(1 + 9.5 / 1.5), 12);
    expect(luceneIdf(10, 10)).toBeGreaterThan(0);
    expect(luceneIdf(0, 0)).toBeCloseTo(Math.log(2), 12);
  });

  it('document weights: tf / (tf + k1 (1 - b + b dl / avgdl)), k1 = 1.2, b = 0.75', () => {
    expect(BM25_PARAMS).toEqual({ k1: 1.2, b: 0.75 });
    const tf = { indices: Uint32Array.from([3, 7]), values: Float32Array.from([1, 4]) };
    const w = bm25DocumentWeights(tf, 20, 10);
    const norm = 1.2 * (1 - 0.75 + 0.75 * 2);
    expect(w.values[0]).toBeCloseTo(1 / (1 + norm), 6);
    expect(w.values[1]).toBeCloseTo(4 / (4 + norm), 6);
    expect(w.indices).toBe(tf.indices);
  });

  it('query weights: query term frequency × IDF from live statistics', () => {
    const q = bm25QueryVector([5, 9, 5], stats(100, { 5: 10, 9: 1 }));
    expect([...q.indices]).toEqual([5, 9]);
    expect(q.values[0]).toBeCloseTo(2 * luceneIdf(100, 10), 5);
    expect(q.values[1]).toBeCloseTo(luceneIdf(100, 1), 5);
    expect(bm25QueryVector([], stats(1, {})).indices.length).toBe(0);
  });

  it('countTerms merges repeats', () => {
    const c = countTerms([4294967295, 2, 2, 0]);
    expect([...c.indices]).toEqual([0, 2, 4294967295]);
    expect([...c.values]).toEqual([1, 2, 1]);
  });
});
