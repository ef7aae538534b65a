/**
 * The data sets of `npm run bench:index -- --dataset NAME`. Each gives documents and two query
 * halves: `tune` (parameters and defaults are chosen on it) and `report` (published figures only).
 *
 *   synthetic               SPLADE-like generator (test/bench/synthetic.ts, SYNTHETIC.md)
 *   scifact-bm25            BEIR SciFact (index-data/samples/scifact, CC BY-SA 4.0) as BM25 vectors
 *                           (the lexical encoder, Lucene BM25); its 1,109 claims as queries
 *   manpages-bm25           passages of the Debian packages manpages + manpages-dev (Linux man-pages,
 *                           GPL-2+ and others: /usr/share/doc/manpages/copyright) as BM25 vectors;
 *                           queries: the NAME descriptions of held-apart pages (not indexed)
 *   scifact-splade-msmarco  SciFact through a SPLADE-shaped ONNX model made here (splade-model.ts);
 *                           queries: the real SPLADE++ ED vectors of MS MARCO dev queries (../shared)
 *   scifact-splade-if       the same documents; SciFact claims as inference-free queries (bundled IDF)
 *   msmarco-queries         real SPLADE++ ED query vectors of MS MARCO dev queries used as documents,
 *                           searched with the SPLADE-v3 vectors of other (held-apart) queries (../shared)
 *
 * The MS MARCO vectors are under non-commercial terms: read from ../shared when present, never
 * copied into the repository; without them the data sets that need them stop and say so. There are
 * no real SPLADE document vectors here: no data set is one. Encoded vectors are cached under --cache.
 */
import fs from 'node:fs';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { defaultCpu } from '../../src/config.js';
import type { CsrBatch, SparseVector } from '../../src/core/types.js';
import { DEFAULT_ANALYZER } from '../../src/encoder/analyzer.js';
import { bm25DocumentWeights } from '../../src/encoder/bm25.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { LexicalEncoder } from '../../src/encoder/lexical.js';
import { loadTokenizerDir } from '../../src/encoder/tokenizer-files.js';
import type { CorpusStats } from '../../src/encoder/types.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { CsrBuilder, loadCsr, saveCsr } from './csr-builder.js';
import { readManPages } from './manpages.js';
import { writeBenchSpladeModel } from './splade-model.js';
import { generateDocs, generateQueries, type QueryKind } from './synthetic.js';

export const DATASETS = ['synthetic', 'scifact-bm25', 'manpages-bm25', 'scifact-splade-msmarco', 'scifact-splade-if', 'msmarco-queries'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface BenchData {
  docs: CsrBatch;
  tune: CsrBatch;
  report: CsrBatch;
  /** one line: what the vectors are, their licence and where they were read from */
  source: string;
}

export interface DatasetOptions {
  cache: string;
  shared: string; // ../shared/datasets
  docs: number; // synthetic only
  queries: number; // synthetic only: per half
  topics: number; // synthetic only
  kind: QueryKind; // synthetic only
}

/** Words of a SciFact document given to the bench SPLADE model (title and opening of the abstract). */
const SPLADE_WORDS = 96;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCIFACT = path.join(REPO, 'index-data/samples/scifact');

/** ../shared/datasets beside the checkout (or beside its parent, for a worktree one level down). */
export function defaultShared(): string {
  const candidates = [path.resolve(REPO, '../shared/datasets'), path.resolve(REPO, '../../shared/datasets')];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function toCsr(vectors: SparseVector[]): CsrBatch {
  const out = new CsrBuilder(vectors.length, vectors.reduce((n, v) => n + v.indices.length, 0));
  for (const v of vectors) out.push(v.indices, v.values);
  return out.finish();
}

/** Rows [even] -> tune, [odd] -> report: two halves of one query set, interleaved so neither is a tail. */
export function splitHalves(q: CsrBatch): { tune: CsrBatch; report: CsrBatch } {
  const tune = new CsrBuilder(0, 0);
  const report = new CsrBuilder(0, 0);
  for (let r = 0; r + 1 < q.indptr.length; r++) (r % 2 === 0 ? tune : report).push(q.indices.subarray(q.indptr[r], q.indptr[r + 1]), q.values.subarray(q.indptr[r], q.indptr[r + 1]));
  return { tune: tune.finish(), report: report.finish() };
}

/** Encoded once, then read from the cache (the key names everything that decides the vectors). */
async function cached(opts: DatasetOptions, key: string, make: () => Promise<{ docs: CsrBatch; queries: CsrBatch }>): Promise<{ docs: CsrBatch; queries: CsrBatch }> {
  const stem = path.join(opts.cache, key);
  const docs = loadCsr(`${stem}.docs`);
  const queries = loadCsr(`${stem}.queries`);
  if (docs && queries) return { docs, queries };
  fs.mkdirSync(opts.cache, { recursive: true });
  const made = await make();
  saveCsr(`${stem}.docs`, made.docs);
  saveCsr(`${stem}.queries`, made.queries);
  return made;
}

/** BM25 document vectors (weights as a sealed segment computes them) and lexical query vectors. */
async function bm25(docTexts: string[], queryTexts: string[]): Promise<{ docs: CsrBatch; queries: CsrBatch }> {
  const encoder = new LexicalEncoder(DEFAULT_ANALYZER);
  const encoded = await encoder.encodeDocuments(docTexts);
  const df = new Map<number, number>();
  let total = 0;
  for (const e of encoded) {
    total += e.length;
    for (const t of e.vector.indices) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const avgdl = total / encoded.length;
  const stats: CorpusStats = { numDocs: encoded.length, avgDocLength: avgdl, docFreq: (t) => df.get(t) ?? 0 };
  return {
    docs: toCsr(encoded.map((e) => bm25DocumentWeights(e.vector, e.length, avgdl))),
    queries: toCsr(queryTexts.map((q) => encoder.encodeQuerySync(q, stats))),
  };
}

interface BeirDoc {
  _id: string;
  title?: string;
  text: string;
}

const scifactDocs = (): string[] => readJsonl<BeirDoc>(path.join(SCIFACT, 'corpus.jsonl')).map((d) => `${d.title ?? ''} ${d.text}`.trim());
const scifactQueries = (): string[] => readJsonl<BeirDoc>(path.join(SCIFACT, 'queries.jsonl')).map((q) => q.text);

/** Anserini impact format: "id \t tok tok tok ..." where a token repeated N times has weight N. */
async function readImpactTopics(file: string, vocab: (token: string) => number | undefined): Promise<Map<string, SparseVector>> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  const out = new Map<string, SparseVector>();
  for await (const line of lines) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const counts = new Map<number, number>();
    for (const tok of line.slice(tab + 1).split(' ')) {
      const id = tok === '' ? undefined : vocab(tok);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const indices = Uint32Array.from(counts.keys()).sort();
    out.set(line.slice(0, tab), { indices, values: Float32Array.from(indices, (t) => counts.get(t)!) });
  }
  return out;
}

function sharedFile(opts: DatasetOptions, rel: string): string {
  const file = path.join(opts.shared, rel);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is absent: this data set needs the MS MARCO SPLADE query vectors of ../shared (non-commercial; never copied into the repository). Other data sets run without them.`);
  }
  return file;
}

async function msmarcoTopics(opts: DatasetOptions, which: 'splade-pp-ed' | 'splade-v3'): Promise<Map<string, SparseVector>> {
  const file = sharedFile(opts, `msmarco-splade-encoded-queries/topics.msmarco-passage.dev-subset.${which}.tsv.gz`);
  const { tokenizer } = loadTokenizerDir(path.join(REPO, 'src/encoder/assets/bert-base-uncased'));
  return readImpactTopics(file, (t) => tokenizer.idOf(t));
}

/** SciFact through the generated SPLADE-shaped model (documents), and its inference-free query encoder. */
async function spladeScifact(opts: DatasetOptions, queryTexts: string[]): Promise<{ docs: CsrBatch; queries: CsrBatch }> {
  const dir = writeBenchSpladeModel(path.join(opts.cache, 'bench-splade-model'));
  const cpu = { ...defaultCpu(), encoderWorkers: Math.max(1, defaultCpu().budget) };
  const encoder = await createEncoder({ kind: 'splade', model: dir, query: 'inference-free' }, cpu);
  try {
    // The first SPLADE_WORDS words of each document (title first): the model costs tokens × vocabulary.
    const texts = scifactDocs().map((t) => t.split(/\s+/).slice(0, SPLADE_WORDS).join(' '));
    const vectors: SparseVector[] = [];
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i += 256) {
      vectors.push(...(await encoder.encodeDocuments(texts.slice(i, i + 256))).map((e) => e.vector));
      process.stderr.write(`\rencoding SciFact with the bench SPLADE model: ${vectors.length}/${texts.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    process.stderr.write('\n');
    const queries = await Promise.all(queryTexts.map((q) => encoder.encodeQuery(q, { numDocs: 0, avgDocLength: 0, docFreq: () => 0 })));
    return { docs: toCsr(vectors), queries: toCsr(queries) };
  } finally {
    await encoder.close();
    await closeEncoderPool();
  }
}

export async function loadDataset(name: DatasetName, opts: DatasetOptions): Promise<BenchData> {
  switch (name) {
    case 'synthetic': {
      const docs = generateDocs(opts.docs, { topics: opts.topics });
      const tune = generateQueries(opts.queries, { topics: opts.topics, kind: opts.kind, set: 'tune' });
      const report = generateQueries(opts.queries, { topics: opts.topics, kind: opts.kind, set: 'report' });
      return { docs, tune, report, source: `synthetic (topics ${opts.topics === 0 ? 'none: control' : opts.topics}, ${opts.kind} queries; generated, no real vectors)` };
    }
    case 'scifact-bm25': {
      const { docs, queries } = await cached(opts, 'scifact-bm25', () => bm25(scifactDocs(), scifactQueries()));
      return { docs, ...splitHalves(queries), source: 'BEIR SciFact (CC BY-SA 4.0, index-data/samples/scifact) as BM25 vectors (lexical encoder, porter2, k1 1.2 b 0.75); its claims as lexical queries' };
    }
    case 'manpages-bm25': {
      const { docs, queries } = await cached(opts, 'manpages-bm25', async () => {
        const pages = readManPages();
        const described = pages.filter((p) => p.description !== '');
        const heldApart = new Set(described.filter((_, i) => i % 3 === 0));
        const passages = pages.filter((p) => !heldApart.has(p)).flatMap((p) => p.passages);
        return bm25(passages, [...heldApart].map((p) => p.description));
      });
      return { docs, ...splitHalves(queries), source: 'Debian manpages + manpages-dev (Linux man-pages; GPL-2+ and others, /usr/share/doc/manpages/copyright) as ~120-word BM25 passages; queries: NAME descriptions of held-apart pages (one described page in three, not indexed)' };
    }
    case 'scifact-splade-msmarco': {
      const pp = await msmarcoTopics(opts, 'splade-pp-ed');
      const { docs } = await cached(opts, 'scifact-splade', () => spladeScifact(opts, scifactQueries()));
      // 1,000 MS MARCO queries (the first in file order) against the SciFact vectors of the bench model.
      const queries = toCsr([...pp.values()].slice(0, 1000));
      return { docs, ...splitHalves(queries), source: 'SciFact through the generated SPLADE-shaped model (random tied embeddings, test/bench/splade-model.ts; not a trained model); queries: 1,000 real SPLADE++ ED MS MARCO dev query vectors read from ../shared (non-commercial)' };
    }
    case 'scifact-splade-if': {
      const { docs, queries } = await cached(opts, 'scifact-splade', () => spladeScifact(opts, scifactQueries()));
      return { docs, ...splitHalves(queries), source: 'SciFact through the generated SPLADE-shaped model (random tied embeddings; not a trained model); its claims as inference-free queries (bundled OpenSearch IDF)' };
    }
    case 'msmarco-queries': {
      const pp = await msmarcoTopics(opts, 'splade-pp-ed');
      const v3 = await msmarcoTopics(opts, 'splade-v3');
      // One query in seven (by file order) is held apart as a query; the SPLADE++ vectors of the others are the documents.
      const ids = [...pp.keys()];
      const held = new Set(ids.filter((_, i) => i % 7 === 0 && v3.has(ids[i])));
      const docs = toCsr(ids.filter((id) => !held.has(id)).map((id) => pp.get(id)!));
      const queries = toCsr([...held].map((id) => v3.get(id)!));
      return { docs, ...splitHalves(queries), source: 'real SPLADE++ ED vectors of MS MARCO dev queries as documents, SPLADE-v3 vectors of other (held-apart) dev queries as queries; read from ../shared (non-commercial)' };
    }
  }
}
