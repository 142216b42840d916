/**
 * Several DUTs in one session (a rack of boards, or several `tiny-bench
 * serve` / ser2net ports): one sub-session per DUT in `<session>/<label>/`,
 * each an ordinary session with its own plan, checkpoints and resume, all
 * running at once. One DUT failing does not stop the others; the session
 * reports which failed, and `--resume` on the parent continues each one that
 * did not finish.
 */
import { basename, join } from 'node:path';

import { makeFolder, writeFileOrExplain } from '../core/fs-errors.js';
import { ConfigError, type TinyBenchError } from '../errors.js';
import { toolVersion } from '../paths.js';
import { readMultiSession } from '../report/multi-session.js';
import type { ResultsDocument } from '../report/results-schema.js';
import { type RunContext, runSession } from './bench-run.js';
import { type RunPlan, type RunRequest, buildRunPlan } from './plan.js';
import { SESSION_FILE, readSessionPlan } from './session-file.js';
import { createSessionDir } from './session.js';

export interface DutPlan {
  /** Folder name of its sub-session, and how it is named in the report and the submission. */
  label: string;
  plan: RunPlan;
}

export interface DutOutcome {
  label: string;
  sessionDir: string;
  documents: ResultsDocument[];
  error?: TinyBenchError | Error;
}

/** `dut1-ttyACM0`, `dut2-localhost_4001`: the position keeps labels unique, the port's name keeps them readable. */
export function dutLabel(port: string, index: number): string {
  const url = /^\w+:\/\/([^/]+)/.exec(port);
  const name = (url ? url[1]!.replace(/:/g, '_') : basename(port)).replace(/[^\w.-]/g, '_') || 'port';
  return `dut${index + 1}-${name}`;
}

/** One plan per port: the same request, each with its own DUT. */
export function buildDutPlans(request: RunRequest, ports: readonly string[]): DutPlan[] {
  if (ports.length < 2) throw new ConfigError('Several DUTs need at least two --port options');
  const dupe = ports.find((p, i) => ports.indexOf(p) !== i);
  if (dupe) throw new ConfigError(`--port ${dupe} is given twice; each DUT needs its own port`);
  return ports.map((port, index) => ({ label: dutLabel(port, index), plan: buildRunPlan({ ...request, port }) }));
}

export async function runMultiDutSession(
  duts: readonly DutPlan[] | undefined,
  context: RunContext,
  resumeDir?: string,
): Promise<{ sessionDir: string; outcomes: DutOutcome[] }> {
  const sessionDir = resumeDir ?? createSessionDir(context.outDir);
  context.onSessionDir?.(sessionDir);
  let work: Array<{ label: string; plan: RunPlan; resume: boolean }>;
  if (resumeDir) {
    const labels = readMultiSession(resumeDir);
    if (!labels) throw new ConfigError(`${resumeDir} is not a session of several DUTs`);
    work = labels.map((label) => ({ label, plan: readSessionPlan(join(resumeDir, label)), resume: true }));
  } else {
    if (!duts) throw new ConfigError('A new session of several DUTs needs their plans');
    writeFileOrExplain(
      join(sessionDir, SESSION_FILE),
      `${JSON.stringify({ version: 1, tool: toolVersion(), duts: duts.map((d) => ({ label: d.label })), command: duts[0]!.plan.command }, null, 2)}\n`,
    );
    work = duts.map((d) => ({ ...d, resume: false }));
  }
  const outcomes = await Promise.all(
    work.map(async ({ label, plan, resume }): Promise<DutOutcome> => {
      const dir = join(sessionDir, label);
      if (!resume) makeFolder(dir);
      const say = (line: string): void => context.say(`[${label}] ${line}`);
      try {
        const progress = context.makeProgress?.() ?? context.progress;
        const result = await runSession(plan, { ...context, say, progress, sessionDir: dir, onSessionDir: () => {} }, resume ? dir : undefined);
        return { label, sessionDir: dir, documents: result.documents };
      } catch (error) {
        return { label, sessionDir: dir, documents: [], error: error instanceof Error ? error : new Error(String(error)) };
      }
    }),
  );
  return { sessionDir, outcomes };
}
