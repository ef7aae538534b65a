/**
 * Whether this thread's event loop is quiet when a search starts: no other search of this module
 * pending, and either the loop idle (blocked waiting for I/O) for at least `minIdleMs` since the
 * previous search started, or no search started for `minGapMs`. A search that waits on the pool
 * after such a gap pays a cold round trip (a sleeping pool thread, then a sleeping event loop, each
 * woken); a loop with requests queued back to back never idles between searches, whether they ran
 * inline (synchronously, so a count of pending searches alone cannot see them) or on the pool (then
 * one is pending).
 * Why the gap as well: libuv counts idle time only while the loop blocks in its poll, so when the
 * loop's own background work (the recent-query flush every 200 ms, a V8 GC task) runs right after a
 * response, the next request of a sequential client is already waiting at the next poll and no idle
 * is recorded, although the loop served nothing else. A client sending one search after another
 * (bench:http-recall, msmarco-queries) had 8-10% of its searches placed busy that way, each paying
 * a cold pool round trip; 255 of 273 of them started >= 1 ms after the previous search had. Under
 * 16-connection load (bench:http lexical) 1.3% of searches (864 of ~68,000) meet the gap rule and
 * not the idle rule: each of those runs inline, at most quietInlinePostings of work.
 * See SEARCH_PLACEMENT (native.ts) for the limits chosen from it.
 */
import { performance } from 'node:perf_hooks';

export interface LoopClock {
  /** the loop's cumulative idle time in ms (what performance.eventLoopUtilization().idle reports, read without building its object) */
  idleMs(): number;
  /** now, in ms */
  nowMs(): number;
}

const REAL_LOOP: LoopClock = { idleMs: () => performance.nodeTiming.idleTime, nowMs: () => performance.now() };

export class LoopQuiet {
  private pending = 0;
  private idleAt: number;
  private beganAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly minIdleMs: number,
    private readonly minGapMs: number,
    private readonly clock: LoopClock = REAL_LOOP,
  ) {
    this.idleAt = clock.idleMs();
  }

  /** A search starts (call end() once it has settled): whether the loop was quiet. */
  begin(): boolean {
    const idle = this.clock.idleMs();
    const now = this.clock.nowMs();
    const quiet = this.pending === 0 && (idle - this.idleAt >= this.minIdleMs || now - this.beganAt >= this.minGapMs);
    this.idleAt = idle;
    this.beganAt = now;
    this.pending++;
    return quiet;
  }

  end(): void {
    this.pending--;
  }
}
