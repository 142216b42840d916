/**
 * The sww01 feature extractor and model built natively under ASan/UBSan (no
 * undefined behaviour, e.g. in the wrapping int8 cast), hop for hop equal to
 * the WebAssembly DUT's extract_uart_stream on the 10 s stream's first 3 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseWav } from '../../datasets/wav.js';
import { SWW01 } from '../../host/bench/sww01.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { openVirtualDut } from '../../host/sim/wasm-dut.js';
import { SANITIZE, compileNative } from '../firmware/native.js';
import { dataDir } from '../helpers.js';

describe('sww01 features and model, native', () => {
  it('run cleanly under sanitizers and equal the WebAssembly DUT hop for hop', async () => {
    const wav = parseWav(readFileSync(join(dataDir(), 'datasets', 'sww01', 'short_wav_easy10s.wav')), 'short_wav_easy10s.wav');
    const hops = 94;
    const mono = Int16Array.from({ length: hops * 512 }, (_, i) => wav.samples[2 * i]!);
    const raw = join(mkdtempSync(join(tmpdir(), 'tb-sww-native-')), 'samples.s16le');
    writeFileSync(raw, new Uint8Array(mono.buffer));
    const exe = compileNative('tb_sww_stream_asan', ['tools/tb_sww_stream.c', 'dsp/tb_sww_features.c'], SANITIZE);
    const run = spawnSync(exe, [join(dataDir(), 'models', SWW01.modelFile), raw], { encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(run.stderr).not.toMatch(/AddressSanitizer|runtime error/);
    expect(run.status, run.stderr).toBe(0);
    const native = run.stdout.trim().split('\n');
    expect(native).toHaveLength(hops);

    const { link } = await openVirtualDut({ benchmark: SWW01, dataDir: dataDir() });
    const channel = new LineChannel(link);
    await channel.settle(20, 1000);
    const dut = new Dut(channel);
    await dut.identify();
    const wasm: string[] = [];
    for (let h = 0; h < hops; ++h) {
      await dut.load(new Uint8Array(mono.buffer, h * 1024, 1024));
      const lines = await dut.send('extract_uart_stream');
      const f = /^m-features-\[(.*)\]$/
        .exec(lines.find((l) => l.startsWith('m-features-'))!)![1]!
        .split(', ')
        .join(' ');
      const a = /^m-activations-\[(.*)\]$/
        .exec(lines.find((l) => l.startsWith('m-activations-'))!)![1]!
        .split(', ')
        .join(' ');
      wasm.push(`${f} | ${a}`);
    }
    channel.close();
    await link.close();
    expect(native).toEqual(wasm);
    // The first wakeword is in there: output[0] crosses the detection threshold.
    expect(native.some((l) => Number(l.split('| ')[1]!.split(' ')[0]) > 115)).toBe(true);
  });
});
