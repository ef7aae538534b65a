/**
 * One BM25 document weight, element-wise equal to bm25DocumentWeights (src/encoder/bm25.ts), for
 * scoring a single posting of the mutable segment and for explain without building a vector.
 */
import { BM25_PARAMS } from '../../encoder/bm25.js';

export function bm25DocWeight(tf: number, length: number, avgdl: number): number {
  const { k1, b } = BM25_PARAMS;
  return tf / (tf + k1 * (1 - b + (b * length) / (avgdl > 0 ? avgdl : 1)));
}
