#!/usr/bin/env node
// The `sparrow` command: serve | index | encode | encode-worker | export | eval | bench. The code lives in dist/cli (built by `npm ci`).
// Imported dynamically so that an error while loading (SPARROW_SIMD=bogus) prints as `CODE: message`.
import('../dist/cli/main.js')
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err) => {
      const code = typeof err?.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : undefined;
      console.error(code ? `${code}: ${err.message}` : err instanceof Error ? err.message : err);
      process.exitCode = code === 'INVALID_CONFIG' ? 2 : 1;
    },
  );
