/** A bounded id -> token memory for hashed (lexical) term ids, so tokenOf can answer for terms this
 * process has encoded. The collection keeps the durable id -> token record. */
const LIMIT = 200_000;

export class TokenMemory {
  private readonly map = new Map<number, string>();

  remember(ids: ArrayLike<number>, tokens: readonly string[]): void {
    if (this.map.size + ids.length > LIMIT) this.map.clear();
    for (let i = 0; i < ids.length; i++) if (!this.map.has(ids[i])) this.map.set(ids[i], tokens[i]);
  }

  get(id: number): string | undefined {
    return this.map.get(id);
  }
}
