/**
 * issue 14 #3 on the virtual DUT: a run with --fast-baud switches the link
 * after identifying the DUT and scores every file as a run without it; a
 * wire that cannot carry the rate makes the probe fail, host and DUT fall
 * back to 115200 by themselves and the run goes on; with faults injected
 * (damage, unplugs, resets that bring the DUT back at its boot rate) the run
 * still finishes with the clean results.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { silentProgress } from '../../host/core/progress.js';
import type { Link } from '../../host/link/link.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { dataDir, runTestSession } from '../helpers.js';

const out = mkdtempSync(join(tmpdir(), 'tb-baud-'));
const base = { dataDir: dataDir(), outDir: out, command: ['test'], progress: silentProgress, say: () => {} };
const kws = { benchmarks: ['kws01' as const], modes: ['accuracy' as const], limit: 12 };
const log = (sessionDir: string) => readFileSync(join(sessionDir, 'kws01', 'accuracy', 'log.txt'), 'utf8');

describe('run --fast-baud on the virtual DUT', () => {
  it('switches to 921600 after identifying the DUT; per-file results equal a run at 115200; the rate is in results.json and the log', async () => {
    const plain = (await runTestSession({ ...base, ...kws, dut: { kind: 'sim' } })).documents[0]!;
    const fast = await runTestSession({ ...base, ...kws, dut: { kind: 'sim' }, fastBaud: 921600 });
    const doc = fast.documents[0]!;
    expect(plain.dut.baud).toBeUndefined();
    expect(doc.perFile).toEqual(plain.perFile);
    expect(doc.dut.baud).toMatchObject({ bootRate: 115200, asked: 921600, rate: 921600, switched: true, switches: 1 });
    expect(log(fast.sessionDir)).toMatch(/baud: switched from 115200 to 921600 baud/);
    expect(log(fast.sessionDir)).toMatch(/> baud probe/);
  }, 120_000);

  it('a wire that cannot carry 921600: the probe fails, both fall back to 115200 and every file is scored as before', async () => {
    const plain = (await runTestSession({ ...base, ...kws, dut: { kind: 'sim' } })).documents[0]!;
    let virtual: VirtualDutConnection | undefined;
    const open = async (): Promise<Link> => {
      if (virtual) return virtual.reopen();
      virtual = await VirtualDutConnection.open({ benchmark: BENCHMARKS.kws01, dataDir: dataDir(), wire: { maxBaudRate: 460800 } });
      return virtual.link;
    };
    try {
      const fast = await runTestSession({ ...base, ...kws, dut: { kind: 'link', open, simulated: true, commandTimeoutMs: 1000 }, fastBaud: 921600 });
      const doc = fast.documents[0]!;
      expect(doc.perFile).toEqual(plain.perFile);
      expect(doc.dut.baud).toMatchObject({ rate: 115200, switched: false, switches: 0 });
      expect(doc.dut.baud!.note).toMatch(/no answer at 921600 baud .*both back at 115200/);
      expect(virtual!.dut.uartRate).toBe(115200);
      expect(log(fast.sessionDir)).toMatch(/baud: no answer at 921600/);
    } finally {
      await virtual?.close();
    }
  }, 120_000);

  it('--fault-rate 0.01 with the switched rate: the run finishes with the clean results, resets found again at the boot rate', async () => {
    const plain = (await runTestSession({ ...base, ...kws, limit: 6, dut: { kind: 'sim' } })).documents[0]!;
    const faulty = await runTestSession({ ...base, ...kws, limit: 6, dut: { kind: 'sim' }, fastBaud: 921600, faults: { rate: 0.01, seed: 3 } });
    const doc = faulty.documents[0]!;
    expect(doc.perFile).toEqual(plain.perFile);
    expect(doc.recovery!.faultsInjected).toBeGreaterThan(50);
    // Restarts (the DUT back at 115200) and replugs (the link back at 115200) were found and switched up again.
    expect(doc.dut.baud!.switches).toBeGreaterThan(1);
    expect(log(faulty.sessionDir)).toMatch(/baud: the DUT answers at 115200/);
    expect(log(faulty.sessionDir)).toMatch(/baud: the DUT answers at 921600/);
    process.stdout.write(`fault run: ${JSON.stringify(doc.recovery)} baud ${JSON.stringify(doc.dut.baud)}\n`);
  }, 300_000);
});
