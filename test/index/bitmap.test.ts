import { describe, expect, it } from 'vitest';
import { createBitmap } from '../../src/index/native.js';

describe('native Bitmap', () => {
  it('sets, clears, counts and lists docnos, growing past its capacity', () => {
    const b = createBitmap(10);
    expect(b.capacity).toBe(64);
    for (const d of [0, 5, 63, 64, 1000, 2 ** 24 + 3]) b.set(d);
    expect(b.capacity).toBeGreaterThan(2 ** 24 + 3);
    expect(b.count()).toBe(6);
    expect(b.has(5)).toBe(true);
    expect(b.has(6)).toBe(false);
    expect(b.has(2 ** 24 + 3)).toBe(true);
    expect(b.has(2 ** 32 - 1)).toBe(false);
    b.clear(5);
    b.clear(123_456); // clearing an unset bit past nothing is a no-op
    expect(Array.from(b.toArray())).toEqual([0, 63, 64, 1000, 2 ** 24 + 3]);
  });

  it('snapshot is immutable: later writes on either side do not show on the other', () => {
    const b = createBitmap();
    b.set(1);
    const snap = b.snapshot();
    b.set(2);
    b.clear(1);
    expect(Array.from(snap.toArray())).toEqual([1]);
    snap.set(9);
    expect(Array.from(b.toArray())).toEqual([2]);
    expect(Array.from(snap.toArray())).toEqual([1, 9]);
  });

  it('or / and / andNot combine in place', () => {
    const a = createBitmap();
    const b = createBitmap();
    [1, 2, 3, 200].forEach((d) => a.set(d));
    [2, 3, 4].forEach((d) => b.set(d));
    const u = a.snapshot();
    u.or(b);
    expect(Array.from(u.toArray())).toEqual([1, 2, 3, 4, 200]);
    const i = a.snapshot();
    i.and(b);
    expect(Array.from(i.toArray())).toEqual([2, 3]);
    const d = a.snapshot();
    d.andNot(b);
    expect(Array.from(d.toArray())).toEqual([1, 200]);
    a.or(a);
    expect(a.count()).toBe(4);
  });

  it('rejects bad docnos and foreign objects with a TypeError naming the argument', () => {
    const b = createBitmap();
    expect(() => b.set(-1)).toThrow(/docno/);
    expect(() => b.set(1.5)).toThrow(TypeError);
    expect(() => b.set(2 ** 32)).toThrow(/docno/);
    expect(() => b.has('3' as unknown as number)).toThrow(/docno/);
    expect(() => b.or({} as never)).toThrow(/other must be a Bitmap/);
    expect(() => createBitmap(-3)).toThrow(/capacity/);
    expect(b.count()).toBe(0);
  });
});
