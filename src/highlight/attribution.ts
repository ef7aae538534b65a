/**
 * Attribution of expansion terms (opt-in, `highlight: {attribute: true}`): the model is run again
 * on the hit's text to find, for each expansion term, the token whose logit gives the term its
 * max — the word the expansion comes from. Results are cached per (document row, encoder version);
 * one search waits at most `timeoutMs` for them (what is not ready then is `unattributed`, and
 * still lands in the cache). Documents whose vector the user supplied, or encoded by another
 * encoder version, and models whose output is already pooled are `unattributed`, with the reason.
 */
import type { SparseEncoder } from '../encoder/types.js';
import { CLS_POSITION } from '../encoder/splade-math.js';
import { encodedContent } from '../engine/write/document-input.js';
import { fieldOf, layoutOf, type Attribution, type Highlight } from './highlight.js';

export const ATTRIBUTION_TIMEOUT_MS = 2_000;
const CACHE_LIMIT = 2_000;

export interface AttributionDocument {
  /** identifies the stored row (a new version of a document is a new key) */
  key: string;
  title: string | null;
  text: string | null;
  encoderVersion: string;
}

type Positions = Map<number, number> | 'pooled';

/** A small LRU of model runs; a pending run is shared by concurrent searches. */
export class AttributionCache {
  private readonly entries = new Map<string, Promise<Positions>>();

  constructor(private readonly limit = CACHE_LIMIT) {}

  get(key: string, compute: () => Promise<Positions>): Promise<Positions> {
    let found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    found = compute();
    this.entries.set(key, found);
    found.catch(() => this.entries.delete(key));
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return found;
  }

  get size(): number {
    return this.entries.size;
  }
}

const TIMED_OUT = Symbol('timed out');

/** Fills `attribution` on every expansion of each highlight; resolves within about `timeoutMs`. */
export async function attributeExpansions(
  encoder: SparseEncoder | undefined,
  cache: AttributionCache,
  items: Array<{ doc: AttributionDocument; highlight: Highlight }>,
  timeoutMs = ATTRIBUTION_TIMEOUT_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs)));
  try {
    await Promise.all(items.map(({ doc, highlight }) => attributeOne(encoder, cache, doc, highlight, deadline)));
  } finally {
    clearTimeout(timer);
  }
}

async function attributeOne(encoder: SparseEncoder | undefined, cache: AttributionCache, doc: AttributionDocument, h: Highlight, deadline: Promise<typeof TIMED_OUT>): Promise<void> {
  if (h.expansions.length === 0) return;
  const all = (a: Attribution): void => h.expansions.forEach((e) => (e.attribution = a));
  if (encoder?.attribute === undefined) return all({ status: 'unattributed', reason: 'the encoder has no model to run (lexical terms are always literal)' });
  if (doc.encoderVersion !== encoder.version) {
    return all({ status: 'unattributed', reason: `the document vector was not made by this encoder (${doc.encoderVersion}): a user-supplied vector or another model version` });
  }
  const content = encodedContent(doc.title, doc.text);
  const run = cache.get(`${doc.key}\u0000${encoder.version}`, () => encoder.attribute!(content));
  const positions = await Promise.race([run, deadline]);
  if (positions === TIMED_OUT) return all({ status: 'unattributed', reason: 'timed out (the model run continues and is cached: ask again)' });
  if (positions === 'pooled') return all({ status: 'unattributed', reason: 'the model outputs pooled weights: no per-token logits to tell' });
  const tokens = encoder.tokenOffsets(content);
  const layout = layoutOf(doc.title, doc.text);
  for (const e of h.expansions) {
    const p = positions.get(e.id);
    if (p === undefined) e.attribution = { status: 'unattributed', reason: 'the term is not in the vector the model makes of the stored text' };
    else if (p < 0) e.attribution = { status: 'attributed', field: null, start: 0, end: 0, source: p === CLS_POSITION ? '[CLS]' : '[SEP]' };
    else {
      const at = fieldOf(layout, tokens.starts[p], tokens.ends[p]);
      e.attribution = { status: 'attributed', field: at.field, start: at.start, end: at.end, source: encoder.tokenOf(tokens.ids[p]) ?? '' };
    }
  }
}
