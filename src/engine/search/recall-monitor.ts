/**
 * The recall a collection's users actually get: a sampled fraction of live default searches (no
 * knobs, approximate on at least one sealed segment) is re-run exactly in the background, on the
 * same searcher snapshot as the search it checks (the same sealed segments, held acquired, the same
 * tombstone snapshot and filter, the same mutable-segment hits), so ingest between the two is not
 * counted as loss. recall@k of a check = |approximate top-k ∩ exact top-k| / |exact top-k|, at the
 * request's k; the figure is the mean over the last `window` checks.
 *
 * Bounded cost: checks run one at a time after the search has answered (setImmediate, then the
 * exact scan on the native search pool); a search is sampled only while the time spent in checks
 * stays under `maxShare` of the wall-clock time since the monitor started, and at most MAX_PENDING
 * checks wait (more are dropped). Exported per collection on /metrics and in the collection's stats.
 */

export interface RecallMonitorOptions {
  /** share of default searches checked, [0, 1]; 0 turns the monitor off */
  rate: number;
  /** most of the wall-clock time the checks may take, (0, 1] */
  maxShare: number;
  /** checks averaged */
  window: number;
}

export const DEFAULT_RECALL_MONITOR: RecallMonitorOptions = { rate: 0.01, maxShare: 0.05, window: 1_000 };
const MAX_PENDING = 4;

export interface RecallFigure {
  /** mean recall@k over the window (null before the first check) */
  recall: number | null;
  /** checks in the window, and since start */
  window: number;
  checks: number;
  /** searches sampled but dropped (queue full or over the time share) */
  skipped: number;
  sampleRate: number;
}

/** recall@k of `approx` against `exact` (docnos in rank order); 1 when exact found nothing. */
export function recallOf<T>(approx: readonly T[], exact: readonly T[]): number {
  if (exact.length === 0) return 1;
  const got = new Set(approx);
  return exact.filter((d) => got.has(d)).length / exact.length;
}

export class RecallMonitor {
  private readonly recent: number[] = [];
  private checks = 0;
  private skipped = 0;
  private pending = 0;
  private busyMs = 0;
  private readonly started = performance.now();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    public options: RecallMonitorOptions = DEFAULT_RECALL_MONITOR,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether to check this search (the caller then calls check, or releases what it held). */
  sample(): boolean {
    if (this.options.rate <= 0 || this.random() >= this.options.rate) return false;
    const elapsed = performance.now() - this.started;
    if (this.pending >= MAX_PENDING || this.busyMs > this.options.maxShare * Math.max(elapsed, 1000)) {
      this.skipped++;
      return false;
    }
    return true;
  }

  /**
   * Queues one check: `exact` computes the exact top-k docnos on the held snapshot; `done` releases
   * it (always called). Resolves when the check is recorded (tests await it; the search does not).
   */
  check(approx: readonly number[], exact: () => Promise<number[]>, done: () => void): Promise<void> {
    this.pending++;
    const run = async (): Promise<void> => {
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      try {
        this.record(recallOf(approx, await exact()));
      } finally {
        this.busyMs += performance.now() - t0;
        this.pending--;
        done();
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain.catch(() => undefined);
  }

  /** Resolves when every queued check has run. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  private record(r: number): void {
    this.checks++;
    this.recent.push(r);
    if (this.recent.length > this.options.window) this.recent.shift();
  }

  figure(): RecallFigure {
    const n = this.recent.length;
    return {
      recall: n === 0 ? null : this.recent.reduce((a, b) => a + b, 0) / n,
      window: n,
      checks: this.checks,
      skipped: this.skipped,
      sampleRate: this.options.rate,
    };
  }
}
