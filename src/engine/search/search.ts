/**
 * Search over one snapshot of a collection (a Searcher, searcher.ts): the request is validated and
 * its query encoded, then the searcher is acquired, the sparse top-k taken over every segment (one
 * native call for all sealed segments), optionally fused with the dense side, and the hits' stored
 * fields read; the searcher is released when the response is built.
 */
import type { SideScore } from '../../core/fusion.js';
import type { DocNo, Hit, SparseVector } from '../../core/types.js';
import { AppError } from '../../errors.js';
import type { QueryStats } from '../../index/native-types.js';
import type { CollectionStore, DocumentRow, HitFields } from '../../store/collection-store.js';
import type { SparseEncoder } from '../../encoder/types.js';
import type { DenseEncoder } from '../../encoder/dense.js';
import type { RecentQueries } from '../../store/recent-queries.js';
import { bm25DocWeight } from '../scoring/bm25.js';
import type { CollectionConfig } from '../types.js';
import type { LiveCorpusStats } from '../scoring/corpus-stats.js';
import type { DenseField } from '../segments/dense-field.js';
import type { FilterIndex } from '../segments/filter-index.js';
import type { DenseFilterCache } from '../segments/dense-filter.js';
import type { SnapshotFilter } from './snapshot-filter.js';
import { denseSearch, hybridSearch, type HybridResult } from './hybrid.js';
import { checkPage, pageHits } from './paging.js';
import { AttributionCache, attributeExpansions, type AttributionDocument } from '../../highlight/attribution.js';
import type { Highlight } from '../../highlight/highlight.js';
import { highlightHit } from '../../highlight/hit.js';

type AttributionItem = { doc: AttributionDocument; highlight: Highlight };
const attributionCaches = new WeakMap<SearchSource, AttributionCache>();

/** One attribution cache per open collection (its rows' docno and seq name a stored version). */
function attributionCacheOf(c: SearchSource): AttributionCache {
  let cache = attributionCaches.get(c);
  if (cache === undefined) attributionCaches.set(c, (cache = new AttributionCache()));
  return cache;
}
import { Searcher, type SegmentSource } from './searcher.js';
import { parseSparseInput } from '../write/sparse-input.js';
import { settingsFrom } from '../scoring/calibrate.js';
import type { RecallMonitor } from './recall-monitor.js';
import type { EncodedTerm, ExplainTerm, SearchHit, SearchRequest, SearchResponse, SegmentSearchSettings } from '../types.js';

/** What search needs of a collection (EngineCollection implements it; no import of the write path). */
export interface SearchSource extends SegmentSource {
  readonly config: CollectionConfig;
  readonly store: CollectionStore;
  readonly corpus: LiveCorpusStats;
  readonly filters: FilterIndex;
  /** the dense side's filters: docno sets cached per filter */
  readonly denseFilters: DenseFilterCache;
  readonly encoder: SparseEncoder | undefined;
  readonly dense?: DenseField;
  readonly denseEncoder?: DenseEncoder;
  /** the recent-query sample new segments calibrate on */
  readonly recent?: RecentQueries;
  /** re-runs a sample of default searches exactly (recall@k) */
  readonly monitor: RecallMonitor;
  tokenToId(token: string): number | undefined;
  tokenOf(id: number): string;
}

export const MAX_K = 10_000;
/** The largest queryCut the native search takes (native/src/multi_search_glue.cc); any larger cut keeps every term anyway. */
export const MAX_QUERY_CUT = 1 << 20;
const INCLUDES = new Set(['text', 'metadata', 'explain', 'highlight']);

export async function searchCollection(c: SearchSource, req: SearchRequest): Promise<SearchResponse> {
  const started = performance.now();
  const { k, mode } = checkRequest(c, req);
  const embedQuery = req.dense === undefined && c.denseEncoder && typeof req.query === 'string' && req.query.trim() !== '';
  const denseVector = mode === 'sparse' ? undefined : c.dense!.queryVector(embedQuery ? await c.denseEncoder!.embedQuery(req.query!) : req.dense);
  const encoded = mode === 'dense' ? undefined : queryVector(c, req);
  const query = encoded instanceof Promise ? await encoded : encoded; // a given vector is not awaited
  if (req.filter !== undefined) c.filters.check(req.filter);
  const searcher = Searcher.acquire(c);
  try {
    // the sparse side's per-segment view of the filter (a dense-only search needs none)
    const filter = req.filter === undefined || mode === 'dense' ? undefined : searcher.resolveFilter(c.filters, req.filter);
    const sparse: SparseRun = { c, req, filter, exactFilter: isExactFilter(c, filter), searcher };
    // the dense side speaks docnos: the filter's docno set, cached per filter and extended over new docnos
    const denseAllow = denseVector && req.filter !== undefined ? c.denseFilters.allowed(req.filter) : undefined;
    let sides: HybridResult['sides'];
    // The closures below are passed as arguments, not named: a plain sparse search allocates no named
    // function per request (tsx, which runs the server from the sources, names each with a defineProperty).
    const hits = await pageHits(
      // the search at depth n, best first
      async (n) => {
        if (!denseVector) return withMinScore(req, await sparseTop(sparse, query!, n));
        // hybrid sides take their candidates in the order a search of that side alone answers (score, then id)
        const order = (m: number, search: (x: number) => Promise<Hit[]>): Promise<Hit[]> => pageHits(search, (d) => idOfDocno(c, d), m, {}, MAX_K);
        const dq = { field: c.dense!, vector: denseVector, allow: denseAllow, exact: req.exact, order };
        const side = { top: (m: number) => order(m, (x) => sparseTop(sparse, query!, x)), score: (docnos: DocNo[]) => sparseScores(c, searcher, query!, docnos) };
        const r = mode === 'dense' ? await denseSearch(dq, n) : await hybridSearch(side, dq, n, req.hybrid, (req.include ?? []).includes('explain'));
        sides = r.sides;
        return withMinScore(req, r.hits);
      },
      (d) => idOfDocno(c, d),
      k,
      req,
      MAX_K,
      mode !== 'hybrid',
    );
    const toAttribute: AttributionItem[] = [];
    const out = toSearchHits(c, hits, query, req, searcher, mode === 'dense' ? 'dense' : sides, toAttribute);
    if (toAttribute.length > 0) await attributeExpansions(c.encoder, attributionCacheOf(c), toAttribute, req.highlight?.timeoutMs);
    // A calibration query of the next segments, queued once the answer is ready: queued earlier, its
    // write (setImmediate) could run while this search awaits the search pool, and delay the answer.
    if (query && !req.exact) c.recent?.recordSoon(query);
    return { hits: out, took_ms: performance.now() - started, ...(req.stats ? { stats: statsOf(sparse.stats, sparse.settings) } : {}) };
  } finally {
    searcher.release();
  }
}

/** The id of a hit's docno: its row's, or a tombstoned row's (a document changed after the snapshot). */
function idOfDocno(c: SearchSource, docno: number): string {
  return c.store.hitFields(docno, false)?.id ?? c.store.tombstonedId(docno) ?? '';
}

function withMinScore(req: SearchRequest, hits: Hit[]): Hit[] {
  return req.minScore === undefined ? hits : hits.filter((h) => h.score >= req.minScore!);
}

/**
 * Several sparse searches as one batch (_msearch, the eval runner): one searcher, one native call
 * for every plain sparse request (no filter, no dense side) that shares k and settings; any other
 * request runs alone. Each answer is its response or its own error, in order.
 */
export async function searchBatch(c: SearchSource, reqs: SearchRequest[]): Promise<Array<SearchResponse | Error>> {
  const out: Array<SearchResponse | Error> = new Array(reqs.length);
  const groups = new Map<string, Array<{ i: number; query: SparseVector }>>();
  const alone: number[] = [];
  const started = performance.now();
  for (let i = 0; i < reqs.length; i++) {
    const req = reqs[i];
    try {
      const { k, mode } = checkRequest(c, req);
      if (mode !== 'sparse' || req.filter !== undefined || req.offset !== undefined || req.searchAfter !== undefined || req.highlight?.attribute) {
        alone.push(i);
        continue;
      }
      const key = JSON.stringify([k, req.exact === true, req.queryCut, req.heapFactor, req.stats === true]);
      const query = await queryVector(c, req);
      groups.set(key, [...(groups.get(key) ?? []), { i, query }]);
    } catch (error) {
      out[i] = error as Error;
    }
  }
  const searcher = Searcher.acquire(c);
  try {
    const batched = [...groups.values()].map(async (group) => {
      const first = reqs[group[0].i];
      const k = first.k ?? 10;
      const options = { k, exact: first.exact, stats: first.stats === true, request: first };
      const res = await searcher.top(group.map((g) => g.query), options);
      await Promise.all(
        group.map(async (g, j) => {
          try {
            // The batch answered depth k; a tie at the cut goes deeper alone, as a single search does.
            const deeper = async (n: number): Promise<Hit[]> => (n === k ? res.hits[j] : (await searcher.top([g.query], { ...options, k: n, stats: false })).hits[0]);
            const hits = await pageHits(deeper, (d) => idOfDocno(c, d), k, {}, MAX_K);
            out[g.i] = respond(c, reqs[g.i], hits, g.query, searcher, started, reqs[g.i].stats ? statsOf(res.stats?.[j], res.settings) : undefined);
          } catch (error) {
            out[g.i] = error as Error;
          }
        }),
      );
    });
    const single = alone.map(async (i) => {
      out[i] = await searchCollection(c, reqs[i]).catch((error: unknown) => error as Error);
    });
    await Promise.all([...batched, ...single]);
    // calibration queries, once the answers are ready (as searchCollection does)
    for (const group of groups.values()) for (const g of group) if (!reqs[g.i].exact && !(out[g.i] instanceof Error)) c.recent?.recordSoon(g.query);
  } finally {
    searcher.release();
  }
  return out;
}

/** Validates the request's own fields: k, mode, include, minScore (AppError). */
function checkRequest(c: SearchSource, req: SearchRequest): { k: number; mode: 'sparse' | 'dense' | 'hybrid' } {
  if (req === null || typeof req !== 'object') throw new AppError('VALIDATION_ERROR', 'search request must be an object');
  const k = req.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new AppError('INVALID_K', `k must be an integer in [1, ${MAX_K}]`);
  const mode = req.mode ?? 'sparse';
  if (mode !== 'sparse' && mode !== 'dense' && mode !== 'hybrid') throw new AppError('VALIDATION_ERROR', 'mode must be "sparse", "dense" or "hybrid"');
  if (mode !== 'sparse' && !c.dense) throw new AppError('DENSE_NOT_CONFIGURED', `mode "${mode}" needs a dense field in the collection config`);
  for (const inc of req.include ?? []) if (!INCLUDES.has(inc)) throw new AppError('VALIDATION_ERROR', `include: unknown value "${inc}"`);
  if (req.minScore !== undefined && !Number.isFinite(req.minScore)) throw new AppError('VALIDATION_ERROR', 'minScore must be a finite number');
  checkSeismicOptions(req);
  checkPage(req, k, MAX_K);
  return { k, mode };
}

/** queryCut and heapFactor as the native search reads them: heapFactor in float32, queryCut within its bound. */
function checkSeismicOptions(req: SearchRequest): void {
  const { queryCut, heapFactor } = req;
  if (queryCut !== undefined && !(Number.isInteger(queryCut) && queryCut >= 1 && queryCut <= MAX_QUERY_CUT)) {
    throw new AppError('VALIDATION_ERROR', `queryCut must be an integer in [1, ${MAX_QUERY_CUT}], got ${queryCut}`);
  }
  if (heapFactor !== undefined && !(typeof heapFactor === 'number' && Math.fround(heapFactor) > 0 && Math.fround(heapFactor) <= 1)) {
    throw new AppError('VALIDATION_ERROR', `heapFactor must be in (0, 1] as a float32, got ${heapFactor}`);
  }
}

/** A filter allowing fewer than exactFilterSelectivity of the snapshot's rows is scored exactly. */
function isExactFilter(c: SearchSource, filter: SnapshotFilter | undefined): boolean {
  if (!filter) return false;
  return filter.allowed / Math.max(1, filter.universe) < c.config.index.exactFilterSelectivity;
}

/** A batched request's response (no paging, no highlight attribution: those run alone). */
function respond(c: SearchSource, req: SearchRequest, found: Hit[], query: SparseVector, searcher: Searcher, started: number, stats: SearchResponse['stats']): SearchResponse {
  const out = toSearchHits(c, withMinScore(req, found), query, req, searcher, undefined, []);
  return { hits: out, took_ms: performance.now() - started, ...(stats ? { stats } : {}) };
}

/** A response's stats: native counters summed over the sealed segments (zero without any) and each one's settings. */
function statsOf(stats: QueryStats | undefined, settings: SegmentSearchSettings[] | undefined): NonNullable<SearchResponse['stats']> {
  return { ...(stats ?? { listsVisited: 0, blocksScored: 0, blocksSkipped: 0, docsScored: 0, postingsTotal: 0, micros: 0 }), segments: settings ?? [] };
}

/** What one request's sparse side needs. */
interface SparseRun {
  c: SearchSource;
  req: SearchRequest;
  filter?: SnapshotFilter;
  exactFilter: boolean;
  searcher: Searcher;
  /** with req.stats: native statistics summed over the sealed segments */
  stats?: QueryStats;
  /** with req.stats: the settings each sealed segment was searched with */
  settings?: SegmentSearchSettings[];
  /** the recall monitor had its chance at this request (one per request, however deep paging goes) */
  offered?: boolean;
}

/** The sparse top-k over every segment of the run's searcher. */
async function sparseTop(run: SparseRun, query: SparseVector, k: number): Promise<Hit[]> {
  const { req } = run;
  const res = await run.searcher.top([query], {
    k,
    filter: run.filter,
    exact: req.exact === true || run.exactFilter,
    stats: req.stats === true,
    request: req,
  });
  if (res.stats?.[0]) run.stats = res.stats[0];
  if (res.settings) run.settings = res.settings;
  // A default search that ran approximately somewhere: maybe checked exactly, on this same snapshot.
  const offer = res.approximate && settingsFrom(req) !== 'request' && !run.offered;
  if (offer) run.offered = true;
  if (offer && run.c.monitor.sample()) {
    const release = run.searcher.hold(); // the segments stay mapped until the check has run
    const exactTop = async (): Promise<number[]> => (await res.exactAgain(0)).map((h) => h.docno);
    void run.c.monitor.check(res.hits[0].map((h) => h.docno), exactTop, release);
  }
  return res.hits[0];
}

/** Exact sparse scores of docnos (the missing side of hybrid fusion); NaN for a docno with no live row. */
function sparseScores(c: SearchSource, searcher: Searcher, query: SparseVector, docnos: DocNo[]): number[] {
  return docnos.map((d) => {
    const row = c.store.getByDocno(d);
    if (!row) return Number.NaN;
    return explainTerms(c, query, row.vector, row.tf, row.length, searcher.avgdl).reduce((sum, t) => sum + t.contribution, 0);
  });
}

/** The request's query vector: a given one at once, a text through the encoder (a promise). */
function queryVector(c: SearchSource, req: SearchRequest): SparseVector | Promise<SparseVector> {
  if (req.sparse !== undefined) return parseSparseInput(req.sparse, c.tokenToId, 'sparse');
  if (typeof req.query !== 'string' || req.query.trim().length === 0) throw new AppError('EMPTY_QUERY', 'give a non-empty query or a sparse vector');
  if (!c.encoder) throw new AppError('INVALID_CONFIG', 'this collection has no encoder: search with a sparse vector');
  return c.encoder.encodeQuery(req.query, c.corpus);
}

function toSearchHits(
  c: SearchSource,
  hits: Hit[],
  query: SparseVector | undefined,
  req: SearchRequest,
  searcher: Searcher,
  sides: HybridResult['sides'] | 'dense' | undefined,
  toAttribute: AttributionItem[],
): SearchHit[] {
  const out: SearchHit[] = [];
  const include: string[] = req.include ?? [];
  const highlight = include.includes('highlight');
  const explain = include.includes('explain') || highlight;
  const withText = include.includes('text');
  const withMetadata = include.includes('metadata');
  const body = withText || withMetadata;
  const fields = explain ? undefined : c.store.hitFieldsOf(hits.map((h) => h.docno), body);
  for (const h of hits) {
    // Without explain only the shown fields are read (no vector decoding), for the whole page at
    // once. A document updated or deleted after the snapshot: its old row is gone; answer with the
    // current row of the same id (the tombstone remembers the id), or drop it if none is left.
    let row: HitFields | DocumentRow | undefined = fields ? fields.get(h.docno) : c.store.getByDocno(h.docno);
    if (!row) {
      const id = c.store.tombstonedId(h.docno);
      row = id === undefined ? undefined : c.store.getById(id);
      if (!row) continue;
    }
    const hit: SearchHit = { id: row.id, score: h.score };
    if (row.title !== null) hit.title = row.title;
    if (withText && row.text !== null) hit.text = row.text;
    if (withMetadata && row.metadata !== null) hit.metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    if (explain && 'vector' in row) {
      const terms = query ? explainTerms(c, query, row.vector, row.tf, row.length, searcher.avgdl) : [];
      if (include.includes('explain')) {
        hit.explain = query ? { terms } : {};
        if (sides === 'dense') hit.explain.dense = { raw: h.score, normalized: h.score };
        else if (sides?.has(h.docno)) Object.assign(hit.explain, explainSides(sides.get(h.docno)!));
      }
      if (highlight) {
        hit.highlight = highlightHit(c.encoder, row.title, row.text, terms, req.highlight);
        if (req.highlight?.attribute) {
          const doc = { key: `${row.docno}:${row.seq}`, title: row.title, text: row.text, encoderVersion: row.encoderVersion };
          toAttribute.push({ doc, highlight: hit.highlight });
        }
      }
    }
    out.push(hit);
  }
  return out;
}

/** Hybrid explain: each side's raw score, its normalised (convex) or RRF (1/(k + rank)) value, its rank. */
function explainSides(s: { sparse: SideScore; dense: SideScore }): Pick<NonNullable<SearchHit['explain']>, 'sparse' | 'dense'> {
  const side = (x: SideScore): { raw: number; normalized: number; rank?: number } => ({ raw: x.raw, normalized: x.normalized, ...(x.rank === undefined ? {} : { rank: x.rank }) });
  return { sparse: side(s.sparse), dense: side(s.dense) };
}

function explainTerms(c: SearchSource, q: SparseVector, d: SparseVector, tf: boolean, length: number, avgdl: number): ExplainTerm[] {
  const terms: ExplainTerm[] = [];
  let i = 0;
  let j = 0;
  while (i < q.indices.length && j < d.indices.length) {
    if (q.indices[i] < d.indices[j]) i++;
    else if (q.indices[i] > d.indices[j]) j++;
    else {
      const documentWeight = tf ? bm25DocWeight(d.values[j], length, avgdl) : d.values[j];
      const id = q.indices[i];
      terms.push({ token: c.tokenOf(id), id, queryWeight: q.values[i], documentWeight, contribution: q.values[i] * documentWeight });
      i++;
      j++;
    }
  }
  return terms.sort((a, b) => b.contribution - a.contribution);
}

/** POST /v1/encode: a text's terms by weight, document side (BM25 with live avgdl) or query side. */
export async function encodeText(c: SearchSource, text: string, side: 'document' | 'query'): Promise<EncodedTerm[]> {
  if (typeof text !== 'string' || text.trim().length === 0) throw new AppError('EMPTY_QUERY', 'text must be a non-empty string');
  if (side !== 'document' && side !== 'query') throw new AppError('VALIDATION_ERROR', 'side must be "document" or "query"');
  if (!c.encoder) throw new AppError('INVALID_CONFIG', 'this collection has no encoder');
  let vector: SparseVector;
  let tokens: string[] | undefined;
  if (side === 'query') vector = await c.encoder.encodeQuery(text, c.corpus);
  else {
    const [e] = await c.encoder.encodeDocuments([text]);
    tokens = e.tokens;
    const bm25 = c.encoder.weighting === 'bm25';
    vector = { indices: e.vector.indices, values: bm25 ? e.vector.values.map((tf) => bm25DocWeight(tf, e.length, c.corpus.avgDocLength || e.length)) : e.vector.values };
  }
  const terms = [...vector.indices].map((id, i) => ({ token: tokens?.[i] ?? c.tokenOf(id), id, weight: vector.values[i] }));
  return terms.sort((a, b) => b.weight - a.weight || a.id - b.id);
}
