/**
 * checkpoint.jsonl: an append-only record of finished work in a mode folder,
 * one JSON object per line, flushed to disk after every entry, so a run
 * killed at any moment loses at most the sample in flight. A torn last line
 * (killed mid-write, or a tail of NULs when the file grew before its data
 * reached the disk) is cut off when the file is opened, before anything is
 * appended, so any number of interruptions leave a clean file.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

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
  private constructor(
    private readonly path: string,
    readonly header: CheckpointHeader,
    readonly entries: CheckpointEntry[],
  ) {}

  /** Opens the checkpoint, creating it with `header`, or checks that an existing one belongs to the same work. */
  static open(path: string, header: CheckpointHeader): Checkpoint {
    const entries = existsSync(path) ? readRepairing(path) : [];
    if (entries.length === 0) {
      // Nothing finished was recorded (a new file, or only a torn header): start it.
      const checkpoint = new Checkpoint(path, header, []);
      checkpoint.append({ ...header });
      return checkpoint;
    }
    const existing = entries[0] as CheckpointHeader | undefined;
    if (!existing || existing.kind !== 'header') throw new TinyBenchError(`${path} has no header line`);
    for (const key of ['benchmark', 'mode', 'labelsFile', 'limit'] as const) {
      if (existing[key] !== header[key])
        throw new TinyBenchError(
          `${path} was written for ${key} ${JSON.stringify(existing[key])}, not ${JSON.stringify(header[key])}; resume with the same options`,
        );
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

/**
 * Reads every complete entry and truncates the file after the last one. Only
 * the end of the file can be torn (entries are appended and synced one at a
 * time), so an unreadable line before the end is damage, never repaired.
 */
function readRepairing(path: string): CheckpointEntry[] {
  const bytes = readFileSync(path);
  const entries: CheckpointEntry[] = [];
  let good = 0;
  let start = 0;
  let line = 0;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; start = nl + 1, nl = bytes.indexOf(0x0a, start)) {
    ++line;
    const text = bytes.subarray(start, nl).toString('utf8');
    if (!text.trim()) continue;
    try {
      entries.push(JSON.parse(text) as CheckpointEntry);
      good = nl + 1;
    } catch {
      if (bytes.subarray(nl + 1).some((b) => b !== 0 && b !== 0x0a && b !== 0x20)) {
        throw new TinyBenchError(`${path}:${line}: damaged checkpoint line (not the last one, so not a torn write)`);
      }
      break;
    }
  }
  if (good < bytes.length) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, good);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return entries;
}
