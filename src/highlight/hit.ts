/** A search hit's highlight: the document's tokens read by the collection's encoder, spans, expansions, fragments. */
import type { SparseEncoder } from '../encoder/types.js';
import { encodedContent } from '../engine/write/document-input.js';
import { fragmentsOf, FRAGMENT_DEFAULTS, type HighlightOptions } from './fragments.js';

export type { HighlightOptions } from './fragments.js';
import { highlightDocument, layoutOf, type Highlight, type MatchedTerm } from './highlight.js';

export function highlightHit(encoder: SparseEncoder | undefined, title: string | null, text: string | null, terms: readonly MatchedTerm[], options: HighlightOptions = {}): Highlight {
  if (encoder === undefined) {
    return { expansions: [], unavailable: 'the collection has no encoder (pre-encoded vectors): which words match cannot be told' };
  }
  const layout = layoutOf(title, text);
  const content = encodedContent(title, text);
  const out = highlightDocument(layout, terms, encoder.tokenOffsets(content));
  if (options.fragments !== undefined) {
    const o = { ...FRAGMENT_DEFAULTS, ...options.fragments };
    for (const [field, value] of [
      ['title', title],
      ['text', text],
    ] as const) {
      const h = out[field];
      if (h && value !== null) h.fragments = fragmentsOf(value, h.spans, o);
    }
  }
  return out;
}
