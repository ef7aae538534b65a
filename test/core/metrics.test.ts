import { describe, expect, it } from 'vitest';
import { evaluate, ndcgAt, queryMetrics, trecOrder, type Qrels, type Run, type ScoredDoc } from '../../src/core/metrics.js';

const docs = (...pairs: Array<[string, number]>): ScoredDoc[] => pairs.map(([docId, score]) => ({ docId, score }));
const judged = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('trecOrder', () => {
  it('sorts by score descending, then document id descending (trec_eval tie-break)', () => {
    expect(trecOrder(docs(['a', 1], ['c', 0.5], ['b', 1], ['d', 2]))).toEqual(['d', 'b', 'a', 'c']);
  });

  it('keeps the first (best-ranked) occurrence of a duplicated document', () => {
    expect(trecOrder(docs(['a', 1], ['b', 3], ['a', 5]))).toEqual(['a', 'b']);
  });
});

describe('queryMetrics (hand-computed)', () => {
  it('breaks ties the trec_eval way: the relevant doc "a" ranks after "b" at equal score', () => {
    const m = queryMetrics(docs(['a', 1], ['b', 1], ['c', 0.5]), judged({ a: 1 }));
    // a at rank 2: DCG = 1/log2(3), IDCG = 1
    expect(m.ndcg_at_10).toBeCloseTo(1 / Math.log2(3), 12);
    expect(m.mrr_at_10).toBe(0.5);
    expect(m.map).toBe(0.5);
    expect(m.recall_at_100).toBe(1);
  });

  it('uses graded gains, ignores documents judged 0 and counts unretrieved relevant documents', () => {
    // ranked: d3 (judged 0), d2 (1), d1 (2), d5 (unjudged); d4 (2) is never retrieved
    const m = queryMetrics(docs(['d1', 0.7], ['d2', 0.8], ['d3', 0.9], ['d5', 0.6]), judged({ d1: 2, d2: 1, d3: 0, d4: 2 }));
    const dcg = 1 / Math.log2(3) + 2 / Math.log2(4);
    const idcg = 2 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4);
    expect(m.ndcg_at_10).toBeCloseTo(dcg / idcg, 12);
    expect(m.ndcg_at_10).toBeCloseTo(0.433543, 5);
    expect(m.recall_at_100).toBeCloseTo(2 / 3, 12);
    expect(m.recall_at_1000).toBeCloseTo(2 / 3, 12);
    expect(m.mrr_at_10).toBe(0.5);
    expect(m.map).toBeCloseTo((1 / 2 + 2 / 3) / 3, 12);
  });

  it('handles fewer than k results: the ideal still holds every relevant document', () => {
    // 3 relevant, only one retrieved at rank 1
    const m = queryMetrics(docs(['r1', 3]), judged({ r1: 1, r2: 1, r3: 1 }));
    expect(m.ndcg_at_10).toBeCloseTo(1 / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)), 12);
    expect(m.recall_at_100).toBeCloseTo(1 / 3, 12);
    expect(m.mrr_at_10).toBe(1);
    expect(m.map).toBeCloseTo(1 / 3, 12);
  });

  it('truncates MRR at 10 but not MAP, and cuts nDCG at 10', () => {
    const ranked = Array.from({ length: 12 }, (_, i): [string, number] => [`n${String(i).padStart(2, '0')}`, 100 - i]);
    const m = queryMetrics(docs(...ranked), judged({ n10: 1 })); // rank 11
    expect(m.mrr_at_10).toBe(0);
    expect(m.ndcg_at_10).toBe(0);
    expect(m.map).toBeCloseTo(1 / 11, 12);
    expect(m.recall_at_100).toBe(1);
  });

  it('cuts recall at k', () => {
    const ranked = Array.from({ length: 150 }, (_, i): [string, number] => [`d${i}`, 1000 - i]);
    const m = queryMetrics(docs(...ranked), judged({ d5: 1, d120: 1 }));
    expect(m.recall_at_100).toBe(0.5);
    expect(m.recall_at_1000).toBe(1);
  });

  it('ndcgAt a perfect ranking is 1', () => {
    expect(ndcgAt(['x', 'y'], judged({ x: 2, y: 1 }), 10)).toBeCloseTo(1, 12);
  });
});

describe('evaluate', () => {
  it('skips queries without relevant judgments and counts judged queries missing from the run as 0', () => {
    const run: Run = new Map([
      ['q1', docs(['a', 2], ['b', 1])],
      ['q2', docs(['x', 1])],
      ['q4', docs(['z', 1])], // not judged at all: ignored
    ]);
    const qrels: Qrels = new Map([
      ['q1', judged({ a: 1 })], // perfect
      ['q2', judged({ x: 0 })], // nothing relevant: skipped
      ['q3', judged({ c: 1 })], // relevant but no results: zeros
    ]);
    const result = evaluate(run, qrels);
    expect(result.queries).toBe(2);
    expect([...result.perQuery.keys()].sort()).toEqual(['q1', 'q3']);
    expect(result.perQuery.get('q3')).toEqual({ ndcg_at_10: 0, recall_at_100: 0, recall_at_1000: 0, mrr_at_10: 0, map: 0 });
    expect(result.mean.ndcg_at_10).toBe(0.5);
    expect(result.mean.mrr_at_10).toBe(0.5);
    expect(result.mean.map).toBe(0.5);
    expect(result.mean.recall_at_100).toBe(0.5);
  });

  it('returns zeros when no query can be evaluated', () => {
    const result = evaluate(new Map(), new Map([['q', judged({ a: 0 })]]));
    expect(result.queries).toBe(0);
    expect(result.mean.ndcg_at_10).toBe(0);
  });

  it('rejects arguments that are not Maps with a TypeError naming them', () => {
    expect(() => evaluate({} as unknown as Run, new Map())).toThrow(/run must be a Map/);
    expect(() => evaluate(new Map(), [] as unknown as Qrels)).toThrow(/qrels must be a Map/);
  });
});
