/**
 * Hybrid fusion of a sparse and a dense ranking (pure: no I/O).
 *
 * Convex: score = alpha · norm(sparse) + (1 − alpha) · norm(dense), over the union of both
 * candidate lists; the caller scores each candidate's missing side exactly first, so every
 * candidate has both raw scores and normalisation sees the same set on both sides.
 * RRF: score = Σ 1 / (rankConstant + rank) over the sides that returned the candidate (rank is
 * 1-based); a side that did not return it contributes 0.
 * Ranking order, as everywhere: score descending, then docno ascending.
 */
import { AppError } from '../errors.js';
import type { DocNo, Hit } from './types.js';

export type FusionMethod = 'convex' | 'rrf';
export type Normalization = 'min_max' | 'l2' | 'z_score';

export const FUSION_METHODS: readonly FusionMethod[] = ['convex', 'rrf'];
export const NORMALIZATIONS: readonly Normalization[] = ['min_max', 'l2', 'z_score'];

export interface FusionOptions {
  method: FusionMethod;
  /** weight of the sparse side in convex fusion, in [0, 1] */
  alpha: number;
  normalization: Normalization;
  /** RRF's k: larger flattens the rank curve */
  rankConstant: number;
  /** top hits taken from each side before fusion */
  candidates: number;
}

export const DEFAULT_FUSION: Omit<FusionOptions, 'candidates'> = {
  method: 'convex',
  alpha: 0.5,
  normalization: 'min_max',
  rankConstant: 60,
};

/** Candidates per side when a request does not say: enough for fusion to reorder the top k. */
export function defaultCandidates(k: number): number {
  return Math.max(k, 100);
}

/** One side of a fused hit: the retriever's raw score and what fusion made of it. */
export interface SideScore {
  raw: number;
  /** convex: the normalised score; rrf: this side's 1/(rankConstant + rank), 0 when absent */
  normalized: number;
  /** 1-based rank in this side's own candidate list; undefined when the side did not return it */
  rank?: number;
}

export interface FusedHit extends Hit {
  sparse: SideScore;
  dense: SideScore;
}

/** A candidate with both raw scores (convex fusion needs both; missing sides scored exactly). */
export interface ScoredCandidate {
  docno: DocNo;
  sparse: number;
  dense: number;
}

/** Validates and completes user fusion options; unknown method → UNKNOWN_FUSION_METHOD. */
export function resolveFusionOptions(input: Partial<FusionOptions> | undefined, k: number): FusionOptions {
  const o = { ...DEFAULT_FUSION, candidates: defaultCandidates(k), ...stripUndefined(input ?? {}) };
  if (!FUSION_METHODS.includes(o.method)) {
    throw new AppError('UNKNOWN_FUSION_METHOD', `hybrid.method must be one of ${FUSION_METHODS.join(', ')}; got ${JSON.stringify(o.method)}`);
  }
  if (!NORMALIZATIONS.includes(o.normalization)) {
    throw new AppError('VALIDATION_ERROR', `hybrid.normalization must be one of ${NORMALIZATIONS.join(', ')}; got ${JSON.stringify(o.normalization)}`);
  }
  if (typeof o.alpha !== 'number' || !(o.alpha >= 0 && o.alpha <= 1)) {
    throw new AppError('VALIDATION_ERROR', `hybrid.alpha must be a number in [0, 1]; got ${JSON.stringify(o.alpha)}`);
  }
  if (typeof o.rankConstant !== 'number' || !Number.isFinite(o.rankConstant) || o.rankConstant < 0) {
    throw new AppError('VALIDATION_ERROR', `hybrid.rankConstant must be a finite number >= 0; got ${JSON.stringify(o.rankConstant)}`);
  }
  if (!Number.isInteger(o.candidates) || o.candidates < 1 || o.candidates > 10_000) {
    throw new AppError('VALIDATION_ERROR', `hybrid.candidates must be an integer in [1, 10000]; got ${JSON.stringify(o.candidates)}`);
  }
  return { ...o, candidates: Math.max(o.candidates, k) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Normalises scores over one candidate set.
 * min_max: (s − min) / (max − min); all equal → 1 (every candidate is the best).
 * l2: s / ‖s‖₂; a zero vector stays 0.
 * z_score: (s − mean) / σ with the population σ; σ = 0 → 0.
 */
export function normalize(scores: ArrayLike<number>, method: Normalization): Float64Array {
  const n = scores.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (method === 'min_max') {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      min = Math.min(min, scores[i]);
      max = Math.max(max, scores[i]);
    }
    const range = max - min;
    for (let i = 0; i < n; i++) out[i] = range > 0 ? (scores[i] - min) / range : 1;
  } else if (method === 'l2') {
    let sq = 0;
    for (let i = 0; i < n; i++) sq += scores[i] * scores[i];
    const norm = Math.sqrt(sq);
    for (let i = 0; i < n; i++) out[i] = norm > 0 ? scores[i] / norm : 0;
  } else {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += scores[i];
    const mean = sum / n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (scores[i] - mean) ** 2;
    const sd = Math.sqrt(variance / n);
    for (let i = 0; i < n; i++) out[i] = sd > 0 ? (scores[i] - mean) / sd : 0;
  }
  return out;
}

/** Docnos returned by either side, each once, in first-seen order (sparse first). */
export function candidateUnion(sparse: readonly Hit[], dense: readonly Hit[]): DocNo[] {
  const seen = new Set<DocNo>();
  const out: DocNo[] = [];
  for (const h of [...sparse, ...dense]) {
    if (!seen.has(h.docno)) {
      seen.add(h.docno);
      out.push(h.docno);
    }
  }
  return out;
}

function byRank(a: Hit, b: Hit): number {
  return b.score - a.score || a.docno - b.docno;
}

function rankMap(hits: readonly Hit[]): Map<DocNo, number> {
  const ranks = new Map<DocNo, number>();
  [...hits].sort(byRank).forEach((h, i) => ranks.set(h.docno, i + 1));
  return ranks;
}

/** Convex fusion over candidates that carry both raw scores. `sparseHits`/`denseHits` only give ranks for explain. */
export function fuseConvex(
  candidates: readonly ScoredCandidate[],
  alpha: number,
  normalization: Normalization,
  k: number,
  sides: { sparseHits?: readonly Hit[]; denseHits?: readonly Hit[] } = {},
): FusedHit[] {
  const s = normalize(candidates.map((c) => c.sparse), normalization);
  const d = normalize(candidates.map((c) => c.dense), normalization);
  const sparseRanks = rankMap(sides.sparseHits ?? []);
  const denseRanks = rankMap(sides.denseHits ?? []);
  const fused = candidates.map((c, i): FusedHit => ({
    docno: c.docno,
    score: alpha * s[i] + (1 - alpha) * d[i],
    sparse: { raw: c.sparse, normalized: s[i], rank: sparseRanks.get(c.docno) },
    dense: { raw: c.dense, normalized: d[i], rank: denseRanks.get(c.docno) },
  }));
  return fused.sort(byRank).slice(0, k);
}

/**
 * Reciprocal rank fusion of two rankings. `exactMissing` may give the raw score of a side that did
 * not return a candidate (for explain only: it never changes the RRF score).
 */
export function fuseRrf(
  sparseHits: readonly Hit[],
  denseHits: readonly Hit[],
  rankConstant: number,
  k: number,
  exactMissing?: { sparse?: ReadonlyMap<DocNo, number>; dense?: ReadonlyMap<DocNo, number> },
): FusedHit[] {
  const sparseRanks = rankMap(sparseHits);
  const denseRanks = rankMap(denseHits);
  const sparseRaw = new Map(sparseHits.map((h) => [h.docno, h.score]));
  const denseRaw = new Map(denseHits.map((h) => [h.docno, h.score]));
  const side = (docno: DocNo, ranks: Map<DocNo, number>, raw: Map<DocNo, number>, missing?: ReadonlyMap<DocNo, number>): SideScore => {
    const rank = ranks.get(docno);
    return {
      raw: raw.get(docno) ?? missing?.get(docno) ?? Number.NaN,
      normalized: rank === undefined ? 0 : 1 / (rankConstant + rank),
      rank,
    };
  };
  const fused = candidateUnion(sparseHits, denseHits).map((docno): FusedHit => {
    const sparse = side(docno, sparseRanks, sparseRaw, exactMissing?.sparse);
    const dense = side(docno, denseRanks, denseRaw, exactMissing?.dense);
    return { docno, score: sparse.normalized + dense.normalized, sparse, dense };
  });
  return fused.sort(byRank).slice(0, k);
}
