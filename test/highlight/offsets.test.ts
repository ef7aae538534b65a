/** Token offsets and highlight spans on hard texts: accents, CJK, emoji, U+0130, special tokens, long inputs. */
import { describe, expect, it } from 'vitest';
import { getAnalyzer } from '../../src/encoder/analyzer.js';
import { normalizeBert } from '../../src/encoder/bert-normalizer.js';
import { LexicalEncoder } from '../../src/encoder/lexical.js';
import { bundledTokenizer } from '../../src/encoder/tokenizer-files.js';
import { escapeHtml, fragmentsOf, FRAGMENT_DEFAULTS } from '../../src/highlight/fragments.js';
import { highlightDocument, layoutOf } from '../../src/highlight/highlight.js';

const HARD = [
  'Café crème brûlée, naïve façade — ÉCOLE Ångström',
  '蛋白质折叠 determines 酶的结构 and タンパク質',
  'Vaccines 💉 train 🧬 the immune system 👩🏽‍🔬 against İstanbul flu',
  'A [MASK] token, [SEP] and [CLS] in raw text; tabs\tand\nnewlines\r\n',
  'Ω-3 fatty acids (EPA/DHA): 2.5 g/day; p<0.05 & n=1,024 — “quoted” ‘single’',
  '\u0000control\u200bchars\ufffd and NFD e\u0301 vs é',
];
const LONG = Array.from({ length: 4000 }, (_, i) => `word${i % 97} émigré 研究 🧪`).join(' ');

describe('BertTokenizer.encodeWithOffsets', () => {
  const tokenizer = bundledTokenizer();
  for (const text of [...HARD, LONG]) {
    it(`reads the ids encode() reads, each from a span of the raw text whose normalized form is the piece: ${JSON.stringify(text.slice(0, 30))}`, () => {
      const limit = 4080;
      const { ids, starts, ends } = tokenizer.encodeWithOffsets(text, limit);
      expect(ids).toEqual(tokenizer.encode(text, limit));
      for (let i = 0; i < ids.length; i++) {
        expect(0 <= starts[i] && starts[i] < ends[i] && ends[i] <= text.length, `token ${i}`).toBe(true);
        if (i > 0) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1]);
        const token = tokenizer.tokenOf(ids[i])!;
        if (ids[i] === tokenizer.unkId) continue;
        const slice = text.slice(starts[i], ends[i]);
        if (tokenizer.specialIds.has(ids[i])) expect(slice).toBe(token);
        // the piece is inside the normalized slice (a slice is whole characters: one may normalize to more)
        else expect(normalizeBert(slice, { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }).trim()).toContain(token.replace(/^##/, ''));
      }
    });
  }

  it('never splits a surrogate pair', () => {
    const { starts, ends } = tokenizer.encodeWithOffsets(HARD[2]);
    const low = (i: number) => i > 0 && i < HARD[2].length && HARD[2].charCodeAt(i) >= 0xdc00 && HARD[2].charCodeAt(i) <= 0xdfff;
    for (let i = 0; i < starts.length; i++) expect(low(starts[i]) || low(ends[i])).toBe(false);
  });
});

describe('Analyzer.forEachTokenAt (BM25)', () => {
  const analyzer = getAnalyzer();
  for (const text of [...HARD, LONG]) {
    it(`emits the tokens forEachToken emits, each from the word it was stemmed from: ${JSON.stringify(text.slice(0, 30))}`, () => {
      const plain: string[] = [];
      analyzer.forEachToken(text, (t) => plain.push(t));
      const at: Array<[string, number, number]> = [];
      analyzer.forEachTokenAt(text, (t, s, e) => at.push([t, s, e]));
      expect(at.map(([t]) => t)).toEqual(plain);
      for (const [token, s, e] of at) {
        const again: string[] = [];
        analyzer.forEachToken(text.slice(s, e), (t) => again.push(t));
        expect(again, `${token} from ${text.slice(s, e)}`).toEqual([token]);
      }
    });
  }

  it('maps through a lowercase that changes length (U+0130)', () => {
    const text = 'İİİ running İstanbul runners';
    const at: Array<[string, string]> = [];
    analyzer.forEachTokenAt(text, (t, s, e) => at.push([t, text.slice(s, e)]));
    expect(at.map(([, w]) => w)).toEqual(['İİİ', 'running', 'İstanbul', 'runners']);
  });
});

describe('highlightDocument and fragments', () => {
  const encoder = new LexicalEncoder('porter2');
  const title = 'Protein <folding> & “misfolding”';
  const text = 'Misfolded proteins 🧬 aggregate; folding is fast. Ångström-scale folds. 蛋白质 folding again.';
  const content = `${title}\n${text}`;

  it('maps stems back to the words, per field, with the term and its contribution; unmatched terms are expansions', () => {
    const terms = ['fold', 'protein', 'misfold', 'zebrafish'].map((token, i) => ({ token, id: encoder.tokenOffsets(token).ids[0], queryWeight: 1, documentWeight: 1, contribution: 4 - i }));
    const h = highlightDocument(layoutOf(title, text), terms, encoder.tokenOffsets(content));
    const words = (field: string, spans: Array<{ start: number; end: number; terms: Array<{ token: string }> }>) => spans.map((s) => [field.slice(s.start, s.end), s.terms[0].token]);
    expect(words(title, h.title!.spans)).toEqual([
      ['Protein', 'protein'],
      ['folding', 'fold'],
      ['misfolding', 'misfold'],
    ]);
    expect(words(text, h.text!.spans)).toEqual([
      ['Misfolded', 'misfold'],
      ['proteins', 'protein'],
      ['folding', 'fold'],
      ['folds', 'fold'],
      ['folding', 'fold'],
    ]);
    expect(h.expansions.map((e) => e.token)).toEqual(['zebrafish']);
  });

  it('cuts HTML-escaped fragments around the best spans, with the given tags', () => {
    const terms = [{ token: 'fold', id: encoder.tokenOffsets('fold').ids[0], queryWeight: 1, documentWeight: 1, contribution: 1 }];
    const h = highlightDocument(layoutOf(title, text), terms, encoder.tokenOffsets(content));
    expect(fragmentsOf(title, h.title!.spans, { ...FRAGMENT_DEFAULTS, preTag: '[', postTag: ']' })).toEqual(['Protein &lt;[folding]&gt; &amp; “misfolding”']);
    const frags = fragmentsOf(text, h.text!.spans, { count: 2, size: 30, preTag: '<em>', postTag: '</em>' });
    expect(frags).toHaveLength(2);
    for (const f of frags) {
      expect(f).toMatch(/<em>fold(ing|s)<\/em>/);
      expect(f.replace(/<\/?em>/g, '').length).toBeLessThanOrEqual(30);
      expect(f).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('a long text: every span inside it, fragments bounded', () => {
    const enc = encoder.tokenOffsets(LONG);
    const terms = [{ token: 'émigré', id: encoder.tokenOffsets('émigré').ids[0], queryWeight: 1, documentWeight: 1, contribution: 1 }];
    const h = highlightDocument(layoutOf(null, LONG), terms, enc);
    expect(h.text!.spans).toHaveLength(4000);
    for (const s of h.text!.spans) expect(LONG.slice(s.start, s.end)).toBe('émigré');
    expect(fragmentsOf(LONG, h.text!.spans, FRAGMENT_DEFAULTS)).toHaveLength(3);
  });
});

