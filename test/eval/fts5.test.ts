import { afterEach, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/metrics.js';
import { loadBeirSplit, readCorpus } from '../../src/eval/beir.js';
import { Fts5Baseline, fts5Query } from '../../src/eval/fts5.js';

const SCIFACT = 'index-data/samples/scifact';
let fts: Fts5Baseline | undefined;
afterEach(() => fts?.close());

describe('fts5Query', () => {
  it('quotes every word and OR-joins them, so FTS5 syntax in the text is inert', () => {
    expect(fts5Query('NEAR(a b) AND "x" OR y* -z:w')).toBe('"NEAR" OR "a" OR "b" OR "AND" OR "x" OR "OR" OR "y" OR "z" OR "w"');
    expect(fts5Query('β-cells in café')).toBe('"β" OR "cells" OR "in" OR "café"');
  });

  it('has no expression for a text without words', () => {
    expect(fts5Query('  ?! -- ')).toBeUndefined();
  });
});

describe('Fts5Baseline', () => {
  it('ranks by bm25 over title and text with Porter stemming', () => {
    fts = new Fts5Baseline();
    fts.add([
      { id: 'a', title: 'Running shoes', text: 'shoes for runners who run' },
      { id: 'b', title: 'Cooking', text: 'a recipe with no sport at all' },
      { id: 'c', text: 'a shoe' },
    ]);
    expect(fts.size).toBe(3);
    const hits = fts.search('run shoe', 10);
    expect(hits.map((h) => h.docId)).toEqual(['a', 'c']);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
    expect(fts.search('"; DROP TABLE docs; --', 5)).toEqual([]);
    expect(fts.search('...', 5)).toEqual([]);
    expect(fts.search('run', 1)).toHaveLength(1);
  });

  it('rejects a bad k or query with a TypeError', () => {
    fts = new Fts5Baseline();
    expect(() => fts!.search('x', 0)).toThrow(TypeError);
    expect(() => fts!.search(3 as unknown as string, 1)).toThrow(/text must be a string/);
  });

  it('reproduces the published SQLite FTS5 nDCG@10 on SciFact test (about 0.6817)', async () => {
    const split = await loadBeirSplit(SCIFACT, 'test');
    fts = new Fts5Baseline();
    const docs = [];
    for await (const line of readCorpus(split.paths.corpus)) if ('doc' in line) docs.push(line.doc);
    fts.add(docs);
    const run = new Map(split.queries.map((q) => [q.id, fts!.search(q.text, 1000)]));
    const { mean, queries } = evaluate(run, split.qrels);
    expect(queries).toBe(300);
    expect(mean.ndcg_at_10).toBeGreaterThan(0.68);
    expect(mean.ndcg_at_10).toBeLessThan(0.684);
    expect(mean.recall_at_100).toBeCloseTo(0.9253, 3);
  });
});
