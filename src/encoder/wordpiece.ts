/**
 * WordPiece: greedy longest-match-first split of one pre-tokenized word into vocabulary pieces,
 * continuation pieces carrying a prefix ("##"). A word longer than maxInputCharsPerWord code
 * points, or one with a part that matches nothing, becomes the single unknown token, as in HF.
 */

export interface WordPieceOptions {
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

const CACHE_LIMIT = 100_000;

export class WordPiece {
  readonly unkId: number;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly options: WordPieceOptions,
  ) {
    const unk = vocab.get(options.unkToken);
    if (unk === undefined) throw new TypeError(`WordPiece: unknown token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
    this.unkId = unk;
  }

  /** Appends the ids of `word` to `out`. */
  tokenize(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.split(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  private split(word: string): number[] {
    // Code point boundaries, in UTF-16 offsets: pieces never split a surrogate pair.
    const bounds: number[] = [0];
    for (let i = 0; i < word.length; ) {
      const cp = word.codePointAt(i) as number;
      i += cp > 0xffff ? 2 : 1;
      bounds.push(i);
    }
    const chars = bounds.length - 1;
    if (chars > this.options.maxInputCharsPerWord) return [this.unkId];
    const ids: number[] = [];
    let start = 0;
    while (start < chars) {
      let end = chars;
      let found: number | undefined;
      while (start < end) {
        const piece = word.slice(bounds[start], bounds[end]);
        found = this.vocab.get(start > 0 ? this.options.continuingSubwordPrefix + piece : piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.unkId];
      ids.push(found);
      start = end;
    }
    return ids;
  }
}
