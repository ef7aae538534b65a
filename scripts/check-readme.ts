/**
 * `npm run check:readme`: runs the README's shell blocks literally, in order, from a fresh copy of
 * the checkout on a free port, and fails on any error or mismatch. The conventions (also in the
 * README, "Checking the README"):
 *
 * - ```sh / ```bash blocks are run; other blocks (```text synopses, ```json, ...) are not.
 * - A block whose first line is `# <reason>: not run by npm run check:readme` is skipped, its reason
 *   printed (long-running benchmarks, Docker).
 * - `# → TEXT` after a command: its output must contain TEXT (whitespace runs compared as one
 *   space). `# → 415 TEXT`: its last HTTP answer has that status (an example of an error);
 *   otherwise every HTTP answer of a curl must be below 400.
 * - `npm start` / `node bin/sparrow.js serve` start the server in the background (as a reader does
 *   in a second terminal) on the free port, and the check waits for /ready. `sparrow index|eval|bench`
 *   without --url open the data directory, so the server is stopped first and started again with
 *   the same command when a later command calls it.
 * - `npm ci` (with its build:ts), `npm test`, `npm run lint|typecheck|test:native|check:readme` are
 *   what .ci/run runs itself in the same job, before this check: they are listed, not run again.
 * - The port 8080 in `localhost:8080` / `127.0.0.1:8080` becomes the free port (SPARROW_PORT too).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const README = path.join(ROOT, 'README.md');
const COMMAND_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 300_000;
const STATUS_MARK = '[check:readme HTTP ';

export interface Command {
  /** the text as written (continuations kept) */
  text: string;
  line: number;
  expect: string[];
}
export interface Block {
  heading: string;
  line: number;
  skip?: string;
  commands: Command[];
}

/** The README's runnable blocks with their commands and expectations. */
export function parseReadme(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6} (.*)/.exec(lines[i]);
    if (h) heading = h[1];
    const fence = /^```(\S*)/.exec(lines[i]);
    if (!fence) continue;
    const body: string[] = [];
    const start = i + 1;
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    if (!['sh', 'bash', 'shell'].includes(fence[1])) continue;
    const skip = /^# (.+): not run by npm run check:readme$/.exec(body[0] ?? '');
    blocks.push({ heading, line: start, skip: skip?.[1], commands: skip ? [] : splitCommands(body, start + 1) });
  }
  return blocks;
}

/** Commands of a block: `\` continuations and quotes spanning lines joined; `# → ` lines attach to the command before. */
export function splitCommands(lines: string[], firstLine: number): Command[] {
  const commands: Command[] = [];
  let current: Command | undefined;
  let open = false; // inside a quote or after a trailing backslash
  let quote: string | undefined;
  for (const [n, raw] of lines.entries()) {
    if (!open) {
      const expectation = /^#\s*→\s?(.*)$/.exec(raw.trim());
      if (expectation) {
        if (!commands.length) throw new Error(`README line ${firstLine + n}: an expectation before any command`);
        commands[commands.length - 1].expect.push(expectation[1].trim());
        continue;
      }
      if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
      current = { text: raw, line: firstLine + n, expect: [] };
      commands.push(current);
    } else current!.text += `\n${raw}`;
    // scan the line for quote state (shell rules enough for README commands)
    for (let c = 0; c < raw.length; c++) {
      const ch = raw[c];
      if (quote) {
        if (ch === quote) quote = undefined;
        else if (ch === '\\' && quote === '"') c++;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\') c++;
      else if (ch === '#' && (c === 0 || /\s/.test(raw[c - 1]))) break; // a comment ends the line
    }
    open = quote !== undefined || /\\$/.test(raw);
  }
  if (open) throw new Error(`README line ${current?.line}: unterminated quote or continuation`);
  return commands;
}

/** What .ci/run runs in the same job before this check (`npm ci` runs build:ts as its prepare step). */
const CI_COMMANDS = /^npm (ci|test|run (lint|typecheck|test:native|check:readme|build:ts))\b/;
const SERVER_COMMAND = /^([A-Z_]+=('[^']*'|"[^"]*"|\S+)\s+)*(npm start|node bin\/sparrow\.js serve)\b(?!.*--help)/;
const OPENS_DATA_DIR = /\bbin\/sparrow\.js (index|eval|bench)\b/;

/** The text without trailing comments on its first line (for classification). */
function head(text: string): string {
  return text.trim().split('\n')[0];
}

export function isServerCommand(text: string): boolean {
  return SERVER_COMMAND.test(head(text));
}

export function substitutePort(text: string, port: number): string {
  return text.replace(/\b(localhost|127\.0\.0\.1):8080\b/g, `$1:${port}`);
}

export function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh copy of the checkout: tracked and new files, the built dist/ and addon, node_modules linked. */
function freshCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-readme-'));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (files.status !== 0) throw new Error(`git ls-files failed: ${files.stderr}`);
  for (const file of files.stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  for (const built of ['dist', 'native/build/Release/sparrow_native.node']) {
    if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run npm ci (or npm run build) first`);
    fs.cpSync(path.join(ROOT, built), path.join(dir, built), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // curl as written, plus the HTTP status of each answer on stderr for the check
  const shim = path.join(dir, '.check-readme-bin');
  fs.mkdirSync(shim);
  const curl = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
  if (!curl) throw new Error('curl is not installed');
  fs.writeFileSync(path.join(shim, 'curl'), `#!/bin/sh\nexec ${curl} "$@" -w '%{stderr}\\n${STATUS_MARK}%{http_code}]\\n'\n`, { mode: 0o755 });
  return dir;
}

/** Every process below `pid` (from ps: pid and parent pid of each process). */
function descendants(pid: number): number[] {
  const table = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout.trim().split('\n');
  const children = new Map<number, number[]>();
  for (const row of table) {
    const [p, parent] = row.trim().split(/\s+/).map(Number);
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

interface Outcome {
  ok: boolean;
  message: string;
}

class Runner {
  private server: ChildProcess | undefined;
  /** the command of the running (or last) server, and of the first one: the Quickstart server */
  private serverCommand: string | undefined;
  private baseCommand: string | undefined;
  private serverLog = '';

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${path.join(this.dir, '.check-readme-bin')}:${process.env.PATH}`, SPARROW_PORT: String(this.port), NO_COLOR: '1' };
  }

  async startServer(command: string): Promise<Outcome> {
    await this.stopServer();
    this.serverCommand = command;
    this.baseCommand ??= command;
    this.serverLog = '';
    const child = spawn('bash', ['-c', command], { cwd: this.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d) => (this.serverLog += d));
    child.stderr!.on('data', (d) => (this.serverLog += d));
    this.server = child;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) return { ok: false, message: `the server exited (${child.exitCode}):\n${this.serverLog.slice(-2000)}` };
      const status = await fetch(`http://127.0.0.1:${this.port}/ready`).then((r) => r.status, () => 0);
      if (status === 200) return { ok: true, message: 'server ready' };
      await new Promise((r) => setTimeout(r, 250));
    }
    return { ok: false, message: `the server was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${this.serverLog.slice(-2000)}` };
  }

  async stopServer(): Promise<void> {
    const child = this.server;
    this.server = undefined;
    if (!child || child.exitCode !== null) return;
    // npm, sh and node (npm may start its script in another process group): the data directory is
    // free only once node has closed it, so every process of the tree is signalled and waited for
    const pids = [child.pid!, ...descendants(child.pid!)];
    const alive = () => pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    for (const pid of pids) signal(pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of alive()) signal(pid, 'SIGKILL');
    while (alive().length > 0) await new Promise((r) => setTimeout(r, 100));
  }

  /** End of a block: a server it started with other settings than the Quickstart's is stopped. */
  async endBlock(): Promise<void> {
    if (this.serverCommand === this.baseCommand) return;
    await this.stopServer();
    this.serverCommand = this.baseCommand;
  }

  async run(command: Command): Promise<Outcome> {
    const text = substitutePort(command.text, this.port);
    const first = head(text);
    if (SERVER_COMMAND.test(first)) return this.startServer(text);
    if (OPENS_DATA_DIR.test(first) && !/--url\b/.test(text)) await this.stopServer();
    if (/\b(localhost|127\.0\.0\.1):\d+/.test(text) && !this.server) {
      if (!this.serverCommand) return { ok: false, message: 'calls the server, but no block before it started one' };
      const started = await this.startServer(this.serverCommand);
      if (!started.ok) return started;
    }
    const res = spawnSync('bash', ['-o', 'pipefail', '-c', text], { cwd: this.dir, env: this.env(), encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1 << 28 });
    const statuses = [...res.stderr.matchAll(/\[check:readme HTTP (\d{3})\]/g)].map((m) => Number(m[1]));
    const stderr = res.stderr.split('\n').filter((l) => !l.startsWith(STATUS_MARK)).join('\n');
    const output = normalize(`${res.stdout}\n${stderr}`);
    const shown = `${res.stdout}${stderr}`.trim().slice(0, 1500);
    if (res.error) return { ok: false, message: `${res.error.message}\n${shown}` };
    let expectedStatus: number | undefined;
    for (const e of command.expect) {
      const m = /^(\d{3})(?:\s+(.*))?$/.exec(e);
      if (m) expectedStatus = Number(m[1]);
      const want = normalize(m ? (m[2] ?? '') : e);
      if (want && !output.includes(want)) return { ok: false, message: `the output lacks ${JSON.stringify(want)}:\n${shown}` };
    }
    const last = statuses.at(-1);
    if (expectedStatus !== undefined) {
      if (last !== expectedStatus) return { ok: false, message: `expected HTTP ${expectedStatus}, got ${last ?? 'no answer'}:\n${shown}` };
    } else {
      const bad = statuses.find((s) => s >= 400 || s === 0);
      if (bad !== undefined) return { ok: false, message: `HTTP ${bad}:\n${shown}` };
      if (res.status !== 0) return { ok: false, message: `exit ${res.status}:\n${shown}` };
    }
    return { ok: true, message: first.slice(0, 100) };
  }
}

async function main(): Promise<number> {
  const started = performance.now();
  const blocks = parseReadme(fs.readFileSync(README, 'utf8'));
  const dir = freshCopy();
  const runner = new Runner(dir, await freePort());
  process.stdout.write(`check:readme: ${blocks.length} shell blocks, run in ${dir} on port ${runner.port}\n`);
  let failures = 0;
  try {
    for (const block of blocks) {
      const where = `README.md:${block.line} (${block.heading})`;
      if (block.skip) {
        process.stdout.write(`skip  ${where}: ${block.skip}\n`);
        continue;
      }
      for (const command of block.commands) {
        const first = head(command.text);
        if (CI_COMMANDS.test(first)) {
          process.stdout.write(`ci    README.md:${command.line}: ${first} (run by .ci/run itself)\n`);
          continue;
        }
        const t0 = performance.now();
        const outcome = await runner.run(command);
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        process.stdout.write(`${outcome.ok ? 'ok   ' : 'FAIL '} README.md:${command.line} ${secs} s: ${first.slice(0, 110)}\n`);
        if (!outcome.ok) {
          failures++;
          process.stdout.write(`${outcome.message.replace(/^/gm, '      ')}\n`);
        }
      }
      await runner.endBlock();
    }
  } finally {
    await runner.stopServer();
    if (failures === 0) fs.rmSync(dir, { recursive: true, force: true });
  }
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  process.stdout.write(failures === 0 ? `check:readme: every command passed in ${secs} s\n` : `check:readme: ${failures} failed (${secs} s); the copy is kept in ${dir}\n`);
  return failures === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
