/**
 * Property-based fuzzing of the HTTP API (fast-check). For every operation in openapi.yaml, bodies
 * are generated from its request schema, then most are mutated (a subtree replaced by arbitrary
 * JSON or an edge value, a key dropped or added, the body cut or sent as the wrong type), with path
 * parameters drawn from live collections, aliases, ids and junk. The real server (in-process, real
 * engine, SQLite and native addon) must never answer 500 (503 back-pressure and 507 disk full are
 * legitimate), never throw out of the request, and a rejected request must leave the collection it
 * addressed exactly as it was (its document count and every known document's stored form).
 *
 * FUZZ_RUNS (default 120) is the number of requests per operation; a failure names the run's seed:
 * FUZZ_SEED=<seed> replays it (FUZZ_LOG=<file> writes every request first, FUZZ_LOG_LEVEL=error shows
 * the server's log of a 500).
 */
import { appendFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../../src/app.js';
import { openApp, tempDir, testConfig } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
/** One seed for the whole run (operation i uses SEED + i): FUZZ_SEED replays a run, earlier operations included. */
const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  body?: Schema;
  /** the body is NDJSON text (one JSON document per line) */
  ndjson?: Schema;
  query: Record<string, Schema>;
}

// ---- JSON Schema → arbitrary (the subset openapi.yaml uses), bounded in size and depth ----

const EDGE_NUMBERS = [0, -0, -1, 1, 0.5, 1e-45, 1e-39, 3.4028235e38, 1e39, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 53), 65535, 65536, 4096, 4097, 10_001];
const EDGE_STRINGS = ['', ' ', 'a', '\u0000', 'é', '🦜', 'x'.repeat(600), '../../etc/passwd', '%00', 'docs', 'NaN', '-1', '{}', '<b>'];

const edgeValue = fc.oneof(
  fc.constantFrom<unknown>(...EDGE_NUMBERS, ...EDGE_STRINGS, null, true, false, [], {}, [[]], { '': null }),
  fc.jsonValue({ maxDepth: 3 }),
);

function filterArb(fields: string[]): fc.Arbitrary<unknown> {
  const field = fc.constantFrom(...fields, 'missing', '');
  const scalar = fc.oneof(fc.constantFrom<unknown>('en', 'de', 2001, 2010, true, false, null), fc.jsonValue({ maxDepth: 1 }));
  const { filter } = fc.letrec((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ field, eq: scalar }),
      fc.record({ field, in: fc.array(scalar, { maxLength: 4 }) }),
      fc.record({ field, range: fc.record({ gt: scalar, gte: scalar, lt: scalar, lte: scalar }, { requiredKeys: [] }) }),
      fc.record({ and: fc.array(tie('filter'), { maxLength: 3 }) }),
      fc.record({ or: fc.array(tie('filter'), { maxLength: 3 }) }),
      fc.record({ not: tie('filter') }),
    ),
  }));
  return filter;
}

function arbitraryOf(schema: Schema, key: string, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant({});
  if (key === 'filter') return filterArb(['lang', 'year', 'draft']);
  if (key === 'metadata') return fc.dictionary(fc.constantFrom('lang', 'year', 'draft', 'x'), fc.oneof(fc.constantFrom<unknown>('en', 'de', 2001, true), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 });
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants) return fc.oneof(...variants.map((v) => arbitraryOf(v, key, depth + 1)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      if (Object.keys(props).length === 0) {
        const extra = schema.additionalProperties;
        const value = typeof extra === 'object' ? arbitraryOf(extra as Schema, key, depth + 1) : fc.jsonValue({ maxDepth: 2 });
        return fc.dictionary(fc.oneof(fc.constantFrom('protein', 'cell', '[UNK]', 'the'), fc.string({ maxLength: 8 })), value, { maxKeys: 5 });
      }
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arbitraryOf(s, k, depth + 1)]));
      return fc.record(model, { requiredKeys: required });
    }
    case 'array': {
      const items = arbitraryOf((schema.items ?? {}) as Schema, key, depth + 1);
      const minLength = Number(schema.minItems ?? 0);
      const array = fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(Number(schema.maxItems ?? 6), 6)) });
      return schema.uniqueItems ? array.map((a) => [...new Set(a)]) : array;
    }
    case 'string': {
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      const minLength = Number(schema.minLength ?? 0);
      const words = fc.constantFrom('protein folding', 'stem cells', 'vaccine', 'gene expression', 'dna');
      return fc.oneof(words, fc.string({ minLength, maxLength: Math.max(minLength, 24) }));
    }
    case 'integer': {
      const min = Number(schema.minimum ?? -5);
      const max = Math.min(Number(schema.maximum ?? min + 2000), min + 100_000);
      return fc.integer({ min, max });
    }
    case 'number': {
      const min = Number(schema.minimum ?? schema.exclusiveMinimum ?? -10);
      const max = Number(schema.maximum ?? 10);
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: schema.exclusiveMinimum !== undefined });
    }
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ---- mutations of a generated value ----

/** Every [container, key] place in a JSON value. */
function places(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (value === null || typeof value !== 'object') return out;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    out.push([value as Record<string, unknown> | unknown[], key]);
    places(v, out);
  }
  return out;
}

type Mutation = { kind: 'replace' | 'drop' | 'add'; at: number; value: unknown; key: string };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'drop', 'add'),
  at: fc.nat(),
  value: edgeValue,
  key: fc.constantFrom('unknown', 'k', 'sparse', 'dense', 'id', '__proto__', 'constructor'),
});

function mutate(value: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(value) as unknown;
  for (const m of mutations) {
    const all = places(copy);
    if (all.length === 0) return m.value;
    const [container, key] = all[m.at % all.length];
    if (m.kind === 'replace') (container as Record<string | number, unknown>)[key] = m.value;
    else if (m.kind === 'drop' && Array.isArray(container)) container.splice(Number(key), 1);
    else if (m.kind === 'drop') delete (container as Record<string, unknown>)[key as string];
    else if (!Array.isArray(container)) Object.defineProperty(container, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** How the body goes on the wire: JSON of the (mutated) value, or broken text, or the wrong type. */
type Wire = { kind: 'json' } | { kind: 'cut'; at: number } | { kind: 'text'; text: string } | { kind: 'type'; type: string };
const wireArb: fc.Arbitrary<Wire> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'json' } as Wire) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', 'null', '[]', '{"a":', '\uFEFF{}', '{"documents":[{"id":"x"}]}{}', '1e999')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('type' as const), type: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data', 'application/json; charset=latin1') }) },
);

// ---- repair: most generated bodies are made valid for their target, so requests reach deep code ----

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A sparse vector the engine accepts: ascending unique ids, positive weights. */
function validSparse(v: unknown): unknown {
  if (!isObject(v) || !Array.isArray(v.indices)) return v;
  const ids = [...new Set((v.indices as number[]).map((i) => Math.abs(Math.trunc(Number(i) || 0)) % 30_000))].sort((a, b) => a - b);
  return { indices: ids.length ? ids : [1], values: (ids.length ? ids : [1]).map((_, i) => 0.1 + Math.abs(Number((v.values as number[] | undefined)?.[i]) || 1) % 5) };
}

/** The target collection's kind: lexical (docs, and what the fuzz creates), hybrid (dense dims 3), vectors (splade, no model). */
function kindOf(name: string | undefined): 'lexical' | 'hybrid' | 'vectors' {
  return name === 'hybrid' || name === 'vectors' ? name : 'lexical';
}

function repairDocument(doc: unknown, kind: ReturnType<typeof kindOf>): unknown {
  if (!isObject(doc)) return doc;
  const out: Json = { ...doc };
  if (kind !== 'hybrid') delete out.dense;
  else if (Array.isArray(out.dense)) out.dense = [0.5, ...out.dense.slice(0, 2).map((x) => Number(x) || 1), 1, 1].slice(0, 3);
  if (kind === 'vectors') out.sparse = validSparse(isObject(out.sparse) && Array.isArray(out.sparse.indices) ? out.sparse : { indices: [3, 7], values: [1, 2] });
  else {
    if (isObject(out.sparse) && !Array.isArray(out.sparse.tokens)) delete out.sparse;
    if (typeof out.text !== 'string' || out.text.trim() === '') out.text = 'protein folding in stem cells';
  }
  return out;
}

function repairSearch(search: unknown, kind: ReturnType<typeof kindOf>): unknown {
  if (!isObject(search)) return search;
  const out: Json = { ...search };
  if (typeof out.k === 'number') out.k = 1 + Math.abs(out.k % 20);
  delete out.offset;
  delete out.searchAfter;
  if (String(out.query ?? '').length % 2 === 0) delete out.filter; // half of the searches unfiltered
  if (isObject(out.sparse)) out.sparse = isObject(out.sparse.tokens) ? { tokens: { protein: 1, cell: 0.5 } } : validSparse(out.sparse);
  if (kind !== 'hybrid') {
    delete out.dense;
    delete out.mode;
    delete out.hybrid;
  } else if (Array.isArray(out.dense)) out.dense = [1, 0.5, 0.25];
  if (kind === 'vectors') {
    delete out.query;
    out.sparse = validSparse(isObject(out.sparse) && Array.isArray(out.sparse.indices) ? out.sparse : { indices: [1, 2000], values: [1, 1] });
  } else if (out.query === undefined && out.sparse === undefined && out.dense === undefined) out.query = 'protein';
  if (typeof out.query === 'string' && out.query.trim() === '') out.query = 'cells';
  return out;
}

function repair(op: Operation, body: unknown, collection: string | undefined, names: string[]): unknown {
  const kind = kindOf(collection);
  if (op.ndjson) return (body as [unknown, Mutation[]][]).map(([d, m]) => [repairDocument(d, kind), m]);
  if (!isObject(body)) return body;
  if (op.path.endsWith('/documents')) return { ...body, documents: ((body.documents ?? []) as unknown[]).map((d) => repairDocument(d, kind)) };
  if (op.path.endsWith('/search')) return repairSearch(body, kind);
  if (op.path.endsWith('/_msearch')) return { ...body, searches: ((body.searches ?? []) as unknown[]).map((q) => repairSearch(q, kind)) };
  if (op.path === '/v1/encode') return { ...body, collection: body.collection === undefined ? undefined : names[String(body.collection).length % names.length] };
  if (op.path === '/v1/aliases/{alias}') return { ...body, collection: names[String(body.collection).length % 3] };
  if (op.path === '/v1/collections/{name}') {
    const out: Json = { ...body };
    if (isObject(out.encoder)) out.encoder = { ...out.encoder, model: undefined };
    if (isObject(out.dense)) out.dense = { ...out.dense, model: undefined };
    return JSON.parse(JSON.stringify(out)) as unknown;
  }
  return body;
}

// ---- the server under test ----

const FIXTURES: Record<string, Schema> = {
  docs: { filterable: { lang: 'keyword', year: 'number', draft: 'boolean' }, durability: 'process' },
  hybrid: { dense: { dims: 3, metric: 'cosine' }, filterable: { lang: 'keyword', year: 'number' }, durability: 'process' },
  vectors: { encoder: { kind: 'splade' }, durability: 'process' },
};
const SEED_DOCS = [
  { id: 'd1', title: 'Proteins', text: 'Protein folding determines the structure of enzymes.', metadata: { lang: 'en', year: 2001, draft: false } },
  { id: 'd2', text: 'Stem cells divide and differentiate.', metadata: { lang: 'de', year: 2005 } },
  { id: 'd3', text: 'Vaccines train the immune system.', metadata: { lang: 'en', year: 2010, draft: true } },
];
const vectorsOf = (docs: typeof SEED_DOCS, name: string) =>
  docs.map((d, i) => ({
    ...d,
    ...(name === 'vectors' ? { sparse: { indices: [i + 1, 100 + i, 2000], values: [1, 0.5, 0.25] } } : {}),
    ...(name === 'hybrid' ? { dense: [1, i + 1, 0.5] } : {}),
  }));

describe('API fuzzing (fast-check, generated from openapi.yaml)', () => {
  let app: FastifyInstance;
  const operations: Operation[] = [];
  /** names a path parameter may take; grows with collections and aliases the fuzz creates */
  const names = [...Object.keys(FIXTURES), 'missing', 'live'];
  /** ids known to be stored somewhere: the fingerprint reads each */
  const ids = new Set(['d1', 'd2', 'd3', 'x']);
  const statuses = new Map<string, Map<string, number>>();

  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir('sparrow-fuzz-'), (c) => {
        c.server.maxBatchDocuments = 50;
        c.server.logLevel = process.env.FUZZ_LOG_LEVEL ?? 'silent';
      }));
    for (const [name, config] of Object.entries(FIXTURES)) {
      const created = await app.inject({ method: 'PUT', url: `/v1/collections/${name}`, payload: config });
      expect(created.statusCode, created.body).toBe(201);
      const stored = await app.inject({ method: 'POST', url: `/v1/collections/${name}/documents`, payload: { documents: vectorsOf(SEED_DOCS, name) } });
      expect(stored.statusCode, stored.body).toBe(200);
    }
    expect((await app.inject({ method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'docs' } })).statusCode).toBe(200);

    const doc = (await SwaggerParser.dereference(OPENAPI_PATH)) as unknown as { paths: Record<string, Record<string, Schema>> };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['get', 'put', 'post', 'delete']) {
        const op = item[method] as Schema | undefined;
        if (!op) continue;
        const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content ?? {};
        const query = Object.fromEntries(
          ((op.parameters ?? []) as { in: string; name: string; schema: Schema }[]).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
        );
        const ndjson = content['application/x-ndjson'] ? (doc as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas.DocumentInput : undefined;
        operations.push({ method: method.toUpperCase(), path, body: content['application/json']?.schema, ndjson, query });
      }
    }
  }, 60_000);
  afterAll(async () => {
    const table = [...statuses].map(([op, counts]) => `${op}: ${[...counts].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
    console.log(`fuzz status counts (${RUNS} per operation):\n${table.join('\n')}`);
    await app?.close();
  });

  /** What a rejected request must not change: a collection's document count and every known document. */
  function fingerprint(name: string): string {
    let collection;
    try {
      collection = app.sparrow.manager.get(name);
    } catch {
      return 'absent';
    }
    // Not `deleted`: a merge left running by an earlier _optimize or _flush task reclaims deletions.
    const { documents } = collection.stats() as { documents: number };
    const docs = [...ids].map((id) => JSON.stringify(collection.get(id) ?? null, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
    return JSON.stringify({ documents, docs });
  }

  function pathOf(op: Operation, pick: { name: number; id: string; alias: number; fresh: string }): { url: string; collection?: string } {
    const destructive = op.method === 'DELETE' && op.path === '/v1/collections/{name}';
    // Dropping the fixtures would leave nothing to fuzz: a drop names a fresh or unknown collection.
    const name = destructive ? pick.fresh : op.method === 'PUT' && op.path === '/v1/collections/{name}' && pick.name % 3 !== 0 ? pick.fresh : names[pick.name % names.length];
    const alias = op.method === 'GET' ? names[pick.alias % names.length] : pick.alias % 2 === 0 ? 'live' : `al-${pick.fresh}`;
    const url = op.path
      .replace('{name}', encodeURIComponent(name))
      .replace('{id}', encodeURIComponent(pick.id))
      .replace('{alias}', encodeURIComponent(alias))
      .replace(/\{\w+\}/g, () => encodeURIComponent(pick.id)); // any other parameter (a file name, ...)
    return { url, collection: op.path.includes('{name}') ? name : undefined };
  }

  it('answers every generated and mutated request without a 500, and a rejection changes nothing', async () => {
    expect(operations.length).toBeGreaterThan(15);
    for (const [index, op] of operations.entries()) {
      const label = `${op.method} ${op.path}`;
      const counts = new Map<string, number>();
      statuses.set(label, counts);
      const bodyArb: fc.Arbitrary<unknown> = op.ndjson
        ? fc.array(fc.tuple(arbitraryOf(op.ndjson, 'document'), fc.array(mutationArb, { maxLength: 1 })), { maxLength: 6 })
        : op.body
          ? arbitraryOf(op.body, 'body')
          : fc.constant(undefined);
      const requestArb = fc.record({
        body: bodyArb,
        mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) }),
        repaired: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
        wire: wireArb,
        query: fc.record(Object.fromEntries(Object.entries(op.query).map(([k, s]) => [k, fc.oneof(arbitraryOf(s, k), fc.string({ maxLength: 10 }))])), { requiredKeys: [] }),
        pick: fc.record({
          name: fc.nat(),
          id: fc.oneof(fc.constantFrom('d1', 'd2', 'd3', 'x', '', 'app.js', 'style.css', 'index.html', '..%2F..%2Fpackage.json', '.env'), fc.string({ maxLength: 12 })),
          alias: fc.nat(),
          fresh: fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/).map((s) => `fz-${s}`),
        }),
      });
      await fc.assert(
        fc.asyncProperty(requestArb, async ({ body: generated, mutations, repaired, wire, query, pick }) => {
          const { url, collection } = pathOf(op, pick);
          const body = repaired ? repair(op, generated, collection, names) : generated;
          const request: InjectOptions = { method: op.method as InjectOptions['method'], url, query: query as Record<string, string> };
          if (op.ndjson) {
            const lines = (body as [unknown, Mutation[]][]).map(([d, m]) => JSON.stringify(mutate(d, m)) ?? '');
            request.payload = wire.kind === 'text' ? wire.text : lines.join('\n');
            request.headers = { 'content-type': wire.kind === 'type' ? wire.type : 'application/x-ndjson' };
            for (const [d] of body as [unknown, Mutation[]][]) if (isObject(d) && typeof d.id === 'string') ids.add(d.id);
          } else if (op.body || wire.kind !== 'json') {
            const value = mutations.length > 0 && op.body ? mutate(body, mutations) : body;
            const text = JSON.stringify(value) ?? '';
            request.payload = wire.kind === 'cut' ? text.slice(0, wire.at % (text.length + 1)) : wire.kind === 'text' ? wire.text : text;
            request.headers = { 'content-type': wire.kind === 'type' ? wire.type : 'application/json' };
            const documents = isObject(value) && Array.isArray(value.documents) ? (value.documents as unknown[]) : [];
            for (const d of documents) if (isObject(d) && typeof d.id === 'string') ids.add(d.id);
          }
          const before = collection === undefined ? undefined : fingerprint(collection);
          // FUZZ_LOG=file: each request is written before it is sent (a crash leaves its cause last).
          if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `${JSON.stringify({ method: request.method, url, query, headers: request.headers, payload: request.payload })}\n`);
          const res = await app.inject(request);
          const outcome = res.statusCode < 400 ? String(res.statusCode) : `${res.statusCode} ${(JSON.parse(res.body) as { code?: string }).code}`;
          counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
          if (process.env.FUZZ_DEBUG && label.includes(process.env.FUZZ_DEBUG) && res.statusCode >= 400) console.log(repaired, mutations.length, res.body.slice(0, 200));
          const where = `FUZZ_SEED=${SEED}: ${op.method} ${url} ${String(request.payload ?? '').slice(0, 400)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode >= 500 && res.statusCode !== 503 && res.statusCode !== 507, where).toBe(false);
          if (res.statusCode >= 400) {
            expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
            expect(JSON.parse(res.body).code, where).toMatch(/^[A-Z_]+$/);
            if (collection !== undefined && op.method !== 'GET') expect(fingerprint(collection), `rejected request changed ${collection}: ${where}`).toBe(before);
          } else if (op.method === 'PUT' && collection !== undefined && !names.includes(collection)) {
            names.push(collection); // a created collection joins the pool for the other routes
          } else if (op.method === 'PUT' && op.path === '/v1/aliases/{alias}') {
            const alias = decodeURIComponent(url.split('/').pop() as string);
            if (!names.includes(alias)) names.push(alias);
          }
        }),
        { numRuns: RUNS, seed: SEED + index, endOnFailure: true, examples: [] },
      );
    }
  }, 300_000);
});
