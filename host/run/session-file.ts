/**
 * session.json: the plan a session was started with, so --resume continues
 * exactly that. Read back through the plan's schema; anything else is a
 * one-line error naming the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError } from '../errors.js';
import { toolVersion } from '../paths.js';
import { writeFileOrExplain } from '../core/fs-errors.js';
import { type RunPlan, RunPlanSchema, savedPlan } from './plan.js';
import { describeZodIssue } from '../core/zod-issue.js';

export const SESSION_FILE = 'session.json';
const SESSION_VERSION = 1;

export function writeSessionPlan(sessionDir: string, plan: RunPlan): void {
  const body = { version: SESSION_VERSION, tool: toolVersion(), plan: savedPlan(plan) };
  writeFileOrExplain(join(sessionDir, SESSION_FILE), `${JSON.stringify(body, null, 2)}\n`);
}

/** Reads the plan of an earlier session for --resume. */
export function readSessionPlan(sessionDir: string): RunPlan {
  if (!existsSync(sessionDir) || !statSync(sessionDir).isDirectory())
    throw new ConfigError(`${sessionDir} is not a folder; --resume takes a session folder (sessions/<YYYYMMDD_HHMMSS>)`);
  const path = join(sessionDir, SESSION_FILE);
  if (!existsSync(path)) throw new ConfigError(`${sessionDir} is not a tiny-bench session (no ${SESSION_FILE})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `${path}: not valid JSON (${error instanceof Error ? error.message : String(error)}); the session plan is damaged, start a new session`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || !('version' in parsed))
    throw new ConfigError(`${path}: expected an object with version and plan; the session plan is damaged, start a new session`);
  const { version, plan } = parsed as { version: unknown; plan: unknown };
  if (version !== SESSION_VERSION)
    throw new ConfigError(`${path}: unsupported session version ${JSON.stringify(version)} (this tiny-bench reads version ${SESSION_VERSION})`);
  const checked = RunPlanSchema.safeParse(plan);
  if (!checked.success) throw new ConfigError(`${path}: ${describeZodIssue(checked.error, 'plan')}; the session plan is damaged, start a new session`);
  const saved = checked.data;
  if (saved.dut.kind === 'link')
    throw new ConfigError(`${sessionDir} ran on a link opened by a program, which --resume cannot reopen; resume it from that program`);
  return { ...saved, dut: saved.dut };
}
