/** `sparrow` command line: serve | index | encode | encode-worker | export | eval | bench (commander). Returns the exit code. */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EncoderConfig } from '../engine/types.js';
import { AppError } from '../errors.js';
import { formatBenchTable, loadQueryTexts, runBench } from '../eval/bench.js';
import { formatTable } from '../eval/report.js';
import { readDenseJsonl, type DenseEvalOptions } from '../eval/dense.js';
import { runEval } from '../eval/runner.js';
import { parseSeismic, parseSweep } from '../eval/sweep.js';
import { DEFAULT_INDEX_JOB } from '../bulk/index-job.js';
import { indexCommand, openDataDir } from './index-command.js';
import { HttpError } from '../bulk/index-sinks.js';
import { serveHelp } from './serve-help.js';
import { coreCount, ENCODE_DEFAULTS, encodeCommand, encodeWorkerCommand } from './encode-command.js';
import { exportOpenSearch } from './export-command.js';

/** Runs `run` with an AbortSignal that SIGINT / SIGTERM trip (Ctrl-C: finish what is in hand, then stop). */
async function withSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

interface EncoderFlags {
  encoder: 'lexical' | 'splade';
  model?: string;
  query?: 'inference-free' | 'siamese';
}

function encoderOf(flags: EncoderFlags): EncoderConfig {
  if (flags.encoder === 'lexical') {
    if (flags.model || flags.query) throw new AppError('INVALID_CONFIG', '--model and --query need --encoder splade');
    return { kind: 'lexical' };
  }
  return { kind: 'splade', ...(flags.model ? { model: flags.model } : {}), ...(flags.query ? { query: flags.query } : {}) };
}

function encoderOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--encoder <kind>', 'sparse encoder of a new collection').choices(['lexical', 'splade']).default('lexical'))
    .option('--model <dir>', 'model directory for --encoder splade (model.onnx, tokenizer.json or vocab.txt, idf.json)')
    .addOption(new Option('--query <kind>', 'query encoder for splade').choices(['inference-free', 'siamese']));
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sparrow')
    .description('Learned-sparse-retrieval search server: SPLADE/BM25 sparse vectors, Seismic index, HTTP API.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  // every command answers --help and --version (exit 0)
  const command = (name: string) => program.command(name).version(VERSION);

  command('serve')
    .description('run the HTTP server')
    // the server's own flags are parsed by parseConfig (flags win over SPARROW_* variables)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'server flags, listed below')
    .addHelpText('after', serveHelp())
    .action(async (flags: string[]) => {
      const { serve } = await import('./serve.js');
      setExit(await serve(flags));
    });

  encoderOptions(
    command('index')
      .description('bulk-load a JSONL corpus (BEIR layout) or a BEIR folder; resumable')
      .argument('<input>', 'corpus.jsonl, or a BEIR folder')
      .requiredOption('--collection <name>', 'target collection (created if missing)')
      .option('--data-dir <dir>', 'data directory to write into (the server must be stopped)', 'index-data')
      .option('--url <url>', 'write through a running server instead (e.g. http://127.0.0.1:8080)')
      .option('--api-key <key>', 'API key of the server (or SPARROW_API_KEY)')
      .option('--batch-size <n>', 'documents per batch', positiveInt('--batch-size'), DEFAULT_INDEX_JOB.batchSize)
      .option('--concurrency <n>', 'batches in flight', positiveInt('--concurrency'), DEFAULT_INDEX_JOB.concurrency)
      .addOption(new Option('--on-error <policy>', 'a malformed or rejected line: skip it, or stop').choices(['skip', 'stop']).default('stop'))
      .option('--checkpoint <file>', 'progress file with --url (default .sparrow-index-<collection>.json)')
      .option('--encode-queue <url>', 'encode the documents on encode workers over Redis (redis://HOST:PORT[/DB]); needs --encoder splade --model')
      .option('--queue-name <name>', 'BullMQ queue of the encode workers', 'sparrow-encode'),
  ).action(async (input: string, flags: EncoderFlags & Record<string, string & number>) => {
    const summary = await withSignals((signal) =>
      indexCommand({
        input,
        collection: flags.collection,
        dataDir: flags.dataDir,
        url: flags.url,
        apiKey: flags.apiKey ?? process.env.SPARROW_API_KEY,
        encoder: encoderOf(flags),
        batchSize: flags.batchSize,
        concurrency: flags.concurrency,
        onError: flags.onError as unknown as 'skip' | 'stop',
        checkpoint: flags.checkpoint,
        encodeQueue: flags.encodeQueue ? { url: flags.encodeQueue, queueName: flags.queueName } : undefined,
        signal,
      }),
    );
    setExit(summary.exitCode);
  });

  command('encode')
    .description('encode a corpus (or queries) into {"id","indices","values"} JSONL, in input order; resumable; --queue fans batches out to encode workers')
    .requiredOption('--model <dir>', 'SPLADE model directory (model.onnx, tokenizer.json or vocab.txt, idf.json)')
    .requiredOption('--input <path>', 'a JSONL file, or a BEIR folder (corpus.jsonl, or queries.jsonl with --side query)')
    .requiredOption('--output <file>', 'output JSONL (its checkpoint: <file>.checkpoint.json)')
    .addOption(new Option('--side <side>', 'encode documents, or queries as the server encodes a query').choices(['document', 'query']).default('document'))
    .option('--batch <n>', 'records per batch (a batch is one queue job)', positiveInt('--batch'), ENCODE_DEFAULTS.batch)
    .addOption(new Option('--query <kind>', 'query encoder for --side query (default: inference-free when idf.json exists)').choices(['inference-free', 'siamese']))
    .option('--threads <n>', 'encoder threads of this process (default: every core)', positiveInt('--threads'))
    .option('--queue <url>', 'send batches to encode workers over Redis: redis://HOST:PORT[/DB]')
    .option('--queue-name <name>', 'BullMQ queue name', 'sparrow-encode')
    .option('--in-flight <n>', `batches encoding at once (default: --threads locally, ${ENCODE_DEFAULTS.inFlightQueue} over a queue)`, positiveInt('--in-flight'))
    .option('--attempts <n>', 'attempts per batch on the queue (retries back off exponentially)', positiveInt('--attempts'), ENCODE_DEFAULTS.attempts)
    .action(async (flags: Record<string, string & number>) => {
      const code = await withSignals((signal) =>
        encodeCommand({
          model: flags.model,
          input: flags.input,
          output: flags.output,
          side: flags.side as unknown as 'document' | 'query',
          batch: flags.batch,
          query: flags.query as unknown as 'inference-free' | 'siamese' | undefined,
          threads: flags.threads,
          queue: flags.queue,
          queueName: flags.queueName,
          inFlight: flags.inFlight,
          attempts: flags.attempts,
          signal,
        }),
      );
      setExit(code);
    });

  command('encode-worker')
    .description('encode batches from the queue of `sparrow encode --queue` with this machine\'s encoder pool; SIGINT/SIGTERM stop it after the jobs in hand')
    .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB]')
    .requiredOption('--model <dir>', 'SPLADE model directory: must be the producer\'s (same fingerprint) or jobs are refused')
    .option('--concurrency <n>', 'jobs at once, and encoder threads (default: every core)', positiveInt('--concurrency'))
    .option('--queue-name <name>', 'BullMQ queue name', 'sparrow-encode')
    .addOption(new Option('--query <kind>', 'query encoder for query jobs').choices(['inference-free', 'siamese']))
    .option('--lock-seconds <n>', 'a job whose worker is silent this long (killed) goes to another worker', positiveInt('--lock-seconds'), ENCODE_DEFAULTS.lockSeconds)
    .action(async (flags: Record<string, string & number>) => {
      const code = await withSignals((signal) =>
        encodeWorkerCommand({
          queue: flags.queue,
          queueName: flags.queueName,
          model: flags.model,
          query: flags.query as unknown as 'inference-free' | 'siamese' | undefined,
          concurrency: flags.concurrency ?? coreCount(),
          lockSeconds: flags.lockSeconds,
          signal,
        }),
      );
      setExit(code);
    });

  command('export')
    .description('write a collection as an OpenSearch 3.3 index: mapping (sparse_vector, seismic), _bulk NDJSON, a neural_sparse query')
    .requiredOption('--collection <name>', 'collection to export (in --data-dir)')
    .addOption(new Option('--format <format>', 'target').choices(['opensearch']).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output folder')
    .option('--data-dir <dir>', 'data directory', 'index-data')
    .option('--per-file <n>', 'documents per _bulk file', positiveInt('--per-file'), 10_000)
    .action(async (flags: { collection: string; out: string; dataDir: string; perFile: number }) => {
      const summary = await exportOpenSearch({ dataDir: flags.dataDir, collection: flags.collection, out: flags.out, perFile: flags.perFile });
      process.stderr.write(`exported ${summary.documents} documents to ${flags.out}: ${summary.files.join(', ')}\n`);
      setExit(0);
    });

  encoderOptions(
    command('eval')
      .description('evaluate a BEIR split: nDCG@10, Recall@100/1000, MRR@10, MAP, latency; report.json, TREC runs, chart.svg')
      .requiredOption('--beir <dir>', 'BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)')
      .option('--split <name>', 'qrels split', 'test')
      .option('--collection <name>', 'collection to search (indexed from the corpus if missing; default: the folder name)')
      .addOption(new Option('--mode <mode>', 'exact only, or exact plus the approximate sweep').choices(['exact', 'approx']).default('approx'))
      .option('--k <n>', 'results per query', positiveInt('--k'), 1000)
      .option('--sweep <grid>', 'approximate settings, e.g. queryCut=5,10,20,heapFactor=0.7,0.9 (default: the engine defaults)')
      .option('--seismic <params>', 'build parameters of a new collection over the defaults, e.g. nPostings=8000')
      .addOption(new Option('--baseline <name>', 'add a row for an embedded peer').choices(['fts5']))
      .option('--out <dir>', 'output folder', 'eval-out')
      .option('--data-dir <dir>', 'data directory (the server must be stopped)', 'index-data')
      .option('--warmup <n>', 'untimed queries before each pass', (v) => Number(v), 20)
      .option('--dense-docs <file>', 'JSONL {id, dense} document vectors: adds dense and hybrid rows (needs --dense-queries)')
      .option('--dense-queries <file>', 'JSONL {id, dense} query vectors, ids as in queries.jsonl')
      .addOption(new Option('--dense-metric <metric>', 'metric of the dense field').choices(['cosine', 'dot']).default('cosine'))
      .option('--alpha <x>', 'hybrid convex weight of the sparse side', (v) => Number(v), 0.5),
  ).action(async (flags: EncoderFlags & Record<string, string & number>) => {
    const sweep = parseSweep(flags.sweep);
    const seismic = parseSeismic(flags.seismic);
    const dense = await denseEvalOptions(flags);
    const data = await openDataDir(flags.dataDir);
    try {
      const result = await runEval(data.manager, {
        beirDir: flags.beir,
        split: flags.split,
        collection: flags.collection,
        encoder: encoderOf(flags),
        mode: flags.mode as unknown as 'exact' | 'approx',
        k: flags.k,
        sweep,
        seismic,
        baseline: flags.baseline as unknown as 'fts5' | undefined,
        outDir: flags.out,
        warmup: flags.warmup,
        log: (line) => process.stderr.write(`${line}\n`),
        dense,
      });
      process.stdout.write(`${formatTable(result.entries)}\n\nreport: ${result.reportFile}\nchart: ${result.chartFile}\n`);
      setExit(0);
    } finally {
      await data.close();
    }
  });

  command('bench')
    .description('query latency of a collection: exact and approximate, p50/p99/QPS, recall vs exact, postings skipped')
    .requiredOption('--collection <name>', 'collection to search (in --data-dir)')
    .requiredOption('--queries <file>', 'queries: BEIR queries.jsonl, TSV "id<TAB>text", or one per line')
    .option('--data-dir <dir>', 'data directory (the server must be stopped)', 'index-data')
    .option('--k <n>', 'results per query', positiveInt('--k'), 10)
    .option('--limit <n>', 'use the first n queries', positiveInt('--limit'))
    .option('--sweep <grid>', 'approximate settings, e.g. queryCut=5,10,heapFactor=0.7,0.9 (default: the engine defaults)')
    .option('--warmup <n>', 'untimed queries before each pass', (v) => Number(v), 50)
    .action(async (flags: { collection: string; queries: string; dataDir: string; k: number; limit?: number; sweep?: string; warmup: number }) => {
      const sweep = parseSweep(flags.sweep);
      const queries = await loadQueryTexts(flags.queries, flags.limit);
      const data = await openDataDir(flags.dataDir);
      try {
        const rows = await runBench(data.manager.get(flags.collection), queries, { k: flags.k, warmup: flags.warmup, sweep });
        process.stdout.write(`${queries.length} queries, k=${flags.k}, one at a time in-process\n${formatBenchTable(rows, flags.k)}\n`);
        setExit(0);
      } finally {
        await data.close();
      }
    });

  return program;
}

/** --dense-docs and --dense-queries come together; INVALID_DATASET on a bad file. */
async function denseEvalOptions(flags: Record<string, string | number | undefined>): Promise<DenseEvalOptions | undefined> {
  if (flags.denseDocs === undefined && flags.denseQueries === undefined) return undefined;
  if (flags.denseDocs === undefined || flags.denseQueries === undefined) throw new AppError('VALIDATION_ERROR', '--dense-docs and --dense-queries go together');
  const alpha = Number(flags.alpha);
  if (!(alpha >= 0 && alpha <= 1)) throw new AppError('VALIDATION_ERROR', '--alpha must be a number in [0, 1]');
  const [docs, queries] = await Promise.all([readDenseJsonl(String(flags.denseDocs)), readDenseJsonl(String(flags.denseQueries))]);
  return { docs, queries, metric: flags.denseMetric === 'dot' ? 'dot' : 'cosine', alpha };
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof AppError || err instanceof HttpError) {
      console.error(`${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
