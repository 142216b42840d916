/**
 * Several DUTs in one session, through the CLI as a lab would run it: two
 * boards (virtual DUTs behind ptys, like USB serial ports) and a port that
 * is not there. Both boards finish, the missing one fails on its own; one
 * report and one submission tree cover them; --resume continues per DUT.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { ResultsDocument } from '../../host/report/results-schema.js';
import { type PtyDevice, exposeOnPty } from '../../host/sim/pty-bridge.js';
import { VirtualDutConnection } from '../../host/sim/wasm-dut.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'tb-multi-'));
const devices: Array<{ pty: PtyDevice; dut: VirtualDutConnection }> = [];

beforeAll(async () => {
  for (const [name, id] of [
    ['board-a', 'kws01'],
    ['board-b', 'ic01'],
  ] as const) {
    const dut = await VirtualDutConnection.open({ benchmark: BENCHMARKS[id], dataDir: dataDir() });
    devices.push({ dut, pty: await exposeOnPty(dut.link, dir, name) });
  }
});
afterAll(async () => {
  for (const d of devices) {
    await d.pty.close();
    await d.dut.close();
  }
});

/** The CLI in a child process (async: this process serves the boards meanwhile). */
function run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, TINY_BENCH_DATA: dataDir() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('several DUTs in one session', () => {
  it('two boards finish side by side, a missing port fails alone; one report, one submission tree, resume per DUT', async () => {
    const out = join(dir, 'sessions');
    const a = join(dir, 'board-a');
    const b = join(dir, 'board-b');
    const missing = join(dir, 'board-gone');
    const r = await run('run', '--port', a, '--port', b, '--port', missing, '--mode', 'performance', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^tiny-bench: 1 of 3 DUTs failed \(dut3-board-gone\); the others finished\. Continue the failed ones with: tiny-bench run --resume /m,
    );
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      session: string;
      results: unknown[];
      duts: Array<{ label: string; results: unknown[]; error?: string }>;
    };
    expect(json.duts.map((d) => d.label)).toEqual(['dut1-board-a', 'dut2-board-b', 'dut3-board-gone']);
    const [kws, ic] = json.duts.map((d) => d.results.map((x) => ResultsDocument.parse(x)));
    expect(kws!.map((d) => [d.benchmark, d.mode, d.files])).toEqual([['kws01', 'performance', 5]]);
    expect(ic!.map((d) => [d.benchmark, d.mode, d.files])).toEqual([['ic01', 'performance', 5]]);
    expect(json.duts[2]!.error).toMatch(/Cannot open serial port/);
    expect(json.results).toHaveLength(2);

    // One report: a section per DUT and the comparison table.
    const html = readFileSync(join(json.session, 'report.html'), 'utf8');
    expect(html).toContain('DUTs compared');
    for (const label of ['dut1-board-a', 'dut2-board-b', 'dut3-board-gone']) expect(html).toContain(`DUT ${label}`);
    expect(html).toContain('No finished results: resume the session to continue this DUT.');

    // One submission tree, one system per DUT that has results.
    const sub = await run('submission', json.session, '--out', join(dir, 'sub'), '--division', 'open', '--submitter', 'lab', '--system', 'rack1');
    expect(sub.status, sub.stderr).toBe(0);
    expect(readdirSync(join(dir, 'sub', 'open', 'lab', 'systems')).sort()).toEqual(['rack1-dut1-board-a.json', 'rack1-dut2-board-b.json']);
    expect(existsSync(join(dir, 'sub', 'open', 'lab', 'results', 'rack1-dut1-board-a', 'kws', 'performance', 'results.txt'))).toBe(true);
    expect(existsSync(join(dir, 'sub', 'open', 'lab', 'results', 'rack1-dut2-board-b', 'ic', 'performance', 'results.txt'))).toBe(true);

    // Resume: finished DUTs are not run again; the missing one is tried again (and fails again, alone).
    const resumed = await run('run', '--resume', json.session);
    expect(resumed.status).toBe(1);
    expect(resumed.stdout).toMatch(/\[dut1-board-a\] kws01 performance: already finished in this session/);
    expect(resumed.stdout).toMatch(/\[dut2-board-b\] ic01 performance: already finished in this session/);
    expect(resumed.stderr).toMatch(/1 of 3 DUTs failed \(dut3-board-gone\)/);
  }, 120_000);
});
