import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { openDataset } from '../../datasets/dataset.js';
import { parseLabels } from '../../datasets/labels.js';
import { BENCHMARKS, adWindowOffsets } from '../../host/bench/benchmark.js';
import { DatasetError } from '../../host/errors.js';

function folder(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-dataset-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('labels file', () => {
  it('parses 3- and 5-field rows with their line numbers, skipping blank lines', () => {
    expect(parseLabels('a.bin,12,7\n\r\nb.bin,2,1,2560,512\r\n', 'y.csv')).toEqual([
      { line: 1, file: 'a.bin', classes: 12, label: 7 },
      { line: 3, file: 'b.bin', classes: 2, label: 1, windowBytes: 2560, strideBytes: 512 },
    ]);
  });
  it.each([
    ['a.bin,12', /y.csv:1: expected 'file,classes,class'/],
    ['file,classes,class', /y.csv:1: classes must be a non-negative integer.*no header line/],
    ['a.bin,12,x', /class must be a non-negative integer/],
    ['a.bin,12,12', /class 12 is out of range for 12 classes/],
    ['a.bin,12,-1', /class must be a non-negative integer/],
    ['a.bin,2,0\na.bin,2,1', /y.csv:2: a.bin is already listed on line 1/],
    ['\n\n', /no samples listed/],
    [',2,0', /empty file name/],
  ])('rejects %j', (text, message) => {
    expect(() => parseLabels(text, 'y.csv')).toThrow(message);
  });
});

describe('dataset pre-flight', () => {
  const kws = BENCHMARKS.kws01;
  it('accepts a well-formed folder', () => {
    const dir = folder({ 'y_labels.csv': 'a.bin,12,3\n', 'a.bin': new Uint8Array(490) });
    expect(openDataset(dir, kws).samples.map((s) => s.row.file)).toEqual(['a.bin']);
  });
  it('names the file and line of a missing file', () => {
    const dir = folder({ 'y_labels.csv': 'a.bin,12,3\nb.bin,12,1\n', 'a.bin': new Uint8Array(490) });
    expect(() => openDataset(dir, kws)).toThrow(/y_labels.csv:2: listed file b.bin is missing/);
  });
  it('rejects short and long files with the expected size', () => {
    const short = folder({ 'y_labels.csv': 'a.bin,12,3\n', 'a.bin': new Uint8Array(489) });
    expect(() => openDataset(short, kws)).toThrow(/y_labels.csv:1: a.bin has 489 bytes, expected 490/);
    const long = folder({ 'y_labels.csv': 'a.bin,12,3\n', 'a.bin': new Uint8Array(491) });
    expect(() => openDataset(long, kws)).toThrow(/has 491 bytes, expected 490/);
  });
  it('refuses a path that escapes the dataset folder', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tb-escape-'));
    mkdirSync(join(parent, 'set'));
    writeFileSync(join(parent, 'secret.bin'), new Uint8Array(490));
    writeFileSync(join(parent, 'set', 'y_labels.csv'), '../secret.bin,12,0\n');
    expect(() => openDataset(join(parent, 'set'), kws)).toThrow(/points outside the dataset folder/);
    writeFileSync(join(parent, 'set', 'y_labels.csv'), '/etc/passwd,12,0\n');
    expect(() => openDataset(join(parent, 'set'), kws)).toThrow(/points outside the dataset folder/);
  });
  it('checks the classes column against the benchmark', () => {
    const dir = folder({ 'y_labels.csv': 'a.bin,10,3\n', 'a.bin': new Uint8Array(490) });
    expect(() => openDataset(dir, kws)).toThrow(/10 classes listed, but kws01 has 12/);
  });
  it('ad01: a whole number of float32 values and at least one window', () => {
    const ad = BENCHMARKS.ad01;
    const odd = folder({ 'y_labels.csv': 'a.bin,2,0,2560,512\n', 'a.bin': new Uint8Array(2562) });
    expect(() => openDataset(odd, ad)).toThrow(/not a whole number of float32 values/);
    const tiny = folder({ 'y_labels.csv': 'a.bin,2,0,2560,512\n', 'a.bin': new Uint8Array(2556) });
    expect(() => openDataset(tiny, ad)).toThrow(/shorter than one 2560-byte window/);
  });
  it('ad01 windows: 2560 bytes every 512 while they fit (200 frames -> 196 windows)', () => {
    const row = { line: 1, file: 'a', classes: 2, label: 0, windowBytes: 2560, strideBytes: 512 };
    expect(adWindowOffsets(102_400, row)).toHaveLength(196);
    expect(adWindowOffsets(3072, row)).toEqual([0, 512]);
  });
  it('a missing dataset folder names fetch and --data-dir', () => {
    expect(() => openDataset('/nonexistent/kws01', kws)).toThrow(DatasetError);
    expect(() => openDataset('/nonexistent/kws01', kws)).toThrow(/--data-dir.*tiny-bench fetch/);
  });
});

describe('ad01 files are whole', () => {
  it('a file cut by a multiple of 4 bytes (even to one window) is refused, not scored from fewer windows', () => {
    for (const size of [102_400 - 512, 2560]) {
      const dir = mkdtempSync(join(tmpdir(), 'tb-ad-cut-'));
      writeFileSync(join(dir, 'y_labels.csv'), 'a.bin,2,1,2560,512\n');
      writeFileSync(join(dir, 'a.bin'), new Uint8Array(size));
      expect(() => openDataset(dir, BENCHMARKS.ad01)).toThrow(new RegExp(`a.bin has ${size} bytes, expected 102400`));
    }
  });
});
