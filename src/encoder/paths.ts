/**
 * Paths of bundled assets. They are read from src/encoder/assets both when running from source
 * (vitest, tsx) and from dist/ after `npm run build:ts` (tsc does not copy non-TS files): this
 * file sits two levels below the package root in both layouts.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ASSETS_DIR = path.join(PACKAGE_ROOT, 'src', 'encoder', 'assets');
export const BUNDLED_VOCAB = path.join(ASSETS_DIR, 'bert-base-uncased', 'vocab.txt');
export const BUNDLED_IDF = path.join(ASSETS_DIR, 'opensearch-inference-free', 'idf.json');
