import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { DatasetError } from '../host/errors.js';
import { type LabelRow, parseLabels } from './labels.js';

/** What reading a dataset needs to know of its benchmark (host/bench's Benchmark is one). */
export interface DatasetSpec {
  id: string;
  /** Classes column expected in the labels file. */
  classes: number;
  /** Why a file of `size` bytes cannot be used, or undefined. */
  checkFile(size: number, row: LabelRow): string | undefined;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export interface DatasetSample {
  row: LabelRow;
  path: string;
  size: number;
}

export interface Dataset {
  dir: string;
  labelsPath: string;
  samples: DatasetSample[];
  read(sample: DatasetSample): Uint8Array;
}

/**
 * Opens `<dir>` with its labels file and checks every listed file before a
 * byte goes to the DUT: it exists, stays inside the folder, has the size the
 * benchmark needs, and the classes column matches the benchmark.
 */
export function openDataset(dir: string, benchmark: DatasetSpec, labelsFile?: string): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetError(
      `Dataset folder ${dir} does not exist. Pass --data-dir (models/ and datasets/<model>/ inside) or --dataset-path, or run 'tiny-bench fetch'.`,
    );
  }
  const root = realpathSync(resolve(dir));
  const labelsPath = labelsFile ? resolve(dir, labelsFile) : join(dir, 'y_labels.csv');
  if (!existsSync(labelsPath)) throw new DatasetError(`Labels file ${labelsPath} does not exist`);
  if (!statSync(labelsPath).isFile()) throw new DatasetError(`Labels file ${labelsPath} is not a regular file (a folder?); give a CSV index inside ${root}`);
  if (!isInside(root, realpathSync(labelsPath)))
    throw new DatasetError(`Labels file ${labelsPath} is outside the dataset folder ${root}; an index must live beside the files it lists`);
  const rows = parseLabels(readFileSync(labelsPath, 'utf8'), labelsPath);
  const samples = rows.map((row): DatasetSample => {
    const where = `${labelsPath}:${row.line}`;
    const path = resolve(root, row.file);
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel) || isAbsolute(row.file)) {
      throw new DatasetError(`${where}: ${JSON.stringify(row.file)} points outside the dataset folder ${root}`);
    }
    if (row.classes !== benchmark.classes) {
      throw new DatasetError(`${where}: ${row.classes} classes listed, but ${benchmark.id} has ${benchmark.classes}`);
    }
    if (!existsSync(path)) throw new DatasetError(`${where}: listed file ${row.file} is missing from ${root}`);
    const stat = statSync(path);
    if (!stat.isFile()) throw new DatasetError(`${where}: ${row.file} is not a regular file`);
    // A link may point anywhere; the set is only what lies inside its folder.
    if (!isInside(root, realpathSync(path))) throw new DatasetError(`${where}: ${row.file} is a link to a file outside the dataset folder ${root}`);
    const problem = benchmark.checkFile(stat.size, row);
    if (problem) throw new DatasetError(`${where}: ${row.file} ${problem}`);
    return { row, path, size: stat.size };
  });
  return {
    dir: root,
    labelsPath,
    samples,
    read(sample) {
      const data = new Uint8Array(readFileSync(sample.path));
      if (data.length !== sample.size) throw new DatasetError(`${sample.path} changed size during the run (${sample.size} -> ${data.length} bytes)`);
      return data;
    },
  };
}
