/** A bounded map that forgets its least recently used entry first (Map insertion order). */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  /** lookups answered from the cache, and not (introspection for tests and benches) */
  hits = 0;
  misses = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const v = this.entries.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key); // most recently used last
    this.entries.set(key, v);
    return v;
  }

  set(key: K, v: V): void {
    this.entries.set(key, v);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
