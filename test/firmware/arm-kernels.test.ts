/**
 * The optimized kernels as the Cortex-M4F runs them: tests/test_opt_kernels.c
 * and the model-sized tests/test_opt_kernels_wide.c built with arm-none-eabi-gcc (ACLE DSP instructions, the assembly 2x2 conv
 * and 3x3 depthwise loops, SMMLAR requantization) and run under
 * qemu-system-arm mps2-an386 with semihosting, against the reference kernels
 * and tb_quant.h. The x86 build (native.test.ts) checks the plain-C emulation
 * of the same operations instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../helpers.js';
import { buildConfig } from './native.js';

describe('optimized kernels on the emulated Cortex-M4F', () => {
  // The small random shapes, then the model-sized ones (test_opt_kernels_wide.c), where the widened
  // conv weight stream, the depthwise pixel-pair kernels (strides 1 and 2, blocks of 128 channels),
  // the 4-channel row kernel (stride 3), ADD's table loop and the pair widening engage.
  it.each([
    ['test_opt_kernels', 'random shapes', /agree with tb_quant\.h/],
    ['test_opt_kernels_wide', 'model-sized shapes', /passed/],
  ])(
    '%s: equal the reference kernels and TFLM requantization on %s',
    (name, _what, marker) => {
      const fw = join(repoRoot, 'firmware');
      mkdirSync(join(repoRoot, 'build'), { recursive: true });
      const elf = join(repoRoot, 'build', `${name}_m4.elf`);
      const cc = spawnSync(
        'arm-none-eabi-gcc',
        [
          ...buildConfig('flags', 'arm'),
          '--specs=rdimon.specs',
          '-nostartfiles',
          '-T',
          join(fw, 'ports/mps2-an386/link.ld'),
          '-Wl,--defsym=end=_ebss',
          '-Wl,--gc-sections',
          '-o',
          elf,
          join(fw, 'tests/arm/semihost_startup.c'),
          join(fw, `tests/${name}.c`),
          ...buildConfig('engine-sources').map((s) => join(fw, s)),
          '-lm',
        ],
        { encoding: 'utf8' },
      );
      if (cc.error) throw new Error('arm-none-eabi-gcc is not installed: run scripts/install-toolchain.sh');
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync(
        'qemu-system-arm',
        ['-M', 'mps2-an386', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
        { encoding: 'utf8', timeout: 240_000 },
      );
      const last = run.stdout.trim().split('\n').at(-1);
      process.stdout.write(`${name} opt vs ref on Cortex-M4F (QEMU): ${last}\n`);
      expect(run.stdout).toMatch(marker);
      expect(run.stdout).toMatch(/^\d{4,} passed, 0 failed$/m);
      expect(run.status).toBe(0);
    },
    300_000,
  );
});
