/**
 * A filter evaluated on one searched part: a sealed segment (bit r = its row r) or the unsealed
 * rows (bit i = docno base + i). The result is a bitset of the part's own size, handed to the
 * native search as is (a sealed segment's `allow`, read in place) or read by the mutable search.
 *
 * A sealed segment's rows and their docnos never change, nor does a docno's metadata (an update
 * is a new docno), so a filter's result on a segment never goes stale: each segment keeps the
 * results of its recent leaf predicates and whole filters in a FilterCache (an LRU of
 * FilterCache.CAPACITY entries, keyed by the canonical JSON of the filter; at most CAPACITY x
 * rows / 8 bytes per segment, 4 bytes per row). A repeated filter then allocates nothing; a new
 * one allocates one bitset per segment per leaf and per and/or/not node (proportional to the
 * segment, never to the collection). Results are immutable once made: combinations write a new
 * bitset.
 */
import { Lru } from '../../core/lru.js';
import type { DocNo } from '../../core/types.js';
import type { Filter } from '../types.js';
import { popcount, type FilterIndex } from './filter-index.js';

/** A part's allowed positions and how many there are. Never written once made. */
export interface Allowed {
  readonly words: Uint32Array;
  readonly count: number;
}

/** A small LRU of one sealed segment's filter results, by canonical filter JSON. */
export class FilterCache<V = Allowed> extends Lru<string, V> {
  static readonly CAPACITY = 32;

  constructor(capacity = FilterCache.CAPACITY) {
    super(capacity);
  }
}

/** Where a filter is evaluated: `bits` positions covering docnos [lo, hi]; a docno's position or -1. */
export interface FilterPart {
  readonly bits: number;
  readonly lo: DocNo;
  readonly hi: DocNo;
  positionOf(docno: DocNo): number;
  /** a sealed segment's results (none for the unsealed rows, which change) */
  readonly cache?: FilterCache;
}

/** One resolution of a filter over several parts: the bytes of fresh bitsets made (introspection) and each node's cache key, computed once. */
export class FilterCost {
  bytes = 0;
  private readonly keys = new Map<Filter, string>();
  keyOf(f: Filter): string {
    let key = this.keys.get(f);
    if (key === undefined) this.keys.set(f, (key = canonicalJson(f)));
    return key;
  }
}

/** Evaluates a checked filter (FilterIndex.check) on one part. */
export function evaluateFilter(index: FilterIndex, filter: Filter, part: FilterPart, cost: FilterCost): Allowed {
  return evaluate(index, filter, part, true, cost);
}

function evaluate(index: FilterIndex, f: Filter, part: FilterPart, root: boolean, cost: FilterCost): Allowed {
  const leaf = !('and' in f || 'or' in f || 'not' in f);
  const key = part.cache && (root || leaf) ? cost.keyOf(f) : undefined;
  const cached = key === undefined ? undefined : part.cache!.get(key);
  if (cached) return cached;
  const words = new Uint32Array((part.bits + 31) >>> 5);
  cost.bytes += words.byteLength;
  if ('and' in f || 'or' in f) {
    const and = 'and' in f;
    const sets = (and ? f.and : f.or).map((g) => evaluate(index, g, part, false, cost).words);
    words.set(sets[0]);
    for (const s of sets.slice(1)) for (let i = 0; i < words.length; i++) words[i] = and ? words[i] & s[i] : words[i] | s[i];
  } else if ('not' in f) {
    const s = evaluate(index, f.not, part, false, cost).words;
    for (let i = 0; i < words.length; i++) words[i] = ~s[i];
    const tail = part.bits & 31; // no bits past the part's end
    if (tail !== 0) words[words.length - 1] &= 2 ** tail - 1;
  } else {
    index.visitLeaf(f, part.lo, part.hi, (d) => {
      const p = part.positionOf(d);
      if (p >= 0) words[p >>> 5] |= 1 << (p & 31);
    });
  }
  const out = { words, count: popcount(words) };
  if (key !== undefined) part.cache!.set(key, out);
  return out;
}

/** JSON with every object's keys sorted: one key per filter, however its keys were ordered. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
