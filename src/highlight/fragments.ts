/**
 * Snippets around the best spans of a field (pure): up to `count` windows of about `size`
 * characters, each centred on the highest-contributing span not yet shown, cut at whitespace when
 * one is near and never inside a surrogate pair; HTML-escaped, with the spans inside wrapped in
 * the given tags. Windows are returned in text order.
 */
import type { Span } from './highlight.js';

export interface FragmentOptions {
  count: number;
  size: number;
  preTag: string;
  postTag: string;
}

/** what a search asks of its highlights (carried in the engine's search options) */
export interface HighlightOptions {
  /** snippets around the best spans of each field; none unless asked */
  fragments?: Partial<FragmentOptions>;
  /** re-run the model to find the words behind each expansion term (SPLADE) */
  attribute?: boolean;
  /** bound on the attribution of one search, in milliseconds */
  timeoutMs?: number;
}

export const FRAGMENT_DEFAULTS: FragmentOptions = { count: 3, size: 160, preTag: '<mark>', postTag: '</mark>' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const spanWeight = (s: Span): number => s.terms.reduce((sum, t) => sum + t.contribution, 0);

export function fragmentsOf(text: string, spans: readonly Span[], options: FragmentOptions): string[] {
  if (options.count <= 0 || text.length === 0) return [];
  const windows: Array<[number, number]> = [];
  const best = [...spans].sort((a, b) => spanWeight(b) - spanWeight(a) || a.start - b.start);
  for (const span of best) {
    if (windows.length >= options.count) break;
    if (windows.some(([s, e]) => span.start < e && span.end > s)) continue;
    let [start, end] = around(text, span, options.size);
    // never overlap a window already chosen
    for (const [s, e] of windows) {
      if (start < e && end > s) [start, end] = start < s ? [start, Math.max(span.end, s)] : [Math.min(span.start, e), end];
    }
    windows.push([start, end]);
  }
  if (windows.length === 0) windows.push(around(text, { start: 0, end: 0, terms: [] }, options.size));
  return windows.sort((a, b) => a[0] - b[0]).map(([s, e]) => render(text, s, e, spans, options));
}

function around(text: string, span: Span, size: number): [number, number] {
  const room = Math.max(0, size - (span.end - span.start));
  let start = Math.max(0, span.start - Math.floor(room / 2));
  let end = Math.min(text.length, start + Math.max(size, span.end - span.start));
  start = Math.max(0, Math.min(start, end - size));
  // move inward to a word boundary when one is within 20 characters (the span stays whole)
  if (start > 0) {
    const ws = text.slice(start, Math.min(span.start, start + 20)).search(/\s/);
    if (ws >= 0) start += ws + 1;
  }
  if (end < text.length) {
    const tail = text.slice(Math.max(span.end, end - 20), end);
    const ws = tail.search(/\s\S*$/);
    if (ws >= 0) end = Math.max(span.end, end - 20) + ws;
  }
  return [snap(text, start), snap(text, end)];
}

/** An offset moved off the low half of a surrogate pair. */
function snap(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return i > 0 && i < text.length && c >= 0xdc00 && c <= 0xdfff ? i - 1 : i;
}

function render(text: string, start: number, end: number, spans: readonly Span[], o: FragmentOptions): string {
  let out = '';
  let at = start;
  for (const s of spans) {
    if (s.start < at || s.end > end) continue;
    out += escapeHtml(text.slice(at, s.start)) + o.preTag + escapeHtml(text.slice(s.start, s.end)) + o.postTag;
    at = s.end;
  }
  return out + escapeHtml(text.slice(at, end));
}
