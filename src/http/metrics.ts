/**
 * Prometheus metrics, one registry per app (tests build many apps in one process). Request latency
 * by route; collection gauges and the encoder queue depth read at scrape time; build/merge
 * durations are fed by the engine through the EngineObserver it is given.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CollectionManager } from '../engine/types.js';

/** Hooks the engine calls; durations in seconds. */
export interface EngineObserver {
  segmentBuilt(seconds: number, documents: number): void;
  segmentsMerged(seconds: number, documents: number): void;
}

export interface ServiceMetrics {
  registry: Registry;
  observer: EngineObserver;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BUILD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sparrow_' });
  const build = new Histogram({ name: 'sparrow_segment_build_seconds', help: 'Sealed segment build duration', buckets: BUILD_BUCKETS, registers: [registry] });
  const merge = new Histogram({ name: 'sparrow_segment_merge_seconds', help: 'Segment merge duration', buckets: BUILD_BUCKETS, registers: [registry] });
  const built = new Counter({ name: 'sparrow_segment_built_documents_total', help: 'Documents written into sealed segments', registers: [registry] });
  return {
    registry,
    observer: {
      segmentBuilt: (seconds, documents) => {
        build.observe(seconds);
        built.inc(documents);
      },
      segmentsMerged: (seconds) => merge.observe(seconds),
    },
  };
}

/** Request latency histogram by route, and gauges that read the collections at scrape time. */
export interface Sources {
  manager: CollectionManager;
  tasksRunning: () => number;
  encoderQueueDepth: () => number;
}

export function registerMetrics(app: FastifyInstance, metrics: ServiceMetrics, { manager, tasksRunning, encoderQueueDepth }: Sources): void {
  const { registry } = metrics;
  const latency = new Histogram({
    name: 'sparrow_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const perCollection = (name: string, help: string, read: (s: ReturnType<ReturnType<CollectionManager['get']>['stats']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['collection'],
      registers: [registry],
      collect() {
        this.reset();
        for (const collection of manager.list()) this.set({ collection }, read(manager.get(collection).stats()));
      },
    });
  perCollection('sparrow_documents', 'Live documents', (s) => s.documents);
  perCollection('sparrow_deleted_documents', 'Deleted documents not yet reclaimed', (s) => s.deleted);
  perCollection('sparrow_segments', 'Segments (sealed and mutable)', (s) => s.segments.length);
  perCollection('sparrow_unsealed_documents', 'Documents in mutable segments', (s) => s.segments.filter((g) => !g.sealed).reduce((n, g) => n + g.documents, 0));
  perCollection('sparrow_index_bytes', 'Bytes on disk', (s) => s.bytes);
  perCollection('sparrow_search_recall', 'Recall@k of default searches against exact search (recall monitor, mean over its window; NaN before the first check)', (s) => s.recall.recall ?? Number.NaN);
  perCollection('sparrow_search_recall_checks', 'Searches the recall monitor has re-run exactly', (s) => s.recall.checks);
  new Gauge({
    name: 'sparrow_encoder_queue_depth',
    help: 'Encoding tasks waiting in the worker pool queue',
    registers: [registry],
    collect() {
      this.set(encoderQueueDepth());
    },
  });
  new Gauge({
    name: 'sparrow_tasks_running',
    help: 'Flush, optimize and backup tasks running',
    registers: [registry],
    collect() {
      this.set(tasksRunning());
    },
  });

  // the callback form: an async hook costs a promise per request
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
