/**
 * The running server: opens the engine, builds the app, listens, creates the sample collection on
 * a first start, then reports ready. Graceful shutdown on SIGTERM/SIGINT: stop accepting, answer
 * 503 to new requests, finish in-flight requests and tasks, close the collections (indexes and
 * databases) and the encoders.
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { hasApiKeys, isLoopback, type Config } from './config.js';
import { ensureSample } from './http/sample.js';
import { openServices } from './http/services.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** resolves once the sample collection (if any) is loaded and /ready answers 200 */
  ready: Promise<void>;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const services = await openServices(config);
  const app = await buildApp(config, { ...services, ready: false });
  let url: string;
  try {
    url = await app.listen({ port: config.server.port, host: config.server.host });
  } catch (err) {
    await app.close(); // the collections and encoders are open: close them before giving up
    throw err;
  }
  if (!isLoopback(config.server.host) && !hasApiKeys(config.server)) {
    app.log.warn({ host: config.server.host }, 'serving a non-loopback address without an API key (--allow-no-key): anyone who can reach it can read and change every collection');
  }
  const ready = (async () => {
    if (config.server.sample) {
      try {
        const loaded = await ensureSample(services.manager, config.server.dataDir);
        if (loaded > 0) app.log.info({ documents: loaded }, 'sample collection scifact created');
      } catch (err) {
        app.log.error({ err }, 'the sample collection could not be created');
      }
    }
    app.sparrow.state.ready = true;
  })();
  return { app, url, ready, close: () => app.close() };
}

/** Closes the server on SIGTERM/SIGINT (or an uncaught error), giving in-flight work `delayMs`. */
export function closeOnSignals(server: RunningServer, delayMs = 30_000): void {
  closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err) server.app.log.error({ err }, 'closing after an uncaught error');
    else server.app.log.info({ signal }, 'closing');
    await server.close();
  });
}
