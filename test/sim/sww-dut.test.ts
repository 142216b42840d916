/**
 * The sww01 firmware in streaming mode on the WebAssembly DUT: I2S chunks of
 * the 10 s test stream in, pins and the activation dump out. The expected
 * detections are the protocol reference's (§1.10), from an independent
 * float64 feature implementation with the TFLite-Micro-exact model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseWav } from '../../datasets/wav.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { type SwwPin, openVirtualDut } from '../../host/sim/wasm-dut.js';
import { parseActivations } from '../../host/protocol/sww.js';
import { dataDir } from '../helpers.js';

const SWW = { id: 'sww01', modelFile: 'str_ww_ref_model.tflite' };

async function streamingDut() {
  const pins: Array<{ pin: SwwPin; high: boolean; us: number }> = [];
  const { link, dut: wasm } = await openVirtualDut({ benchmark: SWW, dataDir: dataDir(), onSwwPin: (pin, high, us) => pins.push({ pin, high, us }) });
  const channel = new LineChannel(link);
  await channel.settle(20, 1000);
  const dut = new Dut(channel);
  await dut.identify();
  return { dut, wasm, pins, close: async () => (channel.close(), await link.close()) };
}

describe('sww01 streaming mode (virtual DUT)', () => {
  it('detects the wakewords of the 10 s stream where the independent implementation does, with sync pulse and duty-cycle pin', async () => {
    const wav = parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'short_wav_easy10s.wav')), 'short_wav_easy10s.wav');
    const { dut, wasm, pins, close } = await streamingDut();
    expect(await dut.send('stop')).toEqual(['I2S is already idle.  Ignoring stop request']);
    expect(await dut.send('start')).toEqual(['Listening for I2S data ... ', 'DMA receive initiated.']);
    expect(await dut.send('start')).toEqual(['I2S Rx currently in progress. Ignoring request']);
    const chunks = Math.floor(wav.samples.length / 1024);
    const t0 = wasm.clockUs + 1000;
    for (let k = 0; k < chunks; ++k) expect(wasm.i2sChunk(wav.samples.subarray(k * 1024, (k + 1) * 1024), t0 + (k + 1) * 32_000)).toBe(true);
    const stop = await dut.send('stop');
    await close();
    expect(stop.slice(0, 2)).toEqual(['Streaming stopped.', 'target activations: ']);
    const activations = parseActivations(stop);
    expect(activations).toHaveLength(chunks);
    const detected = activations.flatMap((a, k) => (a > 115 ? [k] : []));
    // 1.376 s .. 2.112 s every 32 ms, and 4.992 s (frames relative to the first one, the sync pulse).
    expect(detected).toEqual([...Array.from({ length: 24 }, (_, i) => 43 + i), 156]);
    // The third wakeword (7.0 - 7.36 s) peaks at 104, below the threshold.
    expect(Math.max(...activations.slice(200, 260))).toBe(104);

    const processing = pins.filter((p) => p.pin === 'processing');
    const falls = pins.filter((p) => p.pin === 'detection' && !p.high);
    // start blips the processing pin once, then one high/low pair per frame.
    expect(processing).toHaveLength(2 + 2 * chunks);
    expect(processing.every((p, i) => p.high === (i % 2 === 0))).toBe(true);
    // One pulse per detection plus the first frame's sync pulse.
    expect(falls).toHaveLength(1 + detected.length);
    const frameEnd = (k: number): number => processing[2 + 2 * k + 1]!.us;
    expect(falls[0]!.us).toBeLessThanOrEqual(frameEnd(0));
    expect(falls[0]!.us).toBeGreaterThanOrEqual(t0 + 32_000);
  });
});
