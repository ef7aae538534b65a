/**
 * Developer loop for Seismic search parameters on the `tune` query set only (never `report`).
 *
 *   npx tsx scripts/seismic-tune.ts [--docs 1000000] [--queries 500] [--settings 10:1,10:0.9]
 *       [--kind siamese|inference-free] [--topics 1000] [--cache /tmp/sparrow-tune] [--rebuild]
 *       [--docs-file F --queries-file F (JSONL {id, indices, values}; tune = the even query lines)]
 *
 * Caches the synthetic documents, the built segments and the exact top-10 under --cache, so each
 * run after the first costs the searches only. Several --params sets (';'-separated JSON) are
 * measured interleaved in one process, a fair comparison on a machine whose speed drifts. Prints
 * recall@10, single-thread latency (searchSync), native time and the per-query work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../src/core/types.js';
import { buildSeismic, DEFAULT_SEISMIC_PARAMS, loadSeismic, setSearchThreads } from '../src/index/native.js';
import type { SearchResult, SeismicIndex } from '../src/index/native-types.js';
import { loadCsr, saveCsr } from '../test/bench/csr-builder.js';
import { recallAtK } from '../test/bench/recall.js';
import { everyOtherRow } from '../test/bench/csr-builder.js';
import { generateDocs, generateQueries, readSparseJsonl, type QueryKind } from '../test/bench/synthetic.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '500' },
    settings: { type: 'string', default: '8:1,10:1,10:0.9' },
    kind: { type: 'string', default: 'siamese' },
    topics: { type: 'string', default: '1000' },
    cache: { type: 'string', default: '/tmp/sparrow-tune' },
    rebuild: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '2' },
    params: { type: 'string', default: '{}' }, // JSON overrides of the build defaults; several: ';'-separated
    'docs-file': { type: 'string' },
    'queries-file': { type: 'string' },
    half: { type: 'string', default: 'tune' },
    k: { type: 'string', default: '10' }, // with --queries-file: tune = even lines, report = odd
  },
});

const K = Number(args.k);
const fromFile = args['docs-file'] !== undefined;
const fileDocs = fromFile ? (await readSparseJsonl(args['docs-file']!)).rows : undefined;
const n = fileDocs ? fileDocs.indptr.length - 1 : Number(args.docs);
const topics = Number(args.topics);
fs.mkdirSync(args.cache, { recursive: true });
const stem = fromFile ? path.join(args.cache, path.basename(args['docs-file']!, '.jsonl')) : path.join(args.cache, `docs-${n}-t${topics}`);


async function loadQueries(): Promise<CsrBatch> {
  if (args['queries-file'] === undefined) return generateQueries(Number(args.queries), { topics, kind: args.kind as QueryKind, set: 'tune' });
  return everyOtherRow((await readSparseJsonl(args['queries-file'])).rows, args.half === 'report' ? 1 : 0);
}

function cachedDocs(): CsrBatch {
  if (fileDocs) return fileDocs;
  const cached = loadCsr(stem);
  if (cached) return cached;
  const docs = generateDocs(n, { topics });
  saveCsr(stem, docs);
  return docs;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const docs = cachedDocs();
  const docnos = Uint32Array.from({ length: n }, (_, i) => i);
  console.log(`docs ${n}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Several parameter sets (JSON objects separated by ';') are measured interleaved, in one process.
  const segs: Array<{ label: string; seg: SeismicIndex }> = [];
  for (const json of args.params.split(';')) {
    const overrides = JSON.parse(json) as Partial<typeof DEFAULT_SEISMIC_PARAMS>;
    const label = Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(',') || 'default';
    const segFile = `${stem}.${label}.seg`;
    if (!args.rebuild && fs.existsSync(segFile)) {
      segs.push({ label, seg: loadSeismic(segFile) });
      continue;
    }
    const tb = performance.now();
    const seg = await buildSeismic(docs, docnos, { ...DEFAULT_SEISMIC_PARAMS, ...overrides }, { threads: 2 });
    const nnz = docs.indices.length;
    console.log(`${label}: ${seg.layout}, build ${((performance.now() - tb) / 1000).toFixed(1)} s, postings ${seg.postings} (${((100 * seg.postings) / nnz).toFixed(1)}% kept), blocks ${seg.blocks}, index ${(seg.indexBytes / nnz).toFixed(2)} B/nnz, forward ${(seg.forwardBytes / nnz).toFixed(2)} B/nnz`);
    await seg.save(segFile);
    segs.push({ label, seg });
  }
  const queries = await loadQueries();
  const nq = queries.indptr.length - 1;
  const truthFile = fromFile ? `${stem}.truth-${args.half}-${nq}-k${K}.json` : `${stem}.truth-${args.kind}-${nq}-k${K}.json`;
  let truth: SearchResult;
  if (fs.existsSync(truthFile)) {
    const t = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { offsets: number[]; docnos: number[]; scores: number[] };
    truth = { offsets: Uint32Array.from(t.offsets), docnos: Uint32Array.from(t.docnos), scores: Float32Array.from(t.scores) };
  } else {
    setSearchThreads(2);
    truth = await segs[0].seg.searchExact(queries, { k: K });
    fs.writeFileSync(truthFile, JSON.stringify({ offsets: [...truth.offsets], docnos: [...truth.docnos], scores: [...truth.scores] }));
  }
  setSearchThreads(1);
  console.log(`| params | qc | hf | recall@${K} |`+' mean ms (sync) | native ms | CPU ms | p50 | p99 | lists | blocks scored | skipped | docs scored |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (let rep = 0; rep < Number(args.repeat); rep++) {
    for (const { label, seg } of segs) {
      for (const s of args.settings.split(',')) {
        const [queryCut, heapFactor] = s.split(':').map(Number);
        const ms: number[] = [];
        let nativeMs = 0;
        const parts: SearchResult[] = [];
        const cpu0 = process.cpuUsage();
        for (let q = 0; q < nq; q++) {
          const b = queries.indptr[q];
          const e = queries.indptr[q + 1];
          const one = { indptr: Uint32Array.of(0, e - b), indices: queries.indices.subarray(b, e), values: queries.values.subarray(b, e) };
          const t = performance.now();
          const r = seg.searchSync(one, { k: K, queryCut, heapFactor, stats: true });
          ms.push(performance.now() - t);
          nativeMs += (r.stats?.[0].micros ?? 0) / 1000;
          parts.push(r);
        }
        const cpu = process.cpuUsage(cpu0);
        const cpuMs = (cpu.user + cpu.system) / 1000 / nq;
        const result = {
          offsets: Uint32Array.from({ length: nq + 1 }, (_, i) => i * K),
          docnos: Uint32Array.from(parts.flatMap((p) => [...p.docnos, ...Array<number>(K - p.docnos.length).fill(0xffffffff)])),
          scores: new Float32Array(nq * K),
        };
        const avg = (f: (x: NonNullable<SearchResult['stats']>[number]) => number): string => (parts.reduce((a, p) => a + f(p.stats![0]), 0) / nq).toFixed(0);
        ms.sort((a, b) => a - b);
        const mean = ms.reduce((a, b) => a + b, 0) / nq;
        const pq = (p: number): string => ms[Math.min(nq - 1, Math.floor(p * nq))].toFixed(3);
        console.log(`| ${label} | ${queryCut} | ${heapFactor} | ${recallAtK(truth, result, K).toFixed(3)} | ${mean.toFixed(3)} | ${(nativeMs / nq).toFixed(3)} | ${cpuMs.toFixed(3)} | ${pq(0.5)} | ${pq(0.99)} | ${avg((x) => x.listsVisited)} | ${avg((x) => x.blocksScored)} | ${avg((x) => x.blocksSkipped)} | ${avg((x) => x.docsScored)} |`);
      }
    }
  }
  for (const { seg } of segs) seg.close();
}


await main();
