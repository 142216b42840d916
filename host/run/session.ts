import { type WriteStream, createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type FileSystemError, explainFsError, makeFolder } from '../core/fs-errors.js';
import { insideDir } from '../core/safe-path.js';
import type { Direction } from '../devices/line-channel.js';
import { ResultsDocument } from '../report/results-schema.js';
import { resultsTxt } from '../report/results-txt.js';

export function sessionStamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export { insideDir };

/** Creates `<root>/<YYYYMMDD_HHMMSS>[_n]/`, never reusing an existing folder. */
export function createSessionDir(root: string, date = new Date()): string {
  const base = join(resolve(root), sessionStamp(date));
  let dir = base;
  for (let n = 2; existsSync(dir); ++n) dir = `${base}_${n}`;
  makeFolder(dir, 'create the session folder');
  return dir;
}

/** Hex payloads are long; the log keeps their start and length so it stays readable and small. */
function loggable(text: string): string {
  const m = /^db ([0-9a-fA-F]{64,})$/.exec(text);
  return m ? `db ${m[1]!.slice(0, 32)}…(${m[1]!.length} hex digits)` : text;
}

/** log.txt: one line per line sent or received, with wall time, offset and direction. */
export class TranscriptLog {
  private readonly stream: WriteStream;
  private readonly t0 = performance.now();
  /** Set when the file could not be written (a full disk): the run stops with it at the next step. */
  failure: FileSystemError | undefined;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (error) => {
      this.failure ??= explainFsError(error, 'write', path) as FileSystemError;
    });
  }
  write(direction: Direction | 'note', text: string): void {
    if (this.failure) return;
    const offset = ((performance.now() - this.t0) / 1000).toFixed(3).padStart(9);
    const arrow = direction === 'tx' ? '>' : direction === 'rx' ? '<' : '#';
    this.stream.write(`${new Date().toISOString()} ${offset}s ${arrow} ${loggable(text)}\n`);
  }
  /** Flushes and closes; rejects with the write failure, if there was one. */
  close(): Promise<void> {
    return new Promise((done, fail) => {
      const finish = (): void => (this.failure ? fail(this.failure) : done());
      if (this.stream.destroyed) return finish();
      this.stream.once('close', finish);
      this.stream.end();
    });
  }
}

/** Writes results.json (validated) and results.txt into a mode folder. */
export function writeResults(modeDir: string, doc: ResultsDocument): void {
  const valid = ResultsDocument.parse(doc);
  writeFileSync(join(modeDir, 'results.json'), `${JSON.stringify(valid, null, 2)}\n`);
  writeFileSync(join(modeDir, 'results.txt'), resultsTxt(valid, new Date(valid.finishedAt)));
}
