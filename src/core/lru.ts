/**
 * A bounded map that forgets its least recently used entry first. Entries sit in a doubly linked
 * list, most recently used at the head: a hit moves its node to the head by pointer changes, not by
 * deleting and re-adding the Map entry (two more hash operations per hit, and deleted Map slots that
 * make the table rebuild itself every few thousand hits).
 */
interface Node<K, V> {
  key: K;
  value: V;
  /** towards the most recently used end */
  newer: Node<K, V> | undefined;
  /** towards the least recently used end */
  older: Node<K, V> | undefined;
}

export class Lru<K, V> {
  private readonly entries = new Map<K, Node<K, V>>();
  private newest: Node<K, V> | undefined;
  private oldest: Node<K, V> | undefined;
  /** lookups answered from the cache, and not (introspection for tests and benches) */
  hits = 0;
  misses = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const node = this.entries.get(key);
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.toNewest(node);
    return node.value;
  }

  set(key: K, v: V): void {
    const node = this.entries.get(key);
    if (node !== undefined) {
      node.value = v; // its place is kept, as a Map keeps a key's place when its value changes
      return;
    }
    const added: Node<K, V> = { key, value: v, newer: undefined, older: this.newest };
    if (this.newest) this.newest.newer = added;
    this.newest = added;
    this.oldest ??= added;
    this.entries.set(key, added);
    if (this.entries.size > this.capacity) this.delete(this.oldest.key);
  }

  delete(key: K): void {
    const node = this.entries.get(key);
    if (node === undefined) return;
    this.entries.delete(key);
    this.unlink(node);
  }

  private unlink(node: Node<K, V>): void {
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    node.newer = node.older = undefined;
  }

  private toNewest(node: Node<K, V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    node.older = this.newest;
    if (this.newest) this.newest.newer = node;
    this.newest = node;
    this.oldest ??= node;
  }
}
