/** The README checker's parsing (scripts/check-readme.ts); `npm run check:readme` runs the blocks themselves. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isServerCommand, normalize, parseReadme, splitCommands, substitutePort } from '../../scripts/check-readme.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('check:readme parsing', () => {
  it('joins continuations and quotes spanning lines, attaches expectations, drops comments', () => {
    const commands = splitCommands(
      ['# a comment', "curl -s x -d '{\"a\": 1,", "  \"b\": # not a comment", "2}'", '# → "a":1', 'echo one \\', '  two   # trailing', '# → 400 BAD'],
      10,
    );
    expect(commands).toEqual([
      { text: "curl -s x -d '{\"a\": 1,\n  \"b\": # not a comment\n2}'", line: 11, expect: ['"a":1'] },
      { text: 'echo one \\\n  two   # trailing', line: 15, expect: ['400 BAD'] },
    ]);
    expect(() => splitCommands(["echo 'open"], 1)).toThrow(/unterminated/);
  });

  it('runs sh blocks only, and skips a block marked with its reason', () => {
    const md = ['# T', '## A', '```sh', 'echo a', '```', '```text', 'sparrow eval [--k N]', '```', '## B', '```sh', '# long-running benchmark: not run by npm run check:readme', 'npm run bench', '```'].join('\n');
    expect(parseReadme(md)).toEqual([
      { heading: 'A', line: 3, skip: undefined, commands: [{ text: 'echo a', line: 4, expect: [] }] },
      { heading: 'B', line: 10, skip: 'long-running benchmark', commands: [] },
    ]);
  });

  it('recognises a server start, with variables before it (quoted values too), and not its --help', () => {
    expect(isServerCommand('npm start     # serves')).toBe(true);
    expect(isServerCommand("SPARROW_API_KEY=a SPARROW_API_KEYS='read:b write:c:docs' npm start")).toBe(true);
    expect(isServerCommand('node bin/sparrow.js serve --max-k 5')).toBe(true);
    expect(isServerCommand('node bin/sparrow.js serve --help')).toBe(false);
    expect(isServerCommand('node bin/sparrow.js index x --collection y')).toBe(false);
  });

  it('substitutes the port and compares whitespace loosely', () => {
    expect(substitutePort('curl localhost:8080/x http://127.0.0.1:8080 localhost:80800', 4242)).toBe('curl localhost:4242/x http://127.0.0.1:4242 localhost:80800');
    expect(normalize(' a \n  b ')).toBe('a b');
  });

  it('parses the README: every sh block has commands or a skip reason', () => {
    const blocks = parseReadme(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) expect(b.skip !== undefined || b.commands.length > 0, `README.md:${b.line}`).toBe(true);
    const skipped = blocks.filter((b) => b.skip).map((b) => b.skip!);
    for (const reason of skipped) expect(reason).toMatch(/long-running|Docker|model/);
  });

  it('links every section of the README from its table of contents', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const toc = /^Contents: ([\s\S]*?)\n\n/m.exec(readme)?.[1] ?? '';
    const links = new Set([...toc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]));
    // GitHub's anchors: lower case, punctuation dropped, each space a hyphen
    const slug = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]).filter((h) => h !== 'Quickstart');
    for (const section of sections) expect(links.has(slug(section)), `## ${section} (#${slug(section)})`).toBe(true);
  });
});
