/**
 * The collection manager as the routes see it: every name a route gets may be an alias, resolved
 * once when the request asks for its collection. Aliases and collections share one namespace.
 */
import { AppError } from '../errors.js';
import type { Collection, CollectionConfig, CollectionManager } from '../engine/types.js';
import type { AliasRegistry } from './registry.js';

export class AliasedManager implements CollectionManager {
  constructor(
    private readonly inner: CollectionManager,
    readonly aliases: AliasRegistry,
  ) {}

  async create(name: string, config: Partial<CollectionConfig>): Promise<Collection> {
    if (this.aliases.has(name)) throw new AppError('ALIAS_CONFLICT', `${JSON.stringify(name)} is an alias; a collection cannot take its name`);
    return this.inner.create(name, config);
  }

  /** The collection a name or an alias stands for. */
  get(name: string): Collection {
    return this.inner.get(this.aliases.resolve(name));
  }

  list(): string[] {
    return this.inner.list();
  }

  /** Dropping names the collection itself, and one that an alias points at is kept (409). */
  async drop(name: string): Promise<void> {
    if (this.aliases.has(name)) {
      throw new AppError('ALIAS_CONFLICT', `${JSON.stringify(name)} is an alias: delete it with DELETE /v1/aliases/${name}, or drop the collection by its own name`);
    }
    const pointing = this.aliases.aliasesOf(name);
    if (pointing.length > 0) {
      this.inner.get(name);
      throw new AppError('COLLECTION_IN_USE', `collection ${name} is the target of alias ${pointing.join(', ')}: switch or delete the alias first`, { extra: { aliases: pointing } });
    }
    return this.inner.drop(name);
  }

  /** Points an alias at an existing collection (named by itself, not through another alias). */
  async setAlias(alias: string, collection: string): Promise<{ alias: string; collection: string; previous?: string }> {
    if (this.inner.list().includes(alias)) throw new AppError('ALIAS_CONFLICT', `${JSON.stringify(alias)} is a collection; an alias cannot take its name`);
    if (this.aliases.has(collection)) throw new AppError('ALIAS_CONFLICT', `${JSON.stringify(collection)} is an alias: point an alias at a collection, not at another alias`);
    this.inner.get(collection);
    const previous = await this.aliases.set(alias, collection);
    return { alias, collection, ...(previous === undefined ? {} : { previous }) };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
