/**
 * One-off: a Seismic segment at the default build parameters on one data set: bytes per non-zero by
 * section, kept share, build seconds, the recall of exact search over the stored (binary16) weights
 * against float32 exact search, and recall@k / documents scored / CPU time of a few query settings
 * on the `report` half of the queries (odd lines; `tune` = even lines chose the defaults).
 *
 *   npx tsx scripts/seismic-footprint.ts --docs-file F --queries-file F [--half report] [--settings 10:0.5,10:0.3]
 *   npx tsx scripts/seismic-footprint.ts --docs 100000 (synthetic, report queries)
 *   [--params '{"summaryCap":2}']   build parameters over DEFAULT_SEISMIC_PARAMS
 *
 * Latency here is CPU time per query on one thread (process.cpuUsage around searchSync), less
 * disturbed than wall time on a shared machine.
 */
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../src/core/types.js';
import { buildSeismic, createForwardIndex, DEFAULT_SEISMIC_PARAMS, setSearchThreads } from '../src/index/native.js';
import type { SearchResult } from '../src/index/native-types.js';
import { recallAtK } from '../test/bench/recall.js';
import { everyOtherRow } from '../test/bench/csr-builder.js';
import { generateDocs, generateQueries, readSparseJsonl } from '../test/bench/synthetic.js';

const { values: args } = parseArgs({
  options: {
    'docs-file': { type: 'string' },
    'queries-file': { type: 'string' },
    docs: { type: 'string', default: '100000' },
    half: { type: 'string', default: 'report' },
    settings: { type: 'string', default: '10:0.5,10:0.3,0:0.3' },
    threads: { type: 'string', default: '2' },
    params: { type: 'string', default: '{}' },
  },
});


async function load(): Promise<{ docs: CsrBatch; queries: CsrBatch; name: string }> {
  if (args['docs-file'] && args['queries-file']) {
    const docs = (await readSparseJsonl(args['docs-file'])).rows;
    const queries = everyOtherRow((await readSparseJsonl(args['queries-file'])).rows, args.half === 'tune' ? 0 : 1);
    return { docs, queries, name: `${args['docs-file']} (${args.half} queries)` };
  }
  const n = Number(args.docs);
  return { docs: generateDocs(n), queries: generateQueries(500, { set: 'report' }), name: `synthetic ${n} (report queries)` };
}

function one(b: CsrBatch, q: number): CsrBatch {
  const s = b.indptr[q];
  const e = b.indptr[q + 1];
  return { indptr: Uint32Array.of(0, e - s), indices: b.indices.subarray(s, e), values: b.values.subarray(s, e) };
}

async function main(): Promise<void> {
  const { docs, queries, name } = await load();
  const nd = docs.indptr.length - 1;
  const nq = queries.indptr.length - 1;
  const nnz = docs.indices.length;
  const t0 = performance.now();
  const params = { ...DEFAULT_SEISMIC_PARAMS, ...(JSON.parse(args.params) as Partial<typeof DEFAULT_SEISMIC_PARAMS>) };
  const seg = await buildSeismic(docs, Uint32Array.from({ length: nd }, (_, i) => i), params, { threads: Number(args.threads) });
  const buildS = (performance.now() - t0) / 1000;
  const sec = seg.sections;
  const per = (x: number): string => (x / nnz).toFixed(2);
  const total = Object.values(sec).reduce((a, b) => a + b, 0);
  console.log(`${name}: ${nd} docs, ${nnz} nnz (${(nnz / nd).toFixed(1)}/doc), ${nq} queries; layout ${seg.layout}; build ${buildS.toFixed(1)} s; kept ${((100 * seg.postings) / nnz).toFixed(1)}% of postings`);
  console.log('| B/nnz: forward ids | forward values | forward other | postings | blocks | summaries | knn | total |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(`| ${per(sec.forwardIds)} | ${per(sec.forwardValues)} | ${per(sec.forwardOther)} | ${per(sec.postings)} | ${per(sec.blocks)} | ${per(sec.summaries)} | ${per(sec.knn)} | ${per(total)} |`);

  setSearchThreads(2);
  const f32 = createForwardIndex(docs, Uint32Array.from({ length: nd }, (_, i) => i));
  for (const k of [10, 100]) {
    const truth32 = await f32.searchExact(queries, { k });
    const stored = await seg.searchExact(queries, { k });
    console.log(`k=${k}: recall@${k} of exact over stored binary16 weights vs float32 exact: ${recallAtK(truth32, stored, k).toFixed(4)}`);
    setSearchThreads(1);
    console.log(`| k | queryCut | heapFactor | recall@${k} vs exact (stored) | docs scored | CPU ms/query |`);
    console.log('|---|---|---|---|---|---|');
    for (const s of args.settings.split(',')) {
      const [queryCut, heapFactor] = s.split(':').map(Number);
      const parts: SearchResult[] = [];
      let scored = 0;
      const c0 = process.cpuUsage();
      for (let q = 0; q < nq; q++) {
        const r = seg.searchSync(one(queries, q), { k, queryCut, heapFactor, stats: true });
        scored += r.stats![0].docsScored;
        parts.push(r);
      }
      const cpu = process.cpuUsage(c0);
      const offsets = new Uint32Array(nq + 1);
      parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.docnos.length));
      const result = { offsets, docnos: Uint32Array.from(parts.flatMap((p) => [...p.docnos])), scores: new Float32Array(offsets[nq]) };
      console.log(`| ${k} | ${queryCut} | ${heapFactor} | ${recallAtK(stored, result, k).toFixed(3)} | ${(scored / nq).toFixed(0)} | ${((cpu.user + cpu.system) / 1000 / nq).toFixed(3)} |`);
    }
    setSearchThreads(2);
  }
  seg.close();
  f32.close();
}

await main();
