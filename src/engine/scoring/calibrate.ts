/**
 * Calibrated query defaults of a sealed segment. When a segment is built (above the size where it
 * is searched exhaustively), it is searched with every setting of a small grid (query_cut ×
 * heap_factor) on a bounded set of calibration queries, at k = 10 and k = 100, and compared with
 * its exact search. The chosen setting is the cheapest, in documents scored (not wall-clock: this
 * machine's speed drifts), whose recall reaches the target on a one-sided 95% lower confidence
 * bound over the queries (mean − 1.645 · sd / √n), not on the mean. When no setting reaches it
 * (static pruning lost too much), the segment answers exactly by default (`exact`).
 *
 * A request with no knobs takes the segment's setting for its k: k ≤ 10 the k = 10 setting, above
 * it the safer of the two (each knob at its more thorough value). Explicit knobs win.
 *
 * Calibration queries: the collection's recent queries when there are enough (recent-queries.ts),
 * otherwise pseudo-queries made from held-apart documents of the segment (pseudo-queries.ts), whose
 * source document is left out of both result lists before recall is counted.
 */
import type { CsrBatch } from '../../core/types.js';
import type { QueryStats, SearchResult, SeismicIndex } from '../../index/native-types.js';

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
}

/** Stored in the segment file (SeismicIndex.setCalibration) and read back at load. */
export interface Calibration {
  version: 1;
  target: number;
  source: 'recent' | 'pseudo';
  queries: number;
  ms: number;
  k10: CalibratedSetting;
  k100: CalibratedSetting;
}

/**
 * Query cut (ascending, 0 = all last) × heap factor: the settings calibration may choose. Heap
 * factors reach down to 0.2: summaries with a size bound (summaryCap) underestimate block scores,
 * and on real text recall 0.93-0.96 takes a heap factor of 0.3-0.5 (README "Index benchmark").
 */
export const CALIBRATION_GRID: ReadonlyArray<{ queryCut: number; heapFactor: number }> = [3, 5, 8, 10, 15, 20, 30, 0].flatMap((queryCut) =>
  [0.2, 0.3, 0.5, 0.7, 1].map((heapFactor) => ({ queryCut, heapFactor })),
);

/** Segments smaller than this are not calibrated (their recall figures would be noise; a thorough search is cheap). */
export const MIN_CALIBRATED_DOCS = 1_000;
/** Calibration may take at most this share of the segment's build time (the walk stops; see calibrateSegment). */
export const CALIBRATION_BUILD_SHARE = 0.2;
/** Calibration queries per segment. */
export const CALIBRATION_QUERIES = 200;
/** Recent queries needed before they replace pseudo-queries. */
export const MIN_RECENT_QUERIES = 100;

/** No knobs: the most thorough approximate search (every query term, no early skip). */
export const THOROUGH: QuerySettings = { queryCut: 0, heapFactor: 0.2 };

const Z95 = 1.645;

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

const meanDocs = (stats: QueryStats[] | undefined): number => (stats && stats.length > 0 ? stats.reduce((a, s) => a + s.docsScored, 0) / stats.length : 0);

async function calibrateAt(seg: SeismicIndex, cal: CalibrationQueries, k: number, target: number, deadline: number): Promise<CalibratedSetting> {
  const extra = cal.sources ? 1 : 0; // the source document may take a place in either list
  const want = await seg.searchExact(cal.queries, { k: k + extra });
  const measure = async (s: QuerySettings): Promise<CalibratedSetting> => {
    const got = await seg.search(cal.queries, { k: k + extra, queryCut: s.queryCut, heapFactor: s.heapFactor, stats: true });
    const { mean, lower } = lowerBound(perQueryRecall(want, got, k, cal.sources));
    return { queryCut: s.queryCut, heapFactor: s.heapFactor, recall: mean, lowerBound: lower, docsScored: meanDocs(got.stats) };
  };
  const thorough = await measure(THOROUGH);
  if (thorough.lowerBound < target) return { ...thorough, exact: true };
  // Recall grows as the query cut grows (0 = every term) and as the heap factor falls (a block is
  // skipped when its summary score < heapFactor x the k-th best; summaries underestimate, so a
  // lower factor skips less). Per heap factor (cheapest, highest, first) the smallest passing query
  // cut; the cheapest of those in documents scored. Out of time: the best so far.
  let best = thorough;
  const cuts = [...new Set(CALIBRATION_GRID.map((s) => s.queryCut))];
  const factors = [...new Set(CALIBRATION_GRID.map((s) => s.heapFactor))].sort((a, b) => b - a);
  for (const heapFactor of factors) {
    for (const queryCut of cuts) {
      if (performance.now() > deadline) return best;
      const row = queryCut === THOROUGH.queryCut && heapFactor === THOROUGH.heapFactor ? thorough : await measure({ queryCut, heapFactor });
      if (row.lowerBound < target) continue;
      if (row.docsScored < best.docsScored) best = row;
      break;
    }
  }
  return best;
}

/**
 * Measures and returns the segment's calibration (the caller stores it with setCalibration).
 * `budgetMs` bounds the walk (the build's time × 0.2, say); past it the best setting found so far
 * is kept (at worst the thorough one, which was measured first).
 */
export async function calibrateSegment(seg: SeismicIndex, cal: CalibrationQueries, target: number, budgetMs = Infinity): Promise<Calibration> {
  const t0 = performance.now();
  const k10 = await calibrateAt(seg, cal, 10, target, t0 + budgetMs / 2);
  const k100 = await calibrateAt(seg, cal, 100, target, t0 + budgetMs);
  return { version: 1, target, source: cal.source, queries: cal.queries.indptr.length - 1, ms: performance.now() - t0, k10, k100 };
}

function isSetting(v: unknown): v is CalibratedSetting {
  const s = v as CalibratedSetting;
  return typeof v === 'object' && v !== null && Number.isInteger(s.queryCut) && s.queryCut >= 0 && typeof s.heapFactor === 'number' && s.heapFactor > 0 && s.heapFactor <= 1;
}

/** A segment's stored calibration, or undefined when it has none (or one of another version). */
export function calibrationOf(seg: SeismicIndex): Calibration | undefined {
  const c = seg.calibration as Partial<Calibration> | null;
  if (!c || c.version !== 1 || !isSetting(c.k10) || !isSetting(c.k100)) return undefined;
  return c as Calibration;
}

/** Each knob at its more thorough value (query cut 0 = every term; the lower heap factor skips less). */
function safer(a: QuerySettings, b: QuerySettings): QuerySettings {
  const queryCut = a.queryCut === 0 || b.queryCut === 0 ? 0 : Math.max(a.queryCut, b.queryCut);
  return { queryCut, heapFactor: Math.min(a.heapFactor, b.heapFactor), ...(a.exact || b.exact ? { exact: true } : {}) };
}

/**
 * The settings of a search on a segment: explicit knobs win; otherwise the segment's calibrated
 * setting for k; a segment without calibration (small: searched in full) gets THOROUGH.
 */
export function settingsFor(cal: Calibration | undefined, k: number, knobs: { queryCut?: number; heapFactor?: number }): QuerySettings {
  const base: QuerySettings = cal === undefined ? THOROUGH : k <= 10 ? cal.k10 : safer(cal.k10, cal.k100);
  if (knobs.queryCut === undefined && knobs.heapFactor === undefined) return { queryCut: base.queryCut, heapFactor: base.heapFactor, ...(base.exact ? { exact: true } : {}) };
  return { queryCut: knobs.queryCut ?? base.queryCut, heapFactor: knobs.heapFactor ?? base.heapFactor };
}

/** The settings a sealed segment is searched with for a request, and where they came from. */
export function segmentSettings(seg: { calibration: Calibration | undefined }, k: number, req: { queryCut?: number; heapFactor?: number }): QuerySettings & { from: 'request' | 'calibrated' | 'uncalibrated' } {
  const from = settingsFrom(req) ?? (seg.calibration ? 'calibrated' : 'uncalibrated');
  return { ...settingsFor(seg.calibration, k, req), from };
}

/** 'request' when the request names a knob (undefined: the segments' own settings apply). */
export function settingsFrom(req: { queryCut?: number; heapFactor?: number }): 'request' | undefined {
  return req.queryCut !== undefined || req.heapFactor !== undefined ? 'request' : undefined;
}
