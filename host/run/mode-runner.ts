/**
 * What every mode runner is (LoadGen's RunFunctions): given an identified DUT
 * session, the dataset and the checkpoint, it measures and returns its result
 * fields. Opening, identification, logging, checkpoint files and the results
 * document are the pipeline's job (bench-run.ts), once for every mode.
 */
import type { z } from 'zod';

import type { Dataset } from '../../datasets/dataset.js';
import type { Benchmark } from '../bench/benchmark.js';
import type { TestPlan } from '../config/mlcommons.js';
import type { Progress } from '../core/progress.js';
import type { DutSession } from '../devices/dut-session.js';
import { DutMismatchError } from '../errors.js';
import type { ResultsDocument } from '../report/results-schema.js';
import type { Checkpoint } from './checkpoint.js';
import type { Connection } from './connection.js';
import type { Mode, RunPlan } from './plan.js';

export interface ModeContext {
  session: DutSession;
  connection: Connection;
  benchmark: Benchmark;
  dataset: Dataset;
  plan: RunPlan;
  /** This benchmark's entry of a tests_*.yaml, if one was given. */
  test: TestPlan | undefined;
  checkpoint: Checkpoint;
  progress: Progress;
  say: (line: string) => void;
}

/** The fields of results.json a mode fills in; the pipeline adds identity, times and recovery. */
export type ModeFields = Omit<
  ResultsDocument,
  'schemaVersion' | 'tool' | 'benchmark' | 'mode' | 'simulated' | 'startedAt' | 'finishedAt' | 'wallSeconds' | 'command' | 'dut' | 'labelsFile' | 'recovery'
>;

export interface ModeRunner {
  mode: Mode;
  /** The checkpoint entries this mode writes, by kind, with the schema each value must satisfy when read back. */
  checkpoint: Record<string, z.ZodType>;
  run(context: ModeContext): Promise<ModeFields>;
}

/** Performance and accuracy time with laps: firmware built for energy mode (a GPIO edge instead) cannot serve them. */
export async function requireLapTimestamps(context: ModeContext, mode: Mode): Promise<void> {
  if ((await context.session.run('timestamp mode check', (dut) => dut.timestampMode())) === 'energy') {
    throw new DutMismatchError(
      `The DUT firmware on ${context.connection.link.description} is built for energy mode (its timestamp is a GPIO edge, not a lap); ${mode} mode needs a performance-mode build`,
    );
  }
}
