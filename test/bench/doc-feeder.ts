/**
 * The bench's writing client, off the event loop it measures: synthetic documents (SYNTHETIC, see
 * synthetic.ts) generated on a worker thread (doc-feeder-worker.ts), as a separate client process
 * would, so the server's event-loop delay counts the server's work (taking the documents in, about
 * what parsing a request body costs) and not the client's generating them.
 */
import type { Worker } from 'node:worker_threads';
import type { CsrBatch } from '../../src/core/types.js';
import type { DocumentInput } from '../../src/engine/types.js';
import { startModuleWorker } from '../../src/workers/module-worker.js';

/** Engine bench documents [from, from + rows): id `d<n>`, the batch's vector, metadata bucket n % 1000. */
export function docsOf(b: CsrBatch, from: number): DocumentInput[] {
  const out: DocumentInput[] = [];
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    const s = b.indptr[r];
    const e = b.indptr[r + 1];
    out.push({ id: `d${from + r}`, sparse: { indices: Array.from(b.indices.subarray(s, e)), values: Array.from(b.values.subarray(s, e)) }, metadata: { bucket: (from + r) % 1000 } });
  }
  return out;
}

export interface FeedRequest {
  id: number;
  from: number;
  n: number;
}

export class DocFeeder {
  private readonly worker: Worker = startModuleWorker(import.meta.url, 'doc-feeder-worker');
  private readonly pending = new Map<number, (docs: DocumentInput[]) => void>();
  private nextId = 1;

  constructor() {
    this.worker.on('message', ({ id, docs }: { id: number; docs: DocumentInput[] }) => {
      this.pending.get(id)?.(docs);
      this.pending.delete(id);
    });
  }

  /** Documents [from, from + n), generated on the worker. */
  batch(from: number, n: number): Promise<DocumentInput[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, from, n } satisfies FeedRequest);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
