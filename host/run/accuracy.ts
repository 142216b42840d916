import { z } from 'zod';

import type { Benchmark } from '../bench/benchmark.js';
import type { Dataset, DatasetSample } from '../../datasets/dataset.js';
import type { Dut } from '../devices/dut.js';
import type { DutRunner } from '../devices/dut-session.js';
import { FileUpload, fileUploadUsable } from '../devices/file-upload.js';
import { type AheadOutcome, inferAhead, overlapUsable } from '../devices/overlapped-infer.js';
import { WrongAnswerError } from '../errors.js';
import { AnomalyFileResult, ClassifierFileResult } from '../report/results-schema.js';
import { indexSubsetReason } from '../bench/official-index.js';
import { type ModeRunner, requireLapTimestamps } from './mode-runner.js';
import type { Progress } from '../core/progress.js';
import { argmax, legacyAdAccuracy, mean, rocAuc, rocAucOneVsRest, top1Percent } from '../core/scoring.js';

export interface AccuracyOptions {
  /** Run only the first N files: a subset, never presented as a full result. */
  limit?: number;
  /** Files already scored (resume); they are not sent again. */
  done?: ReadonlyMap<string, FileResult>;
  /** Called after each file, e.g. to append it to a checkpoint. */
  onFile?: (result: FileResult) => void;
}

export type FileResult = ClassifierFileResult | AnomalyFileResult;

export interface AccuracyResult {
  files: number;
  subset: boolean;
  perFile: FileResult[];
  top1?: number;
  auc?: number;
  legacyAdAccuracy?: number;
}

/**
 * Checks a result vector before it can become a score: length and
 * finiteness. The caller's unit label names the file, so the message does not.
 */
export function checkResultVector(benchmark: Benchmark, values: readonly number[]): void {
  if (values.length !== benchmark.resultLength) {
    throw new WrongAnswerError(`the DUT returned ${values.length} result values, ${benchmark.id} has ${benchmark.resultLength}`);
  }
  if (!values.every(Number.isFinite)) throw new WrongAnswerError(`non-finite value in result vector ${JSON.stringify(values)}`);
  if (benchmark.metric === 'top1' && values.some((v) => v < 0)) throw new WrongAnswerError(`negative probability in result vector ${JSON.stringify(values)}`);
  if (benchmark.metric === 'top1') {
    // Probabilities printed with three decimals sum to 1 within rounding; a damaged digit rarely does.
    const sum = values.reduce((a, b) => a + b, 0);
    if (sum < 0.9 || sum > 1.1) throw new WrongAnswerError(`result vector sums to ${sum.toFixed(3)}, not 1: ${JSON.stringify(values)}`);
  }
  if (benchmark.metric === 'auc' && values[0]! < 0) throw new WrongAnswerError(`negative anomaly score ${values[0]}`);
}

/**
 * One file: every input (ad01: every window) loaded and inferred once. Each
 * command is its own unit of recovery, so a fault costs a window (or the few
 * a command runs), not a file. Windows of a file go to tiny-bench firmware
 * as one upload (file-upload.ts); standard firmware gets each window on its own.
 */
export async function scoreFile(
  runner: DutRunner,
  benchmark: Benchmark,
  dataset: Dataset,
  sample: DatasetSample,
  /** Runs first in every attempt (a resynchronisation after an overlapped batch failed). */
  prepare?: (dut: Dut) => Promise<void>,
): Promise<FileResult> {
  const file = dataset.read(sample);
  const inputs = benchmark.inputs(file, sample.row);
  const offsets = inputs.length > 1 ? benchmark.windowOffsets?.(file, sample.row) : undefined;
  const upload = offsets ? new FileUpload(file, benchmark.inputBytes) : undefined;
  const vectors: number[][] = [];
  while (vectors.length < inputs.length) {
    const w = vectors.length;
    const label = inputs.length > 1 ? `${sample.row.file} window ${w + 1}/${inputs.length}` : sample.row.file;
    // A unit of recovery per command: one window, or the few a streamed file runs at once (file-upload.ts).
    const results = await runner.run(label, async (dut: Dut): Promise<number[][]> => {
      await prepare?.(dut);
      const replies =
        upload && fileUploadUsable(dut, benchmark.inputBytes)
          ? await upload.inferWindows(dut, offsets!, w)
          : [await dut.load(inputs[w]!).then(() => dut.infer(1, 0))];
      for (const reply of replies) checkResultVector(benchmark, reply.results);
      return replies.map((r) => r.results);
    });
    vectors.push(...results);
  }
  if (benchmark.metric === 'auc') {
    const windowScores = vectors.map((v) => v[0]!);
    return { file: sample.row.file, label: sample.row.label, score: mean(windowScores), windows: windowScores.length, windowScores };
  }
  return classifierResult(sample, vectors[0]!);
}

function classifierResult(sample: DatasetSample, results: number[]): ClassifierFileResult {
  return { file: sample.row.file, label: sample.row.label, pred: argmax(results), results };
}

/** A file's one input (kws01, vww01, ic01); undefined for a file of several (which is then not sent ahead). */
function singleInput(benchmark: Benchmark, dataset: Dataset, sample: DatasetSample): Uint8Array | undefined {
  const inputs = benchmark.inputs(dataset.read(sample), sample.row);
  return inputs.length === 1 ? inputs[0] : undefined;
}

export function summarizeAccuracy(benchmark: Benchmark, perFile: FileResult[], subset: boolean): AccuracyResult {
  const result: AccuracyResult = { files: perFile.length, subset, perFile };
  if (benchmark.metric === 'auc') {
    const files = perFile as AnomalyFileResult[];
    const scores = files.map((f) => f.score);
    const anomalous = files.map((f) => f.label === 1);
    const auc = rocAuc(scores, anomalous);
    if (auc !== undefined) result.auc = auc;
    result.legacyAdAccuracy = legacyAdAccuracy(scores, anomalous);
  } else {
    const files = perFile as ClassifierFileResult[];
    result.top1 = top1Percent(
      files.map((f) => f.pred),
      files.map((f) => f.label),
    );
    const auc = rocAucOneVsRest(
      files.map((f) => f.results),
      files.map((f) => f.label),
      benchmark.classes,
    );
    if (auc !== undefined) result.auc = auc;
  }
  return result;
}

/** Accuracy mode: every listed file (or the first --limit), scored by the rules. */
export async function runAccuracy(
  runner: DutRunner,
  benchmark: Benchmark,
  dataset: Dataset,
  progress: Progress,
  options: AccuracyOptions = {},
): Promise<AccuracyResult> {
  const samples = options.limit !== undefined ? dataset.samples.slice(0, options.limit) : dataset.samples;
  const subset = samples.length < dataset.samples.length;
  const perFile: FileResult[] = [];
  progress.start(`${benchmark.id} accuracy${subset ? ' (subset)' : ''}`, samples.length);
  const record = (result: FileResult, fresh: boolean): void => {
    perFile.push(result);
    if (fresh) options.onFile?.(result);
    progress.advance(perFile.length, result.file);
  };
  // One input per file: they may go ahead of replies (overlapped-infer.ts). ad01's windows go as whole files instead.
  let ahead = benchmark.metric === 'top1' && !benchmark.windowOffsets;
  let resync = false;
  const resynchronise = async (dut: Dut): Promise<void> => {
    if (!resync) return;
    await dut.resynchronise();
    resync = false;
  };
  let index = 0;
  while (index < samples.length) {
    const previous = options.done?.get(samples[index]!.row.file);
    if (previous) {
      record(previous, false);
      ++index;
      continue;
    }
    if (ahead) {
      // The files not yet scored from here on, sent ahead of their replies; index follows each result.
      let end = index;
      while (end < samples.length && !options.done?.has(samples[end]!.row.file)) ++end;
      const stop = end;
      const outcome = await runner.run(
        `${samples[index]!.row.file} and the ${stop - index - 1} files after it (sent ahead)`,
        async (dut): Promise<AheadOutcome | undefined> => {
          if (!overlapUsable(dut)) return undefined;
          await resynchronise(dut);
          return inferAhead(
            dut,
            (i) => (i < stop ? singleInput(benchmark, dataset, samples[i]!) : undefined),
            (i, reply) => {
              checkResultVector(benchmark, reply.results);
              record(classifierResult(samples[i]!, reply.results), true);
              index = i + 1;
            },
            index,
          );
        },
      );
      if (!outcome) {
        ahead = false;
        continue;
      }
      index = outcome.next;
      if (index >= samples.length || (!outcome.failure && index >= stop)) continue;
      // The failed file (or one of several inputs) goes the sequential way, after a
      // resynchronisation when something failed; the next ones go ahead again.
      if (outcome.failure) resync = true;
    }
    record(await scoreFile(runner, benchmark, dataset, samples[index]!, resynchronise), true);
    ++index;
  }
  const summary = summarizeAccuracy(benchmark, perFile, subset);
  progress.finish(`${benchmark.id} accuracy: ${summary.top1 !== undefined ? `top-1 ${summary.top1.toFixed(2)} %` : `AUC ${summary.auc?.toFixed(4)}`}`);
  return summary;
}

/** Accuracy mode's row of the mode table. */
export const accuracyMode: ModeRunner = {
  mode: 'accuracy',
  checkpoint: { file: z.union([ClassifierFileResult, AnomalyFileResult]) },
  async run(context) {
    const { session, benchmark, dataset, progress, plan, checkpoint, say } = context;
    await requireLapTimestamps(context, 'accuracy');
    const done = new Map(checkpoint.of<FileResult>('file').map((f) => [f.file, f]));
    if (done.size) say(`${benchmark.id} accuracy: resuming, ${done.size} files already scored`);
    const acc = await runAccuracy(session, benchmark, dataset, progress, {
      ...(plan.limit !== undefined ? { limit: plan.limit } : {}),
      done,
      onFile: (value) => checkpoint.append({ kind: 'file', value }),
    });
    const value = benchmark.metric === 'top1' ? acc.top1 : acc.auc;
    const shortIndex = acc.subset ? undefined : indexSubsetReason(benchmark.id, dataset.samples.length);
    return {
      files: acc.files,
      subset: acc.subset || shortIndex !== undefined,
      ...(acc.subset
        ? { subsetReason: `--limit ${plan.limit}: ${acc.files} of the ${dataset.samples.length} files the index lists` }
        : shortIndex
          ? { subsetReason: shortIndex }
          : {}),
      ...(acc.top1 !== undefined ? { top1: acc.top1 } : {}),
      ...(acc.auc !== undefined ? { auc: acc.auc } : {}),
      ...(acc.legacyAdAccuracy !== undefined ? { legacyAdAccuracy: acc.legacyAdAccuracy } : {}),
      perFile: acc.perFile,
      ...(value !== undefined ? { qualityTarget: { metric: benchmark.metric, threshold: benchmark.target, pass: value >= benchmark.target } } : {}),
    };
  },
};
