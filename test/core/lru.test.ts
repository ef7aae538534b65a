// Lru: bounded, forgets the least recently used entry first (a get refreshes an entry; a set of a
// key it holds changes the value and keeps its place), counts hits and misses.
import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/core/lru.js';

const keys = (c: Lru<number, string>, range: number): number[] => {
  const held: number[] = [];
  for (let k = 0; k < range; k++) if ((c as unknown as { entries: Map<number, unknown> }).entries.has(k)) held.push(k);
  return held;
};

describe('Lru', () => {
  it('evicts the least recently used entry; get refreshes, set of a held key does not', () => {
    const c = new Lru<number, string>(3);
    c.set(1, 'a');
    c.set(2, 'b');
    c.set(3, 'c');
    expect(c.get(1)).toBe('a'); // 1 is now the most recent: 2 is the oldest
    c.set(4, 'd');
    expect(keys(c, 10)).toEqual([1, 3, 4]);
    c.set(3, 'c2'); // a new value, same place: 3 is still the oldest
    c.set(5, 'e');
    expect(keys(c, 10)).toEqual([1, 4, 5]);
    expect(c.get(3)).toBeUndefined();
    expect([c.hits, c.misses, c.size]).toEqual([1, 1, 3]);
  });

  it('forgets a deleted entry and keeps the order of the others', () => {
    const c = new Lru<number, string>(3);
    for (const k of [1, 2, 3]) c.set(k, String(k));
    c.delete(2);
    c.delete(9); // absent: nothing changes
    c.set(4, '4');
    c.set(5, '5'); // evicts 1, the oldest left
    expect(keys(c, 10)).toEqual([3, 4, 5]);
    c.delete(5);
    c.delete(3);
    c.delete(4);
    expect(c.size).toBe(0);
    c.set(6, '6'); // an emptied cache works as a new one
    expect(c.get(6)).toBe('6');
  });

  it('a cache of one keeps the latest entry', () => {
    const c = new Lru<number, string>(1);
    c.set(1, 'a');
    c.set(2, 'b');
    expect([c.get(1), c.get(2), c.size]).toEqual([undefined, 'b', 1]);
  });
});
