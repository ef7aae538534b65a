/**
 * The worker thread that owns a usearch HNSW index (src/index/ann.ts is its only client).
 * usearch's calls are synchronous native work: here they block this thread, never the event loop.
 * Requests run one at a time in arrival order, so a search queued behind a batch of inserts sees
 * them, and a snapshot holds exactly the operations sent before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import usearch from 'usearch';

export interface AnnWorkerInit {
  dims: number;
  metric: 'dot' | 'cosine';
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  /** usearch threads per insert batch (the worker's share of the CPU budget) */
  threads: number;
  /** load this usearch file first */
  loadPath?: string;
}

export type AnnRequest =
  | { id: number; op: 'add'; docnos: Uint32Array; vectors: Float32Array }
  | { id: number; op: 'remove'; docnos: Uint32Array }
  | { id: number; op: 'search'; query: Float32Array; k: number }
  | { id: number; op: 'save'; path: string }
  | { id: number; op: 'size' }
  | { id: number; op: 'close' };

export type AnnReply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; message: string };

export interface AnnMatches {
  docnos: Uint32Array;
  distances: Float32Array;
}

const init = workerData as AnnWorkerInit;
const index = new usearch.Index({
  dimensions: init.dims,
  metric: init.metric === 'dot' ? usearch.MetricKind.IP : usearch.MetricKind.Cos,
  // Cosine vectors are unit length, which 8-bit codes represent well (4× less memory, ~2× faster
  // inserts); callers rescore candidates exactly. Dot vectors may have any scale: kept in f32.
  quantization: init.metric === 'cosine' ? usearch.ScalarKind.I8 : usearch.ScalarKind.F32,
  connectivity: init.connectivity,
  expansion_add: init.expansionAdd,
  expansion_search: init.expansionSearch,
  multi: false,
});

function keysOf(docnos: Uint32Array): BigUint64Array {
  const keys = new BigUint64Array(docnos.length);
  for (let i = 0; i < docnos.length; i++) keys[i] = BigInt(docnos[i]);
  return keys;
}

function handle(req: AnnRequest): unknown {
  switch (req.op) {
    case 'add':
      if (req.docnos.length > 0) index.add(keysOf(req.docnos), req.vectors, init.threads);
      return undefined;
    case 'remove':
      if (req.docnos.length > 0) index.remove(keysOf(req.docnos));
      return undefined;
    case 'search': {
      if (index.size() === 0) return { docnos: new Uint32Array(0), distances: new Float32Array(0) } satisfies AnnMatches;
      const m = index.search(req.query, req.k, 1); // one query: one thread
      // usearch pads missing results; keep the real ones (keys below 2^32, finite distance)
      const docnos: number[] = [];
      const distances: number[] = [];
      for (let i = 0; i < m.keys.length; i++) {
        if (m.keys[i] < 0x1_0000_0000n && Number.isFinite(m.distances[i])) {
          docnos.push(Number(m.keys[i]));
          distances.push(m.distances[i]);
        }
      }
      return { docnos: Uint32Array.from(docnos), distances: Float32Array.from(distances) } satisfies AnnMatches;
    }
    case 'save':
      index.save(req.path);
      return undefined;
    case 'size':
      return index.size();
    case 'close':
      // Everything queued before has run: close the port so the thread ends by itself, never
      // terminated in the middle of a native usearch call (that aborts the whole process).
      parentPort!.close();
      return undefined;
  }
}

if (init.loadPath) index.load(init.loadPath);
parentPort!.on('message', (req: AnnRequest) => {
  let reply: AnnReply;
  try {
    reply = { id: req.id, ok: true, result: handle(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: 0, ok: true, result: 'ready' } satisfies AnnReply);
