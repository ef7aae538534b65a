/**
 * The dense side's view of filters. The dense field is keyed by docno over the whole collection, so
 * a filter is handed to its search as the allowed docnos: one docno-indexed native RowBitmap
 * (chunks of 65,536 bits, copy-on-write) per canonical filter, kept in a small LRU.
 *
 * A docno's metadata never changes (an update is a new docno) and docnos only grow, so a cached set
 * never goes stale: before a search it is only extended, over the docnos the FilterIndex gained
 * since it was last extended (a bitset of that span, ORed in by one native call). Deleted docnos
 * need nothing: the dense field's `removed` bitmap excludes them. A repeated filter therefore walks
 * only the new docnos, and the native search reads the set through a snapshot of its chunk pointers
 * (the same snapshot while nothing changed): no bitmap the size of the collection per query, and
 * after a write one copied chunk at the collection's end. A new filter costs one walk of its
 * matches and a bitset of the collection's docno span.
 *
 * Bound: CAPACITY sets of at most maxDocno / 8 bytes each.
 */
import type { DocNo } from '../../core/types.js';
import type { RowBitmap } from '../../index/native-types.js';
import { createRowBitmap } from '../../index/native.js';
import type { Filter } from '../types.js';
import type { FilterIndex } from './filter-index.js';
import { canonicalJson, evaluateFilter, FilterCache, FilterCost } from './segment-filter.js';

interface DenseAllow {
  readonly bits: RowBitmap;
  /** every docno up to this one has been resolved into `bits` */
  through: DocNo;
}

export class DenseFilterCache {
  static readonly CAPACITY = 16;
  /** the sets by canonical filter: the sparse side's LRU (and its hit and miss counts) */
  private readonly entries = new FilterCache<DenseAllow>(DenseFilterCache.CAPACITY);
  /** docnos resolved to build or extend sets (introspection for tests and benches) */
  resolvedDocnos = 0;

  constructor(private readonly index: FilterIndex) {}

  get size(): number {
    return this.entries.size;
  }
  get hits(): number {
    return this.entries.hits;
  }
  get misses(): number {
    return this.entries.misses;
  }

  /** The docnos a checked filter (FilterIndex.check) allows, up to the newest docno of the index. */
  allowed(filter: Filter): RowBitmap {
    const key = canonicalJson(filter);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { bits: createRowBitmap(0), through: 0 };
      this.entries.set(key, entry);
    }
    this.extend(entry, filter);
    return entry.bits;
  }

  private extend(entry: DenseAllow, filter: Filter): void {
    const hi = this.index.maxDocno;
    if (hi <= entry.through) return;
    const lo = entry.through + 1;
    const bits = hi - lo + 1;
    const span = evaluateFilter(this.index, filter, { bits, lo, hi, positionOf: (d) => d - lo }, new FilterCost());
    entry.bits.grow(hi + 1);
    entry.bits.setWords(span.words, lo);
    entry.through = hi;
    this.resolvedDocnos += bits;
  }
}
