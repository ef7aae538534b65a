import { termKey } from '../core/types.js';
/** A bounded id -> token memory for hashed (lexical) term ids, so tokenOf can answer for terms this
 * process has encoded. The collection keeps the durable id -> token record. */
const LIMIT = 200_000;

export class TokenMemory {
  /** by id as a signed 32-bit integer (termKey) */
  private readonly map = new Map<number, string>();

  remember(ids: ArrayLike<number>, tokens: readonly string[]): void {
    if (this.map.size + ids.length > LIMIT) this.map.clear();
    for (let i = 0; i < ids.length; i++) {
      const key = termKey(ids[i]);
      if (!this.map.has(key)) this.map.set(key, tokens[i]);
    }
  }

  get(id: number): string | undefined {
    return this.map.get(termKey(id));
  }
}
