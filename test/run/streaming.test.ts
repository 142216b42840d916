/**
 * The sww01 stream step end to end on the simulated bench: the host's
 * InterfaceBoard client and Dut client, the virtual H573 (SD card, I2S in
 * virtual time, pin capture) and the WebAssembly DUT. Expected detections are
 * the protocol reference's independent result (§1.10) for the 10 s stream.
 */
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { readSwwTruth } from '../../host/bench/sww01.js';
import { silentProgress } from '../../host/core/progress.js';
import { runStreaming } from '../../host/run/streaming.js';
import { dataDir } from '../helpers.js';
import { sdCard, streamingBench } from './sww-bench.js';

const swwDir = (): string => join(dataDir(), 'datasets', 'sww01');

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('sww01 stream step on the simulated bench', () => {
  it('scores the 10 s stream as the independent implementation: 2 TP, 1 FN, 0 FP under both tails', async () => {
    const rig = await streamingBench(sdCard(swwDir()));
    cleanup = rig.close;
    expect(rig.session.identity.model).toBe('sww01');
    const { streams } = readSwwTruth(swwDir());
    const r = await runStreaming(rig.session, rig.board, streams[0]!, silentProgress, { settleMs: 20, commandTimeoutMs: 2000 });
    // Detections every 32 ms from 1.376 s to 2.112 s, and at 4.992 s (after the sync pulse; board ms, floor).
    const frames = [...Array.from({ length: 24 }, (_, i) => 43 + i), 156];
    expect(r.detectionsS).toHaveLength(frames.length);
    r.detectionsS.forEach((t, i) => expect(Math.abs(t - frames[i]! * 0.032)).toBeLessThanOrEqual(0.0011));
    expect([r.score.truePositives, r.score.falseNegatives, r.score.falsePositives]).toEqual([2, 1, 0]);
    expect([r.officialCodeScore.truePositives, r.officialCodeScore.falseNegatives, r.officialCodeScore.falsePositives]).toEqual([2, 1, 0]);
    expect(r.activations).toHaveLength(312);
    // Every frame's duty-cycle edges, not only the board firmware's first 100.
    expect(r.dutyStartTicks).toHaveLength(312);
    expect(r.duty.frames).toBe(312);
    expect(r.duty.periodS).toBeCloseTo(0.032, 4);
    expect(r.duty.dutyCycle).toBeGreaterThan(0);
    expect(r.duty.dutyCycle).toBeLessThan(1);
    expect(r.duty.estimatedThroughput).toBeCloseTo(1 / r.duty.onTimeS, 9);
    expect(r.framesMissed).toBe(0);
    expect(rig.bench.overruns).toBe(0);
  });

  it('a DUT too slow for 32 ms hops (this engine on a 20 MHz core: well over 32 ms a frame) loses frames and its pin stays high', async () => {
    const rig = await streamingBench(sdCard(swwDir()), 20e6);
    cleanup = rig.close;
    const { streams } = readSwwTruth(swwDir());
    const r = await runStreaming(rig.session, rig.board, streams[0]!, silentProgress, { settleMs: 20, commandTimeoutMs: 2000 });
    expect(rig.bench.overruns).toBeGreaterThan(0);
    expect(r.framesMissed).toBeGreaterThan(100);
    expect(r.activations.length + r.framesMissed).toBe(312);
    // Each frame's busy time is longer than the 32 ms hop it has (47.5 ms with the current cost model).
    expect(r.duty.onTimeS).toBeGreaterThan(0.032);
    // Back-to-back frames: busy all the time (up to the 10 µs tick quantization).
    expect(r.duty.dutyCycle).toBeCloseTo(1, 3);
  });

  it("fails with the board's own message when the WAV is not on its SD card", async () => {
    const rig = await streamingBench(new Map());
    cleanup = rig.close;
    const stream = { wavFile: 'missing.wav', path: '', lengthS: 1, sampleRate: 16000, truth: [] };
    await expect(runStreaming(rig.session, rig.board, stream, silentProgress, { settleMs: 0, commandTimeoutMs: 2000 })).rejects.toThrow(
      /could not play missing\.wav.*2-channel wav file/,
    );
  });
});
