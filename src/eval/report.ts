/**
 * What an evaluation writes: report.json (one entry per sweep point and baseline), TREC run files,
 * and the table printed on the terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QueryMetrics, ScoredDoc } from '../core/metrics.js';

export interface ReportEntry extends QueryMetrics {
  dataset: string;
  split: string;
  queries: number;
  encoder: string;
  /** "exact" | "approx" | "fts5" */
  mode: string;
  params: Record<string, number | string | boolean>;
  /** approx only: mean share of the exact top 10 that the approximate top 10 holds */
  recall_vs_exact: number | null;
  latency_ms: { p50: number; p99: number };
  /** approx only, from the native search statistics (null when the engine does not report them) */
  postings_skipped?: number | null;
  blocks_skipped?: number | null;
  /** the TREC run file of this row, relative to report.json */
  run_file: string;
}

/** Nearest-rank percentile (p in [0, 100]) of unsorted values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Mean over queries of |approx top k ∩ exact top k| / min(k, |exact top k|); queries with no exact hit count 1. */
export function recallVsExact(approx: ReadonlyMap<string, readonly ScoredDoc[]>, exact: ReadonlyMap<string, readonly ScoredDoc[]>, k = 10): number {
  if (exact.size === 0) return 1;
  let sum = 0;
  for (const [qid, exactHits] of exact) {
    const truth = new Set(exactHits.slice(0, k).map((h) => h.docId));
    if (truth.size === 0) {
      sum += 1;
      continue;
    }
    const found = (approx.get(qid) ?? []).slice(0, k).filter((h) => truth.has(h.docId)).length;
    sum += found / truth.size;
  }
  return sum / exact.size;
}

/** TREC run format: `qid Q0 docid rank score tag`, ranks from 1, per query in the given order. */
export function formatTrecRun(run: ReadonlyMap<string, readonly ScoredDoc[]>, tag: string): string {
  const safeTag = tag.replace(/\s+/g, '_') || 'sparrow';
  const lines: string[] = [];
  for (const [qid, hits] of run) hits.forEach((h, i) => lines.push(`${qid} Q0 ${h.docId} ${i + 1} ${h.score.toPrecision(8)} ${safeTag}`));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function entryLabel(e: ReportEntry): string {
  const params = Object.entries(e.params).map(([k, v]) => `${k}=${v}`);
  return [e.mode, ...params].join(' ');
}

const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? '—' : x.toFixed(digits));

/** The printed table (markdown, so that it pastes into a README). */
/** Recall columns name the cutoff a run of k results can reach: with --k 10 both are recall@10. */
export function recallLabels(k: number): [string, string] {
  return [`R@${Math.min(100, k)}`, `R@${Math.min(1000, k)}`];
}

export function formatTable(entries: readonly ReportEntry[]): string {
  const k = Math.max(0, ...entries.map((e) => (typeof e.params.k === 'number' ? e.params.k : 0))) || 1000;
  const header = ['dataset', 'system', 'nDCG@10', ...recallLabels(k), 'MRR@10', 'MAP', 'R@10 vs exact', 'postings skipped', 'p50 ms', 'p99 ms'];
  const rows = entries.map((e) => [
    `${e.dataset}/${e.split}`,
    `${e.encoder} ${entryLabel(e)}`.trim(),
    fmt(e.ndcg_at_10),
    fmt(e.recall_at_100),
    fmt(e.recall_at_1000),
    fmt(e.mrr_at_10),
    fmt(e.map),
    fmt(e.recall_vs_exact, 3),
    e.postings_skipped === undefined || e.postings_skipped === null ? '—' : `${(100 * e.postings_skipped).toFixed(1)}%`,
    fmt(e.latency_ms.p50, 2),
    fmt(e.latency_ms.p99, 2),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Write report.json (replacing an older one) in `dir`. */
export function writeReport(dir: string, entries: readonly ReportEntry[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'report.json');
  fs.writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`);
  return file;
}
