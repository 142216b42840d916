/**
 * Where models and evaluation sets come from: --data-dir, then
 * TINY_BENCH_DATA, then the user cache that `tiny-bench fetch` fills.
 * Layout: <root>/models/<model>.tflite and <root>/datasets/<benchmark>/.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { DatasetError } from '../host/errors.js';

export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tiny-bench');
}

export function resolveDataDir(option?: string): string {
  return resolve(option ?? process.env.TINY_BENCH_DATA ?? userCacheDir());
}

/** A benchmark as far as finding its files goes. */
export interface DataOwner {
  id: string;
  modelFile: string;
  /** Folder of its evaluation set under datasets/ (ic02 reads ic01's). */
  dataset: string;
}

export function modelPath(dataDir: string, benchmark: Pick<DataOwner, 'id' | 'modelFile'>): string {
  const path = join(dataDir, 'models', benchmark.modelFile);
  if (!existsSync(path)) {
    throw new DatasetError(
      `Model ${benchmark.modelFile} for ${benchmark.id} is not in ${join(dataDir, 'models')}. Run 'tiny-bench fetch' or pass --data-dir <folder with models/ and datasets/>.`,
    );
  }
  return path;
}

/** `--dataset-path` follows the MLCommons runner: <dataset_path>/<dataset>/ (ic02: ic01's folder, as its tests_*.yaml say). */
export function datasetDir(dataDir: string, benchmark: Pick<DataOwner, 'dataset'>, datasetPath?: string): string {
  return datasetPath ? join(resolve(datasetPath), benchmark.dataset) : join(dataDir, 'datasets', benchmark.dataset);
}
