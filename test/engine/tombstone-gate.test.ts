/** TombstoneGate: a purge waits for the searches that started before it, not for later ones. */
import { expect, it } from 'vitest';
import { TombstoneGate } from '../../src/engine/search/tombstone-gate.js';

it('purges at once with no search running, and otherwise once every earlier search has ended', () => {
  const purged: number[][] = [];
  const gate = new TombstoneGate((d) => purged.push([...d]));
  gate.defer([1, 2]);
  expect(purged).toEqual([[1, 2]]);

  const early = gate.enter();
  const early2 = gate.enter();
  gate.defer(Uint32Array.of(3));
  const late = gate.enter(); // started after the purge was deferred: does not hold it
  gate.defer([4]);
  expect(purged).toEqual([[1, 2]]);
  expect(gate.waiting).toBe(2);
  gate.leave(early);
  expect(purged).toEqual([[1, 2]]);
  gate.leave(early2);
  expect(purged).toEqual([[1, 2], [3]]); // [4] still waits for `late`
  gate.leave(late);
  expect(purged).toEqual([[1, 2], [3], [4]]);
  expect(gate.waiting).toBe(0);
  gate.defer([]);
  expect(purged).toHaveLength(3);
});
