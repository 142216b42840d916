/**
 * How a test ends, for the pipeline and the sww01 stream step alike: results
 * are written only once the log is whole; a failure is noted in the log (kept
 * even if the DUT was never identified) and gets the resume hint when a
 * resume can help.
 */
import { fsStep } from '../core/fs-errors.js';
import type { RecoveryStats } from '../devices/dut-session.js';
import type { ResultsDocument } from '../report/results-schema.js';
import type { EarlyTranscript } from './early-transcript.js';
import type { Mode } from './plan.js';
import { withResumeHint } from './resume-hint.js';
import { writeResults } from './session.js';

/**
 * results.json's recovery block: present whenever anything was done again —
 * a resent command counts too, so a run that needed only resends does not read
 * as a clean one — or faults were injected.
 */
export function recoveryRecord(stats: RecoveryStats, faultsInjected?: number): Pick<ResultsDocument, 'recovery'> {
  const recovered = stats.retries || stats.resets || stats.reconnects || stats.resends;
  if (!recovered && faultsInjected === undefined) return {};
  return { recovery: { ...stats, ...(faultsInjected !== undefined ? { faultsInjected } : {}) } };
}

export async function finishTest(transcript: EarlyTranscript, modeDir: string, doc: ResultsDocument): Promise<ResultsDocument> {
  transcript.note(`results written to ${modeDir}`);
  // A log the disk refused is an incomplete record: the test is not finished until it is whole.
  await transcript.close();
  fsStep('write results into', modeDir, () => writeResults(modeDir, doc));
  return doc;
}

/** The error to throw for a failed test, after recording it. */
export async function failTest(transcript: EarlyTranscript, error: unknown, sessionDir: string, benchmark: string | undefined, mode: Mode): Promise<unknown> {
  if (error instanceof Error) transcript.note(`FAILED: ${error.message}`);
  await transcript.keepForFailure(sessionDir, benchmark, mode);
  return withResumeHint(error, sessionDir);
}
