/**
 * Search over one snapshot of a collection. The snapshot is taken synchronously: the sealed segment
 * list is acquired (ref-counted), the tombstone bitmap is snapshotted, and the in-memory mutable
 * segments are searched at once, so an update (delete + insert, applied in one tick) is seen as
 * exactly one version. Sealed segments are then searched one after another, each given the running
 * k-th best score as its threshold, and the top-k merged.
 */
import type { SideScore } from '../core/fusion.js';
import type { DocNo, Hit, SparseVector } from '../core/types.js';
import { AppError } from '../errors.js';
import type { Bitmap, QueryStats, SearchResult } from '../index/native-types.js';
import { createBitmap } from '../index/native.js';
import type { DocumentRow, HitFields } from '../store/collection-store.js';
import { bm25DocWeight } from './bm25.js';
import type { EngineCollection } from './collection.js';
import type { DocSet } from './filter-index.js';
import { denseSearch, hybridSearch, type HybridResult } from './hybrid.js';
import { topK } from './mutable-segment.js';
import { checkPage, pageHits } from './paging.js';
import { AttributionCache, attributeExpansions, type AttributionDocument } from '../highlight/attribution.js';
import type { Highlight } from '../highlight/highlight.js';
import { highlightHit } from '../highlight/hit.js';

type AttributionItem = { doc: AttributionDocument; highlight: Highlight };
const attributionCaches = new WeakMap<EngineCollection, AttributionCache>();

/** One attribution cache per open collection (its rows' docno and seq name a stored version). */
function attributionCacheOf(c: EngineCollection): AttributionCache {
  let cache = attributionCaches.get(c);
  if (cache === undefined) attributionCaches.set(c, (cache = new AttributionCache()));
  return cache;
}
import type { SealedSegment } from './sealed-segment.js';
import { parseSparseInput } from './sparse-input.js';
import { segmentSettings, settingsFrom } from './calibrate.js';
import type { EncodedTerm, ExplainTerm, SearchHit, SearchRequest, SearchResponse, SegmentSearchSettings } from './types.js';

export const MAX_K = 10_000;
const INCLUDES = new Set(['text', 'metadata', 'explain', 'highlight']);

export async function searchCollection(c: EngineCollection, req: SearchRequest): Promise<SearchResponse> {
  const started = performance.now();
  if (req === null || typeof req !== 'object') throw new AppError('VALIDATION_ERROR', 'search request must be an object');
  const k = req.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new AppError('INVALID_K', `k must be an integer in [1, ${MAX_K}]`);
  const mode = req.mode ?? 'sparse';
  if (mode !== 'sparse' && mode !== 'dense' && mode !== 'hybrid') throw new AppError('VALIDATION_ERROR', 'mode must be "sparse", "dense" or "hybrid"');
  if (mode !== 'sparse' && !c.dense) throw new AppError('DENSE_NOT_CONFIGURED', `mode "${mode}" needs a dense field in the collection config`);
  for (const inc of req.include ?? []) if (!INCLUDES.has(inc)) throw new AppError('VALIDATION_ERROR', `include: unknown value "${inc}"`);
  if (req.minScore !== undefined && !Number.isFinite(req.minScore)) throw new AppError('VALIDATION_ERROR', 'minScore must be a finite number');
  const embedQuery = req.dense === undefined && c.denseEncoder && typeof req.query === 'string' && req.query.trim() !== '';
  const denseVector = mode === 'sparse' ? undefined : c.dense!.queryVector(embedQuery ? await c.denseEncoder!.embedQuery(req.query!) : req.dense);
  const query = mode === 'dense' ? undefined : await queryVector(c, req);
  if (query && !req.exact) c.recent?.record(query); // calibration queries of the next segments
  const allow = req.filter === undefined ? undefined : c.filters.resolve(req.filter);
  const selectivity = allow ? allow.count() / Math.max(1, c.filters.size) : 1;
  const exactFilter = allow !== undefined && selectivity < c.config.index.exactFilterSelectivity;
  const nativeAllow = allow && toBitmap(allow);
  const sparse: SparseRun = { c, req, allow, nativeAllow, exactFilter, sealed: [] };

  let sides: HybridResult['sides'];
  const idOf = (docno: number): string => c.store.hitFields(docno, false)?.id ?? c.store.tombstonedId(docno) ?? '';
  // hybrid sides take their candidates in the order a search of that side alone answers (score, then id)
  const order = (n: number, search: (m: number) => Promise<Hit[]>): Promise<Hit[]> => pageHits(search, idOf, n, {}, MAX_K);
  /** the search at depth n, best first */
  const rank = async (n: number): Promise<Hit[]> => {
    let hits: Hit[];
    if (!denseVector) hits = await sparseTop(sparse, query!, n);
    else {
      const dq = { field: c.dense!, vector: denseVector, allow: nativeAllow, exact: req.exact, order };
      const side = { top: (m: number) => order(m, (x) => sparseTop(sparse, query!, x)), score: (docnos: DocNo[]) => sparseScores(c, query!, docnos) };
      const r = mode === 'dense' ? await denseSearch(dq, n) : await hybridSearch(side, dq, n, req.hybrid, (req.include ?? []).includes('explain'));
      hits = r.hits;
      sides = r.sides;
    }
    return req.minScore === undefined ? hits : hits.filter((h) => h.score >= req.minScore!);
  };
  checkPage(req, k, MAX_K);
  const hits = await pageHits(rank, idOf, k, req, MAX_K, mode !== 'hybrid');
  const toAttribute: AttributionItem[] = [];
  const out = toSearchHits(c, hits, query, req, sparse.sealed, mode === 'dense' ? 'dense' : sides, toAttribute);
  if (toAttribute.length > 0) await attributeExpansions(c.encoder, attributionCacheOf(c), toAttribute, req.highlight?.timeoutMs);
  const stats = req.stats ? { ...(sparse.stats ?? emptyStats()), segments: sparse.settings ?? [] } : undefined;
  return { hits: out, took_ms: performance.now() - started, ...(stats ? { stats } : {}) };
}

/** What one request's sparse side needs; `sealed` records the segments it searched (for explain). */
interface SparseRun {
  c: EngineCollection;
  req: SearchRequest;
  allow?: DocSet;
  nativeAllow?: Bitmap;
  exactFilter: boolean;
  sealed: SealedSegment[];
  /** with req.stats: native statistics summed over the sealed segments */
  stats?: QueryStats;
  /** with req.stats: the settings each sealed segment was searched with */
  settings?: SegmentSearchSettings[];
}

/** The sparse top-k over every segment, on one snapshot taken synchronously at the call. */
async function sparseTop(run: SparseRun, query: SparseVector, k: number): Promise<Hit[]> {
  const { c, req, allow, nativeAllow, exactFilter } = run;
  // --- snapshot (synchronous) ---
  const sealed = [...c.sealed];
  sealed.forEach((s) => s.acquire());
  const tombstones = c.tombstones.snapshot();
  const live = c.corpus.avgDocLength;
  const tfWeight = (tf: number, len: number): number => bm25DocWeight(tf, len, live);
  let hits: Hit[] = [];
  for (const m of [...c.frozen, c.active]) hits.push(...m.search(query, { k, tfWeight, allow: allow && ((d) => allow.has(d)) }));
  hits = topK(hits, k);
  const mutableHits = [...hits];
  const csr = { indptr: Uint32Array.of(0, query.indices.length), indices: query.indices, values: query.values };
  let approximate = false;
  try {
    for (const s of sealed) {
      const threshold = hits.length >= k ? hits[k - 1].score : undefined;
      const base = { k, tombstones, allow: nativeAllow, threshold, stats: req.stats === true };
      const settings = segmentSettings(s, k, req);
      const exact = req.exact === true || exactFilter || settings.exact === true;
      approximate ||= !exact;
      const res: SearchResult = exact
        ? await s.index.searchExact(csr, base)
        : await s.index.search(csr, { ...base, queryCut: settings.queryCut, heapFactor: settings.heapFactor });
      if (req.stats) (run.settings ??= []).push({ segment: s.id, documents: s.row.docs, ...(exact ? { exact: true } : { queryCut: settings.queryCut, heapFactor: settings.heapFactor }), from: settings.from });
      for (let i = res.offsets[0]; i < res.offsets[1]; i++) hits.push({ docno: res.docnos[i], score: res.scores[i] });
      if (res.stats?.[0]) run.stats = addStats(run.stats, res.stats[0]);
      hits = topK(hits, k);
    }
    // A default search that ran approximately somewhere: maybe checked exactly, on this same snapshot.
    if (approximate && settingsFrom(req) !== 'request' && c.monitor.sample()) {
      sealed.forEach((s) => s.acquire()); // held until the check has run
      const exactTop = async (): Promise<number[]> => {
        let top = [...mutableHits];
        for (const s of sealed) {
          const res = await s.index.searchExact(csr, { k, tombstones, allow: nativeAllow });
          for (let i = res.offsets[0]; i < res.offsets[1]; i++) top.push({ docno: res.docnos[i], score: res.scores[i] });
          top = topK(top, k);
        }
        return top.map((h) => h.docno);
      };
      void c.monitor.check(hits.map((h) => h.docno), exactTop, () => sealed.forEach((s) => s.release()));
    }
  } finally {
    sealed.forEach((s) => s.release());
  }
  run.sealed = sealed;
  return hits;
}

function emptyStats(): QueryStats {
  return { listsVisited: 0, blocksScored: 0, blocksSkipped: 0, docsScored: 0, postingsTotal: 0, micros: 0 };
}

function addStats(sum: QueryStats | undefined, s: QueryStats): QueryStats {
  if (!sum) return { ...s };
  return {
    listsVisited: sum.listsVisited + s.listsVisited,
    blocksScored: sum.blocksScored + s.blocksScored,
    blocksSkipped: sum.blocksSkipped + s.blocksSkipped,
    docsScored: sum.docsScored + s.docsScored,
    postingsTotal: sum.postingsTotal + s.postingsTotal,
    micros: sum.micros + s.micros,
  };
}

/** Exact sparse scores of docnos (the missing side of hybrid fusion); NaN for a docno with no live row. */
function sparseScores(c: EngineCollection, query: SparseVector, docnos: DocNo[]): number[] {
  return docnos.map((d) => {
    const row = c.store.getByDocno(d);
    if (!row) return Number.NaN;
    const avgdl = c.sealed.find((s) => s.contains(d))?.row.avgdl ?? c.corpus.avgDocLength;
    return explainTerms(c, query, row.vector, row.tf, row.length, avgdl).reduce((sum, t) => sum + t.contribution, 0);
  });
}

async function queryVector(c: EngineCollection, req: SearchRequest): Promise<SparseVector> {
  if (req.sparse !== undefined) return parseSparseInput(req.sparse, c.tokenToId, 'sparse');
  if (typeof req.query !== 'string' || req.query.trim().length === 0) throw new AppError('EMPTY_QUERY', 'give a non-empty query or a sparse vector');
  if (!c.encoder) throw new AppError('INVALID_CONFIG', 'this collection has no encoder: search with a sparse vector');
  return c.encoder.encodeQuery(req.query, c.corpus);
}

function toBitmap(set: DocSet): Bitmap {
  const docnos = set.toArray();
  const bm = createBitmap(docnos.length === 0 ? 64 : docnos[docnos.length - 1] + 1);
  for (const d of docnos) bm.set(d);
  return bm;
}

function toSearchHits(
  c: EngineCollection,
  hits: Hit[],
  query: SparseVector | undefined,
  req: SearchRequest,
  sealed: SealedSegment[],
  sides: HybridResult['sides'] | 'dense' | undefined,
  toAttribute: AttributionItem[],
): SearchHit[] {
  const out: SearchHit[] = [];
  const include: string[] = req.include ?? [];
  const highlight = include.includes('highlight');
  const explain = include.includes('explain') || highlight;
  const body = include.includes('text') || include.includes('metadata');
  for (const h of hits) {
    // Without explain only the shown fields are read (no vector decoding). A document updated or
    // deleted after the snapshot: its old row is gone; answer with the current row of the same id
    // (the tombstone remembers the id), or drop it if none is left.
    let row: HitFields | DocumentRow | undefined = explain ? c.store.getByDocno(h.docno) : c.store.hitFields(h.docno, body);
    if (!row) {
      const id = c.store.tombstonedId(h.docno);
      row = id === undefined ? undefined : c.store.getById(id);
      if (!row) continue;
    }
    const hit: SearchHit = { id: row.id, score: h.score };
    if (row.title !== null) hit.title = row.title;
    if (include.includes('text') && row.text !== null) hit.text = row.text;
    if (include.includes('metadata') && row.metadata !== null) hit.metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    if (explain && 'vector' in row) {
      const avgdl = sealed.find((s) => s.contains(h.docno))?.row.avgdl ?? c.corpus.avgDocLength;
      const terms = query ? explainTerms(c, query, row.vector, row.tf, row.length, avgdl) : [];
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

function explainTerms(c: EngineCollection, q: SparseVector, d: SparseVector, tf: boolean, length: number, avgdl: number): ExplainTerm[] {
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
export async function encodeText(c: EngineCollection, text: string, side: 'document' | 'query'): Promise<EncodedTerm[]> {
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
