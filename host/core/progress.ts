/** What runners report while they work; the CLI decides how to show it. */
export interface Progress {
  start(label: string, total: number): void;
  advance(done: number, detail?: string): void;
  finish(summary?: string): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, finish() {} };
