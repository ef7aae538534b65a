/**
 * Whether this thread's event loop is quiet when a search starts: no other search of this module
 * pending, and the loop idle (blocked waiting for I/O) for at least `minIdleMs` since the previous
 * search started. A search that waits on the pool after such a gap pays a cold round trip (a
 * sleeping pool thread, then a sleeping event loop, each woken); a loop with requests queued back
 * to back never idles between searches, whether they ran inline (synchronously, so a count of
 * pending searches alone cannot see them) or on the pool (then one is pending).
 * See SEARCH_PLACEMENT (native.ts) for the limits chosen from it.
 */
import { performance } from 'node:perf_hooks';

export class LoopQuiet {
  private pending = 0;
  private idleAt: number;

  constructor(
    private readonly minIdleMs: number,
    /** the loop's cumulative idle time in ms (what performance.eventLoopUtilization().idle reports, read without building its object) */
    private readonly idleMs: () => number = () => performance.nodeTiming.idleTime,
  ) {
    this.idleAt = idleMs();
  }

  /** A search starts (call end() once it has settled): whether the loop was quiet. */
  begin(): boolean {
    const idle = this.idleMs();
    const quiet = this.pending === 0 && idle - this.idleAt >= this.minIdleMs;
    this.idleAt = idle;
    this.pending++;
    return quiet;
  }

  end(): void {
    this.pending--;
  }
}
