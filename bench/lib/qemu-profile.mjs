// Where one inference's instructions go, per function, on the QEMU mps2-an386 image: QEMU logs
// every translated block's instructions (-d in_asm) and every block it executes (-d exec, nochain
// so that each execution is logged); a block's executions times its instruction count, summed per
// function, between the first and the last block of tb_invoke (one `infer 1 0`: exactly the
// inference). Used by `node bench/qemu-instructions.mjs --profile <model>`.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Runs one inference of `input` on `elf` under QEMU with block logging; resolves to [function, instructions][] (most first). */
export async function profileInference(elf, input, timeoutMs = 120_000) {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-bench-profile-'));
  const log = join(dir, 'exec.log');
  try {
    await drive(elf, input, log, timeoutMs);
    return await perFunction(log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Boots the image, loads the input with db commands, runs `infer 1 0` and stops QEMU after its reply (every wait bounded). */
function drive(elf, input, log, timeoutMs) {
  return new Promise((resolve, reject) => {
    const q = spawn(
      'qemu-system-arm',
      [
        '-M',
        'mps2-an386',
        '-display',
        'none',
        '-monitor',
        'none',
        '-icount',
        'shift=0',
        '-kernel',
        elf,
        '-serial',
        'stdio',
        '-d',
        'exec,nochain,in_asm',
        '-D',
        log,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let step = 0;
    const timer = setTimeout(
      () => finish(new Error(`QEMU profile run gave no inference result within ${timeoutMs} ms; last output: ${out.slice(-200)}`)),
      timeoutMs,
    );
    const finish = (error) => {
      clearTimeout(timer);
      q.kill('SIGTERM');
      q.once('exit', () => (error ? reject(error) : resolve()));
    };
    q.on('error', (e) => finish(new Error(`qemu-system-arm could not start: ${e.message}`)));
    q.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (step === 0 && out.includes('m-ready')) {
        step = 1;
        const hex = Buffer.from(input).toString('hex');
        let text = `db load ${input.length}%`;
        for (let i = 0; i < hex.length; i += 400) text += `db ${hex.slice(i, i + 400)}%`;
        q.stdin.write(text);
      } else if (step === 1 && out.includes('m-load-done')) {
        step = 2;
        q.stdin.write('infer 1 0%');
      } else if (step === 2 && /m-results-\[/.test(out) && /m-ready\s*$/.test(out)) {
        step = 3;
        finish();
      }
    });
  });
}

/** Sums the instructions of executed blocks per function between the first and last tb_invoke block. */
async function perFunction(log) {
  const size = new Map();
  const executions = [];
  let start = null;
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(log, 'latin1') })) {
    if (line.startsWith('IN:')) {
      start = null;
      count = 0;
    } else if (/^0x[0-9a-f]{8}:/.test(line)) {
      const pc = parseInt(line.slice(2, 10), 16);
      if (start === null) start = pc;
      size.set(start, ++count);
    } else if (line.startsWith('Trace')) {
      const m = /\[[0-9a-f]+\/([0-9a-f]+)\/[^\]]*\]\s*(\S*)/.exec(line);
      if (m) executions.push([parseInt(m[1], 16), m[2]]);
    }
  }
  const first = executions.findIndex(([, fn]) => fn === 'tb_invoke');
  const last = executions.findLastIndex(([, fn]) => fn === 'tb_invoke');
  if (first < 0) throw new Error('the QEMU log has no tb_invoke block: was the image built with symbols?');
  const totals = new Map();
  for (const [pc, fn] of executions.slice(first, last + 1)) totals.set(fn, (totals.get(fn) ?? 0) + (size.get(pc) ?? 0));
  return [...totals].sort((a, b) => b[1] - a[1]);
}
