import { describe, expect, it } from 'vitest';
import { niceMax, renderChart } from '../../src/eval/chart.js';
import { formatTable, formatTrecRun, percentile, recallVsExact, type ReportEntry } from '../../src/eval/report.js';
import { parseSeismic, parseSweep } from '../../src/eval/sweep.js';

const hits = (...ids: string[]) => ids.map((docId, i) => ({ docId, score: 10 - i }));

function entry(over: Partial<ReportEntry>): ReportEntry {
  return {
    dataset: 'toy',
    split: 'test',
    queries: 2,
    encoder: 'lexical',
    mode: 'exact',
    params: { k: 10 },
    ndcg_at_10: 0.7,
    recall_at_100: 0.9,
    recall_at_1000: 0.95,
    mrr_at_10: 0.65,
    map: 0.6,
    recall_vs_exact: null,
    latency_ms: { p50: 1.5, p99: 4 },
    run_file: 'toy-test-exact.run',
    ...over,
  };
}

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('recallVsExact', () => {
  it('is the mean share of the exact top k found, a query without exact hits counting 1', () => {
    const exact = new Map([
      ['q1', hits('a', 'b', 'c', 'd')],
      ['q2', hits('x', 'y')],
      ['q3', []],
    ]);
    const approx = new Map([
      ['q1', hits('a', 'c', 'z')], // 2 of 4
      ['q2', hits('y', 'x')], // 2 of 2
    ]);
    expect(recallVsExact(approx, exact, 10)).toBeCloseTo((0.5 + 1 + 1) / 3, 12);
    expect(recallVsExact(approx, exact, 1)).toBeCloseTo((1 + 0 + 1) / 3, 12);
  });
});

describe('formatTrecRun', () => {
  it('writes qid Q0 docid rank score tag', () => {
    const text = formatTrecRun(new Map([['q1', [{ docId: 'd9', score: 2.5 }, { docId: 'd3', score: 1 }]]]), 'my run');
    expect(text).toBe('q1 Q0 d9 1 2.5000000 my_run\nq1 Q0 d3 2 1.0000000 my_run\n');
  });
});

describe('formatTable', () => {
  it('prints one markdown row per entry with the approximate columns', () => {
    const table = formatTable([entry({}), entry({ mode: 'approx', params: { k: 10, queryCut: 5 }, recall_vs_exact: 0.987, postings_skipped: 0.42 })]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('| toy/test | lexical exact k=10 | 0.7000 |');
    expect(lines[3]).toContain('lexical approx k=10 queryCut=5');
    expect(lines[3]).toContain('| 0.987 | 42.0% | 1.50 | 4.00 |');
  });
});

describe('renderChart', () => {
  it('draws a labelled point per entry and a recall marker for approximate rows', () => {
    const svg = renderChart([entry({}), entry({ mode: 'approx', recall_vs_exact: 0.95, latency_ms: { p50: 0.5, p99: 1 } })], 'toy <test>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle cx/g)).toHaveLength(3); // two entries + legend
    expect(svg).toContain('recall@10 vs exact 0.950');
    expect(svg).toContain('toy &#60;test&#62;');
  });

  it('rounds the latency axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0.7)).toBe(1);
    expect(niceMax(1.3)).toBe(2);
    expect(niceMax(33)).toBe(50);
    expect(niceMax(0)).toBe(1);
  });
});

describe('parseSweep', () => {
  it('builds the grid of every combination', () => {
    expect(parseSweep('queryCut=5,10,heapFactor=0.7,0.9')).toEqual([
      { queryCut: 5, heapFactor: 0.7 },
      { queryCut: 5, heapFactor: 0.9 },
      { queryCut: 10, heapFactor: 0.7 },
      { queryCut: 10, heapFactor: 0.9 },
    ]);
    expect(parseSweep(undefined)).toEqual([{}]);
    expect(parseSweep('heapFactor=1')).toEqual([{ heapFactor: 1 }]);
  });

  it('names the knob and the value that is wrong', () => {
    expect(() => parseSweep('nprobe=3')).toThrow(/unknown knob "nprobe"/);
    expect(() => parseSweep('5,10')).toThrow(/has no knob/);
    expect(() => parseSweep('queryCut=2.5')).toThrow(/queryCut value "2.5" must be an integer >= 1/);
    expect(() => parseSweep('heapFactor=0,1')).toThrow(/heapFactor value "0"/);
    expect(() => parseSweep('queryCut=1,queryCut=2')).toThrow(/given twice/);
  });
});

describe('parseSeismic', () => {
  it('reads build parameters, numbers and booleans', () => {
    expect(parseSeismic('nPostings=8000,summaryEnergy=0.5,pruningDisabled=true')).toEqual({ nPostings: 8000, summaryEnergy: 0.5, pruningDisabled: true });
    expect(parseSeismic(undefined)).toBeUndefined();
  });

  it('names an unknown parameter or a missing value', () => {
    expect(() => parseSeismic('nlist=4')).toThrow(/unknown parameter "nlist"/);
    expect(() => parseSeismic('docCut=')).toThrow(/docCut needs a value/);
    expect(() => parseSeismic('docCut=x')).toThrow(/docCut needs a value/);
  });
});
