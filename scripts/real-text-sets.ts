/**
 * One-off: writes real-text sparse data sets for tuning the Seismic build defaults, as JSONL files
 * `{id, indices, values}` that `npm run bench:index -- --docs-file … --queries-file …` and
 * scripts/seismic-tune.ts read. Reads ../shared (/work/shared/datasets); says so and skips a set
 * when its source is absent. The MS MARCO vectors are non-commercial: the output stays in --out
 * (a temporary directory), never in the repository.
 *
 *   npx tsx scripts/real-text-sets.ts [--shared /work/shared/datasets] [--out /tmp/sparrow-real]
 *
 * Sets (each query file is split by the readers into tune = even lines, report = odd lines):
 *   scifact-lex        SciFact abstracts (title + text) as BM25 vectors of the lexical encoder
 *                      (porter2, murmur3 ids), avgdl of the corpus; the 1,109 claims as BM25
 *                      queries (Lucene IDF over the corpus).
 *   scifact-sent-lex   every sentence of every SciFact abstract as a document (BM25 as above);
 *                      the same claims.
 *   msmarco-splade     SPLADE++ ED vectors of 5,980 MS MARCO dev queries as documents, queried
 *                      with the SPLADE-v3 vectors of the other 1,000 queries (real query vectors
 *                      used as documents: there are no real SPLADE document vectors here).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { getAnalyzer } from '../src/encoder/analyzer.js';
import { bm25DocumentWeights, bm25QueryVector } from '../src/encoder/bm25.js';
import { analyzeToIds, encodeLexicalDocument } from '../src/encoder/lexical-document.js';
import type { SparseVector, TermId } from '../src/core/types.js';

const { values: args } = parseArgs({
  options: {
    shared: { type: 'string', default: '/work/shared/datasets' },
    out: { type: 'string', default: '/tmp/sparrow-real' },
  },
});
fs.mkdirSync(args.out, { recursive: true });

function writeJsonl(file: string, rows: Array<{ id: string; v: SparseVector }>): void {
  const lines = rows.map((r) => JSON.stringify({ id: r.id, indices: [...r.v.indices], values: [...r.v.values].map((x) => Math.fround(x)) }));
  fs.writeFileSync(path.join(args.out, file), lines.join('\n') + '\n');
  console.log(`${file}: ${rows.length} rows, ${rows.reduce((n, r) => n + r.v.indices.length, 0)} nnz`);
}

async function readLines(file: string): Promise<string[]> {
  const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file);
  const out: string[] = [];
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) if (line.trim() !== '') out.push(line);
  return out;
}

/** BM25 documents and queries over `texts` (lexical encoder, collection statistics of `texts`). */
function lexicalSet(name: string, docs: Array<{ id: string; text: string }>, queries: Array<{ id: string; text: string }>): void {
  const analyzer = getAnalyzer();
  const encoded = docs.map((d) => encodeLexicalDocument(analyzer, d.text));
  const df = new Map<TermId, number>();
  let total = 0;
  for (const e of encoded) {
    total += e.length;
    for (const t of e.vector.indices) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const avgdl = total / Math.max(1, encoded.length);
  const stats = { numDocs: encoded.length, avgDocLength: avgdl, docFreq: (t: TermId) => df.get(t) ?? 0 };
  writeJsonl(`${name}.docs.jsonl`, encoded.map((e, i) => ({ id: docs[i].id, v: bm25DocumentWeights(e.vector, e.length, avgdl) })));
  const q = queries.map((x) => ({ id: x.id, v: bm25QueryVector(analyzeToIds(analyzer, x.text).ids, stats) })).filter((x) => x.v.indices.length > 0);
  writeJsonl(`${name}.queries.jsonl`, q);
}

async function scifact(): Promise<void> {
  const dir = path.join(args.shared, 'beir-scifact');
  if (!fs.existsSync(dir)) return void console.log(`skipped SciFact: ${dir} is absent`);
  const corpus = (await readLines(path.join(dir, 'corpus.jsonl'))).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
  const claims = (await readLines(path.join(dir, 'queries.jsonl'))).map((l) => JSON.parse(l) as { _id: string; text: string });
  const queries = claims.map((c) => ({ id: c._id, text: c.text }));
  lexicalSet('scifact-lex', corpus.map((d) => ({ id: d._id, text: `${d.title} ${d.text}` })), queries);
  const sentences = corpus.flatMap((d) =>
    `${d.title}. ${d.text}`
      .split(/(?<=[.!?])\s+(?=[A-Z0-9])/)
      .filter((s) => s.trim().length > 20)
      .map((s, i) => ({ id: `${d._id}:${i}`, text: s })),
  );
  lexicalSet('scifact-sent-lex', sentences, queries);
}

/** Anserini impact format: `id \t token token …`, a token repeated N times has weight N. */
async function impactVectors(file: string, vocab: Map<string, number>): Promise<Array<{ id: string; v: SparseVector }>> {
  return (await readLines(file)).map((line) => {
    const [id, body = ''] = line.split('\t');
    const counts = new Map<number, number>();
    for (const tok of body.split(' ')) {
      const t = vocab.get(tok);
      if (t !== undefined) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const entries = [...counts].sort((a, b) => a[0] - b[0]);
    return { id, v: { indices: Uint32Array.from(entries.map((e) => e[0])), values: Float32Array.from(entries.map((e) => e[1])) } };
  });
}

async function msmarco(): Promise<void> {
  const dir = path.join(args.shared, 'msmarco-splade-encoded-queries');
  const vocabFile = path.join(args.shared, 'bert-base-uncased', 'vocab.txt');
  if (!fs.existsSync(dir) || !fs.existsSync(vocabFile)) return void console.log(`skipped MS MARCO: ${dir} or ${vocabFile} is absent`);
  const vocab = new Map(fs.readFileSync(vocabFile, 'utf8').split('\n').map((t, i) => [t, i] as [string, number]));
  const pp = await impactVectors(path.join(dir, 'topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz'), vocab);
  const v3 = await impactVectors(path.join(dir, 'topics.msmarco-passage.dev-subset.splade-v3.tsv.gz'), vocab);
  const byId = new Map(v3.map((r) => [r.id, r]));
  const held = pp.slice(pp.length - 1000).map((r) => byId.get(r.id)).filter((r) => r !== undefined && r.v.indices.length > 0);
  writeJsonl('msmarco-splade.docs.jsonl', pp.slice(0, pp.length - 1000));
  writeJsonl('msmarco-splade.queries.jsonl', held as Array<{ id: string; v: SparseVector }>);
}

await scifact();
await msmarco();
