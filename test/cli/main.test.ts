import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('sparrow (command dispatch)', () => {
  it('hands serve its flags untouched: a bad one is the server config error, exit 2', async () => {
    const res = await runCli(['serve', '--port', 'notanumber']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/INVALID_CONFIG: --port must be an integer/);
  });

  it('lists the commands on --help (exit 0) and refuses an unknown one (exit 2)', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['serve', 'index', 'eval', 'bench']) expect(help.stdout).toContain(cmd);
    const unknown = await runCli(['reindex']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'reindex'/);
  });

  it('index without --collection names the missing option', async () => {
    const res = await runCli(['index', 'corpus.jsonl']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/required option '--collection <name>' not specified/);
  });
});
