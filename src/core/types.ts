/** Internal document number: dense, per collection, never reused. External ids are strings. */
export type DocNo = number;
/** Term id in a vocabulary of up to 2^32 terms. */
export type TermId = number;

/**
 * A sparse vector: strictly increasing term ids, finite weights >= 0, equal lengths.
 * Produced by encoders and validated (src/core/sparse.ts) before it crosses into native code.
 */
export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

/** A batch of sparse rows in CSR form: row r is indices/values[indptr[r] .. indptr[r+1]). */
export interface CsrBatch {
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
}

/** One scored document. Ranking order everywhere: score descending, then docno ascending. */
export interface Hit {
  docno: DocNo;
  score: number;
}
