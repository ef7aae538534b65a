/**
 * One-off calibration of test/bench/synthetic.ts (spec: test/bench/SYNTHETIC.md).
 * Reads the real SPLADE++ query vectors from ../shared (never read by tests or the server) and
 * prints scale-free statistics; the printed object is pasted into synthetic.ts as CALIBRATION.
 *
 *   npx tsx scripts/calibrate-synthetic.ts [path/to/topics...splade-pp-ed.tsv.gz]
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

const DEFAULT_FILE = '/work/shared/datasets/msmarco-splade-encoded-queries/topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz';
const BACKGROUND_RANKS = 500;
const PROFILE_POINTS = 11;

async function readQueries(path: string): Promise<Map<string, number>[]> {
  // Streamed: the unpacked file is larger than the longest string V8 allows.
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  const out: Map<string, number>[] = [];
  for await (const line of lines) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const counts = new Map<string, number>();
    for (const tok of line.slice(tab + 1).split(' ')) if (tok) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    if (counts.size > 0) out.push(counts);
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const cv = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2))) / m;
};

/** Least squares of log f = c − s·log(r + b) over a grid of b; returns the best (s, b). */
function fitZipfMandelbrot(freqs: number[]): { s: number; b: number } {
  let best = { s: 1, b: 0, err: Infinity };
  for (const b of [0, 1, 2, 5, 10, 20, 50, 100, 200, 400, 800, 1600]) {
    const xs = freqs.map((_, r) => Math.log(r + 1 + b));
    const ys = freqs.map((f) => Math.log(f));
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
    }
    const slope = sxy / sxx;
    let err = 0;
    for (let i = 0; i < xs.length; i++) err += (ys[i] - (my + slope * (xs[i] - mx))) ** 2;
    if (err < best.err) best = { s: -slope, b, err };
  }
  return { s: best.s, b: best.b };
}

async function main(): Promise<void> {
  const queries = await readQueries(process.argv[2] ?? DEFAULT_FILE);
  const df = new Map<string, number>();
  for (const q of queries) for (const t of q.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const ranked = [...df.entries()].sort((a, b) => b[1] - a[1]);
  const background = new Set(ranked.slice(0, BACKGROUND_RANKS).map(([t]) => t));
  const zipf = fitZipfMandelbrot(ranked.map(([, f]) => f / queries.length));

  const nnz: number[] = [];
  const maxes: number[] = [];
  const profile = new Array<number>(PROFILE_POINTS).fill(0);
  let bgTerms = 0;
  let allTerms = 0;
  const bgWeights: number[] = [];
  const topicalWeights: number[] = [];
  for (const q of queries) {
    const w = [...q.values()].sort((a, b) => b - a);
    const max = w[0];
    nnz.push(w.length);
    maxes.push(max);
    for (let p = 0; p < PROFILE_POINTS; p++) {
      const pos = (p / (PROFILE_POINTS - 1)) * (w.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(w.length - 1, lo + 1);
      profile[p] += (w[lo] + (w[hi] - w[lo]) * (pos - lo)) / max / queries.length;
    }
    for (const [t, c] of q) {
      allTerms++;
      if (background.has(t)) {
        bgTerms++;
        bgWeights.push(c / max);
      } else topicalWeights.push(c / max);
    }
  }
  const calibration = {
    source: 'SPLADE++ ED query vectors, 6980 MS MARCO dev queries (Anserini impact format)',
    queries: queries.length,
    distinctTerms: df.size,
    zipfS: round(zipf.s),
    zipfB: zipf.b,
    nnzMean: round(mean(nnz)),
    nnzCv: round(cv(nnz)),
    maxCv: round(cv(maxes)),
    weightProfile: profile.map(round),
    backgroundRanks: BACKGROUND_RANKS,
    backgroundShare: round(bgTerms / allTerms),
    topicalWeightLift: round(mean(topicalWeights) / mean(bgWeights)),
  };
  console.log(JSON.stringify(calibration, null, 2));
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

await main();
