/**
 * Real technical text for the benchmark: the English manual pages shipped by the Debian packages
 * `manpages` and `manpages-dev` (the Linux man-pages project; GPL-2+ and other free licences listed
 * in /usr/share/doc/manpages/copyright). Read from the installed packages (`dpkg -L`), never copied
 * into the repository. Each page's roff source is reduced to plain text (macros and font escapes
 * dropped) and cut into passages of about PASSAGE_WORDS words at paragraph boundaries; a page's
 * NAME line ("open, openat \- open and possibly create a file") gives its description.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const MANPAGE_PACKAGES = ['manpages', 'manpages-dev'] as const;
const PASSAGE_WORDS = 120;

export interface ManPage {
  name: string; // file name without .gz, e.g. open.2
  description: string; // from the NAME section, '' when there is none
  passages: string[];
}

/** The man page files of the packages, sorted; throws a clear error when a package is missing. */
export function manPageFiles(): string[] {
  let listing: string;
  try {
    listing = execFileSync('dpkg', ['-L', ...MANPAGE_PACKAGES], { encoding: 'utf8' });
  } catch {
    throw new Error(`the Debian packages ${MANPAGE_PACKAGES.join(' and ')} are not installed: apt-get install -y ${MANPAGE_PACKAGES.join(' ')}`);
  }
  return listing
    .split('\n')
    .filter((f) => /\/usr\/share\/man\/man\d\/[^/]+\.gz$/.test(f) && fs.existsSync(f) && !fs.lstatSync(f).isSymbolicLink())
    .sort();
}

/** Inline roff escapes to plain text. */
function unescape(s: string): string {
  return s
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '') // font changes
    .replace(/\\\*(\[[^\]]*\]|\(..|.)/g, '') // strings
    .replace(/\\\((em|en|aq|dq|lq|rq|bu|co|rg|tm|mi|pl|ti|ha|at)/g, ' ')
    .replace(/\\\[[^\]]*\]/g, ' ')
    .replace(/\\[-e]/g, (m) => (m === '\\-' ? '-' : '\\'))
    .replace(/\\[&|^~0 ]/g, ' ')
    .replace(/\\[sv]'?[-+]?\d*'?/g, '')
    .replace(/\\"/g, '')
    .replace(/\\/g, '');
}

/** Macro arguments, quotes removed (".BR open (2)" -> "open (2)"). */
function macroText(args: string): string {
  return (args.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"|"$/g, '')).join(' ');
}

/** A page's roff source -> description and passages; undefined for a `.so` redirect. */
export function parseManPage(name: string, roff: string): ManPage | undefined {
  const lines = roff.split('\n');
  if (lines.some((l) => /^\.so\s/.test(l)) && lines.filter((l) => l.trim() !== '' && !l.startsWith('.\\"')).length <= 2) return undefined;
  const paragraphs: string[] = [];
  let current: string[] = [];
  let section = '';
  let nameLine = '';
  const breakParagraph = (): void => {
    const text = current.join(' ').replace(/\s+/g, ' ').trim();
    if (text !== '') paragraphs.push(text);
    current = [];
  };
  for (const raw of lines) {
    if (raw.startsWith('.\\"') || raw.startsWith("'\\\"") || raw === '.') continue;
    const macro = /^[.'](\S+)\s*(.*)$/.exec(raw);
    if (macro) {
      const [, m, args] = macro;
      if (m === 'SH' || m === 'SS') {
        breakParagraph();
        section = macroText(args).toUpperCase();
        continue;
      }
      if (['PP', 'P', 'LP', 'TP', 'IP', 'HP', 'TH', 'RS', 'RE', 'nf', 'fi', 'EX', 'EE', 'sp', 'br', 'in', 'TQ', 'ad', 'na', 'ne', 'ft', 'ps', 'ti', 'UR', 'UE', 'ME', 'MT', 'YS', 'SY', 'OP', 'ds', 'de', 'if', 'ie', 'el', 'nr', 'tr', 'hy', 'nh', 'ta', 'ce', 'ig', 'ss', 'cs', 'so', 'TS', 'TE', 'T&', 'mso', 'PD', 'ns', 'rs', 'bp', 'ev', 'll', 'lt', 'pl'].includes(m)) {
        if (['PP', 'P', 'LP', 'TP', 'IP', 'HP', 'SY'].includes(m)) breakParagraph();
        if (m === 'IP' && args) current.push(unescape(macroText(args)));
        continue;
      }
      // font macros (.B .I .BR .IR .BI .RB .SM ...) carry text
      current.push(unescape(macroText(args)));
      continue;
    }
    const text = unescape(raw);
    if (section === 'NAME' && nameLine === '') nameLine = text;
    current.push(text);
  }
  breakParagraph();
  const dash = nameLine.indexOf(' - ');
  const description = dash >= 0 ? nameLine.slice(dash + 3).trim() : '';
  // Passages: consecutive paragraphs up to about PASSAGE_WORDS words (a longer paragraph is cut).
  const passages: string[] = [];
  let words: string[] = [];
  const flush = (): void => {
    if (words.length > 0) passages.push(`${name}: ${words.join(' ')}`);
    words = [];
  };
  for (const p of paragraphs) {
    const w = p.split(' ');
    if (words.length + w.length > PASSAGE_WORDS) flush();
    for (let i = 0; i < w.length; i += PASSAGE_WORDS) {
      words.push(...w.slice(i, i + PASSAGE_WORDS));
      if (words.length >= PASSAGE_WORDS) flush();
    }
  }
  flush();
  return { name, description, passages };
}

/** Every page of the packages (redirects skipped), in file order. */
export function readManPages(): ManPage[] {
  const out: ManPage[] = [];
  for (const file of manPageFiles()) {
    const page = parseManPage(file.slice(file.lastIndexOf('/') + 1).replace(/\.gz$/, ''), gunzipSync(fs.readFileSync(file)).toString('utf8'));
    if (page && page.passages.length > 0) out.push(page);
  }
  return out;
}
