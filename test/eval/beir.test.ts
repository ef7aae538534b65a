import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beirPaths, loadBeirSplit, parseCorpusLine, readCorpus } from '../../src/eval/beir.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-beir-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeDataset(files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

describe('parseCorpusLine', () => {
  it('maps the BEIR layout to a document (numeric ids become strings, empty metadata dropped)', () => {
    expect(parseCorpusLine('{"_id": 7, "title": "T", "text": "body", "metadata": {}}')).toEqual({ id: '7', title: 'T', text: 'body' });
    expect(parseCorpusLine('{"_id": "x", "text": "t", "metadata": {"year": 2020}, "dense": [1, 2]}')).toEqual({
      id: 'x',
      text: 't',
      metadata: { year: 2020 },
      dense: [1, 2],
    });
    expect(parseCorpusLine('{"_id": "s", "sparse": {"indices": [1], "values": [0.5]}}').sparse).toEqual({ indices: [1], values: [0.5] });
  });

  it('says what is wrong with a bad line', () => {
    expect(() => parseCorpusLine('{"_id": "x", "text": ')).toThrow(/invalid JSON/);
    expect(() => parseCorpusLine('[1]')).toThrow(/JSON object/);
    expect(() => parseCorpusLine('{"text": "no id"}')).toThrow(/"_id"/);
    expect(() => parseCorpusLine('{"_id": "x", "text": 3}')).toThrow(/"text" must be a string/);
    expect(() => parseCorpusLine('{"_id": "x"}')).toThrow(/neither title, text nor sparse/);
    expect(() => parseCorpusLine('{"_id": "x", "text": "a", "dense": ["a"]}')).toThrow(/"dense"/);
  });
});

describe('readCorpus', () => {
  it('streams documents and reports a malformed line with its line number', async () => {
    writeDataset({ 'corpus.jsonl': '{"_id": "1", "text": "a"}\n\n{"_id": "2", "text": \n{"_id": "3", "title": "c"}\n' });
    const lines = [];
    for await (const line of readCorpus(path.join(dir, 'corpus.jsonl'))) lines.push(line);
    expect(lines.map((l) => l.lineNo)).toEqual([1, 3, 4]);
    expect('doc' in lines[0] && lines[0].doc.id).toBe('1');
    expect('error' in lines[1] && lines[1].error).toMatch(/invalid JSON/);
  });
});

describe('loadBeirSplit', () => {
  it('loads the judged queries of a split in qrels order', async () => {
    writeDataset({
      'corpus.jsonl': '{"_id": "d1", "text": "x"}\n',
      'queries.jsonl': '{"_id": "q1", "text": "first"}\n{"_id": "q2", "text": "second"}\n{"_id": "q3", "text": "third"}\n',
      'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq3\td1\t2\nq1\td1\t0\n',
    });
    const split = await loadBeirSplit(dir, 'test');
    expect(split.queries).toEqual([
      { id: 'q3', text: 'third' },
      { id: 'q1', text: 'first' },
    ]);
    expect(split.qrels.get('q3')?.get('d1')).toBe(2);
    expect(split.qrels.get('q1')?.get('d1')).toBe(0);
  });

  it('names the missing qrels file and the splits that exist', async () => {
    writeDataset({ 'corpus.jsonl': '', 'queries.jsonl': '', 'qrels/train.tsv': '' });
    await expect(loadBeirSplit(dir, 'test')).rejects.toMatchObject({ code: 'INVALID_DATASET', message: expect.stringMatching(/no qrels for split "test".*test\.tsv is missing \(splits found: train\)/) });
    expect(() => beirPaths(path.join(dir, 'nope'))).toThrow(/does not exist/);
  });

  it('rejects a malformed qrels line and a judged query missing from queries.jsonl', async () => {
    writeDataset({ 'corpus.jsonl': '', 'queries.jsonl': '{"_id": "q1", "text": "t"}\n', 'qrels/test.tsv': 'q1\td1\n' });
    await expect(loadBeirSplit(dir)).rejects.toThrow(/test\.tsv:1: expected/);
    writeDataset({ 'qrels/test.tsv': 'q9\td1\t1\n' });
    await expect(loadBeirSplit(dir)).rejects.toThrow(/query "q9" which is not in/);
  });

  it('reads the bundled SciFact test split: 300 judged queries', async () => {
    const split = await loadBeirSplit('index-data/samples/scifact');
    expect(split.name).toBe('scifact');
    expect(split.queries).toHaveLength(300);
  });
});
