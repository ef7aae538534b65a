/** `sparrow serve [--port N] [--host H] [--data-dir D] ...`: flags and SPARROW_* variables (see README). */
import { parseConfig } from '../config.js';
import { AppError } from '../errors.js';
import { closeOnSignals, startServer } from '../server.js';

/** Runs the server until a signal closes it. Returns the exit code: 2 for a bad option, 1 when it cannot start (DATA_DIR_LOCKED...). */
export async function serve(argv: string[]): Promise<number> {
  let config;
  try {
    config = parseConfig(argv, process.env);
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`${err.code}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  let server;
  try {
    server = await startServer(config);
  } catch (err) {
    // DATA_DIR_LOCKED (another process has the data directory) and other coded failures at start
    if (err instanceof AppError) {
      console.error(`${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  closeOnSignals(server);
  await new Promise<void>((resolve) => server.app.server.once('close', () => resolve()));
  return 0;
}
