/**
 * `sparrow export --format opensearch`: the files are checked against the JSON shapes of
 * OpenSearch 3.3's documentation (sparse_vector field type, neural sparse ANN search, _bulk,
 * neural_sparse query; schemas below transcribe those pages). No OpenSearch cluster runs here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportOpenSearch } from '../../src/cli/export-command.js';
import { DEFAULT_INDEX } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { runCli } from '../cli/helpers.js';
import { TINY_MODEL } from '../encode/corpus.js';

// docs.opensearch.org/3.3/mappings/supported-field-types/sparse-vector: method.parameters and their ranges
const SeismicParameters = Type.Object(
  {
    n_postings: Type.Integer({ exclusiveMinimum: 0 }),
    cluster_ratio: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    summary_prune_ratio: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    approximate_threshold: Type.Integer({ minimum: 0 }),
    quantization_ceiling_search: Type.Number({ exclusiveMinimum: 0 }),
    quantization_ceiling_ingest: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);
const IndexBody = Type.Object({
  settings: Type.Object({ index: Type.Object({ sparse: Type.Literal(true) }) }),
  mappings: Type.Object({
    properties: Type.Record(
      Type.String(),
      Type.Union([
        Type.Object({ type: Type.Literal('sparse_vector'), method: Type.Object({ name: Type.Literal('seismic'), parameters: SeismicParameters }, { additionalProperties: false }) }),
        Type.Object({ type: Type.Literal('text') }),
        Type.Object({
          type: Type.Literal('object'),
          dynamic: Type.Boolean(),
          properties: Type.Record(Type.String(), Type.Object({ type: Type.Union([Type.Literal('keyword'), Type.Literal('double'), Type.Literal('boolean')]) })),
        }),
      ]),
    ),
  }),
});
// a sparse_vector value: token (here a token id as a string) -> positive float
const SparseValue = Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.Number({ exclusiveMinimum: 0 }));
// _bulk: an action line, then the source
const BulkAction = Type.Object({ index: Type.Object({ _index: Type.String(), _id: Type.String() }, { additionalProperties: false }) }, { additionalProperties: false });
const BulkSource = Type.Object({ sparse_embedding: SparseValue, title: Type.Optional(Type.String()), text: Type.Optional(Type.String()), metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false });
// docs.opensearch.org/3.3 neural sparse ANN search: query with raw vectors
const QueryBody = Type.Object({
  query: Type.Object({
    neural_sparse: Type.Record(
      Type.String(),
      Type.Object(
        {
          query_tokens: SparseValue,
          method_parameters: Type.Object({ k: Type.Integer({ minimum: 1 }), top_n: Type.Integer({ minimum: 1 }), heap_factor: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
        },
        { additionalProperties: false },
      ),
    ),
  }),
});

function check(schema: TSchema, value: unknown, what: string): void {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`);
  expect(errors, what).toEqual([]);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-export-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withCollection(config: Parameters<EngineManager['create']>[1], docs: Parameters<Awaited<ReturnType<EngineManager['create']>>['upsert']>[0]) {
  const manager = await EngineManager.open({ dataDir: path.join(dir, 'data'), encoderFor: (c, cpu) => createEncoder(c.encoder, cpu) });
  try {
    const c = await manager.create('papers', config);
    await c.upsert(docs);
    await c.flush();
    return new Map(docs.map((d) => [d.id, c.get(d.id)!.sparse]));
  } finally {
    await manager.close();
    await closeEncoderPool();
  }
}

describe('sparrow export --format opensearch', () => {
  it('writes an index body, _bulk files and a query in the shapes of the OpenSearch 3.3 documentation', async () => {
    const docs = Array.from({ length: 25 }, (_, i) => ({
      id: `p${i}`,
      title: `paper ${i}`,
      text: `cancer cells gene expression study ${i} blood risk`,
      metadata: { year: 2000 + i, kind: i % 2 ? 'trial' : 'review', open: i % 3 === 0, note: 'not filterable' },
    }));
    const seismic = { ...DEFAULT_INDEX.seismic, centroidFraction: 0.15, summaryEnergy: 0.5 };
    const stored = await withCollection(
      { encoder: { kind: 'splade', model: TINY_MODEL }, filterable: { year: 'number', kind: 'keyword', open: 'boolean' }, index: { ...DEFAULT_INDEX, seismic } },
      docs,
    );
    const out = path.join(dir, 'os');
    const res = await runCli(['export', '--collection', 'papers', '--format', 'opensearch', '--out', out, '--data-dir', path.join(dir, 'data'), '--per-file', '10']);
    expect(res.code, res.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['README.md', 'bulk-00001.ndjson', 'bulk-00002.ndjson', 'bulk-00003.ndjson', 'index.json', 'query-example.json']);

    const body = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8'));
    check(IndexBody, body, 'index.json');
    const params = body.mappings.properties.sparse_embedding.method.parameters;
    expect(params).toMatchObject({ cluster_ratio: 0.15, summary_prune_ratio: 0.5, approximate_threshold: DEFAULT_INDEX.mutableMaxDocs, quantization_ceiling_search: 16 });
    expect(body.mappings.properties.metadata.properties).toEqual({ year: { type: 'double' }, kind: { type: 'keyword' }, open: { type: 'boolean' } });

    let seen = 0;
    for (const file of ['bulk-00001.ndjson', 'bulk-00002.ndjson', 'bulk-00003.ndjson']) {
      const lines = fs.readFileSync(path.join(out, file), 'utf8').split('\n');
      expect(lines.pop()).toBe(''); // NDJSON ends with a newline
      expect(lines.length % 2).toBe(0);
      for (let i = 0; i < lines.length; i += 2) {
        const action = JSON.parse(lines[i]);
        const source = JSON.parse(lines[i + 1]);
        check(BulkAction, action, `${file}:${i + 1}`);
        check(BulkSource, source, `${file}:${i + 2}`);
        const vector = stored.get(action.index._id)!;
        expect(Object.keys(source.sparse_embedding).map(Number)).toEqual([...vector.indices]);
        expect(Object.values(source.sparse_embedding).map((v) => Math.fround(v as number))).toEqual([...vector.values]);
        seen++;
      }
    }
    expect(seen).toBe(25);
    check(QueryBody, JSON.parse(fs.readFileSync(path.join(out, 'query-example.json'), 'utf8')), 'query-example.json');
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/no OpenSearch cluster was run/);
  });

  it('refuses a lexical collection with a clear error', async () => {
    await withCollection({ encoder: { kind: 'lexical' } }, [{ id: 'a', text: 'hello world' }]);
    await expect(exportOpenSearch({ dataDir: path.join(dir, 'data'), collection: 'papers', out: path.join(dir, 'os') })).rejects.toThrow(/is lexical/);
    await expect(exportOpenSearch({ dataDir: path.join(dir, 'data'), collection: 'nope', out: path.join(dir, 'os') })).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
  });
});
