/**
 * Progress of the index job: a cli-progress bar (bytes of the input read, documents, docs/s, ETA)
 * on a terminal; plain periodic lines otherwise (logs, CI, pipes).
 */
import cliProgress from 'cli-progress';
import type { IndexProgress, IndexSummary } from '../bulk/index-job.js';

export interface ProgressReporter {
  update(p: IndexProgress): void;
  /** Print a message without breaking the bar. */
  message(text: string): void;
  /** The bar is done (input read); a stage without progress of its own begins. */
  stage(text: string): void;
  stop(): void;
}

export interface ProgressOptions {
  totalBytes: number;
  tty: boolean;
  out: NodeJS.WritableStream;
  /** plain mode: at most one line per interval */
  intervalMs?: number;
  now?: () => number;
  /** plain mode: "<verb> N documents" (default "indexed") */
  verb?: string;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const rate = (docs: number) => docs / Math.max((now() - started) / 1000, 1e-3);
  if (options.tty) {
    const bar = new cliProgress.SingleBar(
      { format: '{bar} {percentage}% | {docs} docs | {rate} docs/s | ETA {eta_formatted}', stream: options.out, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let last: IndexProgress = { indexed: 0, bytes: 0 };
    const payload = () => ({ docs: last.indexed, rate: rate(last.indexed).toFixed(0) });
    bar.start(Math.max(1, options.totalBytes), 0, payload());
    return {
      update: (p) => {
        last = p;
        bar.update(p.bytes, payload());
      },
      message: (text) => {
        bar.stop();
        options.out.write(`${text}\n`);
        bar.start(Math.max(1, options.totalBytes), last.bytes, payload());
      },
      stage: (text) => {
        bar.stop();
        options.out.write(`${text}\n`);
      },
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 5_000;
  let last = started;
  return {
    update: (p) => {
      if (now() - last < interval) return;
      last = now();
      const pct = options.totalBytes > 0 ? ` (${((100 * p.bytes) / options.totalBytes).toFixed(1)}% of input)` : '';
      options.out.write(`${options.verb ?? 'indexed'} ${p.indexed} documents, ${rate(p.indexed).toFixed(0)} docs/s${pct}\n`);
    },
    message: (text) => options.out.write(`${text}\n`),
    stage: (text) => options.out.write(`${text}\n`),
    stop: () => undefined,
  };
}

export function formatSummary(s: IndexSummary): string {
  const state = s.interrupted ? 'interrupted' : s.failed ? 'failed' : 'done';
  return (
    `${state}: ${s.indexed} documents indexed, ${s.alreadyStored} already stored, ${s.skipped} skipped, ${s.errors} errors, ` +
    `${s.seconds.toFixed(1)} s, ${s.docsPerSecond.toFixed(0)} docs/s`
  );
}
