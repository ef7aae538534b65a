/**
 * The Seismic defaults with blocks from 100,000 non-zeros up (exhaustiveBelow before it moved to 8M):
 * the tests of the blocked index and its calibration build their few-thousand-document segments
 * with it, so that they keep exercising blocks, summaries and pruning.
 */
import { DEFAULT_SEISMIC_PARAMS } from '../../src/index/native.js';
import type { SeismicParams } from '../../src/index/native-types.js';

export const BLOCKED_PARAMS: SeismicParams = { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: 100_000 };
