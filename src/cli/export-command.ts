/**
 * `sparrow export --collection NAME --format opensearch --out DIR`: a collection's documents and
 * vectors as an OpenSearch 3.3 index (index.json: settings and mappings; bulk-NNNNN.ndjson: `_bulk`
 * bodies; query-example.json: a neural_sparse query; README.md: the commands). Reads the
 * collection's SQLite store directly (WAL readers do not block a running server).
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveCollectionConfig } from '../engine/collection-config.js';
import { DB_FILE } from '../engine/write/open-collection.js';
import type { CollectionConfig } from '../engine/types.js';
import { AppError } from '../errors.js';
import { bulkLines, indexBody, OPENSEARCH_VERSION, queryBody, seismicMethod, type CorpusShape } from '../export/opensearch.js';
import { CollectionStore, type DocumentRow } from '../store/collection-store.js';

export interface ExportOptions {
  dataDir: string;
  collection: string;
  out: string;
  /** documents per bulk file */
  perFile?: number;
}

export interface ExportSummary {
  documents: number;
  files: string[];
  shape: CorpusShape;
}

const CHUNK = 1_000;

function* rows(store: CollectionStore): Generator<DocumentRow> {
  for (let from = 0; ; ) {
    const chunk = store.rowsInRange(from, 0xffffffff, CHUNK);
    if (chunk.length === 0) return;
    yield* chunk;
    from = chunk[chunk.length - 1].docno + 1;
  }
}

function shapeOf(store: CollectionStore): CorpusShape {
  const df = new Map<number, number>();
  let documents = 0;
  let nnz = 0;
  let maxWeight = 0;
  for (const row of rows(store)) {
    documents++;
    nnz += row.vector.indices.length;
    for (let i = 0; i < row.vector.indices.length; i++) {
      df.set(row.vector.indices[i], (df.get(row.vector.indices[i]) ?? 0) + 1);
      if (row.vector.values[i] > maxWeight) maxWeight = row.vector.values[i];
    }
  }
  let longestList = 0;
  for (const n of df.values()) longestList = Math.max(longestList, n);
  return { documents, nnz, lists: df.size, longestList, maxWeight };
}

export async function exportOpenSearch(o: ExportOptions): Promise<ExportSummary> {
  const db = path.join(o.dataDir, o.collection, DB_FILE);
  if (!fs.existsSync(db)) throw new AppError('COLLECTION_NOT_FOUND', `collection ${o.collection} not found in ${o.dataDir} (no ${db})`);
  const store = new CollectionStore(db, 'process');
  try {
    const raw = store.getMeta('config');
    if (raw === undefined) throw new AppError('INVALID_CONFIG', `${db} has no collection config`);
    const config: CollectionConfig = resolveCollectionConfig(JSON.parse(raw) as Partial<CollectionConfig>);
    if (config.encoder.kind === 'lexical') {
      throw new AppError('INVALID_CONFIG', `collection ${o.collection} is lexical (BM25 term frequencies, hashed term ids): OpenSearch indexes its text with a text field; export --format opensearch is for SPLADE collections`);
    }
    fs.mkdirSync(o.out, { recursive: true });
    const shape = shapeOf(store);
    const files: string[] = [];
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(o.out, name), text);
      files.push(name);
    };
    write('index.json', `${JSON.stringify(indexBody(config, shape), null, 2)}\n`);
    const perFile = o.perFile ?? 10_000;
    let buffer = '';
    let inFile = 0;
    let firstVector: DocumentRow['vector'] | undefined;
    const flush = () => {
      if (inFile === 0) return;
      write(`bulk-${String(files.filter((f) => f.startsWith('bulk-')).length + 1).padStart(5, '0')}.ndjson`, buffer);
      buffer = '';
      inFile = 0;
    };
    for (const row of rows(store)) {
      firstVector ??= row.vector;
      buffer += bulkLines(o.collection, { id: row.id, title: row.title, text: row.text, metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as Record<string, unknown>), vector: row.vector });
      if (++inFile >= perFile) flush();
    }
    flush();
    // an example query: the five heaviest terms of the first document stand in for a query vector
    const example: Record<string, number> = {};
    if (firstVector) {
      const order = [...firstVector.indices.keys()].sort((a, b) => firstVector!.values[b] - firstVector!.values[a]).slice(0, 5);
      for (const i of order) example[String(firstVector.indices[i])] = Number(firstVector.values[i].toPrecision(6));
    }
    write('query-example.json', `${JSON.stringify(queryBody(example, { k: 10, queryCut: 10, heapFactor: 0.9 }), null, 2)}\n`);
    write('README.md', readme(o.collection, files, seismicMethod(config, shape).parameters));
    return { documents: shape.documents, files, shape };
  } finally {
    store.close();
  }
}

function readme(index: string, files: string[], params: Record<string, number>): string {
  const bulk = files.filter((f) => f.startsWith('bulk-'));
  return `# Collection ${index} for OpenSearch ${OPENSEARCH_VERSION}

Written by \`sparrow export --format opensearch\`. Made for OpenSearch ${OPENSEARCH_VERSION} (sparse_vector
with the seismic method); no OpenSearch cluster was run to check it: the files follow the shapes of
OpenSearch's documentation.

    curl -XPUT "$OS/${index}" -H 'content-type: application/json' --data-binary @index.json
${bulk.map((f) => `    curl -XPOST "$OS/_bulk" -H 'content-type: application/x-ndjson' --data-binary @${f}`).join('\n')}
    curl -XPOST "$OS/${index}/_forcemerge?max_num_segments=1"
    curl -XGET "$OS/${index}/_search" -H 'content-type: application/json' --data-binary @query-example.json

Seismic parameters: ${JSON.stringify(params)}.
Queries: \`sparrow encode --model DIR --input queries.jsonl --output q.jsonl --side query\` gives
{id, indices, values}; \`query_tokens\` is {"<index>": <value>, ...} of one line. In
\`method_parameters\`, top_n is our queryCut and heap_factor is 1 / our heapFactor.
`;
}
