/**
 * Chooses the lexical analyzer: nDCG@10 (trec_eval definition, src/core/metrics.ts) on BEIR
 * SciFact test with BM25 fixed up front (k1 = 1.2, b = 0.75, Lucene IDF), exact search over the
 * whole corpus with a small pure-TS scorer. Documents are title + " " + text.
 * Run: npx tsx scripts/choose-analyzer.ts [beir-dir]   (default index-data/samples/scifact)
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate, type Qrels, type Run } from '../src/core/metrics.js';
import { ANALYZERS } from '../src/encoder/analyzer.js';
import { BM25_PARAMS, bm25DocumentWeights, bm25QueryVector } from '../src/encoder/bm25.js';
import { analyzeToIds, encodeLexicalDocument } from '../src/encoder/lexical-document.js';

const dir = process.argv[2] ?? 'index-data/samples/scifact';
const readJsonl = <T>(file: string): T[] =>
  fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
const corpus = readJsonl<{ _id: string; title: string; text: string }>(path.join(dir, 'corpus.jsonl'));
const queries = new Map(readJsonl<{ _id: string; text: string }>(path.join(dir, 'queries.jsonl')).map((q) => [q._id, q.text]));
const qrels: Qrels = new Map();
for (const line of fs.readFileSync(path.join(dir, 'qrels', 'test.tsv'), 'utf8').split('\n').slice(1)) {
  const [qid, docId, grade] = line.split('\t');
  if (qid === undefined || docId === undefined || grade === undefined) continue;
  if (!qrels.has(qid)) qrels.set(qid, new Map());
  qrels.get(qid)?.set(docId, Number(grade));
}

console.log(`SciFact: ${corpus.length} documents, ${qrels.size} test queries; BM25 k1=${BM25_PARAMS.k1} b=${BM25_PARAMS.b}\n`);
console.log('| analyzer | nDCG@10 | Recall@100 | MRR@10 | distinct terms |');
console.log('|---|---|---|---|---|');
for (const analyzer of Object.values(ANALYZERS)) {
  const docs = corpus.map((d) => encodeLexicalDocument(analyzer, `${d.title} ${d.text}`));
  const avgdl = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  const df = new Map<number, number>();
  const postings = new Map<number, Array<[number, number]>>();
  docs.forEach((d, docno) => {
    const w = bm25DocumentWeights(d.vector, d.length, avgdl);
    w.indices.forEach((term, i) => {
      df.set(term, (df.get(term) ?? 0) + 1);
      let list = postings.get(term);
      if (list === undefined) postings.set(term, (list = []));
      list.push([docno, w.values[i]]);
    });
  });
  const stats = { numDocs: docs.length, avgDocLength: avgdl, docFreq: (t: number) => df.get(t) ?? 0 };
  const run: Run = new Map();
  for (const qid of qrels.keys()) {
    const q = bm25QueryVector(analyzeToIds(analyzer, queries.get(qid) ?? '').ids, stats);
    const scores = new Map<number, number>();
    q.indices.forEach((term, i) => {
      for (const [docno, w] of postings.get(term) ?? []) scores.set(docno, (scores.get(docno) ?? 0) + q.values[i] * w);
    });
    const top = [...scores].sort((a, b) => b[1] - a[1]).slice(0, 1000);
    run.set(qid, top.map(([docno, score]) => ({ docId: corpus[docno]._id, score })));
  }
  const m = evaluate(run, qrels).mean;
  console.log(`| ${analyzer.name} | ${m.ndcg_at_10.toFixed(4)} | ${m.recall_at_100.toFixed(4)} | ${m.mrr_at_10.toFixed(4)} | ${postings.size} |`);
}
