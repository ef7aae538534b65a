import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type tk from 'tokenizers';
import { bundledTokenizer, loadTokenizerDir } from '../../src/encoder/tokenizer-files.js';
import { oracleIds, oracleTokenizer } from './oracle.js';

const SCIFACT = 'index-data/samples/scifact/corpus.jsonl';
const MSMARCO = 'test/fixtures/msmarco/topics.msmarco-passage.dev-subset.txt';

// Pinned from Hugging Face's tokenizer (bert-base-uncased), and checked against it again below.
const PINNED: Array<[string, string, number[]]> = [
  ['accents', 'Café naïve Ångström résumé ÉCOLE', [7668, 15743, 17076, 15687, 13746, 12431]],
  ['punctuation', "don't (stop)! e.g. U.S.A.--well...$100+ 50% <tag> a/b\\c ¿qué? «quote» “curly” — dash",
    [2123, 1005, 1056, 1006, 2644, 1007, 999, 1041, 1012, 1043, 1012, 1057, 1012, 1055, 1012, 1037, 1012, 1011, 1011, 2092, 1012, 1012, 1012, 1002, 2531, 1009, 2753, 1003, 1026, 6415, 1028, 1037, 1013, 1038, 1032, 1039, 1094, 10861, 1029, 1077, 14686, 1090, 1523, 17546, 1524, 1517, 11454]],
  ['cjk', '中文分词测试 日本語のテキスト 한국어 텍스트',
    [1746, 1861, 1775, 100, 100, 100, 1864, 1876, 1950, 1671, 30239, 30227, 30233, 30240, 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008, 1467, 30009, 30020, 29997, 30017, 30003, 30017]],
  ['emoji', 'I ❤️ 🍕 and 👩‍👩‍👧 🥰🫠', [1045, 100, 100, 1998, 100, 100]],
  ['special tokens in text', 'hello [SEP] world [CLS][MASK] [sep] [UNK]x', [7592, 102, 2088, 101, 103, 1031, 19802, 1033, 100, 1060]],
  ['controls and odd spaces', 'a\u0000b\u00adc\u200bd\ufeffe\tf\r\ng\u00a0h\u3000i', [5925, 3207, 1042, 1043, 1044, 1045]],
  ['greek sigma', 'ΟΔΟΣ Σίσυφος', [1169, 29722, 29730, 29733, 1173, 18199, 29733, 29735, 29736, 15297]],
  ['200-character word', 'a'.repeat(200), [100]],
  ['mixed biomedical', 'IL-6 (interleukin-6) α-synuclein p<0.05 CD4+ T-cells',
    [6335, 1011, 1020, 1006, 6970, 2571, 14228, 2078, 1011, 1020, 1007, 1155, 1011, 19962, 14194, 19856, 1052, 1026, 1014, 1012, 5709, 3729, 2549, 1009, 1056, 1011, 4442]],
];
const TEN_THOUSAND = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit; ÉTÉ 中文 '.repeat(200).slice(0, 10_000);

function readCorpusTexts(): string[] {
  const texts: string[] = [];
  for (const line of fs.readFileSync(SCIFACT, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line) as { title: string; text: string };
    texts.push(doc.title, doc.text, `${doc.title} ${doc.text}`);
  }
  return texts;
}

function readQueries(): string[] {
  return fs.readFileSync(MSMARCO, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.slice(l.indexOf('\t') + 1));
}

describe('BERT tokenizer (bert-base-uncased) against Hugging Face tokenizers', () => {
  let oracle: tk.Tokenizer;
  beforeAll(async () => {
    oracle = await oracleTokenizer();
  });

  it('agrees on every SciFact title, text and title+text', async () => {
    const texts = readCorpusTexts();
    expect(texts.length).toBe(3 * 5183);
    const expected = await oracleIds(oracle, texts);
    const ours = bundledTokenizer();
    const mismatches = texts.filter((t, i) => JSON.stringify(ours.encode(t)) !== JSON.stringify(expected[i]));
    expect(mismatches).toEqual([]);
  });

  it('agrees on the 6,980 MS MARCO dev queries', async () => {
    const queries = readQueries();
    expect(queries.length).toBe(6980);
    const expected = await oracleIds(oracle, queries);
    const ours = bundledTokenizer();
    const mismatches = queries.filter((q, i) => JSON.stringify(ours.encode(q)) !== JSON.stringify(expected[i]));
    expect(mismatches).toEqual([]);
  });

  it.each(PINNED)('pinned ids: %s', async (_name, text, ids) => {
    expect(bundledTokenizer().encode(text)).toEqual(ids);
    expect((await oracleIds(oracle, [text]))[0]).toEqual(ids);
  });

  it('a 10,000-character input', async () => {
    const ids = bundledTokenizer().encode(TEN_THOUSAND);
    expect(ids.length).toBe(3906);
    expect(ids.slice(0, 8)).toEqual([19544, 2213, 12997, 17421, 2079, 10626, 4133, 2572]);
    expect(ids).toEqual((await oracleIds(oracle, [TEN_THOUSAND]))[0]);
  });

  it('a text longer than one internal slice (100,000+ characters) agrees with HF', async () => {
    const long = readCorpusTexts().slice(0, 300).join('\n');
    expect(long.length).toBeGreaterThan(100_000);
    expect(bundledTokenizer().encode(long)).toEqual((await oracleIds(oracle, [long]))[0]);
  });

  it('a 1 MB input is cut at the limit without tokenizing the rest', () => {
    const huge = 'word '.repeat(200_000) + 'x'.repeat(10) ;
    const ids = bundledTokenizer().encode(huge, 1000);
    expect(ids.length).toBe(1000);
    expect(new Set(ids)).toEqual(new Set([2773]));
  });

  it('empty and whitespace text give no tokens; special ids are known', () => {
    const t = bundledTokenizer();
    expect(t.encode('')).toEqual([]);
    expect(t.encode(' \n\t\u3000 ')).toEqual([]);
    expect([t.padId, t.unkId, t.clsId, t.sepId]).toEqual([0, 100, 101, 102]);
    expect([...t.specialIds].sort((a, b) => a - b)).toEqual([0, 100, 101, 102, 103]);
    expect(t.tokenOf(2773)).toBe('word');
    expect(t.tokenOf(-1)).toBeUndefined();
    expect(t.tokens('Tokenization!')).toEqual(['token', '##ization', '!']);
  });
});

describe('tokenizer files', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-tok-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tokenizer.json (as HF saves it) wins over vocab.txt', async () => {
    const { default: hf } = await import('tokenizers');
    const vocab = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, hello: 5, world: 6, '##s': 7, 'Hello': 8 };
    const model = hf.WordPiece.init(vocab, { unkToken: '[UNK]' });
    const t = new hf.Tokenizer(model);
    t.setNormalizer(hf.bertNormalizer({ lowercase: false }));
    t.setPreTokenizer(hf.bertPreTokenizer());
    t.setPostProcessor(hf.bertProcessing(['[SEP]', 3], ['[CLS]', 2]));
    t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const modelDir = path.join(dir, 'json');
    fs.mkdirSync(modelDir);
    t.save(path.join(modelDir, 'tokenizer.json'));
    fs.writeFileSync(path.join(modelDir, 'vocab.txt'), 'unused\n');
    const { tokenizer, file } = loadTokenizerDir(modelDir);
    expect(file).toBe(path.join(modelDir, 'tokenizer.json'));
    const text = 'Hello worlds hello [SEP] xyz';
    expect(tokenizer.encode(text)).toEqual((await t.encode(text, null, { addSpecialTokens: false })).getIds());
    expect(tokenizer.encode(text)).toEqual([8, 6, 7, 5, 3, 1]);
  });

  it('bert-base-uncased saved by HF as tokenizer.json agrees with HF on the MS MARCO queries', async () => {
    const hf = await oracleTokenizer();
    hf.setPostProcessor((await import('tokenizers')).default.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
    const modelDir = path.join(dir, 'bert-json');
    fs.mkdirSync(modelDir);
    hf.save(path.join(modelDir, 'tokenizer.json'));
    const { tokenizer } = loadTokenizerDir(modelDir);
    expect([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.vocabSize]).toEqual([101, 102, 0, 30522]);
    const queries = readQueries().slice(0, 2000);
    const expected = await oracleIds(hf, queries);
    expect(queries.filter((q, i) => JSON.stringify(tokenizer.encode(q)) !== JSON.stringify(expected[i]))).toEqual([]);
  });

  it('vocab.txt alone works', () => {
    const modelDir = path.join(dir, 'vocab');
    fs.mkdirSync(modelDir);
    fs.writeFileSync(path.join(modelDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'cafe', '##s'].join('\n') + '\n');
    const { tokenizer } = loadTokenizerDir(modelDir);
    expect(tokenizer.encode('CAFÉS unknown')).toEqual([5, 6, 1]);
  });

  it('a directory without tokenizer fails naming the file', () => {
    const modelDir = path.join(dir, 'none');
    fs.mkdirSync(modelDir);
    expect(() => loadTokenizerDir(modelDir)).toThrow(/tokenizer\.json: missing/);
  });

  it('a non-WordPiece tokenizer.json fails naming the file', () => {
    const modelDir = path.join(dir, 'bpe');
    fs.mkdirSync(modelDir);
    fs.writeFileSync(path.join(modelDir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
    expect(() => loadTokenizerDir(modelDir)).toThrow(/tokenizer\.json: model type BPE is not supported/);
  });

  it('a vocab.txt without [UNK] fails naming the file', () => {
    const modelDir = path.join(dir, 'nounk');
    fs.mkdirSync(modelDir);
    fs.writeFileSync(path.join(modelDir, 'vocab.txt'), 'a\nb\n');
    expect(() => loadTokenizerDir(modelDir)).toThrow(/vocab\.txt: WordPiece: unknown token "\[UNK\]"/);
  });
});
