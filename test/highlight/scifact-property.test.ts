/**
 * Property test over the SciFact corpus, both encoders: every highlight span lies inside its field
 * and covers a token of the term it names; a term reported as an expansion has no token in the text
 * the encoder read; attribution points at the position whose logit gives the term its max.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LexicalEncoder } from '../../src/encoder/lexical.js';
import { encodeLexicalDocument } from '../../src/encoder/lexical-document.js';
import { getAnalyzer } from '../../src/encoder/analyzer.js';
import { SpladeDocumentEncoder, SPLADE_DEFAULTS } from '../../src/encoder/splade.js';
import { CLS_POSITION, SEP_POSITION } from '../../src/encoder/splade-math.js';
import { encodedContent } from '../../src/engine/write/document-input.js';
import { SAMPLE_DIR } from '../../src/http/sample.js';
import { highlightDocument, layoutOf, type Highlight, type MatchedTerm } from '../../src/highlight/highlight.js';
import { referenceLogits } from '../encoder/tiny-reference.js';

interface Doc {
  title: string;
  text: string;
}
const DOCS: Doc[] = fs
  .readFileSync(path.join(SAMPLE_DIR, 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Doc);

/** Every term of the document vector, as if the query held them all (the strongest case). */
function allTerms(indices: ArrayLike<number>, values: ArrayLike<number>, tokenOf: (id: number) => string): MatchedTerm[] {
  return Array.from(indices, (id, i) => ({ token: tokenOf(id), id, queryWeight: 1, documentWeight: values[i], contribution: values[i] }));
}

/** Checks every span (plain comparisons: expect per span is slow); returns the span count and the failures. */
function checkSpansInside(doc: Doc, h: Highlight, covers: (slice: string, term: { token: string; id: number }) => boolean, failures: string[]): number {
  let spans = 0;
  for (const field of ['title', 'text'] as const) {
    const value = doc[field];
    for (const s of h[field]?.spans ?? []) {
      if (!(0 <= s.start && s.start < s.end && s.end <= value.length)) failures.push(`${field} [${s.start}, ${s.end}) of ${value.length}`);
      for (const t of s.terms) if (!covers(value.slice(s.start, s.end), t)) failures.push(`${field} "${value.slice(s.start, s.end)}" for ${t.token}`);
      spans++;
    }
  }
  return spans;
}

describe('highlight property over SciFact: lexical (BM25)', () => {
  const encoder = new LexicalEncoder('porter2');
  const analyzer = getAnalyzer('porter2');
  const SAMPLE = DOCS.filter((_, i) => i % 3 === 0);
  it(`${SAMPLE.length} documents (every third): spans inside their field, each word analyzes to its term; no expansions`, () => {
    let spans = 0;
    const failures: string[] = [];
    for (const doc of SAMPLE) {
      const content = encodedContent(doc.title, doc.text);
      const e = encodeLexicalDocument(analyzer, content);
      const terms = Array.from(e.vector.indices, (id, i) => ({ token: e.tokens![i], id, queryWeight: 1, documentWeight: e.vector.values[i], contribution: 1 }));
      const h = highlightDocument(layoutOf(doc.title, doc.text), terms, encoder.tokenOffsets(content));
      spans += checkSpansInside(doc, h, (slice, t) => {
        const out: string[] = [];
        analyzer.forEachToken(slice, (x) => out.push(x));
        return out.length === 1 && out[0] === t.token;
      }, failures);
      // BM25 vectors hold only words of the text: every term is literal.
      if (h.expansions.length > 0) failures.push(`expansions in a BM25 document: ${h.expansions.map((x) => x.token).join(' ')}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(spans).toBeGreaterThan(SAMPLE.length * 20);
  });
});

describe('highlight property over SciFact: SPLADE (tiny fixture model)', () => {
  const SAMPLE = DOCS.slice(0, 400);
  let encoder: SpladeDocumentEncoder;
  beforeAll(async () => {
    encoder = await SpladeDocumentEncoder.open('test/fixtures/tiny-splade');
  });
  afterAll(async () => encoder?.close());

  it(`${SAMPLE.length} documents: literal spans cover a WordPiece token of their term, expansions have no token in the text read`, async () => {
    const { tokenizer, maxLength } = encoder.model;
    const limit = (maxLength - 2) * SPLADE_DEFAULTS.maxChunks;
    const contents = SAMPLE.map((d) => encodedContent(d.title, d.text));
    const encoded = await encoder.encode(contents);
    let expansions = 0;
    let spans = 0;
    const failures: string[] = [];
    // a span covers its term's piece: the slice alone tokenizes to it (a ## piece: to the piece without ##)
    const covers = (slice: string, t: { token: string; id: number }): boolean => {
      const ids = tokenizer.encode(slice);
      return ids.includes(t.id) || (t.token.startsWith('##') && ids.includes(tokenizer.idOf(t.token.slice(2))!));
    };
    SAMPLE.forEach((doc, i) => {
      const { indices, values } = encoded[i].vector;
      const h = highlightDocument(layoutOf(doc.title, doc.text), allTerms(indices, values, (id) => tokenizer.tokenOf(id)!), tokenizer.encodeWithOffsets(contents[i], limit));
      spans += checkSpansInside(doc, h, covers, failures);
      const read = new Set(tokenizer.encode(contents[i], limit));
      for (const e of h.expansions) if (read.has(e.id)) failures.push(`expansion ${e.token} is in the text read`);
      expansions += h.expansions.length;
    });
    expect(failures.slice(0, 10)).toEqual([]);
    expect(spans).toBeGreaterThan(SAMPLE.length * 20);
    expect(expansions).toBeGreaterThan(0);
  });

  it('attribution names the position whose logit is the max (checked against the model math redone in TypeScript)', async () => {
    const texts = DOCS.slice(0, 12).map((d) => d.title);
    const attributed = await encoder.attribute(texts);
    const encoded = await encoder.encode(texts);
    texts.forEach((text, d) => {
      expect(Array.from(attributed![d].vector.indices)).toEqual(Array.from(encoded[d].vector.indices));
      const window = encoder.model.maxLength - 2;
      const logitsAt = new Map<number, Float64Array>(); // position -> logits row
      const special: Float64Array[] = [];
      encoder.sequencesOf(text).forEach((seq, chunk) => {
        referenceLogits(seq).forEach((row, t) => (t === 0 || t === seq.length - 1 ? special.push(row) : logitsAt.set(chunk * window + t - 1, row)));
      });
      attributed![d].vector.indices.forEach((j, i) => {
        const p = attributed![d].vector.values[i];
        const best = Math.max(...[...logitsAt.values(), ...special].map((row) => row[j]));
        if (p === CLS_POSITION || p === SEP_POSITION) expect(Math.max(...special.map((row) => row[j]))).toBeCloseTo(best, 4);
        else expect(logitsAt.get(p)![j]).toBeCloseTo(best, 4);
      });
    });
  });
});
