/**
 * Deterministic SPLADE-like sparse vectors (spec: test/bench/SYNTHETIC.md). Importable by tests and
 * benchmarks. Synthetic documents, calibrated on real query vectors only: report figures as such.
 */
import type { CsrBatch } from '../../src/core/types.js';
import { CsrBuilder } from './csr-builder.js';

export { readSparseJsonl } from './csr-builder.js';

/** Printed by scripts/calibrate-synthetic.ts from SPLADE++ ED vectors of 6,980 MS MARCO dev queries. */
export const CALIBRATION = {
  zipfS: 1.9511,
  zipfB: 400,
  nnzCv: 0.3681,
  maxCv: 0.1349,
  weightProfile: [1, 0.5633, 0.3565, 0.2423, 0.1711, 0.1229, 0.0879, 0.0612, 0.0394, 0.0209, 0.0046],
  backgroundRanks: 500,
  backgroundShare: 0.5098,
  topicalWeightLift: 1.7181,
} as const;

export const VOCAB = 30_522;
const TOPIC_TERMS = 400;
const TOPIC_SKEW = 1.0;
const SECOND_TOPIC_P = 0.3;
const MEAN_MAX_WEIGHT = 2.5;
const INFERENCE_FREE_TOPICAL = 0.75;

export type QueryKind = 'siamese' | 'inference-free';
/** `tune` chooses parameters; `report` is only ever used for published figures. */
export type QuerySet = 'tune' | 'report';

export interface SyntheticOptions {
  seed?: number; // default 1
  topics?: number; // default 1000; 0 = control mode (no topical structure)
}

const STREAM = { docs: 0, tune: 1, report: 2 } as const;
const KIND_CODE = { siamese: 0, 'inference-free': 1 } as const;

/** sfc32 seeded through a 32-bit mix of (seed, stream, index): one independent stream per vector. */
function rngFor(seed: number, stream: number, index: number): () => number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(index + 1, 0x27d4eb2f);
  const mix = (): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix() | 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

function searchCdf(cdf: Float64Array, u: number, from = 0, to = cdf.length): number {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1 here: CV < 1). */
function gamma(rand: () => number, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = gaussian(rand);
    const v = (1 + c * x) ** 3;
    if (v > 0 && Math.log(1 - rand()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function drawNnz(rand: () => number, mean: number): number {
  const shape = 1 / CALIBRATION.nnzCv ** 2;
  const n = Math.round((gamma(rand, shape) / shape) * mean);
  return Math.min(Math.round(3 * mean), Math.max(Math.max(2, Math.round(mean / 4)), n));
}

function profileAt(u: number): number {
  const p = CALIBRATION.weightProfile;
  const pos = u * (p.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(p.length - 1, lo + 1);
  return p[lo] + (p[hi] - p[lo]) * (pos - lo);
}

interface Model {
  termOfRank: Uint32Array; // popularity rank -> term id
  popularityCdf: Float64Array; // over ranks
  logP: Float64Array; // ln p(rank)
  topicTerms: Uint32Array[]; // per topic: term ids, in-topic order
  topicCdf: Float64Array[];
}

const models = new Map<string, Model>();

function buildModel(seed: number, topics: number): Model {
  const key = `${seed}/${topics}`;
  const cached = models.get(key);
  if (cached) return cached;
  const rand = rngFor(seed, 99, 0);
  const termOfRank = new Uint32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) termOfRank[i] = i;
  for (let i = VOCAB - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [termOfRank[i], termOfRank[j]] = [termOfRank[j], termOfRank[i]];
  }
  const weights = new Float64Array(VOCAB);
  let total = 0;
  for (let r = 0; r < VOCAB; r++) total += weights[r] = (r + 1 + CALIBRATION.zipfB) ** -CALIBRATION.zipfS;
  const popularityCdf = new Float64Array(VOCAB);
  const logP = new Float64Array(VOCAB);
  let acc = 0;
  for (let r = 0; r < VOCAB; r++) {
    acc += weights[r] / total;
    popularityCdf[r] = acc;
    logP[r] = Math.log(weights[r] / total);
  }
  popularityCdf[VOCAB - 1] = 1;
  const bgMass = popularityCdf[CALIBRATION.backgroundRanks - 1];
  const topicTerms: Uint32Array[] = [];
  const topicCdf: Float64Array[] = [];
  const used = new Uint8Array(VOCAB);
  for (let t = 0; t < topics; t++) {
    used.fill(0);
    const terms = new Uint32Array(TOPIC_TERMS);
    for (let i = 0; i < TOPIC_TERMS; ) {
      const r = searchCdf(popularityCdf, bgMass + rand() * (1 - bgMass), CALIBRATION.backgroundRanks);
      if (used[r]) continue;
      used[r] = 1;
      terms[i++] = termOfRank[r];
    }
    const cdf = new Float64Array(TOPIC_TERMS);
    let sum = 0;
    for (let i = 0; i < TOPIC_TERMS; i++) cdf[i] = sum += (i + 1) ** -TOPIC_SKEW;
    for (let i = 0; i < TOPIC_TERMS; i++) cdf[i] /= sum;
    topicTerms.push(terms);
    topicCdf.push(cdf);
  }
  const model = { termOfRank, popularityCdf, logP, topicTerms, topicCdf };
  models.set(key, model);
  return model;
}

/** Per-vector scratch: term -> weight, and a stamp marking the terms already drawn. */
class Scratch {
  readonly stamp = new Uint32Array(VOCAB);
  readonly weightOf = new Float32Array(VOCAB);
  readonly terms: number[] = [];
  readonly topical: boolean[] = [];
  private gen = 0;
  reset(): void {
    this.gen++;
    this.terms.length = 0;
    this.topical.length = 0;
  }
  add(term: number, topical: boolean): boolean {
    if (this.stamp[term] === this.gen) return false;
    this.stamp[term] = this.gen;
    this.terms.push(term);
    this.topical.push(topical);
    return true;
  }
}

/** Draws `count` new distinct terms; gives up on a source after many collisions (tiny topics). */
function drawTerms(s: Scratch, count: number, draw: () => number, topical: boolean): void {
  let misses = 0;
  for (let got = 0; got < count && misses < 50 * count + 100; ) {
    if (s.add(draw(), topical)) got++;
    else misses++;
  }
}

function fillVector(m: Model, s: Scratch, rand: () => number, nnz: number, topicalCount: number, topic: number, second: number): void {
  s.reset();
  const fromTopic = (t: number) => () => m.topicTerms[t][searchCdf(m.topicCdf[t], rand())];
  if (topicalCount > 0) {
    const inSecond = second >= 0 ? Math.round(topicalCount / 3) : 0;
    drawTerms(s, topicalCount - inSecond, fromTopic(topic), true);
    if (inSecond > 0) drawTerms(s, inSecond, fromTopic(second), true);
  }
  const background = () => m.termOfRank[searchCdf(m.popularityCdf, rand())];
  drawTerms(s, nnz - s.terms.length, background, false);
}

/** Weights by the calibrated profile; topical terms tend to take the larger weights. */
function assignProfileWeights(s: Scratch, rand: () => number): void {
  const n = s.terms.length;
  const keys = s.terms.map((_, i) => ({ i, key: rand() * (s.topical[i] ? CALIBRATION.topicalWeightLift : 1) }));
  keys.sort((a, b) => b.key - a.key);
  const shape = 1 / CALIBRATION.maxCv ** 2;
  const wmax = (MEAN_MAX_WEIGHT * gamma(rand, shape)) / shape;
  for (let r = 0; r < n; r++) {
    const w = wmax * profileAt(n > 1 ? r / (n - 1) : 0) * (0.9 + 0.2 * rand());
    s.weightOf[s.terms[keys[r].i]] = Math.max(w, wmax * 1e-3);
  }
}

function emit(s: Scratch, out: CsrBuilder): void {
  const sorted = Uint32Array.from(s.terms).sort();
  const values = new Float32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) values[i] = s.weightOf[sorted[i]];
  out.push(sorted, values);
}

/** Rows [from, from + count) of a batch (clamped to its end) as JSON-ready sparse vectors. */
export function sparseRows(batch: CsrBatch, from = 0, count = Infinity): Array<{ indices: number[]; values: number[] }> {
  const rows = [];
  for (let r = from; r < from + count && r + 1 < batch.indptr.length; r++) {
    const [s, e] = [batch.indptr[r], batch.indptr[r + 1]];
    rows.push({ indices: Array.from(batch.indices.subarray(s, e)), values: Array.from(batch.values.subarray(s, e)) });
  }
  return rows;
}

/** Documents [from, from + count) of the collection: streaming-friendly (each row is independent). */
export function generateDocBatch(from: number, count: number, options: SyntheticOptions = {}): CsrBatch {
  const seed = options.seed ?? 1;
  const topics = options.topics ?? 1000;
  const m = buildModel(seed, topics);
  const s = new Scratch();
  const out = new CsrBuilder(count, Math.round(count * 125));
  for (let d = from; d < from + count; d++) {
    const rand = rngFor(seed, STREAM.docs, d);
    const nnz = drawNnz(rand, 120);
    const topic = topics > 0 ? Math.floor(rand() * topics) : -1;
    const second = topics > 1 && rand() < SECOND_TOPIC_P ? Math.floor(rand() * topics) : -1;
    const topical = topics > 0 ? Math.round(nnz * (1 - CALIBRATION.backgroundShare)) : 0;
    fillVector(m, s, rand, nnz, topical, topic, second === topic ? -1 : second);
    assignProfileWeights(s, rand);
    emit(s, out);
  }
  return out.finish();
}

export function generateDocs(n: number, options: SyntheticOptions = {}): CsrBatch {
  const out = new CsrBuilder(n, Math.round(n * 125));
  const step = 10_000;
  for (let from = 0; from < n; from += step) out.append(generateDocBatch(from, Math.min(step, n - from), options));
  return out.finish();
}

export interface QueryOptions extends SyntheticOptions {
  kind?: QueryKind; // default siamese
  set: QuerySet;
}

export function generateQueries(n: number, options: QueryOptions): CsrBatch {
  const seed = options.seed ?? 1;
  const topics = options.topics ?? 1000;
  const kind = options.kind ?? 'siamese';
  const m = buildModel(seed, topics);
  const s = new Scratch();
  const out = new CsrBuilder(n, n * 60);
  for (let q = 0; q < n; q++) {
    const rand = rngFor(seed, STREAM[options.set] * 2 + KIND_CODE[kind], q);
    const topic = topics > 0 ? Math.floor(rand() * topics) : -1;
    if (kind === 'siamese') {
      const nnz = drawNnz(rand, 45);
      const topical = topics > 0 ? Math.round(nnz * (1 - CALIBRATION.backgroundShare)) : 0;
      fillVector(m, s, rand, nnz, topical, topic, -1);
      assignProfileWeights(s, rand);
    } else {
      const nnz = drawNnz(rand, 8);
      fillVector(m, s, rand, nnz, topics > 0 ? Math.round(nnz * INFERENCE_FREE_TOPICAL) : 0, topic, -1);
      const rankOf = inverseRanks(m);
      for (const t of s.terms) s.weightOf[t] = -m.logP[rankOf[t]]; // idf = ln(1 / p)
    }
    emit(s, out);
  }
  return out.finish();
}

const inverse = new WeakMap<Model, Uint32Array>();
function inverseRanks(m: Model): Uint32Array {
  let inv = inverse.get(m);
  if (!inv) {
    inv = new Uint32Array(VOCAB);
    for (let r = 0; r < VOCAB; r++) inv[m.termOfRank[r]] = r;
    inverse.set(m, inv);
  }
  return inv;
}
