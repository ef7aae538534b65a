/**
 * npm run bench:http [-- --mode lexical|synthetic|both --connections 16 --duration 10 --docs 1000000 --monitor-off]
 * HTTP load with autocannon against a real server in a child process on 127.0.0.1 (bounded by
 * --duration seconds per run). Prints a table, with the server's CPU per request (its child's user +
 * system time from /proc over the run: every thread, and the main thread alone; n/a without /proc).
 *   lexical:   text queries (SciFact test queries, cycled) on the bundled SciFact sample, lexical encoder.
 *              With --monitor-off, a second run with the recall monitor off (SPARROW_RECALL_SAMPLE_RATE=0):
 *              the monitor's cost in QPS (the sample's segments are exhaustive, so it checks nothing there).
 *   synthetic: pre-encoded sparse queries (synthetic `report` set, siamese and inference-free shapes)
 *              on a collection of --docs SYNTHETIC SPLADE-like documents (test/bench/synthetic.ts;
 *              there are no real SPLADE document vectors here), ingested over HTTP and flushed.
 *              With --monitor-off, the loads run with the recall monitor on and off, alternated
 *              (blocked segments: the monitor re-runs a sample of these searches exactly).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import fs from 'node:fs';
import { post, runTask, startServer, stop } from './http-server.js';
import { generateDocBatch, generateQueries, sparseRows } from './synthetic.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const MODE = arg('mode', 'both');
const CONNECTIONS = Number(arg('connections', '16'));
const DURATION = Number(arg('duration', '10'));
const DOCS = Number(arg('docs', '1000000'));
const SCIFACT_QUERIES = fileURLToPath(new URL('../../index-data/samples/scifact/queries.jsonl', import.meta.url));

interface Row {
  run: string;
  documents: number;
  connections: number;
  seconds: number;
  requests: number;
  qps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  failures: number;
  /** server CPU µs per request during the run: every thread, and the main thread (the event loop) */
  cpuUs?: { all: number; main: number };
}

/**
 * CPU seconds the server child has used (user + system; the whole process, and its main thread),
 * from /proc: less moved by a shared machine's load than QPS. Undefined where /proc is absent.
 */
function serverCpu(pid: number | undefined): { all: number; main: number } | undefined {
  const read = (file: string): number => {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' '); // after "pid (comm) "
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ 100)
  };
  if (pid === undefined || !fs.existsSync(`/proc/${pid}/stat`)) return undefined;
  return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

async function load(run: string, documents: number, url: string, bodies: string[], seconds = DURATION, pid?: number): Promise<Row> {
  const before = serverCpu(pid);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } })),
  });
  const after = serverCpu(pid);
  const perRequest = (x: number, y: number): number => ((y - x) / Math.max(1, result.requests.total)) * 1e6;
  return {
    run,
    documents,
    cpuUs: before && after ? { all: perRequest(before.all, after.all), main: perRequest(before.main, after.main) } : undefined,
    connections: CONNECTIONS,
    seconds,
    requests: result.requests.total,
    qps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    failures: result.errors + result.non2xx + result.timeouts,
  };
}

async function lexical(): Promise<Row[]> {
  const rows = [await lexicalRun('lexical text, SciFact', {})];
  if (process.argv.includes('--monitor-off')) rows.push(await lexicalRun('lexical text, SciFact, recall monitor off', { SPARROW_RECALL_SAMPLE_RATE: '0' }));
  return rows;
}

async function lexicalRun(run: string, env: Record<string, string>): Promise<Row> {
  const server = await startServer({ SPARROW_SAMPLE: 'on', ...env });
  try {
    const queries = fs.readFileSync(SCIFACT_QUERIES, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
    const bodies = queries.map((query) => JSON.stringify({ query, k: 10 }));
    const url = `${server.url}/v1/collections/scifact/search`;
    await load('warm-up', 5183, url, bodies, 3);
    return await load(run, 5183, url, bodies, DURATION, server.child.pid);
  } finally {
    await stop(server);
  }
}

async function synthetic(): Promise<Row[]> {
  let server = await startServer({ SPARROW_SAMPLE: 'off' });
  try {
    const c = `${server.url}/v1/collections/synth`;
    const created = await fetch(c, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encoder: { kind: 'splade' }, index: { mutableMaxDocs: 100_000, maxUnsealedDocs: 400_000 } }) });
    if (created.status !== 201) throw new Error(await created.text());
    const started = performance.now();
    const BATCH = 1_000;
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < DOCS) {
        const from = next;
        next = Math.min(DOCS, next + BATCH);
        const documents = sparseRows(generateDocBatch(from, next - from)).map((sparse, i) => ({ id: `d${from + i}`, sparse }));
        await post(`${c}/documents`, { documents });
        if (next % 100_000 === 0) console.error(`ingested ${next} documents`);
      }
    };
    await Promise.all([writer(), writer()]);
    await runTask(server, `${c}/_flush`);
    const ingestSeconds = (performance.now() - started) / 1000;
    console.error(`ingest + flush over HTTP: ${DOCS} documents in ${ingestSeconds.toFixed(0)} s (${(DOCS / ingestSeconds).toFixed(0)} docs/s)`);
    // Measure the steady state: merges done, no background build competing with the queries.
    const optimizeStarted = performance.now();
    await runTask(server, `${c}/_optimize`);
    const stats = (await (await fetch(c)).json()) as { segments: Array<{ sealed: boolean; documents: number }> };
    const sealed = stats.segments.filter((g) => g.sealed).map((g) => g.documents);
    console.error(`optimize: ${((performance.now() - optimizeStarted) / 1000).toFixed(0)} s; sealed segments: ${sealed.join(', ')}`);
    const rows: Row[] = [];
    // With --monitor-off: the same data directory served with the recall monitor at its default rate
    // and off, alternated (on, off, off, on), each run after a restart; the checks it ran are counted.
    const monitorRuns = process.argv.includes('--monitor-off') ? [true, false, false, true] : [true];
    for (const [i, monitor] of monitorRuns.entries()) {
      if (i > 0) {
        await stop(server);
        server = await startServer({ SPARROW_SAMPLE: 'off', ...(monitor ? {} : { SPARROW_RECALL_SAMPLE_RATE: '0' }) }, server.dataDir);
      }
      const url = `${server.url}/v1/collections/synth`;
      for (const kind of ['siamese', 'inference-free'] as const) {
        const bodies = sparseRows(generateQueries(1_000, { set: 'report', kind })).map((sparse) => JSON.stringify({ sparse, k: 10 }));
        await load('warm-up', DOCS, `${url}/search`, bodies, 3);
        const label = monitorRuns.length > 1 ? `, recall monitor ${monitor ? 'on' : 'off'}` : '';
        rows.push(await load(`sparse ${kind} queries, synthetic${label}`, DOCS, `${url}/search`, bodies, DURATION, server.child.pid));
      }
      if (monitorRuns.length > 1) {
        const { recall } = (await (await fetch(url)).json()) as { recall: { checks: number; skipped: number; recall: number | null } };
        console.error(`recall monitor ${monitor ? 'on' : 'off'}: ${recall.checks} checks (${recall.skipped} skipped) since the server started, recall@10 ${recall.recall ?? 'n/a'}`);
      }
    }
    return rows;
  } finally {
    await stop(server);
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  if (MODE === 'lexical' || MODE === 'both') rows.push(...(await lexical()));
  if (MODE === 'synthetic' || MODE === 'both') rows.push(...(await synthetic()));
  console.log(`\nHTTP search load (autocannon, ${CONNECTIONS} connections, ${DURATION} s per run, server in a child process on 127.0.0.1, ${os.cpus().length} cores)`);
  console.log('| run | documents | connections | requests | QPS | p50 ms | p90 ms | p99 ms | max ms | failures | server CPU µs/request: all threads / main thread |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const cpu = r.cpuUs ? `${r.cpuUs.all.toFixed(0)} / ${r.cpuUs.main.toFixed(0)}` : 'n/a (no /proc)';
    console.log(`| ${r.run} | ${r.documents} | ${r.connections} | ${r.requests} | ${r.qps.toFixed(0)} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.failures} | ${cpu} |`);
  }
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
}

await main();
