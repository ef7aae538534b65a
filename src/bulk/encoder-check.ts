/**
 * A command creates a collection only when it can fill it: `--encoder splade` without `--model`
 * makes a collection of pre-encoded vectors, which cannot take a corpus of plain text.
 */
import type { EncoderConfig } from '../engine/types.js';
import { AppError } from '../errors.js';
import { readCorpus } from '../eval/beir.js';

/** Throws INVALID_CONFIG when the encoder cannot index the corpus's first document (nothing is created yet). */
export async function checkEncoderCanIndex(encoder: EncoderConfig, corpus: string): Promise<void> {
  if (encoder.kind !== 'splade' || encoder.model !== undefined) return;
  for await (const line of readCorpus(corpus)) {
    if ('error' in line) continue; // reported by the job itself
    if (line.doc.sparse === undefined) {
      throw new AppError(
        'INVALID_CONFIG',
        `--encoder splade without --model makes a collection of pre-encoded vectors, but ${corpus}:${line.lineNo} has no "sparse" vector: ` +
          'pass --model DIR (a SPLADE ONNX export), or use --encoder lexical',
      );
    }
    return;
  }
}
