/**
 * Loading a BERT tokenizer from files: a model directory's tokenizer.json wins, vocab.txt alone
 * works (uncased unless tokenizer_config.json says do_lower_case: false), the bundled
 * bert-base-uncased vocab is the default. Failures are MODEL_LOAD_FAILED naming the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { failLoad as fail } from './load-error.js';
import { BUNDLED_VOCAB } from './paths.js';
import { BertTokenizer, type TokenizerSpec } from './tokenizer.js';

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDPIECE_DEFAULTS = { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 };

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(file, 'cannot be read', err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(file, 'is not valid JSON', err);
  }
}

/** Vocabulary from a vocab.txt: one token per line, the line number is the id. */
export function readVocabTxt(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(file, 'cannot be read', err);
  }
  const lines = text.split('\n').map((line) => line.trimEnd());
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) fail(file, 'is empty');
  return lines;
}

export function specFromVocab(vocab: string[], lowercase = true): TokenizerSpec {
  return {
    vocab,
    normalizer: { cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase },
    wordPiece: { ...WORDPIECE_DEFAULTS },
    specialTokens: BERT_SPECIALS,
    clsToken: '[CLS]',
    sepToken: '[SEP]',
    padToken: '[PAD]',
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A TokenizerSpec from a Hugging Face tokenizer.json (WordPiece + BertNormalizer + BertPreTokenizer). */
export function specFromTokenizerJson(json: unknown, file: string): TokenizerSpec {
  if (!isObject(json) || !isObject(json.model)) fail(file, 'has no "model" object');
  const model = json.model;
  if (model.type !== undefined && model.type !== 'WordPiece') fail(file, `model type ${String(model.type)} is not supported (only WordPiece)`);
  if (!isObject(model.vocab)) fail(file, 'model.vocab is missing');
  const vocab: string[] = [];
  const place = (token: string, id: unknown): void => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(file, `token ${JSON.stringify(token)} has an invalid id`);
    vocab[id] = token;
  };
  for (const [token, id] of Object.entries(model.vocab)) place(token, id);
  const added = Array.isArray(json.added_tokens) ? json.added_tokens.filter(isObject) : [];
  for (const t of added) if (typeof t.content === 'string' && vocab[t.id as number] === undefined) place(t.content, t.id);
  for (let id = 0; id < vocab.length; id++) if (vocab[id] === undefined) fail(file, `vocabulary has no token with id ${id}`);

  const n = json.normalizer;
  if (n !== null && n !== undefined && (!isObject(n) || n.type !== 'BertNormalizer')) fail(file, `normalizer ${String(isObject(n) ? n.type : n)} is not supported (only BertNormalizer)`);
  const p = json.pre_tokenizer;
  if (p !== null && p !== undefined && (!isObject(p) || p.type !== 'BertPreTokenizer')) fail(file, `pre_tokenizer ${String(isObject(p) ? p.type : p)} is not supported (only BertPreTokenizer)`);
  const lowercase = isObject(n) ? n.lowercase !== false : false;
  const [clsToken, sepToken] = postProcessorTokens(json.post_processor);
  const padding = json.padding;
  return {
    vocab,
    normalizer: isObject(n)
      ? {
          cleanText: n.clean_text !== false,
          handleChineseChars: n.handle_chinese_chars !== false,
          stripAccents: typeof n.strip_accents === 'boolean' ? n.strip_accents : lowercase,
          lowercase,
        }
      : { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false },
    wordPiece: {
      unkToken: typeof model.unk_token === 'string' ? model.unk_token : WORDPIECE_DEFAULTS.unkToken,
      continuingSubwordPrefix: typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : WORDPIECE_DEFAULTS.continuingSubwordPrefix,
      maxInputCharsPerWord: typeof model.max_input_chars_per_word === 'number' ? model.max_input_chars_per_word : WORDPIECE_DEFAULTS.maxInputCharsPerWord,
    },
    // HF matches added tokens in the raw text (normalized: false, as BERT's special tokens are).
    specialTokens: added.map((t) => t.content).filter((c): c is string => typeof c === 'string' && c.length > 0),
    clsToken,
    sepToken,
    padToken: isObject(padding) && typeof padding.pad_token === 'string' ? padding.pad_token : '[PAD]',
  };
}

function postProcessorTokens(pp: unknown): [string, string] {
  if (isObject(pp) && pp.type === 'BertProcessing' && Array.isArray(pp.cls) && Array.isArray(pp.sep)) {
    return [String(pp.cls[0]), String(pp.sep[0])];
  }
  if (isObject(pp) && pp.type === 'TemplateProcessing' && Array.isArray(pp.single)) {
    const specials = pp.single.filter(isObject).map((piece) => piece.SpecialToken).filter(isObject).map((s) => String(s.id));
    if (specials.length >= 2) return [specials[0], specials[specials.length - 1]];
  }
  return ['[CLS]', '[SEP]'];
}

export interface LoadedTokenizer {
  tokenizer: BertTokenizer;
  /** the file it came from */
  file: string;
}

/** The tokenizer of a model directory: tokenizer.json wins, else vocab.txt. */
export function loadTokenizerDir(dir: string): LoadedTokenizer {
  const jsonFile = path.join(dir, 'tokenizer.json');
  const vocabFile = path.join(dir, 'vocab.txt');
  if (fs.existsSync(jsonFile)) return { tokenizer: build(specFromTokenizerJson(readJson(jsonFile), jsonFile), jsonFile), file: jsonFile };
  if (fs.existsSync(vocabFile)) {
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = fs.existsSync(configFile) ? readJson(configFile) : {};
    const lowercase = !(isObject(config) && config.do_lower_case === false);
    return { tokenizer: build(specFromVocab(readVocabTxt(vocabFile), lowercase), vocabFile), file: vocabFile };
  }
  fail(path.join(dir, 'tokenizer.json'), 'missing (and no vocab.txt): the model directory needs a tokenizer');
}

function build(spec: TokenizerSpec, file: string): BertTokenizer {
  try {
    return new BertTokenizer(spec);
  } catch (err) {
    fail(file, (err as Error).message, err);
  }
}

let bundled: BertTokenizer | undefined;

/** bert-base-uncased from the bundled vocab.txt (cached per process). */
export function bundledTokenizer(): BertTokenizer {
  bundled ??= build(specFromVocab(readVocabTxt(BUNDLED_VOCAB)), BUNDLED_VOCAB);
  return bundled;
}
