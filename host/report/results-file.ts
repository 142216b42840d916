/** Reading results.json back: validated, and any problem named with the file. */
import { readFileSync } from 'node:fs';

import { describeZodIssue } from '../core/zod-issue.js';
import { fsStep } from '../core/fs-errors.js';
import { ConfigError } from '../errors.js';
import { ResultsDocument } from './results-schema.js';

export function readResultsFile(path: string): ResultsDocument {
  const text = fsStep('read', path, () => readFileSync(path, 'utf8'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)}); delete it to run that test again`);
  }
  const parsed = ResultsDocument.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${path}: ${describeZodIssue(parsed.error, 'results')}; delete it to run that test again`);
  return parsed.data;
}
