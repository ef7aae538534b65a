/** Hugging Face's own tokenizer (Rust, the `tokenizers` package) set up as BertTokenizerFast for
 * bert-base-uncased: the oracle our tokenizer is compared with. Test-only. */
import tk from 'tokenizers';
import { BUNDLED_VOCAB } from '../../src/encoder/paths.js';

export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export async function oracleTokenizer(vocabFile = BUNDLED_VOCAB): Promise<tk.Tokenizer> {
  const model = await tk.WordPiece.fromFile(vocabFile, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
  const tokenizer = new tk.Tokenizer(model);
  tokenizer.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
  tokenizer.setPreTokenizer(tk.bertPreTokenizer());
  tokenizer.addSpecialTokens(BERT_SPECIALS);
  return tokenizer;
}

/** Ids without [CLS]/[SEP]. */
export async function oracleIds(tokenizer: tk.Tokenizer, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += 512) {
    const encodings = await tokenizer.encodeBatch(texts.slice(i, i + 512), { addSpecialTokens: false });
    for (const e of encodings) out.push(e.getIds());
  }
  return out;
}
