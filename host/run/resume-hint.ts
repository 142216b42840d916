import { ConfigError, DatasetError, TinyBenchError } from '../errors.js';

/**
 * A failure after the session folder exists: the error keeps its class and
 * exit code; link and DUT trouble gets the resume hint, while bad data or
 * options do not (a resume would replay them).
 */
export function withResumeHint(error: unknown, sessionDir: string): unknown {
  if (!(error instanceof TinyBenchError) || error instanceof DatasetError || error instanceof ConfigError) return error;
  error.message = `${error.message}\nThe session is kept in ${sessionDir}; continue it with: tiny-bench run --resume ${sessionDir}`;
  return error;
}
