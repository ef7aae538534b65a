import { describe, expect, it } from 'vitest';
import { LoopQuiet } from '../../src/index/loop-quiet.js';

describe('LoopQuiet', () => {
  it('is quiet only after the loop idled long enough since the previous search began, with none pending', () => {
    let idle = 0;
    const loop = new LoopQuiet(0.1, () => idle);
    idle = 5; // the server waited for its first request
    expect(loop.begin()).toBe(true);
    loop.end();
    // back to back (requests queued: the loop never idled in between), inline searches or not
    expect(loop.begin()).toBe(false);
    loop.end();
    idle += 0.05;
    expect(loop.begin()).toBe(false);
    loop.end();
    idle += 0.2; // a client's round trip
    expect(loop.begin()).toBe(true);
    // a second search while the first is pending (on the pool): busy, however long the loop idled
    idle += 3;
    expect(loop.begin()).toBe(false);
    loop.end();
    loop.end();
    idle += 3;
    expect(loop.begin()).toBe(true);
    loop.end();
  });

  it('reads the real event loop by default', async () => {
    const loop = new LoopQuiet(0.5);
    await new Promise((r) => setTimeout(r, 20)); // the loop idles in its poll
    expect(loop.begin()).toBe(true);
    loop.end();
    expect(loop.begin()).toBe(false); // no idle time since
    loop.end();
  });
});
