/**
 * A session of several DUTs: its session.json lists the DUTs' sub-session
 * folders (one ordinary session each). Read by the runner (resume), the
 * report and the submission writer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { z } from 'zod';

import { describeZodIssue } from '../core/zod-issue.js';
import { ConfigError } from '../errors.js';

export const MultiSessionFile = z.object({
  version: z.literal(1),
  tool: z.string(),
  duts: z.array(z.object({ label: z.string().regex(/^[\w.-]+$/) })).min(2),
  command: z.array(z.string()),
});

/** The DUT labels of a multi-DUT session, or undefined for an ordinary one. */
export function readMultiSession(sessionDir: string): string[] | undefined {
  const path = join(sessionDir, 'session.json');
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // an ordinary session's reader names the damage
  }
  if (typeof json !== 'object' || json === null || !('duts' in json)) return undefined;
  const parsed = MultiSessionFile.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${path}: ${describeZodIssue(parsed.error, 'session')}; the session file is damaged`);
  return parsed.data.duts.map((d) => d.label);
}
