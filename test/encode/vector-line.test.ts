import { describe, expect, it } from 'vitest';
import { float32Text, packVectors, unpackVectors, vectorLine } from '../../src/encode/vector-line.js';

describe('vector lines', () => {
  it('writes each float32 weight with the fewest digits that read back as the same float32', () => {
    const values = Float32Array.from([0.1, 1, 2.5, 1e-7, 3.4028234663852886e38, 0.30000001192092896, 1.2345678, 123456.79]);
    for (const v of values) {
      const text = float32Text(v);
      expect(Math.fround(Number(text))).toBe(v);
      expect(text.replace(/^0\.|[.-]|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(vectorLine('a"b', { indices: Uint32Array.from([3, 7]), values: Float32Array.from([0.5, 2]) })).toBe('{"id":"a\\"b","indices":[3,7],"values":[0.5,2]}\n');
  });

  it('packs a batch of vectors for the queue and unpacks it bit for bit; a torn batch is refused', () => {
    const vectors = [
      { indices: Uint32Array.from([1, 5, 9]), values: Float32Array.from([0.25, 1.5, 3]) },
      { indices: new Uint32Array(0), values: new Float32Array(0) },
      { indices: Uint32Array.from([4294967295]), values: Float32Array.from([Math.fround(0.1)]) },
    ];
    const packed = JSON.parse(JSON.stringify(packVectors(vectors)));
    expect(unpackVectors(packed, 3)).toEqual(vectors);
    expect(() => unpackVectors(packed, 2)).toThrow(/expected 2 rows/);
    expect(() => unpackVectors({ ...packed, values: packed.values.slice(0, 4) }, 3)).toThrow();
  });
});
