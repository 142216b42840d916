/**
 * The closed-division benchmarks (v1.0's four and v1.4's ic02): what a dataset file looks like, how it
 * becomes DUT inputs, what comes back, and how it is scored.
 */
import type { LabelRow } from '../../datasets/labels.js';

export const BENCHMARK_IDS = ['kws01', 'vww01', 'ic01', 'ad01', 'ic02'] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];

/** What a run without -b covers: the four v1.0 benchmarks. ic02 (v1.4, 76.5 M MACs) is asked for by name. */
export const DEFAULT_BENCHMARK_IDS: readonly BenchmarkId[] = ['kws01', 'vww01', 'ic01', 'ad01'];

export type Metric = 'top1' | 'auc';

export interface Benchmark {
  id: BenchmarkId;
  title: string;
  modelFile: string;
  /** Folder of its evaluation set under datasets/ (ic02 reads the ic01 set, as the official tests_*.yaml do). */
  dataset: string;
  /** Classes column expected in y_labels.csv. */
  classes: number;
  /** Bytes of one DUT input (ad01: one float32 window). */
  inputBytes: number;
  /** Values in one m-results vector. */
  resultLength: number;
  metric: Metric;
  /** Quality target: top-1 percent or AUC (MLPerf Tiny rules). */
  target: number;
  /** Warm-up inferences per performance window (official tests_performance.yaml). */
  performanceWarmups: number;
  /** Warm-up inferences per energy window (official tests_energy.yaml). */
  energyWarmups: number;
  /** Why a file of `size` bytes cannot be used, or undefined. */
  checkFile(size: number, row: LabelRow): string | undefined;
  /** Accuracy-mode inputs of one file (ad01: every window). */
  inputs(file: Uint8Array, row: LabelRow): Uint8Array[];
  /** Where in the file each of those inputs starts, when they are windows of it (ad01). */
  windowOffsets?(file: Uint8Array, row: LabelRow): number[];
  /** The single input of a performance window (ad01: the first window). */
  performanceInput(file: Uint8Array, row: LabelRow): Uint8Array;
}

function fixedSize(
  id: BenchmarkId,
  title: string,
  modelFile: string,
  classes: number,
  inputBytes: number,
  metricTarget: number,
  warmups: number,
  energyWarmups: number,
): Benchmark {
  return {
    id,
    title,
    modelFile,
    dataset: id,
    classes,
    inputBytes,
    resultLength: classes,
    metric: 'top1',
    target: metricTarget,
    performanceWarmups: warmups,
    energyWarmups,
    checkFile: (size) => (size === inputBytes ? undefined : `has ${size} bytes, expected ${inputBytes}`),
    inputs: (file) => [file],
    performanceInput: (file) => file,
  };
}

const AD_WINDOW = 2560;
const AD_STRIDE = 512;
/** Every file of the EEMBC ad01 set: 200 frames of 128 float32 log-mel features. A shorter one would be scored from fewer windows without a word. */
const AD_FILE_BYTES = 200 * 128 * 4;

/** ad01 window offsets: 2560-byte windows every 512 bytes while they fit (from the labels row when given). */
export function adWindowOffsets(size: number, row: LabelRow): number[] {
  const window = row.windowBytes ?? AD_WINDOW;
  const stride = row.strideBytes ?? AD_STRIDE;
  const offsets: number[] = [];
  for (let offset = 0; offset + window <= size; offset += stride) offsets.push(offset);
  return offsets;
}

const ad01: Benchmark = {
  id: 'ad01',
  title: 'Anomaly detection (ToyADMOS, FC autoencoder)',
  modelFile: 'ad01_int8.tflite',
  dataset: 'ad01',
  classes: 2,
  inputBytes: AD_WINDOW,
  resultLength: 1,
  metric: 'auc',
  target: 0.85,
  performanceWarmups: 10,
  energyWarmups: 0,
  checkFile(size, row) {
    if (size % 4 !== 0) return `has ${size} bytes, not a whole number of float32 values`;
    if ((row.windowBytes ?? AD_WINDOW) !== AD_WINDOW) return `labels row asks for ${row.windowBytes}-byte windows; the model takes ${AD_WINDOW}`;
    if (row.strideBytes !== undefined && (row.strideBytes <= 0 || row.strideBytes % 4 !== 0))
      return `stride ${row.strideBytes} is not a positive multiple of 4 bytes`;
    if (adWindowOffsets(size, row).length === 0) return `has ${size} bytes, shorter than one ${AD_WINDOW}-byte window`;
    if (size !== AD_FILE_BYTES)
      return `has ${size} bytes, expected ${AD_FILE_BYTES} (200 frames x 128 float32 features, as every file of the ad01 set); a cut or padded file would change the windows it is scored from`;
    return undefined;
  },
  inputs: (file, row) => adWindowOffsets(file.length, row).map((o) => file.subarray(o, o + AD_WINDOW)),
  windowOffsets: (file, row) => adWindowOffsets(file.length, row),
  performanceInput: (file) => file.subarray(0, AD_WINDOW),
};

export const BENCHMARKS: Record<BenchmarkId, Benchmark> = {
  kws01: fixedSize('kws01', 'Keyword spotting (DS-CNN)', 'kws_ref_model.tflite', 12, 490, 90, 10, 10),
  vww01: fixedSize('vww01', 'Visual wake words (MobileNetV1 0.25)', 'vww_96_int8.tflite', 2, 96 * 96 * 3, 80, 5, 5),
  ic01: fixedSize('ic01', 'Image classification (ResNet-8)', 'pretrainedResnet_quant.tflite', 10, 32 * 32 * 3, 85, 5, 0),
  ad01,
  // MLPerf Tiny v1.4: ResNet-8 widened to 40/80/160 filters on the ic01 images; warm-ups as ic01's.
  ic02: { ...fixedSize('ic02', 'Image classification 2 (ResNet-8, wide)', 'pretrainedResnet_large_int8.tflite', 10, 32 * 32 * 3, 91, 5, 0), dataset: 'ic01' },
};

/** The benchmark of the model id a DUT reports in m-model-[...]. */
export function benchmarkForModelId(model: string): Benchmark | undefined {
  return (BENCHMARKS as Record<string, Benchmark | undefined>)[model];
}
