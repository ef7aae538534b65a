/** The mutable segment's bounded top-k selection equals sorting every scored row (ties: lower docno first). */
import { describe, expect, it } from 'vitest';
import { compareHits, MutableSegment } from '../../src/engine/write/mutable-segment.js';
import type { Hit } from '../../src/core/types.js';
import { rng } from './helpers.js';

/** Adds n rows (docnos step, 2 step, ...) whose terms `fill` draws; returns each row's term weights. */
function addRows(seg: MutableSegment, n: number, step: number, fill: (terms: Map<number, number>) => void): Array<Map<number, number>> {
  const rows: Array<Map<number, number>> = [];
  for (let d = 1; d <= n; d++) {
    const terms = new Map<number, number>();
    fill(terms);
    const indices = [...terms.keys()].sort((a, b) => a - b);
    seg.add({ docno: d * step, vector: { indices: Uint32Array.from(indices), values: Float32Array.from(indices.map((t) => terms.get(t)!)) }, tf: false, length: 0, seq: d });
    rows.push(terms);
  }
  return rows;
}

describe('mutable segment top-k', () => {
  it('matches a full sort for many k, with ties, deletions, a filter and a threshold', () => {
    const rand = rng(7);
    const seg = new MutableSegment();
    // small integer weights: many ties
    const rows = addRows(seg, 600, 2, (terms) => {
      while (terms.size < 1 + Math.floor(rand() * 6)) terms.set(Math.floor(rand() * 30), 1 + Math.floor(rand() * 3));
    });
    for (let d = 1; d <= 600; d += 7) seg.delete(d * 2);
    const allow = (docno: number): boolean => docno % 3 !== 0;
    for (let q = 0; q < 40; q++) {
      const qt = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.floor(rand() * 30)))].sort((a, b) => a - b);
      const query = { indices: Uint32Array.from(qt), values: Float32Array.from(qt.map(() => 1)) };
      const threshold = q % 4 === 0 ? 2 : undefined;
      const all: Hit[] = [];
      rows.forEach((terms, i) => {
        const docno = (i + 1) * 2;
        if ((i + 1) % 7 === 1 || !allow(docno)) return;
        const score = qt.reduce((s, t) => s + (terms.get(t) ?? 0), 0);
        if (score > 0 && (threshold === undefined || score > threshold)) all.push({ docno, score });
      });
      all.sort(compareHits);
      for (const k of [0, 1, 3, 10, 50, 1000]) {
        expect(seg.search(query, { k, allow, threshold })).toEqual(all.slice(0, k));
      }
    }
  });

  it('scores every posting of terms spread over many chunks and past a slab (270,000 entries)', () => {
    const rand = rng(11);
    const seg = new MutableSegment();
    const rows = addRows(seg, 90_000, 1, (terms) => {
      while (terms.size < 3) terms.set(rand() < 0.5 ? Math.floor(rand() * 4) : 4 + Math.floor(rand() * 5000), 1 + Math.floor(rand() * 100));
    });
    for (const qt of [[0], [1, 2], [3, 17], [0, 1, 2, 3], [42, 4999]]) {
      const query = { indices: Uint32Array.from(qt), values: Float32Array.from(qt.map((_, i) => 1 + i)) };
      const all: Hit[] = [];
      rows.forEach((terms, i) => {
        const score = Math.fround(qt.reduce((s, t, j) => s + (1 + j) * (terms.get(t) ?? 0), 0));
        if (score > 0) all.push({ docno: i + 1, score });
      });
      all.sort(compareHits);
      expect(seg.search(query, { k: 20_000 })).toEqual(all.slice(0, 20_000));
    }
  });

  it('searches of segments of different sizes, and a search whose filter threw, leave nothing behind for the next', () => {
    const make = (n: number, from: number): MutableSegment => {
      const seg = new MutableSegment();
      for (let d = 1; d <= n; d++) seg.add({ docno: from + d, vector: { indices: Uint32Array.of(d % 5, 5 + (d % 3)), values: Float32Array.of(1 + (d % 4), 1) }, tf: false, length: 0, seq: d });
      return seg;
    };
    const small = make(30, 0);
    const large = make(500, 1000);
    const query = { indices: Uint32Array.of(1, 2, 6), values: Float32Array.of(1, 2, 0.5) };
    const smallAlone = small.search(query, { k: 5 });
    const largeAlone = large.search(query, { k: 5 });
    expect(() =>
      large.search(query, {
        k: 5,
        allow: () => {
          throw new Error('filter failed');
        },
      }),
    ).toThrow('filter failed');
    for (let i = 0; i < 3; i++) {
      expect(small.search(query, { k: 5 })).toEqual(smallAlone);
      expect(large.search(query, { k: 5 })).toEqual(largeAlone);
    }
    expect(smallAlone[0].score).toBe(Math.fround(2 * 4 + 0.5)); // d = 7: term 2 (2 x 4) + term 6 (0.5 x 1)
  });
});
