/**
 * checkpoint.jsonl: an append-only record of finished work in a mode folder,
 * one JSON object per line, flushed to disk after every entry, so a run
 * killed at any moment loses at most the sample in flight. A torn last line
 * (killed mid-write) is ignored on reading.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

import { fsStep } from '../core/fs-errors.js';
import { TinyBenchError } from '../errors.js';

export interface CheckpointHeader {
  kind: 'header';
  version: 1;
  benchmark: string;
  mode: string;
  labelsFile: string;
  limit: number | null;
  /** What the results depend on (labels, files, model, DUT), checked by the runner on resume. */
  inputs?: unknown;
}

export type CheckpointEntry = { kind: string; [key: string]: unknown };

export class Checkpoint {
  private constructor(private readonly path: string, readonly header: CheckpointHeader, readonly entries: CheckpointEntry[]) {}

  /** Opens the checkpoint, creating it with `header`, or checks that an existing one belongs to the same work. */
  static open(path: string, header: CheckpointHeader): Checkpoint {
    if (!existsSync(path)) {
      const checkpoint = new Checkpoint(path, header, []);
      checkpoint.append({ ...header });
      return checkpoint;
    }
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    const entries: CheckpointEntry[] = [];
    lines.forEach((line, i) => {
      try {
        entries.push(JSON.parse(line) as CheckpointEntry);
      } catch {
        if (i !== lines.length - 1) throw new TinyBenchError(`${path}:${i + 1}: damaged checkpoint line (not the last one, so not a torn write)`);
      }
    });
    const existing = entries[0] as CheckpointHeader | undefined;
    if (!existing || existing.kind !== 'header') throw new TinyBenchError(`${path} has no header line`);
    for (const key of ['benchmark', 'mode', 'labelsFile', 'limit'] as const) {
      if (existing[key] !== header[key]) throw new TinyBenchError(`${path} was written for ${key} ${JSON.stringify(existing[key])}, not ${JSON.stringify(header[key])}; resume with the same options`);
    }
    return new Checkpoint(path, existing, entries.slice(1));
  }

  append(entry: CheckpointEntry): void {
    fsStep('write', this.path, () => {
      const fd = openSync(this.path, 'a');
      try {
        writeSync(fd, `${JSON.stringify(entry)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
    if (entry.kind !== 'header') this.entries.push(entry);
  }

  of<T>(kind: string): T[] {
    return this.entries.filter((e) => e.kind === kind).map((e) => e.value as T);
  }
}
