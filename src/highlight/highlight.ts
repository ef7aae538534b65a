/**
 * Where a hit matched (pure). Given the terms a query and a document share (with their
 * contributions) and the document's tokens with offsets (as its encoder read them), each token of
 * a shared term becomes a span over `title` or `text` — a literal match: a WordPiece piece for
 * SPLADE, the analyzed word for BM25 (a stem spans the word it came from). A shared term with no
 * token in the text is an expansion: the model put it in the document vector without the text
 * holding it; it is reported with its weight, never as a span.
 */
import type { TokenOffsets } from '../encoder/tokenizer.js';

export interface MatchedTerm {
  token: string;
  id: number;
  queryWeight: number;
  documentWeight: number;
  contribution: number;
}

export interface SpanTerm {
  token: string;
  id: number;
  contribution: number;
}

/** [start, end) in UTF-16 units of the field, as JavaScript strings index. */
export interface Span {
  start: number;
  end: number;
  terms: SpanTerm[];
}

export interface FieldHighlight {
  spans: Span[];
  fragments?: string[];
}

export interface Expansion extends MatchedTerm {
  /** with highlight.attribute: the words whose logits give the term its weight, or why not */
  attribution?: Attribution;
}

export type Attribution = { status: 'attributed'; field: 'title' | 'text' | null; start: number; end: number; source: string } | { status: 'unattributed'; reason: string };

export interface Highlight {
  title?: FieldHighlight;
  text?: FieldHighlight;
  expansions: Expansion[];
  /** why nothing can be said (no encoder to read the text with) */
  unavailable?: string;
}

/** Where each field sits in the content the encoder read (title + '\n' + text). */
export interface FieldLayout {
  title: string | null;
  text: string | null;
  /** offset of `text` in the content */
  textOffset: number;
}

export function layoutOf(title: string | null, text: string | null): FieldLayout {
  return { title, text, textOffset: title !== null && title.length > 0 ? title.length + 1 : 0 };
}

/** Maps a content offset range to its field and field-relative offsets. */
export function fieldOf(layout: FieldLayout, start: number, end: number): { field: 'title' | 'text'; start: number; end: number } {
  const titleLength = layout.title?.length ?? 0;
  if (layout.textOffset > 0 && start < titleLength) return { field: 'title', start, end: Math.min(end, titleLength) };
  return { field: 'text', start: start - layout.textOffset, end: end - layout.textOffset };
}

export function highlightDocument(layout: FieldLayout, terms: readonly MatchedTerm[], tokens: TokenOffsets): Highlight {
  const byId = new Map(terms.map((t) => [t.id, t]));
  const literal = new Set<number>();
  const spans = { title: new Map<string, Span>(), text: new Map<string, Span>() };
  for (let i = 0; i < tokens.ids.length; i++) {
    const term = byId.get(tokens.ids[i]);
    if (term === undefined) continue;
    literal.add(term.id);
    const at = fieldOf(layout, tokens.starts[i], tokens.ends[i]);
    const key = `${at.start}:${at.end}`;
    const span = spans[at.field].get(key);
    const carried = { token: term.token, id: term.id, contribution: term.contribution };
    if (span === undefined) spans[at.field].set(key, { start: at.start, end: at.end, terms: [carried] });
    else if (!span.terms.some((t) => t.id === term.id)) span.terms.push(carried);
  }
  const ordered = (m: Map<string, Span>): Span[] => [...m.values()].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Highlight = { expansions: terms.filter((t) => !literal.has(t.id)).map((t) => ({ ...t })) };
  if (layout.title !== null) out.title = { spans: ordered(spans.title) };
  if (layout.text !== null) out.text = { spans: ordered(spans.text) };
  return out;
}
