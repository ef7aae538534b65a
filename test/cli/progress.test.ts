import { describe, expect, it } from 'vitest';
import { createProgress, formatSummary } from '../../src/cli/progress.js';

function sink() {
  const chunks: string[] = [];
  return { stream: { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream, chunks };
}

describe('progress', () => {
  it('prints a plain line at most once per interval off a terminal, with docs/s and the share of input read', () => {
    let t = 0;
    const out = sink();
    const p = createProgress({ totalBytes: 1000, tty: false, out: out.stream, intervalMs: 5000, now: () => t });
    t = 1000;
    p.update({ indexed: 10, bytes: 100 }); // too early
    t = 5000;
    p.update({ indexed: 500, bytes: 250 });
    t = 6000;
    p.update({ indexed: 600, bytes: 300 }); // too early again
    p.message('corpus.jsonl:3: invalid JSON');
    p.stop();
    expect(out.chunks).toEqual(['indexed 500 documents, 100 docs/s (25.0% of input)\n', 'corpus.jsonl:3: invalid JSON\n']);
  });

  it('draws a bar with documents, docs/s and ETA on a terminal, and prints messages between redraws', () => {
    const chunks: string[] = [];
    const out = { isTTY: true, columns: 100, write: (s: string) => chunks.push(s) > 0, on: () => out, removeListener: () => out };
    const p = createProgress({ totalBytes: 1000, tty: true, out: out as unknown as NodeJS.WritableStream });
    p.update({ indexed: 100, bytes: 500 });
    p.message('corpus.jsonl:3: invalid JSON');
    p.update({ indexed: 200, bytes: 1000 });
    p.stop();
    const text = chunks.join('');
    expect(text).toContain('\ncorpus.jsonl:3: invalid JSON\n');
    expect(text).toMatch(/100% \| 200 docs \| \d+ docs\/s \| ETA \d+s/);
  });

  it('summarizes a run', () => {
    const base = { indexed: 90, alreadyStored: 10, skipped: 1, errors: 1, seconds: 2, docsPerSecond: 45, failed: false, interrupted: false, exitCode: 2 as const };
    expect(formatSummary(base)).toBe('done: 90 documents indexed, 10 already stored, 1 skipped, 1 errors, 2.0 s, 45 docs/s');
    expect(formatSummary({ ...base, interrupted: true, exitCode: 1 })).toMatch(/^interrupted: /);
    expect(formatSummary({ ...base, failed: true, exitCode: 1 })).toMatch(/^failed: /);
  });
});
