/**
 * A BERT WordPiece tokenizer, equal to Hugging Face's BertTokenizer(Fast) for the same vocabulary
 * and settings: added special tokens matched verbatim in the raw text, BertNormalizer,
 * BertPreTokenizer, WordPiece. Synchronous and pure, so it runs inline for queries and in workers.
 */
import { forEachBertWord, normalizeBert, normalizeBertAligned, preTokenizeBert, type BertNormalizerOptions } from './bert-normalizer.js';
import { WordPiece, type WordPieceOptions } from './wordpiece.js';
import { checkText } from './check-input.js';

export interface TokenizerSpec {
  /** id -> token */
  vocab: string[];
  normalizer: BertNormalizerOptions;
  wordPiece: WordPieceOptions;
  /** tokens matched verbatim in raw text before normalization (HF added special tokens) */
  specialTokens: string[];
  clsToken: string;
  sepToken: string;
  padToken: string;
}

/** Tokens with where they come from: token i is ids[i], from text[starts[i], ends[i]) (UTF-16). */
export interface TokenOffsets {
  ids: number[];
  starts: number[];
  ends: number[];
}

/** Raw text is tokenized in slices of about this many UTF-16 units, cut after ASCII whitespace,
 * so a huge text stops costing work and memory once `limit` tokens are produced. */
const SLICE = 16_384;
const CUT = /[ \t\n\r]/g;

export class BertTokenizer {
  readonly vocabSize: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  /** ids of special tokens (their dimensions are zeroed in SPLADE output; dropped from queries) */
  readonly specialIds: ReadonlySet<number>;
  private readonly ids: Map<string, number>;
  private readonly wordPiece: WordPiece;
  private readonly specialPattern: RegExp | undefined;

  constructor(private readonly spec: TokenizerSpec) {
    this.vocabSize = spec.vocab.length;
    this.ids = new Map();
    spec.vocab.forEach((token, id) => {
      if (!this.ids.has(token)) this.ids.set(token, id);
    });
    this.wordPiece = new WordPiece(this.ids, spec.wordPiece);
    this.unkId = this.wordPiece.unkId;
    this.clsId = this.requireId(spec.clsToken);
    this.sepId = this.requireId(spec.sepToken);
    this.padId = this.requireId(spec.padToken);
    const specials = spec.specialTokens.filter((t) => this.ids.has(t));
    this.specialIds = new Set(specials.map((t) => this.ids.get(t) as number));
    // Longest first, as HF's added-token trie prefers the longest match.
    const sorted = [...specials].sort((a, b) => b.length - a.length);
    this.specialPattern = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  idOf(token: string): number | undefined {
    return this.ids.get(token);
  }

  tokenOf(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize ? this.spec.vocab[id] : undefined;
  }

  /** Token ids of `text` without [CLS]/[SEP]; at most `limit` ids (the rest of the text is not read). */
  encode(text: string, limit = Infinity): number[] {
    checkText(text);
    const out: number[] = [];
    let start = 0;
    while (start < text.length && out.length < limit) {
      let end = text.length;
      if (end - start > SLICE) {
        CUT.lastIndex = start + SLICE;
        const cut = CUT.exec(text);
        end = cut === null ? text.length : cut.index + 1;
      }
      this.encodeSlice(text.slice(start, end), out);
      start = end;
    }
    if (out.length > limit) out.length = limit;
    return out;
  }

  /**
   * The tokens encode() makes of `text` (the same ids, the same `limit`), each with the span of
   * `text` it was read from: a WordPiece piece covers the original characters its normalized form
   * came from (an accent stripped or a letter lowercased stays inside its character).
   */
  encodeWithOffsets(text: string, limit = Infinity): TokenOffsets {
    checkText(text);
    const out: TokenOffsets = { ids: [], starts: [], ends: [] };
    const pattern = this.specialPattern;
    let last = 0;
    if (pattern !== undefined) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null && out.ids.length < limit; m = pattern.exec(text)) {
        this.offsetsPlain(text.slice(last, m.index), last, out, limit);
        if (out.ids.length >= limit) break;
        out.ids.push(this.ids.get(m[0]) as number);
        out.starts.push(m.index);
        out.ends.push(m.index + m[0].length);
        last = m.index + m[0].length;
      }
    }
    if (out.ids.length < limit) this.offsetsPlain(text.slice(last), last, out, limit);
    return out;
  }

  private offsetsPlain(text: string, base: number, out: TokenOffsets, limit: number): void {
    if (text.length === 0) return;
    const { normalized, from, to } = normalizeBertAligned(text, this.spec.normalizer);
    const prefix = this.spec.wordPiece.continuingSubwordPrefix.length;
    const pieces: number[] = [];
    forEachBertWord(normalized, (start, end) => {
      if (out.ids.length >= limit) return;
      pieces.length = 0;
      this.wordPiece.tokenize(normalized.slice(start, end), pieces);
      let at = start;
      pieces.forEach((id, i) => {
        if (out.ids.length >= limit) return;
        // [UNK] stands for the whole word; a piece is its vocabulary entry less the ## prefix.
        const length = id === this.unkId && pieces.length === 1 ? end - start : this.spec.vocab[id].length - (i > 0 ? prefix : 0);
        out.ids.push(id);
        out.starts.push(base + from[at]);
        out.ends.push(base + to[at + length - 1]);
        at += length;
      });
    });
  }

  /** Tokens (strings) of `text`, for /v1/encode and tests. */
  tokens(text: string): string[] {
    return this.encode(text).map((id) => this.spec.vocab[id]);
  }

  private encodeSlice(text: string, out: number[]): void {
    const pattern = this.specialPattern;
    if (pattern === undefined) return this.encodePlain(text, out);
    let last = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      this.encodePlain(text.slice(last, m.index), out);
      out.push(this.ids.get(m[0]) as number);
      last = m.index + m[0].length;
    }
    this.encodePlain(text.slice(last), out);
  }

  private encodePlain(text: string, out: number[]): void {
    if (text.length === 0) return;
    for (const word of preTokenizeBert(normalizeBert(text, this.spec.normalizer))) this.wordPiece.tokenize(word, out);
  }

  private requireId(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new TypeError(`tokenizer: special token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
