/** Internal document number: dense, per collection, never reused. External ids are strings. */
export type DocNo = number;
/** Term id in a vocabulary of up to 2^32 terms. */
export type TermId = number;

/**
 * A term id as a Map key: the same 32 bits read as a signed integer. V8 keeps it a small integer,
 * where an id of 2^31 and above (half of the lexical encoder's hashed ids) is a heap number, hashed
 * and compared more slowly (lookups in a 40,000-term map: ~25-60 ns instead of ~85-200).
 */
export function termKey(id: TermId): number {
  return id | 0;
}

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
