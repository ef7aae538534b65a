/**
 * The engine and encoders behind the app, opened from the config: the production wiring that the
 * server and the tests share.
 */
import type { AppDeps } from '../app.js';
import type { Config } from '../config.js';
import { createEncoder } from '../encoder/factory.js';
import type { CorpusStats } from '../encoder/types.js';
import { EngineCollection } from '../engine/write/collection.js';
import { EngineManager } from '../engine/manager.js';
import type { Collection, CollectionConfig, CollectionManager, EncodedTerm } from '../engine/types.js';
import { bm25DocWeight } from '../engine/scoring/bm25.js';
import type { StandaloneEncode } from './context.js';
import { closeEncoderPool, getEncoderPool } from '../workers/pool.js';
import { createMetrics, type EngineObserver } from './metrics.js';

/** No collection: nothing is known about the corpus, so every query term gets the same IDF. */
const NO_CORPUS: CorpusStats = { numDocs: 0, docFreq: () => 0, avgDocLength: 0 };

/** POST /v1/encode without a collection: the default (lexical) encoder on its own. */
async function standaloneEncoder(config: Config): Promise<{ encode: StandaloneEncode; close(): Promise<void> }> {
  const encoder = await createEncoder({ kind: 'lexical' }, config.cpu);
  const encode: StandaloneEncode = async (text, side) => {
    let terms: EncodedTerm[];
    if (side === 'query') {
      const v = await encoder.encodeQuery(text, NO_CORPUS);
      terms = [...v.indices].map((id, i) => ({ token: encoder.tokenOf(id) ?? String(id), id, weight: v.values[i] }));
    } else {
      const [doc] = await encoder.encodeDocuments([text]);
      const { indices, values } = doc.vector;
      const weight = (tf: number) => (encoder.weighting === 'bm25' ? bm25DocWeight(tf, doc.length, doc.length) : tf);
      terms = [...indices].map((id, i) => ({ token: doc.tokens?.[i] ?? encoder.tokenOf(id) ?? String(id), id, weight: weight(values[i]) }));
    }
    return terms.sort((a, b) => b.weight - a.weight || a.id - b.id);
  };
  return { encode, close: () => encoder.close() };
}

/** The engine's manager with every collection's seal and merge jobs fed into the metrics. */
class ObservedManager implements CollectionManager {
  constructor(
    private readonly inner: CollectionManager,
    private readonly observer: EngineObserver,
  ) {
    for (const name of inner.list()) this.observe(inner.get(name));
  }

  private observe(c: Collection): Collection {
    if (c instanceof EngineCollection) {
      c.onJob = ({ kind, docs, ms }) => (kind === 'seal' ? this.observer.segmentBuilt(ms / 1000, docs) : this.observer.segmentsMerged(ms / 1000, docs));
    }
    return c;
  }

  async create(name: string, config: Partial<CollectionConfig>): Promise<Collection> {
    return this.observe(await this.inner.create(name, config));
  }
  get(name: string): Collection {
    return this.inner.get(name);
  }
  list(): string[] {
    return this.inner.list();
  }
  drop(name: string): Promise<void> {
    return this.inner.drop(name);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export async function openServices(config: Config): Promise<AppDeps> {
  const metrics = createMetrics();
  const engine = await EngineManager.open({
    dataDir: config.server.dataDir,
    cpu: config.cpu,
    index: config.index,
    recallMonitor: config.server.recallMonitor,
    // kind "splade" without a model: a collection of pre-encoded vectors (no encoder to run).
    encoderFor: async ({ encoder }, cpu) => (encoder.kind === 'splade' && encoder.model === undefined ? undefined : createEncoder(encoder, cpu)),
  });
  const standalone = await standaloneEncoder(config);
  return {
    manager: new ObservedManager(engine, metrics.observer),
    taskStore: engine.home,
    metrics,
    encode: standalone.encode,
    encoderQueueDepth: () => getEncoderPool(config.cpu).queueSize,
    release: async () => {
      await standalone.close();
      await closeEncoderPool();
    },
  };
}
