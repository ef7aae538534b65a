/**
 * `sparrow bench`: query latency of a collection, exact and at each approximate setting, one
 * query at a time in-process (query encoding included): p50, p99, mean, sequential QPS, recall@k
 * of the approximate results against exact and the share of postings skipped. Queries come from
 * BEIR queries.jsonl (`text`), a TSV file (`id<TAB>text`, as MS MARCO topics) or plain lines.
 */
import type { Collection } from '../engine/types.js';
import { AppError } from '../errors.js';
import { readLines } from './beir.js';
import { percentile, recallVsExact } from './report.js';
import { enginePass, skipped, type Pass } from './runner.js';
import type { SweepPoint } from './sweep.js';

export interface QueryText {
  id: string;
  text: string;
}

export async function loadQueryTexts(file: string, limit = Infinity): Promise<QueryText[]> {
  const queries: QueryText[] = [];
  for await (const { lineNo, line } of readLines(file)) {
    if (queries.length >= limit) break;
    if (line.trimStart().startsWith('{')) {
      let value: { _id?: unknown; id?: unknown; text?: unknown };
      try {
        value = JSON.parse(line);
      } catch {
        throw new AppError('INVALID_DATASET', `${file}:${lineNo}: invalid JSON`);
      }
      if (typeof value.text !== 'string') throw new AppError('INVALID_DATASET', `${file}:${lineNo}: a query needs a "text" string`);
      queries.push({ id: String(value._id ?? value.id ?? lineNo), text: value.text });
    } else {
      const tab = line.indexOf('\t');
      queries.push(tab >= 0 ? { id: line.slice(0, tab), text: line.slice(tab + 1) } : { id: String(lineNo), text: line });
    }
  }
  if (queries.length === 0) throw new AppError('INVALID_DATASET', `${file} holds no query`);
  return queries;
}

export interface BenchRow {
  mode: 'exact' | 'approx';
  params: SweepPoint;
  p50: number;
  p99: number;
  mean: number;
  qps: number;
  recallVsExact: number | null;
  postingsSkipped: number | null;
}

function row(mode: BenchRow['mode'], params: SweepPoint, pass: Pass, recall: number | null): BenchRow {
  const mean = pass.latencies.reduce((a, b) => a + b, 0) / Math.max(1, pass.latencies.length);
  return {
    mode,
    params,
    p50: percentile(pass.latencies, 50),
    p99: percentile(pass.latencies, 99),
    mean,
    qps: 1000 / mean,
    recallVsExact: recall,
    postingsSkipped: skipped(pass.stats).postings,
  };
}

export async function runBench(c: Collection, queries: QueryText[], o: { k: number; warmup: number; sweep: SweepPoint[] }): Promise<BenchRow[]> {
  const exact = await enginePass(c, { queries }, o, { exact: true });
  const rows = [row('exact', {}, exact, null)];
  for (const point of o.sweep) {
    const pass = await enginePass(c, { queries }, o, { exact: false, stats: true, ...point });
    rows.push(row('approx', point, pass, recallVsExact(pass.run, exact.run, o.k)));
  }
  return rows;
}

export function formatBenchTable(rows: BenchRow[], k: number): string {
  const header = ['mode', 'params', 'p50 ms', 'p99 ms', 'mean ms', 'QPS (1 client)', `recall@${k} vs exact`, 'postings skipped'];
  const cells = rows.map((r) => [
    r.mode,
    Object.entries(r.params).map(([key, v]) => `${key}=${v}`).join(' ') || 'defaults',
    r.p50.toFixed(3),
    r.p99.toFixed(3),
    r.mean.toFixed(3),
    r.qps.toFixed(0),
    r.recallVsExact === null ? '—' : r.recallVsExact.toFixed(3),
    r.postingsSkipped === null ? '—' : `${(100 * r.postingsSkipped).toFixed(1)}%`,
  ]);
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...cells.map(line)].join('\n');
}
