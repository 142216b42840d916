/** Probing a serial port with name%: a socat pty pair, one end played by a scripted DUT. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { probePort } from '../../host/devices/ports.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { exposeOnPty } from '../../host/sim/pty-bridge.js';
import { VirtualInterfaceBoard } from '../../host/sim/virtual-interface-board.js';
import { scriptedDut } from '../fakes/scripted-dut.js';
import { SerialLink } from '../../host/link/serial-link.js';

const helpers: ChildProcess[] = [];
afterEach(() => helpers.splice(0).forEach((h) => h.kill('SIGKILL')));

async function ptyPair(): Promise<[string, string]> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  helpers.push(spawn('socat', [`pty,link=${a},raw,echo=0`, `pty,link=${b},raw,echo=0`], { stdio: 'ignore' }));
  for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); ++i) await new Promise((r) => setTimeout(r, 10));
  return [a, b];
}

describe('ports --probe', () => {
  it('finds a DUT answering name%', async () => {
    const [a, b] = await ptyPair();
    const dut = await SerialLink.open({ path: b, baudRate: 115200 });
    dut.onData((d) => {
      if (Buffer.from(d).toString().includes('name%')) void dut.write(Buffer.from('m-name-dut-[probe-me]\r\nm-ready\r\n'));
    });
    const result = await probePort(a);
    await dut.close();
    expect(result).toMatchObject({ baud: 115200, name: 'dut-[probe-me]' });
  });

  it('shows what came back at each baud rate when nothing answers', async () => {
    const [a, b] = await ptyPair();
    const noisy = await SerialLink.open({ path: b, baudRate: 115200 });
    noisy.onData(() => void noisy.write(Buffer.from([0xff, 0x00, 0x41])));
    const result = await probePort(a, 200);
    await noisy.close();
    expect(result.name).toBeUndefined();
    expect(result.transcript.map((t) => t.baud)).toEqual([115200, 921600, 9600]);
    expect(result.transcript[0]!.received).toBe(JSON.stringify('\u00ff\u0000A'));
  });

  it('recognises an interface board and names the DUT behind it', async () => {
    const usb = createVirtualPair('board USB');
    const fake = scriptedDut({ model: 'kws01' });
    const board = new VirtualInterfaceBoard({ host: usb.device, dut: fake.link, dutWire: {}, dutBaud: 9600 });
    expect(board).toBeDefined(); // it serves usb.device from its constructor
    const pty = await exposeOnPty(usb.host, mkdtempSync(join(tmpdir(), 'tb-board-pty-')), 'interface');
    try {
      const probe = await probePort(pty.path);
      expect(probe.baud).toBe(115200);
      expect(probe.name).toBe('STM32H573I-DK interface board');
      expect(probe.board).toEqual({ kind: 'stm32h573i-dk', dut: 'dut-[scripted]' });
    } finally {
      await pty.close();
    }
  });
});
