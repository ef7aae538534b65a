/**
 * npm run bench:placement [-- --small 10000 --blocked 100000 --queries 150 --rounds 5 --cache /tmp/sparrow-bench-data]
 * Where a one-query search over sealed segments should run (SEARCH_PLACEMENT, src/index/native.ts):
 * measures, per query, the estimated work (searchSegments' `estimate`, native/src/multi_search.h
 * EstimateWork) and the latency of the same search on the calling thread ('inline'), as one pool
 * task ('pool') and, over several segments, a segment per pool task ('parallel'); the modes
 * interleaved query by query, warm (every query run once in every mode first), the fastest of
 * --rounds rounds (the least disturbed by other load on a shared machine). Segments:
 *   synthetic  --small SYNTHETIC SPLADE-like documents (test/bench/synthetic.ts; there are no real
 *              SPLADE document vectors here) in 1 and in 5 exhaustive segments, searched
 *              approximately (term at a time) and exactly (every forward entry scanned)
 *   blocked    --blocked synthetic documents in one segment (over DEFAULT_SEISMIC.exhaustiveBelow
 *              non-zeros: blocks and summaries), DEFAULT_SEISMIC_QUERY
 *   scifact    BEIR SciFact as BM25 vectors (datasets.ts 'scifact-bm25'; needs no ../shared) in 1
 *              and 4 exhaustive segments, its claims as queries, approximate and exact
 * From the inline latencies: each kind's cost per estimate unit (least squares: latency = fixed +
 * ns/unit x estimate) — equal across kinds when the estimate is one unit of time — and the kind's
 * cost per item it counts (posting, cut-list posting, forward entry). From pool minus inline: the
 * pool round trip; from parallel minus pool over several segments: where spreading pays. Prints the
 * limits those imply. Then, after an idle gap (--gaps ms, a sleep before each call, as a server
 * meets between requests), inline against pool per query on the exhaustive configurations
 * (median of --rounds rounds): the estimate below which inline is faster after
 * that gap (SEARCH_PLACEMENT.quietInlinePostings). Timings are wall clock on a shared machine: read them with the load average
 * printed beside them.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEISMIC } from '../../src/config.js';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSeismic, SEARCH_PLACEMENT, searchSegments } from '../../src/index/native.js';
import type { MultiSearchOptions, SeismicIndex, SegmentPart } from '../../src/index/native-types.js';
import { loadDataset } from './datasets.js';
import { generateDocs, generateQueries } from './synthetic.js';
import { table } from './table.js';
import { sliceRows } from './csr-builder.js';

const { values: args } = parseArgs({
  options: {
    small: { type: 'string', default: '10000' },
    blocked: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '5' },
    gaps: { type: 'string', default: '0.2,1,3' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'sparrow-bench-data') },
  },
});
const SMALL = Number(args.small);
const BLOCKED = Number(args.blocked);
const QUERIES = Number(args.queries);
const ROUNDS = Number(args.rounds);

type Kind = 'exhaustive' | 'blocked' | 'exact';
type Mode = 'inline' | 'pool' | 'parallel';

interface Config {
  name: string;
  kind: Kind;
  segments: SeismicIndex[];
  queries: CsrBatch;
  exact: boolean;
  /** configurations of one group hold the same documents and queries, in different segment counts */
  group: string;
  /** what the kind's time grows with, summed over segments, for query q (the estimate's count before weighting) */
  items(q: number): number;
}

interface Sample {
  estimate: number;
  items: number;
  ms: Record<Mode, number>;
}

function rows(b: CsrBatch): number {
  return b.indptr.length - 1;
}

async function segmentsOf(docs: CsrBatch, parts: number): Promise<SeismicIndex[]> {
  const n = rows(docs);
  const out: SeismicIndex[] = [];
  for (let i = 0; i < parts; i++) {
    const from = Math.floor((i * n) / parts);
    const to = Math.floor(((i + 1) * n) / parts);
    out.push(await buildSeismic(sliceRows(docs, from, to), Uint32Array.from({ length: to - from }, (_, r) => from + r + 1), DEFAULT_SEISMIC));
  }
  return out;
}

/** Postings of the query's terms in the documents (an exhaustive segment's lists hold exactly these). */
function termPostings(docs: CsrBatch, queries: CsrBatch): (q: number) => number {
  const df = new Map<number, number>();
  const idx = docs.indices;
  for (let i = 0; i < idx.length; i++) df.set(idx[i], (df.get(idx[i]) ?? 0) + 1);
  return (q) => {
    let n = 0;
    for (let i = queries.indptr[q]; i < queries.indptr[q + 1]; i++) n += df.get(queries.indices[i]) ?? 0;
    return n;
  };
}

function one(queries: CsrBatch, q: number): CsrBatch {
  return sliceRows(queries, q, q + 1);
}

async function timed(parts: SegmentPart[], query: CsrBatch, options: MultiSearchOptions): Promise<{ ms: number; estimate: number }> {
  const t0 = performance.now();
  const r = await searchSegments(parts, query, options);
  const ms = performance.now() - t0;
  if (r.ran !== options.mode) throw new Error(`asked for ${options.mode}, ran ${r.ran}`);
  return { ms, estimate: r.estimate ?? NaN };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(c: Config): Promise<Sample[]> {
  const parts: SegmentPart[] = c.segments.map((segment) => ({ segment }));
  const modes: Mode[] = c.segments.length > 1 ? ['inline', 'pool', 'parallel'] : ['inline', 'pool'];
  const n = rows(c.queries);
  const times: Record<Mode, number[]>[] = Array.from({ length: n }, () => ({ inline: [], pool: [], parallel: [] }));
  const estimates = new Float64Array(n);
  for (let round = -1; round < ROUNDS; round++) {
    for (let q = 0; q < n; q++) {
      const query = one(c.queries, q);
      // Rotate the order so no mode always runs first (warmest caches) or last.
      for (let m = 0; m < modes.length; m++) {
        const mode = modes[(m + q + round + 1) % modes.length];
        const r = await timed(parts, query, { k: 10, exact: c.exact, mode });
        estimates[q] = r.estimate;
        if (round >= 0) times[q][mode].push(r.ms);
      }
    }
  }
  return times.map((t, q) => ({
    estimate: estimates[q],
    items: c.items(q),
    ms: { inline: Math.min(...t.inline), pool: Math.min(...t.pool), parallel: t.parallel.length ? Math.min(...t.parallel) : NaN },
  }));
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Inline and pool latency per query after `gapMs` of sleep before each call (median of ROUNDS rounds, modes alternated). */
async function measureAfterGap(c: Config, gapMs: number): Promise<Array<{ estimate: number; inline: number; pool: number }>> {
  const parts: SegmentPart[] = c.segments.map((segment) => ({ segment }));
  const n = rows(c.queries);
  const out: Array<{ estimate: number; inline: number; pool: number }> = [];
  for (let qi = 0; qi < n; qi++) {
    const query = one(c.queries, qi);
    const t: Record<'inline' | 'pool', number[]> = { inline: [], pool: [] };
    let estimate = NaN;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['inline', 'pool'] as const) : (['pool', 'inline'] as const)) {
        Atomics.wait(SLEEPER, 0, 0, gapMs); // the thread sleeps (timers cannot sleep under 1 ms)
        const r = await timed(parts, query, { k: 10, exact: c.exact, mode });
        estimate = r.estimate;
        t[mode].push(r.ms);
      }
    }
    out.push({ estimate, inline: median(t.inline), pool: median(t.pool) });
  }
  return out;
}

/** Least squares y = a + b x. */
function fit(xs: number[], ys: number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}

const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const us = (ms: number): string => fmt(ms * 1000, 0);
const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/**
 * The limit among the items' estimates that leaves the fewest items on the wrong side of it
 * (`below(estimate, limit)` puts an item below; `wrong(item, below)` says it belongs on the other
 * side), the first such estimate; `none` (every item on one side) unless a limit does better.
 */
function fewestWrongSide<T extends { estimate: number }>(
  items: T[],
  below: (estimate: number, limit: number) => boolean,
  wrong: (item: T, below: boolean) => boolean,
  none: { limit: number; below: boolean },
): { limit: number; wrong: number } {
  let best = { limit: none.limit, wrong: items.filter((x) => wrong(x, none.below)).length };
  for (const t of items.map((x) => x.estimate)) {
    const n = items.filter((x) => wrong(x, below(x.estimate, t))).length;
    if (n < best.wrong) best = { limit: t, wrong: n };
  }
  return best;
}

async function main(): Promise<void> {
  console.log(`load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
  const syntheticDocs = generateDocs(Math.max(SMALL, BLOCKED));
  const small = sliceRows(syntheticDocs, 0, SMALL);
  const synQueries = generateQueries(QUERIES, { set: 'report' });
  const sci = await loadDataset('scifact-bm25', { cache: args.cache, shared: '', docs: 0, queries: 0, topics: 0, kind: 'siamese' });
  const sciQueries = sliceRows(sci.report, 0, Math.min(QUERIES, rows(sci.report)));

  const syn1 = await segmentsOf(small, 1);
  const syn5 = await segmentsOf(small, 5);
  const sci1 = await segmentsOf(sci.docs, 1);
  const sci4 = await segmentsOf(sci.docs, 4);
  const syn20 = await segmentsOf(small, 20);
  const sci16 = await segmentsOf(sci.docs, 16);
  console.log(`building the blocked segment of ${BLOCKED.toLocaleString('en-US')} synthetic documents ...`);
  const bigDocs = sliceRows(syntheticDocs, 0, BLOCKED);
  const blocked = await segmentsOf(bigDocs, 1);
  const big5 = await segmentsOf(bigDocs, 5);
  for (const s of [...syn1, ...syn5, ...syn20, ...sci1, ...sci4, ...sci16, ...big5]) if (s.layout !== 'exhaustive') throw new Error('--small segments must be under exhaustiveBelow');
  if (blocked[0].layout !== 'blocked') throw new Error(`--blocked ${BLOCKED} documents (${blocked[0].forward.nnz} non-zeros) are under exhaustiveBelow ${DEFAULT_SEISMIC.exhaustiveBelow}`);

  const nnz = (segs: SeismicIndex[]) => segs.reduce((s, x) => s + x.forward.nnz, 0);
  const configs: Config[] = [
    { name: `synthetic ${SMALL / 1000}k, 1 segment`, kind: 'exhaustive', segments: syn1, queries: synQueries, exact: false, group: 'syn-small', items: termPostings(small, synQueries) },
    { name: `synthetic ${SMALL / 1000}k, 5 segments`, kind: 'exhaustive', segments: syn5, queries: synQueries, exact: false, group: 'syn-small', items: termPostings(small, synQueries) },
    { name: `synthetic ${SMALL / 1000}k, 20 segments`, kind: 'exhaustive', segments: syn20, queries: synQueries, exact: false, group: 'syn-small', items: termPostings(small, synQueries) },
    { name: 'SciFact BM25, 1 segment', kind: 'exhaustive', segments: sci1, queries: sciQueries, exact: false, group: 'sci', items: termPostings(sci.docs, sciQueries) },
    { name: 'SciFact BM25, 4 segments', kind: 'exhaustive', segments: sci4, queries: sciQueries, exact: false, group: 'sci', items: termPostings(sci.docs, sciQueries) },
    { name: 'SciFact BM25, 16 segments', kind: 'exhaustive', segments: sci16, queries: sciQueries, exact: false, group: 'sci', items: termPostings(sci.docs, sciQueries) },
    { name: `synthetic ${BLOCKED / 1000}k, 5 segments`, kind: 'exhaustive', segments: big5, queries: synQueries, exact: false, group: 'syn-big', items: termPostings(bigDocs, synQueries) },
    { name: `synthetic ${BLOCKED / 1000}k, 1 blocked segment`, kind: 'blocked', segments: blocked, queries: synQueries, exact: false, group: 'blocked', items: () => NaN },
    { name: `synthetic ${SMALL / 1000}k, 1 segment, exact`, kind: 'exact', segments: syn1, queries: synQueries, exact: true, group: 'syn-small exact', items: () => nnz(syn1) },
    { name: `synthetic ${SMALL / 1000}k, 5 segments, exact`, kind: 'exact', segments: syn5, queries: synQueries, exact: true, group: 'syn-small exact', items: () => nnz(syn5) },
    { name: `synthetic ${BLOCKED / 1000}k, 5 segments, exact`, kind: 'exact', segments: big5, queries: synQueries, exact: true, group: 'syn-big exact', items: () => nnz(big5) },
    { name: 'SciFact BM25, 1 segment, exact', kind: 'exact', segments: sci1, queries: sciQueries, exact: true, group: 'sci exact', items: () => nnz(sci1) },
    { name: 'SciFact BM25, 4 segments, exact', kind: 'exact', segments: sci4, queries: sciQueries, exact: true, group: 'sci exact', items: () => nnz(sci4) },
  ];

  const results: Array<{ c: Config; s: Sample[] }> = [];
  for (const c of configs) {
    process.stderr.write(`measuring ${c.name} ...\n`);
    results.push({ c, s: await measure(c) });
  }
  console.log(`load average after measuring ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // 1. Per configuration: estimate, latencies, and the inline cost per unit.
  const perUnit = new Map<Kind, number[]>();
  const rowsOut = results.map(({ c, s }) => {
    const est = s.map((x) => x.estimate);
    const inl = s.map((x) => x.ms.inline);
    const f = fit(est, inl);
    const items = s.map((x) => x.items);
    const perItem = items.every(Number.isFinite) ? fit(items, inl).b : NaN;
    // Exact scans: every query visits the same entries, so a fit over queries has no spread: cost per entry = median latency / entries.
    const exactPerItem = c.kind === 'exact' ? (median(inl) / items[0]) * 1e6 : NaN;
    const nsPerUnit = c.kind === 'exact' ? (median(inl) / median(est)) * 1e6 : f.b * 1e6;
    perUnit.set(c.kind, [...(perUnit.get(c.kind) ?? []), nsPerUnit]);
    return [
      c.name,
      String(s.length),
      `${fmt(q(est, 0.1))} / ${fmt(median(est))} / ${fmt(q(est, 0.9))}`,
      us(median(inl)),
      us(median(s.map((x) => x.ms.pool))),
      c.segments.length > 1 ? us(median(s.map((x) => x.ms.parallel))) : '-',
      fmt(nsPerUnit, 2),
      c.kind === 'exact' ? '-' : us(f.a),
      c.kind === 'exact' ? `${fmt(exactPerItem, 2)} per forward entry` : c.kind === 'exhaustive' ? `${fmt(perItem * 1e6, 2)} per posting` : '',
    ];
  });
  table(
    'Per configuration: p50 over queries of each query\'s fastest round (microseconds, measured in JS around the call)',
    ['segments', 'queries', 'estimate p10 / p50 / p90', 'inline p50', 'pool p50', 'parallel p50', 'inline ns per estimate unit', 'inline fixed us (fit)', 'ns per item counted'],
    rowsOut,
  );

  // 2. Cost per unit by kind (the estimate is consistent when these agree).
  const unitNs = median(perUnit.get('exhaustive')!);
  table(
    'Inline cost per estimate unit by kind (median over its configurations): the weights EstimateWork should carry are ns(kind) / ns(exhaustive) x its current weight',
    ['kind', 'ns per unit', 'relative to term-at-a-time'],
    (['exhaustive', 'blocked', 'exact'] as Kind[]).map((k) => [k, fmt(median(perUnit.get(k)!), 2), fmt(median(perUnit.get(k)!) / unitNs, 2)]),
  );

  // 3. A segment's fixed cost: the same documents and queries in N segments instead of 1 (equal
  // estimates when exhaustive), per query inline(N) - inline(1), over N - 1.
  const perSegment: string[][] = [];
  const perSegmentUs: number[] = [];
  for (const { c, s } of results) {
    const base = results.find((r) => r.c.group === c.group && r.c.segments.length === 1);
    if (!base || c.segments.length === 1) continue;
    const us1 = median(s.map((x, i) => (x.ms.inline - base.s[i].ms.inline) / (c.segments.length - 1))) * 1000;
    if (!c.exact) perSegmentUs.push(us1); // an exact scan's time is too large for a few us to show
    perSegment.push([c.name, fmt(median(s.map((x) => x.estimate)) - median(base.s.map((x) => x.estimate))), fmt(us1, 1), fmt((us1 * 1000) / unitNs)]);
  }
  table('A segment\'s fixed cost (inline, against the same documents in 1 segment)', ['segments', 'estimate difference p50', 'us per extra segment', 'in units'], perSegment);

  // 4. The pool round trip: pool minus inline for the cheapest quarter of the single-segment queries.
  const singles = results.filter(({ c }) => c.segments.length === 1).flatMap(({ s }) => s);
  const cheapLimit = q(singles.map((x) => x.estimate), 0.25);
  const cheap = singles.filter((x) => x.estimate <= cheapLimit);
  const roundTripMs = median(cheap.map((x) => x.ms.pool - x.ms.inline));
  // 5. Parallel vs one pool task over several segments, by configuration: parallel pays from the
  // smallest median estimate from which on every (larger) configuration ran faster in parallel.
  const multi = results
    .filter(({ c }) => c.segments.length > 1)
    .map(({ c, s }) => ({ c, estimate: median(s.map((x) => x.estimate)), pool: median(s.map((x) => x.ms.pool)), parallel: median(s.map((x) => x.ms.parallel)) }))
    .sort((x, y) => x.estimate - y.estimate);
  table(
    'Several segments: one pool task (segments in turn) vs a segment per pool task (p50, microseconds)',
    ['segments', 'estimate p50', 'pool', 'parallel', 'parallel / pool'],
    multi.map((m) => [m.c.name, fmt(m.estimate), us(m.pool), us(m.parallel), fmt(m.parallel / m.pool, 2)]),
  );
  // The limit that misclassifies fewest configurations (parallel faster below it, or not faster
  // from it on); the smallest such estimate. No limit: parallel never used.
  const { limit: parallelFrom, wrong: fewest } = fewestWrongSide(multi, (e, t) => e < t, (m, below) => (below ? m.parallel < m.pool : m.parallel >= m.pool), { limit: Infinity, below: true });
  const inlineLimit = (roundTripMs * 1e6) / unitNs;
  table(
    'Derived limits (estimate units = term-at-a-time postings)',
    ['figure', 'value'],
    [
      ['term-at-a-time cost', `${fmt(unitNs, 2)} ns per posting`],
      [`pool round trip (pool - inline, median over ${cheap.length} single-segment queries of estimate <= ${fmt(cheapLimit)})`, `${us(roundTripMs)} us`],
      ['inline limit: work costing one round trip', fmt(inlineLimit)],
      ['a segment\'s fixed cost (median of the approximate rows above)', `${fmt(median(perSegmentUs), 1)} us = ${fmt((median(perSegmentUs) * 1000) / unitNs)} units`],
      [`parallel limit: fewest configurations on the wrong side (${fewest} of ${multi.length})`, Number.isFinite(parallelFrom) ? fmt(parallelFrom) : 'never in this run'],
      ['SEARCH_PLACEMENT today', `inline ${SEARCH_PLACEMENT.inlinePostings.toLocaleString('en-US')}, parallel ${SEARCH_PLACEMENT.parallelPostings.toLocaleString('en-US')}`],
    ],
  );
  // 6. After an idle gap: the same single-segment searches, a sleep before each call.
  const gapRows: string[][] = [];
  for (const gap of args.gaps.split(',').map(Number)) {
    const samples: Array<{ estimate: number; inline: number; pool: number }> = [];
    for (const { c } of results.filter(({ c }) => c.kind === 'exhaustive')) {
      process.stderr.write(`measuring ${c.name} after ${gap} ms idle gaps ...\n`);
      samples.push(...(await measureAfterGap(c, gap)));
    }
    // The limit with the fewest queries on the wrong side (inline slower up to it, or faster past it).
    const { limit, wrong: fewest } = fewestWrongSide(samples, (e, t) => e <= t, (x, below) => (below ? x.inline > x.pool : x.inline < x.pool), { limit: 0, below: false });
    const cheapest = samples.filter((x) => x.estimate <= q(samples.map((y) => y.estimate), 0.25));
    const near = samples.filter((x) => x.estimate > limit / 2 && x.estimate <= 2 * limit);
    gapRows.push([
      fmt(gap, 2),
      String(samples.length),
      us(median(cheapest.map((x) => x.pool - x.inline))),
      us(median(samples.map((x) => x.inline))),
      us(median(samples.map((x) => x.pool))),
      fmt(limit),
      `${fewest} of ${samples.length}`,
      near.length ? `${fmt((100 * near.filter((x) => x.inline < x.pool).length) / near.length)} %` : '-',
    ]);
  }
  table(
    `After an idle gap (a sleep before each call; median of ${ROUNDS} rounds per query, exhaustive configurations; microseconds)`,
    ['gap ms', 'queries', 'pool - inline, cheapest quarter', 'inline p50', 'pool p50', 'inline faster up to estimate', 'queries on the wrong side', 'inline faster within [limit/2, 2 x limit]'],
    gapRows,
  );
  console.log(`SEARCH_PLACEMENT today: quiet inline ${SEARCH_PLACEMENT.quietInlinePostings.toLocaleString('en-US')} after ${SEARCH_PLACEMENT.quietIdleMs} ms idle`);
  console.log(`load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const s of [...syn1, ...syn5, ...syn20, ...sci1, ...sci4, ...sci16, ...blocked, ...big5]) s.close();
}

await main();
