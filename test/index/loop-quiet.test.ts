import { describe, expect, it } from 'vitest';
import { LoopQuiet } from '../../src/index/loop-quiet.js';

describe('LoopQuiet', () => {
  it('is quiet after the loop idled long enough, or no search began for long enough, since the previous search began, with none pending', () => {
    let idle = 0;
    let now = 0;
    const loop = new LoopQuiet(0.1, 1, { idleMs: () => idle, nowMs: () => now });
    idle = 5; // the server waited for its first request
    now = 5;
    expect(loop.begin()).toBe(true);
    loop.end();
    // back to back (requests queued: the loop never idled in between), inline searches or not
    now += 0.2;
    expect(loop.begin()).toBe(false);
    loop.end();
    idle += 0.05;
    now += 0.3;
    expect(loop.begin()).toBe(false);
    loop.end();
    idle += 0.2; // a client's round trip
    now += 0.3;
    expect(loop.begin()).toBe(true);
    // a second search while the first is pending (on the pool): busy, however long the loop idled or waited
    idle += 3;
    now += 3;
    expect(loop.begin()).toBe(false);
    loop.end();
    loop.end();
    idle += 3;
    now += 3;
    expect(loop.begin()).toBe(true);
    loop.end();
    // no idle recorded (the loop's own work filled the wait), but no search began for 1 ms: quiet
    now += 0.9;
    expect(loop.begin()).toBe(false);
    loop.end();
    now += 1;
    expect(loop.begin()).toBe(true);
    loop.end();
  });

  it('reads the real event loop by default', async () => {
    const loop = new LoopQuiet(0.5, 1_000);
    await new Promise((r) => setTimeout(r, 20)); // the loop idles in its poll
    expect(loop.begin()).toBe(true);
    loop.end();
    expect(loop.begin()).toBe(false); // no idle time since, and no gap
    loop.end();
  });
});
