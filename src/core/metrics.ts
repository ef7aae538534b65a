/**
 * Retrieval metrics with trec_eval's definitions (the numbers BEIR and pytrec_eval report).
 *
 * - The run of a query is ordered as trec_eval orders it: score descending, then document id
 *   DESCENDING (trec_eval's tie-break, a plain byte comparison). Input order is ignored.
 * - A document is relevant when its grade is >= 1; grade 0 (or negative, or unjudged) is not.
 * - nDCG@k (trec_eval ndcg_cut): gain = grade, discount log2(rank + 1) with 1-based ranks; the
 *   ideal ranking is built from every judged relevant document, cut at k.
 * - Recall@k: relevant documents in the top k / all relevant documents.
 * - MRR@10 (recip_rank on the run truncated at 10): 1 / rank of the first relevant document in the
 *   top 10, else 0.
 * - MAP: mean over relevant documents of the precision at the rank where each is retrieved
 *   (unretrieved relevant documents contribute 0), over the whole run as given.
 * - Queries without a relevant judgment are skipped. A judged query missing from the run counts as
 *   an empty run (every metric 0): a system that answers nothing must not score well (trec_eval -c).
 * - A document listed twice for one query keeps its first (highest-ranked) occurrence.
 *
 * Pure: no I/O.
 */

export interface ScoredDoc {
  docId: string;
  score: number;
}

/** qid -> retrieved documents (any order). */
export type Run = Map<string, ScoredDoc[]>;
/** qid -> docId -> grade. */
export type Qrels = Map<string, Map<string, number>>;

export interface QueryMetrics {
  ndcg_at_10: number;
  recall_at_100: number;
  recall_at_1000: number;
  mrr_at_10: number;
  map: number;
}

export interface Evaluation {
  /** Only the evaluated queries (those with at least one relevant judgment). */
  perQuery: Map<string, QueryMetrics>;
  /** Mean over perQuery; all zeros when no query could be evaluated. */
  mean: QueryMetrics;
  queries: number;
}

export const METRIC_NAMES: ReadonlyArray<keyof QueryMetrics> = ['ndcg_at_10', 'recall_at_100', 'recall_at_1000', 'mrr_at_10', 'map'];

/** Document ids in trec_eval order: score descending, then id descending; duplicates dropped. */
export function trecOrder(docs: readonly ScoredDoc[]): string[] {
  const sorted = [...docs].sort((a, b) => {
    if (a.score !== b.score) return b.score - a.score;
    return a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0;
  });
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const { docId } of sorted) {
    if (seen.has(docId)) continue;
    seen.add(docId);
    ids.push(docId);
  }
  return ids;
}

function gradeOf(judged: ReadonlyMap<string, number>, docId: string): number {
  const grade = judged.get(docId) ?? 0;
  return grade >= 1 ? grade : 0;
}

function relevantCount(judged: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const grade of judged.values()) if (grade >= 1) n++;
  return n;
}

/** nDCG@k over a ranked list of ids (already in trec_eval order). 0 when nothing is relevant. */
export function ndcgAt(ranked: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const gain = gradeOf(judged, ranked[i]);
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  }
  const ideal = [...judged.values()].filter((g) => g >= 1).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i] / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const total = relevantCount(judged);
  if (total === 0) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (gradeOf(judged, ranked[i]) > 0) found++;
  return found / total;
}

/** 1 / rank of the first relevant document within the top `cut`, else 0. */
export function reciprocalRank(ranked: readonly string[], judged: ReadonlyMap<string, number>, cut = 10): number {
  for (let i = 0; i < Math.min(cut, ranked.length); i++) if (gradeOf(judged, ranked[i]) > 0) return 1 / (i + 1);
  return 0;
}

export function averagePrecision(ranked: readonly string[], judged: ReadonlyMap<string, number>): number {
  const total = relevantCount(judged);
  if (total === 0) return 0;
  let found = 0;
  let sum = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (gradeOf(judged, ranked[i]) > 0) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / total;
}

/** All metrics of one query. */
export function queryMetrics(docs: readonly ScoredDoc[], judged: ReadonlyMap<string, number>): QueryMetrics {
  const ranked = trecOrder(docs);
  return {
    ndcg_at_10: ndcgAt(ranked, judged, 10),
    recall_at_100: recallAt(ranked, judged, 100),
    recall_at_1000: recallAt(ranked, judged, 1000),
    mrr_at_10: reciprocalRank(ranked, judged, 10),
    map: averagePrecision(ranked, judged),
  };
}

function zeroMetrics(): QueryMetrics {
  return { ndcg_at_10: 0, recall_at_100: 0, recall_at_1000: 0, mrr_at_10: 0, map: 0 };
}

/** Evaluate a run against qrels (see the module comment for the exact definitions). */
export function evaluate(run: Run, qrels: Qrels): Evaluation {
  if (!(run instanceof Map)) throw new TypeError('run must be a Map of query id -> scored documents');
  if (!(qrels instanceof Map)) throw new TypeError('qrels must be a Map of query id -> Map of document id -> grade');
  const perQuery = new Map<string, QueryMetrics>();
  const mean = zeroMetrics();
  for (const [qid, judged] of qrels) {
    if (relevantCount(judged) === 0) continue;
    const metrics = queryMetrics(run.get(qid) ?? [], judged);
    perQuery.set(qid, metrics);
    for (const name of METRIC_NAMES) mean[name] += metrics[name];
  }
  if (perQuery.size > 0) for (const name of METRIC_NAMES) mean[name] /= perQuery.size;
  return { perQuery, mean, queries: perQuery.size };
}
