/**
 * Live BM25 statistics over the lexical (term-frequency) documents: N, document frequency per
 * term, average length. Kept in memory, updated on every acknowledged insert/delete, rebuilt from
 * SQLite at open (derived data: never persisted separately).
 */
import { termKey, type TermId } from '../../core/types.js';
import type { CorpusStats } from '../../encoder/types.js';

export class LiveCorpusStats implements CorpusStats {
  /** by term id as a signed 32-bit integer (termKey): a small integer key, not a heap number */
  private readonly df = new Map<number, number>();
  private docs = 0;
  private totalLength = 0;

  get numDocs(): number {
    return this.docs;
  }

  get avgDocLength(): number {
    return this.docs === 0 ? 0 : this.totalLength / this.docs;
  }

  docFreq(term: TermId): number {
    return this.df.get(termKey(term)) ?? 0;
  }

  add(terms: Uint32Array, length: number): void {
    this.docs++;
    this.totalLength += length;
    for (const term of terms) {
      const t = termKey(term);
      this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
  }

  remove(terms: Uint32Array, length: number): void {
    this.docs--;
    this.totalLength -= length;
    for (const term of terms) {
      const t = termKey(term);
      const n = (this.df.get(t) ?? 0) - 1;
      if (n <= 0) this.df.delete(t);
      else this.df.set(t, n);
    }
  }
}
