import { AppError } from '../errors.js';

/** A model or tokenizer file that cannot be used: MODEL_LOAD_FAILED naming the file. */
export function failLoad(file: string, why: string, cause?: unknown): never {
  throw new AppError('MODEL_LOAD_FAILED', `${file}: ${why}`, { extra: { file }, cause });
}
