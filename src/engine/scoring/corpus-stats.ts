/**
 * Live BM25 statistics over the lexical (term-frequency) documents: N, document frequency per
 * term, average length. Kept in memory, updated on every acknowledged insert/delete, rebuilt from
 * SQLite at open (derived data: never persisted separately).
 */
import type { TermId } from '../../core/types.js';
import type { CorpusStats } from '../../encoder/types.js';

export class LiveCorpusStats implements CorpusStats {
  private readonly df = new Map<TermId, number>();
  private docs = 0;
  private totalLength = 0;

  get numDocs(): number {
    return this.docs;
  }

  get avgDocLength(): number {
    return this.docs === 0 ? 0 : this.totalLength / this.docs;
  }

  docFreq(term: TermId): number {
    return this.df.get(term) ?? 0;
  }

  add(terms: Uint32Array, length: number): void {
    this.docs++;
    this.totalLength += length;
    for (const t of terms) this.df.set(t, (this.df.get(t) ?? 0) + 1);
  }

  remove(terms: Uint32Array, length: number): void {
    this.docs--;
    this.totalLength -= length;
    for (const t of terms) {
      const n = (this.df.get(t) ?? 0) - 1;
      if (n <= 0) this.df.delete(t);
      else this.df.set(t, n);
    }
  }
}
