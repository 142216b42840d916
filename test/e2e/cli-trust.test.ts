/**
 * Regression tests for what a new user hit (issue 12 items 5, 6, 7, 9, 10 and
 * issue 13's two defects), through the real CLI: each one exact reproduction,
 * checked for its exit code and its one-line message.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { printable } from '../../host/core/printable.js';
import { ResultsDocument } from '../../host/report/results-schema.js';
import { dataDir, repoRoot } from '../helpers.js';

const cli = join(repoRoot, 'dist', 'host', 'cli.js');
const env = { ...process.env, TINY_BENCH_DATA: dataDir() };
const root = mkdtempSync(join(tmpdir(), 'tb-trust-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(root, { recursive: true, force: true });
});

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
}

function expectOneCleanLine(stderr: string, pattern: RegExp): void {
  const errorLines = stderr.split('\n').filter((l) => l.startsWith('tiny-bench:'));
  expect(errorLines, stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
}

function newSession(...args: string[]): string {
  const out = mkdtempSync(join(root, 'out-'));
  const r = run('run', ...args, '--out', out);
  expect(r.status, r.stderr).toBe(0);
  return join(out, readdirSync(out)[0]!);
}

/** A copy of the kws01 set (first `n` files) that a test may edit. */
function kwsCopy(n: number): string {
  const src = join(dataDir(), 'datasets', 'kws01');
  const dest = join(mkdtempSync(join(root, 'data-')), 'kws01');
  mkdirSync(dest, { recursive: true });
  const rows = readFileSync(join(src, 'y_labels.csv'), 'utf8').trim().split('\n').slice(0, n);
  for (const row of rows) copyFileSync(join(src, row.split(',')[0]!), join(dest, row.split(',')[0]!));
  writeFileSync(join(dest, 'y_labels.csv'), `${rows.join('\n')}\n`);
  return dest;
}

const isRoot = process.getuid?.() === 0;

describe('issue 13 defects', () => {
  it('a bad --dataset-path exits 2 and does not advise --resume (which would replay it)', () => {
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(root, 'nonexistent'), '--out', join(root, 'd1'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /Dataset folder .*nonexistent\/kws01 does not exist/);
    expect(r.stderr).not.toMatch(/--resume/);
  });

  it('--mode energy --fault-rate is refused instead of announced and never injected', () => {
    const r = run('run', '-b', 'kws01', '--mode', 'energy', '--fault-rate', '0.01', '--out', join(root, 'd2'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /Fault injection \(--fault-rate\) is not available in energy mode/);
    expect(r.stdout + r.stderr).not.toMatch(/Fault injection: byte faults/);
  });
});

describe('item 5: file-system failures are one line, and the session stays resumable', () => {
  it.skipIf(!isRoot)('a full disk: one line naming the file and ENOSPC, the resume hint, exit 74; resumed elsewhere it finishes', () => {
    const small = join(root, 'tiny');
    mkdirSync(small);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', small]).status).toBe(0);
    mounts.push(small);
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--limit', '400', '--out', small);
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toMatch(
      /^tiny-bench: Cannot write .*tiny\/\d{8}_\d{6}\/kws01\/accuracy\/(checkpoint\.jsonl|log\.txt): no space left on the device \(ENOSPC\)$/m,
    );
    expect(r.stderr).toMatch(/continue it with: tiny-bench run --resume /);
    expect(r.stderr).not.toMatch(/\n\s+at |Unhandled|internal error/);
    // The person frees space (here: moves the session) and resumes.
    const session = readdirSync(small)[0]!;
    const moved = join(root, 'moved');
    cpSync(join(small, session), join(moved, session), { recursive: true });
    const resumed = run('run', '--resume', join(moved, session), '--json');
    expect(resumed.status, resumed.stderr).toBe(0);
    const doc = ResultsDocument.parse((JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as { results: unknown[] }).results[0]);
    expect(doc.files).toBe(400);
  });

  it.skipIf(!isRoot)('a read-only --out says read-only (it said ENOENT)', () => {
    const ro = join(root, 'ro');
    mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro]).status).toBe(0);
    mounts.push(ro);
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--limit', '3', '--out', join(ro, 'sessions'));
    expect(r.status).toBe(74);
    expectOneCleanLine(r.stderr, /Cannot create the session folder .*ro\/sessions\/\d{8}_\d{6}: the file system is read-only \(EROFS\)$/);
  });

  it('an --out that is a file: one line, exit 74 (it was an internal error, 70)', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--limit', '3', '--out', file);
    expect(r.status).toBe(74);
    expectOneCleanLine(r.stderr, /Cannot create the session folder .*a-file\/\d{8}_\d{6}: a part of the path is a file, not a folder \(ENOTDIR\)$/);
  });
});

describe('item 6: every input a result depends on is pinned', () => {
  it('labels edited between an interruption and --resume are refused (it mixed old and new)', () => {
    const data = kwsCopy(30);
    const session = newSession('-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(data, '..'));
    // As if interrupted before the end: the result is not there yet, the checkpoint is.
    rmSync(join(session, 'kws01', 'accuracy', 'results.json'));
    const labels = join(data, 'y_labels.csv');
    writeFileSync(
      labels,
      readFileSync(labels, 'utf8').replace(/,12,(\d+)\n/, (_m, c: string) => `,12,${(Number(c) + 1) % 12}\n`),
    );
    const r = run('run', '--resume', session);
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /Cannot resume kws01 accuracy: the labels file .*y_labels\.csv changed since this session started/);
  });

  it('a sample file changed between an interruption and --resume is named', () => {
    const data = kwsCopy(30);
    const session = newSession('-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(data, '..'));
    rmSync(join(session, 'kws01', 'accuracy', 'results.json'));
    const first = readFileSync(join(data, 'y_labels.csv'), 'utf8').split(',')[0]!;
    const bytes = readFileSync(join(data, first));
    bytes[7]! ^= 1;
    writeFileSync(join(data, first), bytes);
    const r = run('run', '--resume', session);
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, new RegExp(`Cannot resume kws01 accuracy: .*${first} changed`));
  });

  it('a 20-row kws01 index is a labelled subset, and submission refuses it', () => {
    const data = kwsCopy(20);
    const session = newSession('-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(data, '..'));
    const doc = ResultsDocument.parse(JSON.parse(readFileSync(join(session, 'kws01', 'accuracy', 'results.json'), 'utf8')));
    expect(doc.subset).toBe(true);
    expect(doc.subsetReason).toMatch(/the index lists 20 files; the official kws01 index lists 1000/);
    const sub = run('submission', session, '--out', join(root, 'sub'), '--division', 'open', '--submitter', 'me', '--system', 'b');
    expect(sub.status).toBe(2);
    expect(sub.stderr).toMatch(/kws01 accuracy ran a subset/);
  });
});

describe('item 7: Ctrl-C says what was kept and how to resume', () => {
  it('SIGINT on the virtual DUT: exit 130 with the session folder and the resume command', async () => {
    const out = mkdtempSync(join(root, 'int-'));
    const child = spawn(process.execPath, [cli, 'run', '-b', 'kws01', '--mode', 'accuracy', '--out', out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = existsSync(out) ? readdirSync(out)[0] : undefined;
      const cp = s ? join(out, s, 'kws01', 'accuracy', 'checkpoint.jsonl') : undefined;
      if (cp && existsSync(cp) && readFileSync(cp, 'utf8').split('\n').length > 20) break;
      if (Date.now() > deadline) throw new Error('the run never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const session = join(out, readdirSync(out)[0]!);
    expect(code).toBe(130);
    expect(stderr).toContain(
      `tiny-bench: interrupted (SIGINT). Finished files and windows are kept in ${session}; continue with: tiny-bench run --resume ${session}`,
    );
  });
});

describe('item 9: every file read back is validated and named', () => {
  const session = (): string => newSession('-b', 'ic01', '--mode', 'accuracy', '--limit', '3');

  it.each([
    ['garbage', 'not json{', /session\.json: not valid JSON/],
    ['empty', '', /session\.json: not valid JSON/],
    [
      'a bogus dut kind',
      JSON.stringify({ version: 1, plan: { modes: ['accuracy'], dut: { kind: 'floppy' }, dataDir: '/d', command: [] } }),
      /session\.json: plan\.dut\.kind: /,
    ],
    [
      'wrong types',
      JSON.stringify({ version: 1, plan: { modes: 'accuracy', dut: { kind: 'sim' }, dataDir: '/d', command: [] } }),
      /session\.json: plan\.modes: /,
    ],
  ])('session.json that is %s: exit 2, the file named', (_what, content, message) => {
    const s = session();
    writeFileSync(join(s, 'session.json'), content);
    const r = run('run', '--resume', s);
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, message);
  });

  it('a labels path that is a folder: exit 2 (it was EISDIR, exit 70)', () => {
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--labels', '.', '--out', join(root, 'd3'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /Labels file .*kws01 is not a regular file/);
  });

  it('report and submission on a damaged results.json name the file; report on a file says so', () => {
    const s = session();
    const results = join(s, 'ic01', 'accuracy', 'results.json');
    writeFileSync(results, JSON.stringify({ ...JSON.parse(readFileSync(results, 'utf8')), files: 'three' }));
    const report = run('report', s);
    expect(report.status).toBe(2);
    expectOneCleanLine(report.stderr, /results\.json: results\.files: .*; delete it to run that test again/);
    const sub = run('submission', s, '--out', join(root, 'sub2'), '--division', 'open', '--submitter', 'me', '--system', 'b');
    expect(sub.status).toBe(2);
    expectOneCleanLine(sub.stderr, /ic01\/accuracy\/results\.json: results\.files/);
    const onFile = run('report', join(s, 'session.json'));
    expect(onFile.status).toBe(2);
    expectOneCleanLine(onFile.stderr, /session\.json is a file; give a session folder/);
  });
});

describe('item 10: no option silently ignored or misleading', () => {
  it('--resume with other options names them (they were ignored and recorded)', () => {
    const s = newSession('-b', 'ic01', '--mode', 'accuracy', '--limit', '3');
    const r = run('run', '--resume', s, '--limit', '5', '--fault-rate', '0.1');
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /--resume continues a session with the options it was started with; drop --limit, --fault-rate/);
  });

  it.each([
    [['--fault-rate', '0.01', '--fault-events', 'abc'], /--fault-events.*expected a probability/],
    [['--dut', 'qemu', '--icount-shift', 'abc'], /--icount-shift.*expected a whole number from 0 to 10/],
    [['--dut', 'qemu', '--port', '/dev/null'], /--dut qemu runs an emulated DUT and --port \/dev\/null a board: choose one/],
    [['--baud', '9600'], /virtual DUT has no baud rate/],
    [['--faults', 'drop'], /give --fault-rate too/],
  ])('%j is refused at once', (args, message) => {
    const r = run('run', '-b', 'kws01', ...args, '--out', join(root, 'd4'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(root, 'd4'))).toBe(false);
  });

  it('tests.yaml loop 0 is refused (it ran 5 windows)', () => {
    const tests = join(root, 'tests_performance.yaml');
    writeFileSync(tests, 'kws01:\n  model: kws01\n  script:\n    - loop 0:\n      - download\n      - infer 10 1\n');
    const r = run('run', '-b', 'kws01', '--mode', 'performance', '--tests', tests, '--out', join(root, 'd5'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /tests_performance\.yaml: kws01: "loop 0" runs nothing/);
  });

  it('a labels file outside the dataset folder, or a sample that links out of it, is refused', () => {
    const data = kwsCopy(5);
    const outside = join(root, 'outside.csv');
    writeFileSync(outside, readFileSync(join(data, 'y_labels.csv')));
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(data, '..'), '--labels', outside, '--out', join(root, 'd6'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /Labels file .*outside\.csv is outside the dataset folder/);
    const first = readFileSync(join(data, 'y_labels.csv'), 'utf8').split(',')[0]!;
    rmSync(join(data, first));
    spawnSync('ln', ['-s', '/etc/passwd', join(data, first)]);
    const l = run('run', '-b', 'kws01', '--mode', 'accuracy', '--dataset-path', join(data, '..'), '--out', join(root, 'd7'));
    expect(l.status).toBe(2);
    expect(l.stderr).not.toMatch(/root:/);
    expectOneCleanLine(l.stderr, new RegExp(`${first} (is a link to a file outside the dataset folder|has \\d+ bytes, expected 490)`));
  });

  it('control bytes from a DUT are shown escaped, never sent raw to the terminal', () => {
    expect(printable('reply \u001b[2J\u0007 end\nnext\tline')).toBe('reply \\x1b[2J\\x07 end\nnext\tline');
  });
});

describe('item 10: a model that is not a TFLite file', () => {
  it('is refused before QEMU boots it (it took 38 s and blamed name)', () => {
    const data = mkdtempSync(join(root, 'badmodel-'));
    mkdirSync(join(data, 'models'));
    mkdirSync(join(data, 'datasets'));
    writeFileSync(join(data, 'models', 'kws_ref_model.tflite'), Buffer.alloc(20_000, 0x5a));
    cpSync(join(dataDir(), 'datasets', 'kws01'), join(data, 'datasets', 'kws01'), { recursive: true });
    const started = Date.now();
    const r = run('run', '-b', 'kws01', '--mode', 'accuracy', '--limit', '2', '--dut', 'qemu', '--data-dir', data, '--out', join(root, 'd8'));
    expect(r.status).toBe(2);
    expectOneCleanLine(r.stderr, /kws_ref_model\.tflite is not a TFLite model \(bytes 4\.\.7 are 5a 5a 5a 5a, not "TFL3"/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
