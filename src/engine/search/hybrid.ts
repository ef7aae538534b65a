/**
 * Dense and hybrid search over a collection's sides. The engine's search hands in its sparse side
 * (top-n over every segment, and exact scoring of given docnos); the dense side is the DenseField.
 *
 * Hybrid: both sides fetch `candidates` hits; convex fusion scores each candidate's missing side
 * exactly so normalisation sees both scores of every candidate; RRF ranks each side as it came
 * (a side that did not return a candidate adds 0) and scores missing sides only for explain.
 * Deleted documents never come back: each side skips them, and exact scoring of a deleted docno is
 * never needed because candidates only come from the sides' own live results.
 */
import { candidateUnion, fuseConvex, fuseRrf, resolveFusionOptions, type FusedHit, type FusionOptions, type SideScore } from '../../core/fusion.js';
import type { DocNo, Hit } from '../../core/types.js';
import type { RowBitmap } from '../../index/native-types.js';
import type { DenseField } from '../segments/dense-field.js';
import type { SearchRequest } from '../types.js';

export interface SparseSide {
  /** the top n live documents by sparse score (the engine's normal sparse search) */
  top(n: number): Promise<Hit[]>;
  /** exact sparse scores of docnos (0 when no term is shared) */
  score(docnos: DocNo[]): number[];
}

export interface HybridResult {
  hits: Hit[];
  /** per docno, both sides' raw and normalised scores (hybrid only) */
  sides?: Map<DocNo, { sparse: SideScore; dense: SideScore }>;
  densePath: 'exact' | 'approximate';
}

export interface DenseQuery {
  field: DenseField;
  vector: Float32Array;
  allow?: RowBitmap;
  exact?: boolean;
  /** the order of a side's top n as responses order hits (score, then id; ties at the cut completed);
   * given, the dense side's candidates are what a dense search of n would answer */
  order?: (n: number, search: (m: number) => Promise<Hit[]>) => Promise<Hit[]>;
}

/** mode "dense": the dense side alone. */
export async function denseSearch(q: DenseQuery, k: number): Promise<HybridResult> {
  const { hits, path } = await q.field.search(q.vector, { k, allow: q.allow, exact: q.exact });
  return { hits, densePath: path };
}

/** mode "hybrid": fuse the sparse side with the dense side (options validated: UNKNOWN_FUSION_METHOD etc.). */
export async function hybridSearch(
  sparse: SparseSide,
  q: DenseQuery,
  k: number,
  hybrid: SearchRequest['hybrid'],
  explain: boolean,
): Promise<HybridResult> {
  const fusion: FusionOptions = resolveFusionOptions(hybrid as Partial<FusionOptions> | undefined, k);
  const n = fusion.candidates;
  let densePath: HybridResult['densePath'] = 'exact';
  const denseTop = async (m: number): Promise<Hit[]> => {
    const r = await q.field.search(q.vector, { k: m, allow: q.allow, exact: q.exact });
    densePath = r.path;
    return r.hits;
  };
  const [sparseHits, denseHits] = await Promise.all([sparse.top(n), q.order ? q.order(n, denseTop) : denseTop(n)]);
  let fused: FusedHit[];
  if (fusion.method === 'rrf') {
    const missing = explain ? missingScores(sparse, q, sparseHits, denseHits) : undefined;
    fused = fuseRrf(sparseHits, denseHits, fusion.rankConstant, k, missing);
  } else {
    const { sparse: sparseRaw, dense: denseRaw } = missingScores(sparse, q, sparseHits, denseHits);
    const candidates = candidateUnion(sparseHits, denseHits).map((docno) => ({
      docno,
      sparse: sparseRaw.get(docno)!,
      dense: denseRaw.get(docno)!,
    }));
    fused = fuseConvex(withoutGaps(candidates), fusion.alpha, fusion.normalization, k, { sparseHits, denseHits });
  }
  return {
    hits: fused.map((h) => ({ docno: h.docno, score: h.score })),
    sides: new Map(fused.map((h) => [h.docno, { sparse: h.sparse, dense: h.dense }])),
    densePath,
  };
}

/** Raw scores of both sides for every candidate: returned ones as they came, missing ones exactly. */
function missingScores(sparse: SparseSide, q: DenseQuery, sparseHits: Hit[], denseHits: Hit[]): { sparse: Map<DocNo, number>; dense: Map<DocNo, number> } {
  const s = new Map(sparseHits.map((h) => [h.docno, h.score]));
  const d = new Map(denseHits.map((h) => [h.docno, h.score]));
  const needSparse = denseHits.map((h) => h.docno).filter((docno) => !s.has(docno));
  const needDense = sparseHits.map((h) => h.docno).filter((docno) => !d.has(docno));
  sparse.score(needSparse).forEach((score, i) => s.set(needSparse[i], score));
  q.field.score(q.vector, needDense).forEach((score, i) => d.set(needDense[i], score));
  return { sparse: s, dense: d };
}

/**
 * A document without a dense vector (NaN) gets the lowest dense score among the candidates: it
 * cannot win on a side it does not have, and normalisation stays finite.
 */
function withoutGaps<T extends { sparse: number; dense: number }>(candidates: T[]): T[] {
  const lowest = (key: 'sparse' | 'dense'): number => {
    const finite = candidates.map((c) => c[key]).filter((x) => Number.isFinite(x));
    return finite.length > 0 ? Math.min(...finite) : 0;
  };
  const low = { sparse: lowest('sparse'), dense: lowest('dense') };
  return candidates.map((c) => ({ ...c, sparse: Number.isFinite(c.sparse) ? c.sparse : low.sparse, dense: Number.isFinite(c.dense) ? c.dense : low.dense }));
}
