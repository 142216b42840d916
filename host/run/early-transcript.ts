import { insideDir } from '../core/safe-path.js';
import { toolVersion } from '../paths.js';
import type { Mode } from './plan.js';
import { TranscriptLog } from './session.js';

/**
 * The transcript of one test. Lines exchanged before the DUT is identified
 * (so before its folder is known) are held, then written first into log.txt;
 * if the test fails before that, they go to `<session>/<what>-failed-log.txt`.
 */
export class EarlyTranscript {
  private log: TranscriptLog | undefined;
  private held: Array<['tx' | 'rx' | 'note', string]> = [];
  private closed = false;
  readonly sink = (direction: 'tx' | 'rx', text: string): void => this.write(direction, text);

  note(text: string): void {
    this.write('note', text);
  }

  attach(log: TranscriptLog, heading: string): void {
    this.log = log;
    log.write('note', heading);
    for (const [direction, text] of this.held) log.write(direction, text);
    this.held = [];
  }

  async keepForFailure(sessionDir: string, benchmark: string | undefined, mode: Mode): Promise<void> {
    if (this.log || !this.held.length) return;
    try {
      this.attach(
        new TranscriptLog(insideDir(sessionDir, `${benchmark ?? 'dut'}-${mode}-failed-log.txt`)),
        `tiny-bench ${toolVersion()} ${benchmark ?? 'DUT'} ${mode}: failed before the DUT was identified`,
      );
    } catch {
      // The failure being reported matters more than its log; a full disk would land here.
    }
  }

  private write(direction: 'tx' | 'rx' | 'note', text: string): void {
    if (this.log) this.log.write(direction, text);
    else if (!this.closed) this.held.push([direction, text]);
  }

  /** Closes log.txt (once); rejects if the disk refused any of it. */
  async close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    this.closed = true;
    await log?.close();
  }
}
