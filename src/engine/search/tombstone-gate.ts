/**
 * When a tombstone may go. A search resolves each hit's docno to a document id after its native
 * call returns; a document updated or deleted meanwhile is found through the tombstone of its old
 * docno (search.ts toSearchHits). A seal or merge that drops deleted rows may purge their
 * tombstones only once every search that started before that job was published has ended;
 * otherwise such a search drops a live document from its hits.
 */
export class TombstoneGate {
  private epoch = 0;
  /** acquire epoch -> searches still running that started in it */
  private readonly active = new Map<number, number>();
  private readonly pending: Array<{ epoch: number; docnos: ArrayLike<number> & Iterable<number> }> = [];

  constructor(private readonly purge: (docnos: Iterable<number>) => void) {}

  /** A search starts: returns its token for leave(). */
  enter(): number {
    this.active.set(this.epoch, (this.active.get(this.epoch) ?? 0) + 1);
    return this.epoch;
  }

  leave(token: number): void {
    const n = (this.active.get(token) ?? 1) - 1;
    if (n <= 0) this.active.delete(token);
    else this.active.set(token, n);
    this.flush();
  }

  /** Purges `docnos` once the searches running now have ended (at once when none is). */
  defer(docnos: ArrayLike<number> & Iterable<number>): void {
    if (docnos.length === 0) return;
    this.pending.push({ epoch: ++this.epoch, docnos });
    this.flush();
  }

  /** Tombstones waiting for a search to end. */
  get waiting(): number {
    return this.pending.reduce((n, p) => n + p.docnos.length, 0);
  }

  private flush(): void {
    if (this.pending.length === 0) return; // the usual case: nothing waits
    let oldest = Infinity;
    for (const e of this.active.keys()) oldest = Math.min(oldest, e);
    while (this.pending.length > 0 && this.pending[0].epoch <= oldest) this.purge(this.pending.shift()!.docnos);
  }
}
