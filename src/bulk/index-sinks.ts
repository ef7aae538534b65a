/**
 * Where the index job writes: a collection opened in-process from a data directory (server
 * stopped), or a running server over HTTP.
 */
import type { Collection, DocumentInput } from '../engine/types.js';
import type { BatchEncoder } from '../encode/job.js';
import { documentText } from '../encode/records.js';
import type { DocumentSink } from './index-job.js';

/** Straight into a collection: stored ids are looked up in its SQLite store. */
export class CollectionSink implements DocumentSink {
  constructor(private readonly collection: Collection) {}

  async stored(ids: string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.collection.get(id) !== undefined));
  }

  async write(docs: DocumentInput[]): Promise<void> {
    await this.collection.upsert(docs);
  }

  async finish(): Promise<void> {
    await this.collection.flush();
  }
}

/** An HTTP failure with the status and the problem+json code of the answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HttpSinkOptions {
  url: string;
  collection: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

/** Through a running server: POST /v1/collections/{name}/documents (all or nothing per batch). */
export class HttpSink implements DocumentSink {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: HttpSinkOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? fetch;
  }

  /** The server has no bulk "which ids exist" call: the job's checkpoint does the resuming. */
  async stored(): Promise<Set<string>> {
    return new Set();
  }

  async request(method: string, route: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new HttpError(0, 'UNREACHABLE', `cannot reach ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (res.ok) return json;
    const problem = (json ?? {}) as { code?: string; detail?: string; title?: string };
    const retry = Number(res.headers.get('retry-after'));
    throw new HttpError(
      res.status,
      problem.code ?? `HTTP_${res.status}`,
      `${method} ${route}: ${res.status} ${problem.detail ?? problem.title ?? text.slice(0, 200)}`,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }

  /** Create the collection unless it exists (after `beforeCreate`, which may refuse by throwing). */
  async ensureCollection(config: Record<string, unknown>, beforeCreate?: () => Promise<void>): Promise<void> {
    try {
      await this.request('GET', `/v1/collections/${encodeURIComponent(this.options.collection)}`);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 404) throw err;
      await beforeCreate?.();
      await this.request('PUT', `/v1/collections/${encodeURIComponent(this.options.collection)}`, config);
    }
  }

  async write(docs: DocumentInput[]): Promise<void> {
    await this.request('POST', `/v1/collections/${encodeURIComponent(this.options.collection)}/documents`, { documents: docs });
  }

  /** Seal: POST _flush starts a task; wait until it is no longer running. */
  async finish(): Promise<void> {
    let task = (await this.request('POST', `/v1/collections/${encodeURIComponent(this.options.collection)}/_flush`)) as TaskView;
    while (task.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      task = (await this.request('GET', `/v1/tasks/${encodeURIComponent(task.id)}`)) as TaskView;
    }
    if (task.status === 'failed') throw new HttpError(500, task.error?.code ?? 'INTERNAL', `flush failed: ${task.error?.detail ?? 'unknown error'}`);
  }
}

interface TaskView {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  error?: { code: string; detail: string };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A sink whose documents are encoded on encode workers over a queue (`sparrow index
 * --encode-queue`) before they reach the inner sink as sparse vectors; documents that bring their
 * own `sparse` pass as they are. */
export class QueueEncodingSink implements DocumentSink {
  private nextBatch = 0;

  constructor(
    private readonly inner: DocumentSink,
    private readonly encoder: BatchEncoder,
  ) {}

  stored(ids: string[]): Promise<Set<string>> {
    return this.inner.stored(ids);
  }

  async write(docs: DocumentInput[]): Promise<void> {
    const toEncode = docs.flatMap((d, i) => (d.sparse === undefined && documentText(d) !== '' ? [i] : []));
    if (toEncode.length === 0) return this.inner.write(docs);
    const batch = await this.encoder.encode(
      this.nextBatch++,
      toEncode.map((i) => documentText(docs[i])),
    );
    const out = docs.slice();
    toEncode.forEach((i, j) => {
      const v = batch.vectors[j];
      out[i] = { ...docs[i], sparse: { indices: Array.from(v.indices), values: Array.from(v.values) } };
    });
    try {
      await this.inner.write(out);
    } finally {
      await batch.written?.(); // the job leaves the queue either way (a retried write encodes again)
    }
  }

  finish(): Promise<void> {
    return this.inner.finish();
  }
}
