/** `sparrow serve --help`: every server flag with its variable, what it does and its default. */
import { OPTIONS } from '../config.js';

/** What each flag of config.ts's OPTIONS means (a test checks that every flag has a line). */
export const SERVE_FLAG_HELP: Record<string, string> = {
  port: 'TCP port (0: any free port; default 8080)',
  host: 'address to listen on (default 127.0.0.1; another address needs an API key or --allow-no-key on)',
  'data-dir': 'one directory per collection (default index-data)',
  'api-key': 'the admin key: with any key set, /v1 and /metrics need Authorization: Bearer <key> (default: none)',
  'api-keys': 'more keys, scoped: read:KEY, write:KEY:coll1,coll2, ... separated by spaces or ; (default: none)',
  'allow-no-key': 'on: serve a non-loopback address without an API key, on purpose (default off)',
  sample: 'off: no SciFact sample collection on a first start (default on)',
  'body-limit': 'largest request body in bytes (default 33554432)',
  'max-batch': 'documents per upsert request and per _bulk batch (default 1000)',
  'max-k': 'largest k (default 1000); a search without k asks for min(10, max k)',
  'max-query-length': 'longest query text in characters (default 4096)',
  'log-level': 'fatal, error, warn, info, debug, trace or silent (default info)',
  'recall-sample-rate': 'share of default searches the recall monitor re-runs exactly, 0 to 1; 0 turns it off (default 0.01)',
  'recall-cpu-share': 'most of the wall-clock time the recall checks may take, 0.001 to 1 (default 0.05)',
  'cpu-budget': 'cores shared by encoder workers, search and build threads (default: all)',
};

export function serveHelp(): string {
  const rows = OPTIONS.map((o) => [`--${o.flag} <value>`, o.env, SERVE_FLAG_HELP[o.flag] ?? '']);
  const width = Math.max(...rows.map((r) => r[0].length));
  const envWidth = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([flag, env, text]) => `  ${flag.padEnd(width)}  ${env.padEnd(envWidth)}  ${text}`);
  return `\nServer flags (each also a SPARROW_* variable; a flag wins over its variable):\n${lines.join('\n')}\n`;
}
