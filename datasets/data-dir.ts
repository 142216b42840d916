/**
 * Where models and evaluation sets come from: --data-dir, then
 * TINY_BENCH_DATA, then the user cache that `tiny-bench fetch` fills.
 * Layout: <root>/models/<model>.tflite and <root>/datasets/<benchmark>/.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Benchmark } from '../host/bench/benchmark.js';
import { DatasetError } from '../host/errors.js';

export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tiny-bench');
}

export function resolveDataDir(option?: string): string {
  return resolve(option ?? process.env.TINY_BENCH_DATA ?? userCacheDir());
}

export function modelPath(dataDir: string, benchmark: Pick<Benchmark, 'modelFile'> & { id: string }): string {
  const path = join(dataDir, 'models', benchmark.modelFile);
  if (!existsSync(path)) {
    throw new DatasetError(`Model ${benchmark.modelFile} for ${benchmark.id} is not in ${join(dataDir, 'models')}. Run 'tiny-bench fetch' or pass --data-dir <folder with models/ and datasets/>.`);
  }
  return path;
}

/** `--dataset-path` follows the MLCommons runner: <dataset_path>/<model>/. */
export function datasetDir(dataDir: string, benchmark: Benchmark, datasetPath?: string): string {
  return datasetPath ? join(resolve(datasetPath), benchmark.id) : join(dataDir, 'datasets', benchmark.id);
}
