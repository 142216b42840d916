/**
 * Everything a result depends on, pinned when a mode starts and checked when
 * it resumes: the labels file, every listed sample file, the model the
 * virtual or emulated DUT was built with, and the DUT's identity. A resume
 * over changed inputs would mix two runs into one number.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { z } from 'zod';

import type { Dataset } from '../../datasets/dataset.js';

export const InputPins = z.object({
  labelsFile: z.string(),
  labelsSha256: z.string(),
  /** `<size>:<first 16 hex digits of sha256>` per listed file, in index order. */
  files: z.array(z.string()),
  modelSha256: z.string().optional(),
  dut: z.object({ name: z.string(), firmware: z.string(), model: z.string() }),
});
export type InputPins = z.infer<typeof InputPins>;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function pinInputs(dataset: Dataset, dut: InputPins['dut'], modelPath: string | undefined): InputPins {
  return {
    labelsFile: dataset.labelsPath,
    labelsSha256: sha256(readFileSync(dataset.labelsPath)),
    files: dataset.samples.map((s) => `${s.size}:${sha256(readFileSync(s.path)).slice(0, 16)}`),
    ...(modelPath ? { modelSha256: sha256(readFileSync(modelPath)) } : {}),
    dut: { ...dut },
  };
}

/** What changed between the pins a session started with and now, in words; undefined when nothing did. */
export function changedInputs(saved: InputPins, now: InputPins, dataset: Dataset): string | undefined {
  if (saved.labelsSha256 !== now.labelsSha256) return `the labels file ${now.labelsFile} changed`;
  if (saved.files.length !== now.files.length) return `the index now lists ${now.files.length} files, not ${saved.files.length}`;
  const index = saved.files.findIndex((pin, i) => pin !== now.files[i]);
  if (index >= 0) return `${dataset.samples[index]!.path} changed (${saved.files[index]} -> ${now.files[index]}, as size:sha256)`;
  if (saved.modelSha256 !== now.modelSha256) return 'the model file changed';
  for (const key of ['name', 'firmware', 'model'] as const) {
    if (saved.dut[key] !== now.dut[key]) return `the DUT's ${key} changed (${JSON.stringify(saved.dut[key])} -> ${JSON.stringify(now.dut[key])})`;
  }
  return undefined;
}
