/**
 * Calibrated query defaults of a sealed segment. When a segment is built (above the size where it
 * is searched exhaustively), it is searched with settings of a small grid (query_cut ×
 * heap_factor) on a bounded set of calibration queries, at k = 10 and k = 100, and compared with
 * its exact search: a walk over the grid's frontier screens each setting on the first queries and
 * measures the likely passing ones on all of them, cheapest first. The chosen setting is the
 * cheapest, in documents scored plus the blocks whose summaries were read (SUMMARY_BLOCK_COST
 * each; counts, not wall-clock: this machine's speed drifts), whose recall reaches the target on a
 * one-sided 95% lower confidence bound over the queries (mean − 1.645 · sd / √n), not on the mean.
 * When no setting reaches it (static pruning lost too much), the segment answers exactly by default
 * (`exact`).
 *
 * A request with no knobs takes the segment's setting for its k: k ≤ 10 the k = 10 setting, above
 * it the safer of the two (each knob at its more thorough value). Explicit knobs win.
 *
 * Calibration queries: the collection's recent queries when there are enough (recent-queries.ts),
 * otherwise pseudo-queries made from held-apart documents of the segment (pseudo-queries.ts), whose
 * source document is left out of both result lists before recall is counted.
 */
import type { CsrBatch } from '../../core/types.js';
import type { Bitmap, SearchResult, SeismicIndex } from '../../index/native-types.js';
import { createBitmap, exactReference } from '../../index/native.js';

/** What a search with no knobs uses on a segment. */
export interface QuerySettings {
  queryCut: number; // 0 = every query term
  heapFactor: number;
  /** true: no approximate setting reached the target; search this segment exactly */
  exact?: boolean;
}

export interface CalibratedSetting extends QuerySettings {
  recall: number; // mean recall@k vs exact on the calibration queries
  lowerBound: number; // one-sided 95% lower confidence bound of it
  docsScored: number; // mean per query
  /** mean per query: documents scored + SUMMARY_BLOCK_COST x blocks whose summary was read (absent in calibrations stored before it) */
  cost?: number;
}

/** Stored in the segment file (SeismicIndex.setCalibration) and read back at load. */
export interface Calibration {
  version: 1;
  target: number;
  source: 'recent' | 'pseudo';
  queries: number;
  ms: number;
  /** the segment's build time (ms), beside `ms` */
  buildMs?: number;
  /** documents scored by the calibration's approximate searches, and its budget */
  work?: number;
  budget?: number;
  /** why the walk stopped before the end of the grid, if it did */
  stopped?: 'budget' | 'deadline';
  k10: CalibratedSetting;
  k100: CalibratedSetting;
  /** a filtered search with no knobs: every query term at this heap factor (absent in calibrations stored before it) */
  filtered?: CalibratedSetting;
}

/**
 * Query cut (ascending, 0 = all last) × heap factor: the settings calibration may choose. Heap
 * factors reach down to 0.2: summaries with a size bound (summaryCap) underestimate block scores,
 * and on real text recall 0.93-0.96 takes a heap factor of 0.3-0.5 (README "Index benchmark").
 */
export const CALIBRATION_GRID: ReadonlyArray<{ queryCut: number; heapFactor: number }> = [3, 5, 8, 10, 15, 20, 30, 0].flatMap((queryCut) =>
  [0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1].map((heapFactor) => ({ queryCut, heapFactor })),
);

/**
 * A block's summary read, in scored documents: the search reads the summary of every block of each
 * list it visits (~76 entries, streamed) and scores the rows of the blocks that pass (~120 entries
 * each, a cache miss apiece). Least squares over 14-15 settings of the grid on the synthetic segments
 * mapped from their files (single thread, the fastest of 4-5 rounds of CPU time over 200 queries):
 * 100k 223 ns per document scored and 94 ns per block read (0.42 document), 1M 289 and 98 (0.34).
 */
export const SUMMARY_BLOCK_COST = 0.4;

/**
 * Past the best passing setting so far, a setting whose cost on the first CALIBRATION_PREFIX queries
 * exceeds the best's on the same queries by this factor is not measured further: it cannot be the
 * cheapest, and neither can any setting with a larger cut or a lower heap factor (each costs more).
 */
export const CALIBRATION_DROP_FACTOR = 1.2;

/** Segments smaller than this are not calibrated (their recall figures would be noise; a thorough search is cheap). */
export const MIN_CALIBRATED_DOCS = 1_000;
/**
 * The calibration's budget, in documents scored by its approximate searches per document of the
 * segment: deterministic (the same segment and queries give the same walk and setting on an idle or a
 * loaded machine). Chosen so calibration takes well under 20 % of the build on every measured segment
 * (README "Calibrated query defaults"); past it the walk stops with the best passing setting found.
 */
export const CALIBRATION_WORK_PER_DOC = 250;
/**
 * Last resort only: past this share of the segment's build time, and never before
 * CALIBRATION_DEADLINE_FLOOR_MS (small builds of a few seconds would otherwise stop by the clock, as
 * load decides), the walk stops as it does past the budget.
 */
export const CALIBRATION_DEADLINE_SHARE = 0.5;
export const CALIBRATION_DEADLINE_FLOOR_MS = 10_000;

/** The wall-clock guard of a calibration that starts now, after a build of `buildMs`. */
export function calibrationDeadline(buildMs: number): number {
  return performance.now() + Math.max(CALIBRATION_DEADLINE_SHARE * buildMs, CALIBRATION_DEADLINE_FLOOR_MS);
}
/** Calibration queries per segment. */
export const CALIBRATION_QUERIES = 200;
/**
 * Of them, the first this many calibrate k = 100: a query's recall@100 averages 100 results and
 * varies less from query to query than its recall@10, so half the queries bound it as tightly,
 * and the deeper searches (~5x the documents) cost the calibration half as much.
 */
export const CALIBRATION_QUERIES_DEEP = 100;
/** A setting is first searched with this many queries, then twice as many, … only while they leave it in doubt. */
export const CALIBRATION_PREFIX = 25;
/**
 * A walk measures each setting on at most this many queries (the 99 % rule may decide it sooner)
 * and then its likely passing settings on the rest, cheapest first, until one passes: most settings
 * of a walk are passed over, and measuring each of them on every query cost most of the calibration.
 */
export const CALIBRATION_SCREEN = 50;
/**
 * A screened setting is likely to pass when its mean recall on the screen, plus this many standard
 * errors of it, reaches the lower bound it needs over every query (target + 1.645 standard errors of
 * a mean over all of them). Chosen on calibration walks, whose queries are pseudo-queries made from
 * documents (no query set involved: 100k and 1M synthetic, manpages-bm25, msmarco-queries,
 * scifact-bm25 with blocks forced; README "Index benchmark"): 0 rejected settings that pass on every
 * query when the screen's queries were harder than the rest, 1 let through settings that then failed.
 */
export const SCREEN_LENIENCY = 0.5;
/** A setting that may be dropped as costlier runs its prefix this many queries at a time (and stops once past the allowance). */
export const CALIBRATION_PREFIX_STEP = 5;
/**
 * A filtered calibration's allow-list: the rows whose index hashes into this share (the same rows
 * every time), 10 % selectivity, between the exact scan the engine uses below
 * index.exactFilterSelectivity (5 %) and the mild filters that behave like none.
 */
export const FILTERED_CALIBRATION_SHARE = 0.1;
/** The filtered step may spend this share of the budget past it (it measures one setting, or a few). */
export const FILTERED_BUDGET_SHARE = 0.1;
/** Recent queries needed before they replace pseudo-queries. */
export const MIN_RECENT_QUERIES = 100;

/** No knobs: the most thorough approximate search (every query term, no early skip). */
export const THOROUGH: QuerySettings = { queryCut: 0, heapFactor: 0.2 };

const Z95 = 1.645;
const Z99 = 2.326;

export interface CalibrationQueries {
  queries: CsrBatch;
  /** per query, the docno it was made from (left out of both lists), or undefined for real queries */
  sources?: Uint32Array;
  source: 'recent' | 'pseudo';
}

/** Per-query recall@k of `got` against `want`, leaving out each query's source docno. */
export function perQueryRecall(want: SearchResult, got: SearchResult, k: number, sources?: Uint32Array): number[] {
  const nq = want.offsets.length - 1;
  const out: number[] = [];
  for (let q = 0; q < nq; q++) {
    const skip = sources ? sources[q] : -1;
    const top = (r: SearchResult): number[] => {
      const ids: number[] = [];
      for (let i = r.offsets[q]; i < r.offsets[q + 1] && ids.length < k; i++) if (r.docnos[i] !== skip) ids.push(r.docnos[i]);
      return ids;
    };
    const w = top(want);
    if (w.length === 0) {
      out.push(1);
      continue;
    }
    const g = new Set(top(got));
    out.push(w.filter((d) => g.has(d)).length / w.length);
  }
  return out;
}

/** Mean and its one-sided 95% lower confidence bound. */
export function lowerBound(xs: number[]): { mean: number; lower: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lower: mean };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, lower: mean - (Z95 * Math.sqrt(variance)) / Math.sqrt(n) };
}

/** The calibration's segment: the index, and the rows it was built from (for the exact reference). */
export interface CalibrationSegment {
  index: SeismicIndex;
  csr: CsrBatch;
  docnos: Uint32Array;
  /** csr holds exactly the weights the segment scores (a BM25 segment's, from exact term frequencies): not rounded to binary16 */
  exactWeights?: boolean;
}

export interface CalibrationLimits {
  /** documents scored by approximate searches, at most (default CALIBRATION_WORK_PER_DOC x the segment's documents) */
  budget?: number;
  /** performance.now() past which the walk stops (last resort) */
  deadline?: number;
  /** queries a setting is screened on (default CALIBRATION_SCREEN; Infinity: every setting on every query) */
  screen?: number;
}

function sliceQueries(b: CsrBatch, from: number, to: number): CsrBatch {
  const base = b.indptr[from];
  return { indptr: b.indptr.slice(from, to + 1).map((x) => x - base), indices: b.indices.subarray(base, b.indptr[to]), values: b.values.subarray(base, b.indptr[to]) };
}

function sliceResult(r: SearchResult, from: number, to: number): SearchResult {
  const base = r.offsets[from];
  return { offsets: r.offsets.slice(from, to + 1).map((x) => x - base), docnos: r.docnos.subarray(base, r.offsets[to]), scores: r.scores.subarray(base, r.offsets[to]) };
}

/**
 * The query cuts worth measuring for these queries: the grid's cuts below the longest query (a cut
 * at or above it keeps every term, like 0), ascending, then 0 (every term).
 */
export function cutsFor(queries: CsrBatch): number[] {
  let longest = 0;
  for (let q = 0; q + 1 < queries.indptr.length; q++) longest = Math.max(longest, queries.indptr[q + 1] - queries.indptr[q]);
  const cuts = [...new Set(CALIBRATION_GRID.map((s) => s.queryCut))].filter((c) => c > 0 && c < longest).sort((a, b) => a - b);
  return [...cuts, 0];
}

/** Heap factors, most thorough (lowest) first. */
const FACTORS = [...new Set(CALIBRATION_GRID.map((s) => s.heapFactor))].sort((a, b) => a - b);

/**
 * A setting's measurement so far, resumable: a walk screens settings on their first
 * CALIBRATION_SCREEN queries and measures only its candidates on the rest.
 */
interface Run {
  s: QuerySettings;
  k: number;
  filter?: CalibrationFilter;
  /** the queries it is measured on at most */
  nq: number;
  /** how many of them are measured */
  from: number;
  recalls: number[];
  docs: number;
  cost: number;
  /** mean cost per query on the first CALIBRATION_PREFIX queries, once they are measured */
  prefixCost: number;
  /** every query measured, or a stricter (99 %) bound already clear of the target either way */
  decided: boolean;
}

/** A walk's test of one grid setting. */
type Test = (j: number, i: number) => Promise<'pass' | 'fail' | 'costlier' | 'stop'>;

/** The calibration's running state: its reference, its spending, its measured settings, and why it stopped. */
class Walk {
  work = 0;
  stopped: 'budget' | 'deadline' | undefined;
  /** every setting measured so far, by k, filter and setting: a later walk resumes them */
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly seg: SeismicIndex,
    private readonly cal: CalibrationQueries,
    private readonly want: SearchResult,
    private readonly target: number,
    private readonly deadline: number,
    private readonly screen: number,
  ) {}

  /** false (and why) once the budget or the deadline is spent */
  canGo(budget: number): boolean {
    const stop = this.work >= budget ? 'budget' : performance.now() > this.deadline ? 'deadline' : undefined;
    this.stopped ??= stop;
    return stop === undefined;
  }

  private run(s: QuerySettings, k: number, filter?: CalibrationFilter): Run {
    const key = `${k}:${s.queryCut}:${s.heapFactor}:${filter ? 'filtered' : ''}`;
    let run = this.runs.get(key);
    if (!run) {
      const nq = Math.min(this.cal.queries.indptr.length - 1, k > 10 ? CALIBRATION_QUERIES_DEEP : Infinity);
      run = { s, k, filter, nq, from: 0, recalls: [], docs: 0, cost: 0, prefixCost: 0, decided: false };
      this.runs.set(key, run);
    }
    return run;
  }

  /**
   * Measures a setting further: on the first CALIBRATION_PREFIX queries, then twice as many, then
   * all, up to `limit` queries, stopping early when the queries so far decide it (its 99 % lower
   * bound above the target, or its 99 % upper bound below). `dropAbove`: a cost on the first
   * CALIBRATION_PREFIX queries past which the setting is dropped there ('costlier').
   */
  private async advance(run: Run, limit: number, dropAbove: number): Promise<'costlier' | undefined> {
    const prefix = Math.min(run.nq, CALIBRATION_PREFIX);
    const end = Math.min(run.nq, limit);
    const extra = this.cal.sources ? 1 : 0; // the source document may take a place in either list
    while (!run.decided && run.from < end) {
      // Costs only add up: past the prefix's allowance before its end, the setting is dropped already.
      if (run.from > 0 && run.from <= prefix && run.cost > dropAbove * prefix) return 'costlier';
      const from = run.from;
      // 25, 50, 100, 200 queries; a setting that may be dropped runs its prefix a few queries at a time
      const to = from < prefix && dropAbove < Infinity ? Math.min(prefix, from + CALIBRATION_PREFIX_STEP) : Math.min(run.nq, Math.max(prefix, 2 * from));
      const { s, k, filter } = run;
      const got = await this.seg.search(sliceQueries(this.cal.queries, from, to), { k: k + extra, queryCut: s.queryCut, heapFactor: s.heapFactor, stats: true, ...(filter ? { allow: filter.allow } : {}) });
      run.recalls.push(...perQueryRecall(sliceResult(filter?.want ?? this.want, from, to), got, k, this.cal.sources?.subarray(from, to)));
      for (const st of got.stats ?? []) {
        run.docs += st.docsScored;
        this.work += st.docsScored;
        run.cost += st.docsScored + SUMMARY_BLOCK_COST * (st.blocksScored + st.blocksSkipped);
      }
      run.from = to;
      if (to < prefix) continue;
      if (to === prefix) {
        if (run.cost > dropAbove * prefix) return 'costlier';
        run.prefixCost = run.cost / prefix;
      }
      // On the prefix a setting is decided when a stricter (99 %) bound is clear of the target either way.
      const { mean, lower } = lowerBound(run.recalls);
      const margin = ((mean - lower) * Z99) / Z95;
      run.decided = to >= run.nq || mean - margin >= this.target || mean + margin < this.target;
    }
    return undefined;
  }

  /**
   * 'pass': its lower bound over the queries measured reaches the target; 'likely': measured on a
   * screen only, its mean moved by `shift` (what the screen's queries are worth against all, from the
   * settings measured on both), within SCREEN_LENIENCY standard errors of the bound it needs over
   * every query; else 'fail'.
   */
  private verdict(run: Run, shift = 0): 'pass' | 'likely' | 'fail' {
    const { mean, lower } = lowerBound(run.recalls);
    if (lower >= this.target) return 'pass';
    if (run.decided) return 'fail';
    const se = (mean - lower) / Z95;
    return mean + shift + SCREEN_LENIENCY * se - Z95 * se * Math.sqrt(run.recalls.length / run.nq) >= this.target ? 'likely' : 'fail';
  }

  private measured(run: Run): Measured {
    const { mean, lower } = lowerBound(run.recalls);
    const n = run.recalls.length;
    return { queryCut: run.s.queryCut, heapFactor: run.s.heapFactor, recall: mean, lowerBound: lower, docsScored: run.docs / n, cost: run.cost / n, prefixCost: run.prefixCost };
  }

  /**
   * Measures (cuts[j], FACTORS[i]) at k (under `filter`, when given) on at most `limit` queries;
   * keeps the passing (and likely passing) settings and the last measured one in `found`.
   */
  private tester(k: number, budget: number, cuts: number[], found: Found, limit: number, filter?: CalibrationFilter): Test {
    return async (j, i) => {
      if (!this.canGo(budget)) return 'stop';
      const run = this.run({ queryCut: cuts[j], heapFactor: FACTORS[i] }, k, filter);
      if ((await this.advance(run, limit, found.best ? CALIBRATION_DROP_FACTOR * found.best.prefixCost : Infinity)) === 'costlier') return 'costlier';
      const m = this.measured(run);
      found.last = m;
      if (this.verdict(run) === 'fail') return 'fail';
      found.passing.push(run);
      if (!found.best || m.cost! < found.best.cost!) found.best = m;
      return 'pass';
    };
  }

  /**
   * Runs `walk` over the settings screened on their first CALIBRATION_SCREEN queries, then measures
   * its likely passing settings, cheapest first, on every query until one passes: that one is chosen.
   * When none does, the walk runs again without a screen (resuming what it measured), as a walk that
   * measures every setting fully would. Stopped by the budget or the deadline: the cheapest setting
   * passing on the queries measured, or exact.
   */
  private async screened(k: number, budget: number, cuts: number[], walk: (test: Test) => Promise<void>, filter?: CalibrationFilter): Promise<CalibratedSetting> {
    let last: Measured | undefined;
    for (const limit of [this.screen, Infinity]) {
      const found: Found = { passing: [] };
      await walk(this.tester(k, budget, cuts, found, limit, filter));
      last = found.last ?? last;
      // Cheapest first. The screen's queries are the same for every setting, so how far a setting's
      // recall moved from them to every query (`shift`, the mean over the settings measured so far)
      // tells how the others will move: those it leaves below the target are not measured further.
      let shift = 0;
      let shifted = 0;
      for (const run of found.passing.sort((a, b) => a.cost / a.recalls.length - b.cost / b.recalls.length)) {
        if (!this.canGo(budget)) break;
        if (this.verdict(run, shifted > 0 ? shift / shifted : 0) === 'fail') continue;
        const screen = lowerBound(run.recalls).mean;
        if (!run.decided) await this.advance(run, Infinity, Infinity);
        if (this.verdict(run) === 'pass') return this.chosen(this.measured(run));
        last = this.measured(run);
        shift += lowerBound(run.recalls).mean - screen;
        shifted++;
      }
      if (!this.canGo(budget)) {
        // the cheapest setting passing on the queries measured
        const passing = found.passing.find((r) => this.verdict(r) === 'pass');
        return this.chosen(passing && this.measured(passing), last);
      }
    }
    return this.chosen(undefined, last);
  }

  /**
   * The cheapest passing setting at k over the grid's frontier. Recall grows as the query cut grows
   * (0 = every term) and as the heap factor falls (a block is skipped when its summary score <
   * heapFactor x the k-th best; summaries underestimate, so a lower factor skips less); cost grows
   * the same ways. So each cut has a highest passing factor, no higher than the next larger cut's,
   * and the cheapest passing setting is one of these. From every term down: a cut is tried at the
   * larger cut's factor; if that fails, the factors below it are tried from the highest down (when
   * none passes, neither this cut nor a smaller one can: the walk ends). A setting already
   * costlier on the prefix than CALIBRATION_DROP_FACTOR x the best so far is dropped there: it cannot
   * be the cheapest, nor can any lower factor at its cut (each costs more). No passing setting: exact.
   */
  cheapest(k: number, budget: number, cuts: number[]): Promise<CalibratedSetting> {
    return this.screened(k, budget, cuts, async (test) => {
      let top = FACTORS.length - 1; // the highest factor that may pass at this cut: the larger cut's
      for (let j = cuts.length - 1; j >= 0; j--) {
        const first = await test(j, top);
        if (first === 'stop') break;
        if (first !== 'fail') continue; // passes there, or nothing at this cut can be the cheapest
        const lo = await highestPassing(top, (i) => test(j, i));
        if (lo === undefined || lo < 0) break; // stopped; or no factor passes at this cut, nor at a smaller one
        top = lo;
      }
    });
  }

  /**
   * The cheapest passing setting at k > 10 that a deeper search can use: it takes the safer of its
   * own and k = 10's setting, so only cuts from k = 10's up (`cuts`, ascending, 0 last) and factors
   * from k = 10's down (index `ceiling`) count. From k = 10's own cut up: at each cut, the factors
   * from the ceiling down to just above the last one that passed or was dropped at a smaller cut
   * (at a larger cut that factor, and any lower, costs more). A setting costlier on the prefix than
   * CALIBRATION_DROP_FACTOR x the best so far ends its cut. The walk ends when the ceiling itself
   * passes or is dropped. No passing setting: exact.
   */
  deeper(k: number, budget: number, cuts: number[], ceiling: number): Promise<CalibratedSetting> {
    return this.screened(k, budget, cuts, async (test) => {
      let floor = -1; // factors at or below it cost more at any larger cut than a setting already seen
      for (let j = 0; j < cuts.length && floor < ceiling; j++) {
        for (let i = ceiling; i > floor; i--) {
          const r = await test(j, i);
          if (r === 'stop') return;
          if (r === 'fail') continue;
          floor = i;
          break;
        }
      }
    });
  }

  /**
   * A filtered search's setting at k = 10: every query term, the highest heap factor from `from`
   * down whose recall under `filter` reaches the target (one measurement when `from` passes, else
   * the factors below it from the highest down); exact when none does.
   */
  filteredSetting(budget: number, from: number, filter: CalibrationFilter): Promise<CalibratedSetting> {
    const start = Math.max(0, FACTORS.indexOf(from)); // `from` is a grid factor (0: the lowest, should it not be)
    return this.screened(
      10,
      budget,
      [0],
      async (test) => {
        if ((await test(0, start)) === 'fail') await highestPassing(start, (i) => test(0, i));
      },
      filter,
    );
  }

  /** The chosen setting, or exact (with the last measured setting's figures) when none passed. */
  private chosen(best: Measured | undefined, last?: Measured): CalibratedSetting {
    if (!best) return { ...THOROUGH, recall: last?.recall ?? 0, lowerBound: last?.lowerBound ?? 0, docsScored: last?.docsScored ?? 0, exact: true };
    const { prefixCost: _, ...chosen } = best;
    return chosen;
  }
}

/** An allow-list of the segment's docnos and the exact top-k among them. */
interface CalibrationFilter {
  allow: Bitmap;
  want: SearchResult;
}

/** The rows of `csr` hashing into FILTERED_CALIBRATION_SHARE, as their own CSR, their docnos and a bitmap of them. */
function filteredRows(csr: CsrBatch, docnos: Uint32Array): { csr: CsrBatch; docnos: Uint32Array; allow: Bitmap } {
  const rows: number[] = [];
  for (let r = 0; r < docnos.length; r++) if (((Math.imul(r + 1, 0x9e3779b1) >>> 0) / 2 ** 32) < FILTERED_CALIBRATION_SHARE) rows.push(r);
  const indptr = new Uint32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) indptr[i + 1] = indptr[i] + csr.indptr[rows[i] + 1] - csr.indptr[rows[i]];
  const indices = new Uint32Array(indptr[rows.length]);
  const values = new Float32Array(indptr[rows.length]);
  const allow = createBitmap(docnos.length === 0 ? 0 : docnos[docnos.length - 1] + 1);
  const kept = new Uint32Array(rows.length);
  rows.forEach((r, i) => {
    indices.set(csr.indices.subarray(csr.indptr[r], csr.indptr[r + 1]), indptr[i]);
    values.set(csr.values.subarray(csr.indptr[r], csr.indptr[r + 1]), indptr[i]);
    kept[i] = docnos[r];
    allow.set(docnos[r]);
  });
  return { csr: { indptr, indices, values }, docnos: kept, allow };
}

/**
 * The heap factors below index `hi` (which failed), from the highest down: the highest index whose
 * test does not fail (passes, or costs too much to matter), -1 when every one fails, undefined when a
 * test stopped the walk (budget or deadline). Step by step rather than by bisection: the passing
 * factor is mostly one or two steps down, and a probe far down (a low factor) is the costliest
 * search of the walk.
 */
async function highestPassing(hi: number, test: (i: number) => Promise<'pass' | 'fail' | 'costlier' | 'stop'>): Promise<number | undefined> {
  for (let i = hi - 1; i >= 0; i--) {
    const r = await test(i);
    if (r === 'stop') return undefined;
    if (r !== 'fail') return i;
  }
  return -1;
}

/** A measured setting, with its mean cost on the first CALIBRATION_PREFIX queries (for dropping costlier ones). */
type Measured = CalibratedSetting & { prefixCost: number };
/** A walk's passing (or likely passing) settings, the cheapest of them so far, and its last measured setting. */
interface Found {
  passing: Run[];
  best?: Measured;
  last?: Measured;
}

/**
 * Measures and returns the segment's calibration (the caller stores it with setCalibration): one
 * exact reference at k = 100 (native exactReference: one pass over the rows for the whole batch,
 * weights rounded to binary16 as the segment stores them) serves both k; then the walk at k = 10 (at most
 * half the budget) and at k = 100 (the rest; not walked when k = 10 is exact, and over the cuts from
 * k = 10's on otherwise, since deeper searches take the safer of both). Past the budget (or, as a last resort, the deadline)
 * the best passing setting found so far is kept, or exact search when none was found.
 */
export async function calibrateSegment(seg: CalibrationSegment, cal: CalibrationQueries, target: number, limits: CalibrationLimits = {}): Promise<Calibration> {
  const t0 = performance.now();
  const budget = limits.budget ?? CALIBRATION_WORK_PER_DOC * seg.index.numDocs;
  const want = exactReference(seg.csr, seg.docnos, cal.queries, 100 + (cal.sources ? 1 : 0), !seg.exactWeights);
  const walk = new Walk(seg.index, cal, want, target, limits.deadline ?? Infinity, limits.screen ?? CALIBRATION_SCREEN);
  const cuts = cutsFor(cal.queries);
  const k10 = await walk.cheapest(10, budget / 2, cuts);
  // k > 10 takes the safer of both settings: when k = 10 is already exact, so is every deeper search;
  // otherwise the larger of both cuts, so the k = 100 walk measures only the cuts from k = 10's on.
  const k100 = k10.exact ? k10 : await walk.deeper(100, budget, cuts.slice(cuts.indexOf(k10.queryCut)), FACTORS.indexOf(k10.heapFactor));
  // Filtered searches: every term, from the safer of both factors down, under a 10 % allow-list.
  let filtered: CalibratedSetting | undefined;
  if (!k10.exact) {
    const sub = filteredRows(seg.csr, seg.docnos);
    const extra = cal.sources ? 1 : 0;
    const filter = { allow: sub.allow, want: exactReference(sub.csr, sub.docnos, cal.queries, 10 + extra, !seg.exactWeights) };
    filtered = await walk.filteredSetting(budget * (1 + FILTERED_BUDGET_SHARE), Math.min(k10.heapFactor, k100.heapFactor), filter);
  }
  const ms = performance.now() - t0;
  return { version: 1, target, source: cal.source, queries: cal.queries.indptr.length - 1, ms, work: walk.work, budget, ...(walk.stopped ? { stopped: walk.stopped } : {}), k10, k100, ...(filtered ? { filtered } : {}) };
}

function isSetting(v: unknown): v is CalibratedSetting {
  const s = v as CalibratedSetting;
  return typeof v === 'object' && v !== null && Number.isInteger(s.queryCut) && s.queryCut >= 0 && typeof s.heapFactor === 'number' && s.heapFactor > 0 && s.heapFactor <= 1;
}

/** A segment's stored calibration, or undefined when it has none (or one of another version). */
export function calibrationOf(seg: SeismicIndex): Calibration | undefined {
  const c = seg.calibration as Partial<Calibration> | null;
  if (!c || c.version !== 1 || !isSetting(c.k10) || !isSetting(c.k100) || (c.filtered !== undefined && !isSetting(c.filtered))) return undefined;
  return c as Calibration;
}

/** Each knob at its more thorough value (query cut 0 = every term; the lower heap factor skips less). */
function safer(a: QuerySettings, b: QuerySettings): QuerySettings {
  const queryCut = a.queryCut === 0 || b.queryCut === 0 ? 0 : Math.max(a.queryCut, b.queryCut);
  return { queryCut, heapFactor: Math.min(a.heapFactor, b.heapFactor), ...(a.exact || b.exact ? { exact: true } : {}) };
}

/**
 * The settings of a search on a segment: explicit knobs win; otherwise the segment's calibrated
 * setting for k; a segment without calibration (small: searched in full) gets THOROUGH. A filtered
 * search with no knobs visits every query term (query cut 0) at its own calibrated heap factor
 * (calibrated under a 10 % allow-list from the safer of the k = 10 and k = 100 factors down; for
 * k > 10 the safer of it and k = 100's), or, in a calibration stored before that, the safer of the
 * k = 10 and k = 100 settings: under a filter the best allowed documents often match
 * only through the query's smaller terms, which a query cut drops (msmarco-queries, tune half,
 * calibrated 5:0.7: recall@10 0.74 / 0.83 / 0.92 / 0.97 at 5 / 10 / 20 / 50 % selectivity; every
 * term at 0.7: 0.98 / 0.99 / 1.00 / 1.00, still scoring fewer documents than the unfiltered search
 * up to 20 %), and with blocks cut by weight the allowed documents of a skipped block are missed
 * more often (100k synthetic, k = 10 heap factor 1: 0.936 / 0.935 / 0.938 / 0.956; the k = 100
 * factor 0.5: 0.980 / 0.983 / 0.992 / 0.996).
 */
export function settingsFor(cal: Calibration | undefined, k: number, knobs: { queryCut?: number; heapFactor?: number }, filtered = false): QuerySettings {
  const base: QuerySettings = cal === undefined ? THOROUGH : filtered ? filteredBase(cal, k) : k <= 10 ? cal.k10 : safer(cal.k10, cal.k100);
  if (knobs.queryCut === undefined && knobs.heapFactor === undefined) return { queryCut: filtered ? 0 : base.queryCut, heapFactor: base.heapFactor, ...(base.exact ? { exact: true } : {}) };
  return { queryCut: knobs.queryCut ?? base.queryCut, heapFactor: knobs.heapFactor ?? base.heapFactor };
}

/** A filtered search's base: its own calibrated setting (and for k > 10 the safer of it and k = 100's), else the safer of both. */
function filteredBase(cal: Calibration, k: number): QuerySettings {
  if (!cal.filtered) return safer(cal.k10, cal.k100);
  return k <= 10 ? cal.filtered : safer(cal.filtered, cal.k100);
}

export type SegmentSettings = QuerySettings & { from: 'request' | 'calibrated' | 'uncalibrated' };

/**
 * A calibration's settings for requests with no knobs, by [k <= 10, k > 10] x [unfiltered, filtered]
 * (index 2 x deeper + filtered): they depend on nothing else, so every default search reads them
 * instead of building them again. Frozen: callers share them.
 */
const defaultSettings = new WeakMap<Calibration, readonly SegmentSettings[]>();
const UNCALIBRATED: readonly SegmentSettings[] = defaultsOf(undefined);

function defaultsOf(cal: Calibration | undefined): readonly SegmentSettings[] {
  const from = cal ? 'calibrated' : 'uncalibrated';
  return [10, 11].flatMap((k) => [false, true].map((filtered) => Object.freeze({ ...settingsFor(cal, k, {}, filtered), from })));
}

/** The settings a sealed segment is searched with for a request, and where they came from (shared: do not change them). */
export function segmentSettings(seg: { calibration: Calibration | undefined }, k: number, req: { queryCut?: number; heapFactor?: number }, filtered = false): SegmentSettings {
  const from = settingsFrom(req);
  if (from === undefined) {
    const cal = seg.calibration;
    let table = cal ? defaultSettings.get(cal) : UNCALIBRATED;
    if (table === undefined) defaultSettings.set(cal!, (table = defaultsOf(cal)));
    return table[2 * (k <= 10 ? 0 : 1) + (filtered ? 1 : 0)];
  }
  return { ...settingsFor(seg.calibration, k, req, filtered), from };
}

/** 'request' when the request names a knob (undefined: the segments' own settings apply). */
export function settingsFrom(req: { queryCut?: number; heapFactor?: number }): 'request' | undefined {
  return req.queryCut !== undefined || req.heapFactor !== undefined ? 'request' : undefined;
}
