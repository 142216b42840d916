import { resolve, sep } from 'node:path';

import { TinyBenchError } from '../errors.js';

/** Joins below `root` and refuses anything that would leave it. */
export function insideDir(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(base, ...parts);
  if (path !== base && !path.startsWith(base + sep)) throw new TinyBenchError(`Refusing to write ${path}: outside ${base}`);
  return path;
}
