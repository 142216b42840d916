/** Published MLPerf Tiny results (protocol reference §7): latency ms and energy uJ per inference. */
import type { BenchmarkId } from '../bench/benchmark.js';

export interface ReferenceFigure {
  system: string;
  /** Benchmarks without published figures (ic02: none in §7) are absent. */
  latencyMs: Partial<Record<BenchmarkId, number>>;
  energyUj: Partial<Record<BenchmarkId, number>>;
}

export const REFERENCE_FIGURES: ReferenceFigure[] = [
  {
    system: 'NUCLEO-L4R5ZI (Cortex-M4F 120 MHz), TFLite Micro reference kernels (v0.5)',
    latencyMs: { ad01: 10.05, ic01: 704, kws01: 181.9, vww01: 600.6 },
    energyUj: { ad01: 416.3, ic01: 29207, kws01: 7373.7, vww01: 24312.6 },
  },
  {
    system: 'NUCLEO-L4R5ZI, ST X-CUBE-AI (v1.1)',
    latencyMs: { ad01: 6.86, ic01: 214.0, kws01: 62.9, vww01: 118.7 },
    energyUj: { ad01: 293.9, ic01: 7019, kws01: 2833, vww01: 5618 },
  },
  {
    system: 'NUCLEO-L4R5ZI-P, ST (v1.3)',
    latencyMs: { ad01: 4.79, ic01: 165.7, kws01: 43.4, vww01: 89.4 },
    energyUj: { ad01: 160.4, ic01: 5496, kws01: 1430.7, vww01: 3029.8 },
  },
];

/** [system, figure] for every published result of this benchmark. */
export function publishedFigures(kind: 'latencyMs' | 'energyUj', benchmark: BenchmarkId): Array<[string, number]> {
  return REFERENCE_FIGURES.flatMap((r) => {
    const figure = r[kind][benchmark];
    return figure === undefined ? [] : [[r.system, figure] as [string, number]];
  });
}
