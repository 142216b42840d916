/**
 * Finished work survives any number of interruptions: a crash mid-append
 * leaves a torn last line (or a tail of NULs, when the file grew before its
 * data reached the disk); the next open must cut it off before appending, or
 * the next entry is glued onto the fragment and the resume after that fails.
 */
import { appendFileSync, mkdtempSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Checkpoint, type CheckpointHeader } from '../../host/run/checkpoint.js';

const header: CheckpointHeader = { kind: 'header', version: 1, benchmark: 'kws01', mode: 'accuracy', labelsFile: 'y_labels.csv', limit: null };

function fresh(entries: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-checkpoint-')), 'checkpoint.jsonl');
  const checkpoint = Checkpoint.open(path, header);
  for (let i = 0; i < entries; ++i) checkpoint.append({ kind: 'file', value: { file: `f${i}.bin`, pred: i % 12 } });
  return path;
}

const files = (c: Checkpoint): string[] => c.of<{ file: string }>('file').map((f) => f.file);

describe('checkpoint.jsonl after interruptions', () => {
  it.each([
    ['a torn last line', (path: string) => truncateSync(path, statSync(path).size - 7)],
    // The file grew but the last entry's data never reached the disk.
    [
      'a NUL-filled tail',
      (path: string) => {
        const size = statSync(path).size;
        const last =
          readFileSync(path)
            .subarray(0, size - 1)
            .lastIndexOf(0x0a) + 1;
        truncateSync(path, last);
        appendFileSync(path, Buffer.alloc(size - last + 4000));
      },
    ],
    [
      'a torn line followed by NULs',
      (path: string) => {
        truncateSync(path, statSync(path).size - 5);
        appendFileSync(path, Buffer.alloc(512));
      },
    ],
  ])('%s: resume, append, resume again keeps every finished entry', (_, damage) => {
    const path = fresh(5);
    damage(path);
    // First resume: the damaged last entry is gone (it was in flight), the rest is kept.
    const first = Checkpoint.open(path, header);
    expect(files(first)).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin']);
    first.append({ kind: 'file', value: { file: 'f4.bin', pred: 4 } });
    first.append({ kind: 'file', value: { file: 'f5.bin', pred: 5 } });
    // Killed again mid-write, then a second and a third resume.
    damage(path);
    const second = Checkpoint.open(path, header);
    expect(files(second)).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin', 'f4.bin']);
    second.append({ kind: 'file', value: { file: 'f5.bin', pred: 5 } });
    const third = Checkpoint.open(path, header);
    expect(files(third)).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin', 'f4.bin', 'f5.bin']);
    // The file itself is clean again: every line parses, no NUL left.
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.includes('\0')).toBe(false);
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('a damaged line in the middle is still refused, naming the line', () => {
    const path = fresh(3);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 10);
    truncateSync(path, 0);
    appendFileSync(path, lines.join('\n'));
    expect(() => Checkpoint.open(path, header)).toThrow(/checkpoint\.jsonl:3: damaged checkpoint line/);
  });

  it('a file that is nothing but a torn header starts over', () => {
    const path = fresh(0);
    truncateSync(path, 10);
    const c = Checkpoint.open(path, header);
    expect(c.entries).toEqual([]);
    c.append({ kind: 'file', value: { file: 'f0.bin', pred: 0 } });
    expect(files(Checkpoint.open(path, header))).toEqual(['f0.bin']);
  });
});
