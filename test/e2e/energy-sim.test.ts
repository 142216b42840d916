/**
 * Energy mode on the simulated bench, end to end: the energy-mode firmware
 * (WebAssembly) behind the virtual interface board at 9600 baud, the virtual
 * LPM01A streaming ascii_dec samples and D7 events, the host's real drivers.
 * The truth is analytic: supply voltage x active current of the documented
 * power model x the time per inference, measured independently by a
 * performance-mode run of the same firmware (laps, no monitor involved).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { EnergyMonitor } from '../../energy/energy-monitor.js';
import { type BenchmarkId } from '../../host/bench/benchmark.js';
import { directRunner } from '../../host/devices/dut-session.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { ResultsDocument } from '../../host/report/results-schema.js';
import { checkTimestampWiring } from '../../host/run/energy.js';
import { silentProgress } from '../../host/core/progress.js';
import { modelPath } from '../../datasets/data-dir.js';
import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { VirtualEnergyBench } from '../../host/sim/energy-bench.js';
import { DEFAULT_POWER_MODEL } from '../../host/sim/power-model.js';
import { exposeOnPty } from '../../host/sim/pty-bridge.js';
import { scriptedDut } from '../fakes/scripted-dut.js';
import { dataDir, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-energy-'));
const VOLTAGE = 1.8;

async function session(benchmark: BenchmarkId, mode: 'energy' | 'performance', monitor: 'lpm01a' | 'ppk2' = 'lpm01a') {
  const result = await runTestSession({
    benchmarks: [benchmark],
    modes: [mode],
    dut: { kind: 'sim' },
    dataDir: dataDir(),
    outDir: out,
    command: ['test'],
    progress: silentProgress,
    say: () => {},
    ...(mode === 'energy' ? { energy: { bench: { kind: 'sim' as const, monitor }, voltageV: VOLTAGE, dutBaud: 9600 } } : {}),
  });
  const dir = join(result.sessionDir, benchmark, mode);
  const doc = result.documents[0]!;
  expect(ResultsDocument.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')))).toEqual(doc);
  for (const f of ['log.txt', 'results.txt', 'results.json']) expect(existsSync(join(dir, f)), f).toBe(true);
  return { doc, txt: readFileSync(join(dir, 'results.txt'), 'utf8'), log: readFileSync(join(dir, 'log.txt'), 'utf8') };
}

/** The submission checker's energy regex (re.search, protocol reference §6). */
const CHECKER_ENERGY = /Median energy cost is ([\d.]+) uJ\/inf/;

describe('energy mode on the simulated bench', () => {
  const latencyUs = new Map<BenchmarkId, number>();
  const cases = [
    ['kws01', 'lpm01a'],
    ['ad01', 'lpm01a'],
    ['kws01', 'ppk2'],
  ] as const;
  for (const [benchmark, monitor] of cases) {
    it(`${benchmark} with the virtual ${monitor}: energy per inference within 0.5 % of the power model`, async () => {
      if (!latencyUs.has(benchmark)) latencyUs.set(benchmark, (await session(benchmark, 'performance')).doc.latencyMs! * 1000);
      const truthUj = VOLTAGE * DEFAULT_POWER_MODEL.activeCurrentA * latencyUs.get(benchmark)!;

      const { doc, txt, log } = await session(benchmark, 'energy', monitor);
      const measured = doc.energyUjPerInference!;
      const error = Math.abs(measured - truthUj) / truthUj;
      process.stdout.write(
        `${benchmark} energy, virtual ${monitor} (SIMULATED): ${measured.toFixed(3)} uJ/inference, power ${doc.powerMw!.toFixed(3)} mW; power model ${truthUj.toFixed(3)} uJ (${(error * 100).toFixed(4)} % off)\n`,
      );
      expect(error).toBeLessThan(0.005);

      expect(doc.simulated).toBe(true);
      expect(txt).toMatch(/SIMULATED/);
      expect(Number(CHECKER_ENERGY.exec(txt)?.[1])).toBeCloseTo(measured, 2);
      expect(doc.powerMw! / (VOLTAGE * DEFAULT_POWER_MODEL.activeCurrentA * 1000)).toBeCloseTo(1, 2);
      expect(doc.energyWindows).toHaveLength(5);
      for (const w of doc.energyWindows!) {
        expect(w.elapsedS).toBeGreaterThanOrEqual(10);
        // The LPM01A's own clock (TimeStamp lines) agrees with its sample count; the PPK2 has none.
        if (monitor === 'lpm01a') expect(w.monitorElapsedS!).toBeCloseTo(w.elapsedS, 3);
        // The bench's exact edge times agree too.
        expect(Math.abs(w.energyUjPerInference - w.truthUjPerInference!) / w.truthUjPerInference!).toBeLessThan(0.005);
      }
      expect(doc.monitor).toMatchObject({ kind: monitor, voltageV: VOLTAGE, garbledTokens: 0, lostSamples: 0 });
      expect(doc.energyTrace!.edgesMs).toHaveLength(2);
      // The DUT was driven through the board: passthroughs in the log, 26-byte (52 hex digit) db chunks at most.
      expect(log).toMatch(/\[board\] dut name/);
      expect(log).toMatch(monitor === 'lpm01a' ? /\[lpm01a\] eventsrc d7 fal/ : /\[ppk2\] 11 02/);
      // Plain chunks through the board (the wire is slow; the buffer CRC is still checked).
      const chunkHex = [...log.matchAll(/\[board\] dut db ([0-9a-f]+)(?:…\(\+(\d+) chars\))?$/gm)].map((m) => m[1]!.length + Number(m[2] ?? 0));
      expect(chunkHex.length).toBeGreaterThan(0);
      expect(Math.max(...chunkHex)).toBe(52);
      expect(log).toMatch(/m-load-crc-\[[0-9a-f]{8}\]/);
    }, 120_000);
  }
});

describe('the hardware path against the simulated bench on ptys', () => {
  it('ad01 through SerialLinks on ptys (as with a real board and LPM01A): same energy, still labelled simulated', async () => {
    const benchmark = BENCHMARKS.ad01;
    const bench = await VirtualEnergyBench.create({ benchmark, model: readFileSync(modelPath(dataDir(), benchmark)) });
    const dir = mkdtempSync(join(tmpdir(), 'tb-ptys-'));
    const board = await exposeOnPty(bench.boardLink, dir, 'interface');
    const monitor = await exposeOnPty(bench.monitorLink, dir, 'lpm01a');
    try {
      const result = await runTestSession({
        benchmarks: ['ad01'],
        modes: ['energy'],
        dut: { kind: 'sim' },
        dataDir: dataDir(),
        outDir: out,
        command: ['test'],
        progress: silentProgress,
        say: () => {},
        energy: { bench: { kind: 'serial', interfacePath: board.path, monitor: 'lpm01a', monitorPath: monitor.path }, voltageV: VOLTAGE, dutBaud: 9600 },
      });
      const doc = result.documents[0]!;
      expect(doc.dut.link).toContain(board.path);
      expect(doc.monitor!.description).toContain(monitor.path);
      expect(doc.simulated).toBe(true);
      const w = doc.energyWindows![0]!;
      expect(w.truthUjPerInference).toBeUndefined(); // the runner cannot see into the bench from here
      const exact = bench.truthBetweenEdges(w.edges[0], w.edges[1], w.inferences)!;
      expect(Math.abs(w.energyUjPerInference - exact) / exact).toBeLessThan(0.005);
    } finally {
      await board.close();
      await monitor.close();
      await bench.close();
    }
  }, 60_000);
});

describe('energy-mode wiring check', () => {
  const fakeMonitor = (edges: () => number): EnergyMonitor => ({
    kind: 'lpm01a',
    description: 'fake',
    firmware: '1.0.6',
    sampleRateHz: 1000,
    simulated: false,
    configure: async () => {},
    powerOn: async () => {},
    powerOff: async () => {},
    start: async () => {},
    stop: async () => {},
    close: async () => {},
    edgeCount: edges,
    waitForEdges: async (count) => {
      if (edges() < count) throw new Error(`saw ${edges()} edges`);
    },
    span: () => ({ energyJ: 0, elapsedS: 0, samples: 0, lostSamples: 0 }),
    trace: () => ({ binMs: 1, powerMw: [], edgesMs: [] }),
    health: () => ({ garbled: 0, lostSamples: 0 }),
  });

  it('refuses performance-mode firmware: its timestamp prints a lap', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const dut = new Dut(new LineChannel(fake.link), { energyMode: true });
    await expect(
      checkTimestampWiring(
        directRunner(dut),
        fakeMonitor(() => 0),
      ),
    ).rejects.toThrow(/performance-mode firmware/);
  });

  it('an energy-mode DUT whose edge never reaches the monitor is a wiring error', async () => {
    const fake = scriptedDut({ model: 'kws01', energyMode: true });
    const dut = new Dut(new LineChannel(fake.link), { energyMode: true });
    await expect(
      checkTimestampWiring(
        directRunner(dut),
        fakeMonitor(() => 0),
      ),
    ).rejects.toThrow(/saw 0 edges/);
  });
});
