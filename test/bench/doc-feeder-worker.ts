/** The doc feeder's worker thread (doc-feeder.ts): generates the engine bench's synthetic documents. */
import { parentPort } from 'node:worker_threads';
import { docsOf, type FeedRequest } from './doc-feeder.js';
import { generateDocBatch } from './synthetic.js';

const port = parentPort;
if (!port) throw new Error('doc-feeder-worker.ts runs as a worker thread');
port.on('message', ({ id, from, n }: FeedRequest) => port.postMessage({ id, docs: docsOf(generateDocBatch(from, n), from) }));
