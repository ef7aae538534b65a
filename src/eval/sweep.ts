/**
 * `--sweep queryCut=5,10,20,heapFactor=0.7,0.9`: a grid of approximate-search settings. A token
 * with "=" starts a knob, the tokens after it (without "=") are more values of the same knob; the
 * grid is every combination, in the order given.
 */
import { DEFAULT_SEISMIC } from '../config.js';
import { AppError } from '../errors.js';
import type { SeismicParams } from '../index/native-types.js';

export interface SweepPoint {
  queryCut?: number;
  heapFactor?: number;
}

const KNOBS: Record<keyof SweepPoint, (v: number) => boolean> = {
  queryCut: (v) => Number.isInteger(v) && v >= 1,
  heapFactor: (v) => v > 0 && v <= 1,
};
const RANGES: Record<keyof SweepPoint, string> = { queryCut: 'an integer >= 1', heapFactor: 'in (0, 1]' };

function invalid(detail: string): AppError {
  return new AppError('INVALID_CONFIG', `--sweep: ${detail}`);
}

export function parseSweep(spec: string | undefined): SweepPoint[] {
  if (spec === undefined || spec.trim() === '') return [{}];
  const values = new Map<keyof SweepPoint, number[]>();
  let current: keyof SweepPoint | undefined;
  for (const token of spec.split(',').map((t) => t.trim())) {
    let raw = token;
    if (token.includes('=')) {
      const [name, value] = token.split('=', 2);
      if (!(name in KNOBS)) throw invalid(`unknown knob "${name}" (knobs: ${Object.keys(KNOBS).join(', ')})`);
      current = name as keyof SweepPoint;
      if (values.has(current)) throw invalid(`${current} is given twice`);
      values.set(current, []);
      raw = value;
    }
    if (current === undefined) throw invalid(`"${token}" has no knob: write knob=value,value`);
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v) || !KNOBS[current](v)) throw invalid(`${current} value "${raw}" must be ${RANGES[current]}`);
    values.get(current)!.push(v);
  }
  let grid: SweepPoint[] = [{}];
  for (const [knob, list] of values) grid = grid.flatMap((point) => list.map((v) => ({ ...point, [knob]: v })));
  return grid;
}

/** `--seismic nPostings=8000,summaryEnergy=0.5`: build parameters of a new collection. */
export function parseSeismic(spec: string | undefined): Partial<SeismicParams> | undefined {
  if (spec === undefined) return undefined;
  const out: Record<string, number | boolean> = {};
  for (const token of spec.split(',').map((t) => t.trim())) {
    const [name, raw] = token.split('=', 2);
    if (!(name in DEFAULT_SEISMIC) && name !== 'pruningDisabled') {
      throw new AppError('INVALID_CONFIG', `--seismic: unknown parameter "${name}" (parameters: ${[...Object.keys(DEFAULT_SEISMIC), 'pruningDisabled'].join(', ')})`);
    }
    const value = raw === 'true' ? true : raw === 'false' ? false : Number(raw);
    if (raw === undefined || raw === '' || (typeof value === 'number' && !Number.isFinite(value))) throw new AppError('INVALID_CONFIG', `--seismic: ${name} needs a value`);
    out[name] = value;
  }
  return out as Partial<SeismicParams>;
}
