import { describe, expect, it } from 'vitest';

import { InterfaceBoard } from '../../host/devices/interface-board.js';
import { DutSession } from '../../host/devices/dut-session.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { BoardStalledError, ConfigError, DutResetError } from '../../host/errors.js';
import type { Link } from '../../host/link/link.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { PassthroughReply, parseBoardName, parseCheckBaud, passthroughCommand } from '../../host/protocol/interface-board.js';
import { VirtualInterfaceBoard } from '../../host/sim/virtual-interface-board.js';
import { onCommands, scriptedDut } from '../fakes/scripted-dut.js';

const FAST = { commandTimeoutMs: 1000, ackTimeoutMs: 500, stallTimeoutMs: 400, resetWaitMs: 20, drainQuietMs: 20, drainMaxMs: 300 };

/** A virtual H573 board with `dutLink` (a fake DUT's host end) on its DUT side. */
function boardWith(
  dutLink: Link,
  options: { dutBaud?: number; boardBaud?: number; sdCard?: boolean; kind?: 'arduino' } = {},
): { host: Link; device: Link; board: VirtualInterfaceBoard } {
  const usb = createVirtualPair('virtual board USB');
  const board = new VirtualInterfaceBoard({
    host: usb.device,
    dut: dutLink,
    dutWire: {},
    dutBaud: options.dutBaud ?? 9600,
    boardBaud: options.boardBaud ?? 9600,
    ...(options.sdCard !== undefined ? { sdCard: options.sdCard } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
  });
  return { host: usb.host, device: usb.device, board };
}

describe('interface board framing (pure)', () => {
  it('follows ack, board m-ready, [dut] lines and the DUT m-ready', () => {
    const reply = new PassthroughReply('name');
    expect(reply.line('m-dut-passthrough(name)').kind).toBe('echo');
    expect(reply.line('m-ready').kind).toBe('ack');
    expect(reply.line('[dut]: m-name-dut-[x]')).toEqual({ kind: 'dut-line', line: 'm-name-dut-[x]' });
    expect(reply.line('stray board text')).toEqual({ kind: 'unexpected', line: 'stray board text' });
    expect(reply.line('[dut]: m-ready').kind).toBe('done');
    expect(reply.finished).toBe(true);
  });

  it('does not take an ack echoing another command', () => {
    const reply = new PassthroughReply('profile');
    expect(reply.line('m-dut-passthrough(name)').kind).toBe('unexpected');
    expect(reply.acknowledged).toBe(false);
  });

  it('refuses an empty passthrough, which the board would never answer', () => {
    expect(() => passthroughCommand(' ')).toThrow(ConfigError);
    expect(passthroughCommand('db load 490')).toBe('dut db load 490');
  });

  it('recognises both boards and reads checkbaud', () => {
    expect(parseBoardName(['tinyML Enhanced Interface Board'])).toBe('stm32h573i-dk');
    expect(parseBoardName(['m-name-io-[IoTConnect IO Manager 1.0.3]'])).toBe('arduino');
    expect(parseBoardName(['m-name-dut-[x]'])).toBeUndefined();
    expect(parseCheckBaud(['baud is: 9600'])).toBe(9600);
    expect(() => parseCheckBaud(['what'])).toThrow(/baud is/);
  });
});

describe('the virtual board behaves like the H573 firmware (protocol reference §2.1)', () => {
  async function raw(text: string, waitMs = 100): Promise<string> {
    const fake = scriptedDut({ model: 'kws01' });
    const { host } = boardWith(fake.link);
    let got = '';
    host.onData((c) => (got += Buffer.from(c).toString('latin1')));
    await host.write(Buffer.from(text));
    await new Promise((r) => setTimeout(r, waitMs));
    return got;
  }

  it('answers a prefix-only command with nothing at all, an unknown one with m-ready', async () => {
    expect(await raw('names%')).toBe('');
    expect(await raw('dut %')).toBe('');
    expect(await raw('hello%')).toBe('m-ready\r\n');
  });

  it('relays a passthrough with two m-ready lines, checkbaud with a bare newline', async () => {
    expect(await raw('dut name%')).toBe('m-dut-passthrough(name)\r\nm-ready\r\n[dut]: m-name-dut-[scripted]\r\n[dut]: m-ready\r\n');
    expect(await raw('checkbaud%')).toBe('baud is: 9600\nm-ready\r\n');
  });
});

describe('DUT behind an interface board', () => {
  it('runs the unchanged Dut client through passthroughs, with 26-byte db chunks', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host, board } = boardWith(fake.link);
    const ib = await InterfaceBoard.connect(host, FAST);
    expect(ib.kind).toBe('stm32h573i-dk');
    const dut = new Dut(new LineChannel(ib.dutLink()), { commandTimeoutMs: 1000 });
    const identity = await dut.identify();
    expect(identity).toMatchObject({ name: 'scripted', model: 'kws01' });
    expect(dut.commandBuffer).toBe(55);
    await dut.load(new Uint8Array(100).map((_, i) => i));
    const chunks = fake.commands.filter((c) => c.startsWith('db ') && !c.startsWith('db load'));
    expect(chunks.map((c) => (c.length - 3) / 2)).toEqual([26, 26, 26, 22]);
    expect(board.relayedToDut.slice(0, 3)).toEqual(['name', 'profile', 'db load 100']);
  });

  it('reassembles a DUT line split across reads', async () => {
    // A hand-driven board that answers `dut name` in byte-sized pieces.
    const usb = createVirtualPair('split board');
    onCommands(usb.device, (cmd) => {
      const text =
        cmd === 'name'
          ? 'tinyML Enhanced Interface Board\r\nm-ready\r\n'
          : 'm-dut-passthrough(name)\r\nm-ready\r\n[dut]: m-name-dut-[split-dut]\r\n[dut]: m-ready\r\n';
      const bytes = Buffer.from(text, 'latin1');
      void (async () => {
        for (let i = 0; i < bytes.length; i += 3) {
          await usb.device.write(bytes.subarray(i, i + 3));
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
    });
    const ib = await InterfaceBoard.connect(usb.host, FAST);
    const channel = new LineChannel(ib.dutLink());
    expect(await channel.command('name', 2000)).toEqual(['m-name-dut-[split-dut]']);
  });

  it('a DUT that never answers ends in a bounded, clear error', async () => {
    const fake = scriptedDut({ model: 'kws01', silent: true });
    const { host } = boardWith(fake.link);
    const ib = await InterfaceBoard.connect(host, FAST);
    const started = performance.now();
    const opening = DutSession.open({ link: ib.dutLink(), bootWaitMs: 20 }, { commandTimeoutMs: 300, settleQuietMs: 10 });
    await expect(opening).rejects.toThrow(BoardStalledError);
    await expect(opening).rejects.toThrow(/never finished its reply to 'name'.*waits for the DUT's m-ready forever.*SD card/s);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a board without an SD card acknowledges and then relays nothing: same bounded error', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host } = boardWith(fake.link, { sdCard: false });
    const ib = await InterfaceBoard.connect(host, FAST);
    const channel = new LineChannel(ib.dutLink());
    await expect(channel.command('name', 300)).rejects.toThrow(/No complete reply to 'name'/);
    await expect(channel.command('profile', 2000)).rejects.toThrow(BoardStalledError);
  });

  it('a board that does not acknowledge fails within the ack timeout', async () => {
    const usb = createVirtualPair('mute board');
    onCommands(usb.device, (cmd) => {
      if (cmd === 'name') void usb.device.write(Buffer.from('tinyML Enhanced Interface Board\r\nm-ready\r\n'));
    });
    const ib = await InterfaceBoard.connect(usb.host, FAST);
    const channel = new LineChannel(ib.dutLink());
    await expect(channel.command('name', 3000)).rejects.toThrow(/did not acknowledge 'dut name' within 500 ms/);
  });

  it('DUT output queued in the board shifts replies; setbaud flushes it', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host } = boardWith(fake.link);
    // A DUT boot banner reaches the board while no passthrough is open: the board keeps it.
    const banner = Buffer.from('m-timestamp-mode-energy\r\nm-init-done\r\nm-ready\r\n');
    await fake.device.write(banner);
    const ib = await InterfaceBoard.connect(host, FAST);
    const stale = new Dut(new LineChannel(ib.dutLink()), { commandTimeoutMs: 1000 });
    await expect(stale.identify()).rejects.toThrow(DutResetError);

    const fresh = scriptedDut({ model: 'kws01' });
    const second = boardWith(fresh.link);
    await fresh.device.write(banner);
    const ib2 = await InterfaceBoard.connect(second.host, FAST);
    await ib2.setBaud(9600);
    const dut = new Dut(new LineChannel(ib2.dutLink()), { commandTimeoutMs: 1000 });
    expect((await dut.identify()).model).toBe('kws01');
  });

  it('a DUT reset mid-session is recovered by resetting the board, not answered one reply behind for ever', async () => {
    const banner = Buffer.from('m-timestamp-mode-energy\r\nm-init-done\r\nm-ready\r\n');
    const open = async (withResync: boolean) => {
      const fake = scriptedDut({ model: 'kws01' });
      const { host } = boardWith(fake.link);
      const ib = await InterfaceBoard.connect(host, FAST);
      const session = await DutSession.open(
        { link: ib.dutLink(), bootWaitMs: 20, ...(withResync ? { resync: () => ib.resync(9600) } : {}) },
        { commandTimeoutMs: 500, settleQuietMs: 10, attempts: 3 },
      );
      // The DUT browns out and reboots between two commands: its banner waits in the board.
      await fake.device.write(banner);
      await new Promise((r) => setTimeout(r, 50));
      return session;
    };
    // Commands with different replies in a row: one behind, each reply is the previous command's.
    const work = async (dut: Dut): Promise<string[]> => {
      await dut.load(new Uint8Array(10));
      return dut.send('timestamp');
    };
    const recovered = await open(true);
    expect(await recovered.run('load after the reset', work)).toEqual(['m-lap-us-0']);
    expect(recovered.stats.resets).toBe(1);

    const shifted = await open(false);
    await expect(shifted.run('load after the reset', work)).rejects.toThrow(/Giving up on load after the reset after 3 attempts/);
  });

  it('setbaud confirms the new rate with checkbaud', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host, board } = boardWith(fake.link, { boardBaud: 115200 });
    const ib = await InterfaceBoard.connect(host, FAST);
    expect(await ib.checkBaud()).toBe(115200);
    await ib.setBaud(9600);
    expect(await ib.checkBaud()).toBe(9600);
    expect(board.relayedToDut).toEqual([]);
  });

  it('drains what the board still had to say before identifying it', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host, device } = boardWith(fake.link);
    const connecting = InterfaceBoard.connect(host, FAST);
    // The end of an earlier session's reply, still arriving as the port opens.
    await device.write(Buffer.from('[dut]: m-results-[0.1,0.9]\r\n[dut]: m-ready\r\nm-ready\r\n'));
    const ib = await connecting;
    expect(ib.kind).toBe('stm32h573i-dk');
    expect(ib.strayLines).toContain('[dut]: m-results-[0.1,0.9]');
    expect((await new Dut(new LineChannel(ib.dutLink()), { commandTimeoutMs: 1000 }).identify()).model).toBe('kws01');
  });

  it('works through the Arduino io-manager, whose DUT rate is fixed', async () => {
    const fake = scriptedDut({ model: 'ad01' });
    const { host } = boardWith(fake.link, { kind: 'arduino' });
    const ib = await InterfaceBoard.connect(host, FAST);
    expect(ib.kind).toBe('arduino');
    expect(ib.description).toMatch(/Arduino EEMBC io-manager/);
    await ib.setBaud(9600); // nothing to set: the io-manager has no setbaud
    expect((await new Dut(new LineChannel(ib.dutLink()), { commandTimeoutMs: 1000 }).identify()).model).toBe('ad01');
  });

  it('a DUT at another rate than the board answers garbage: bounded failure', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    const { host } = boardWith(fake.link, { dutBaud: 115200, boardBaud: 9600 });
    const ib = await InterfaceBoard.connect(host, FAST);
    const dut = new Dut(new LineChannel(ib.dutLink()), { commandTimeoutMs: 300 });
    await expect(dut.identify()).rejects.toThrow(/No complete reply to 'name'/);
  });

  it('refuses a port that is not an interface board', async () => {
    const fake = scriptedDut({ model: 'kws01' });
    await expect(InterfaceBoard.connect(fake.link, FAST)).rejects.toThrow(/answered 'name' with .*m-name-dut-\[scripted\].*neither the STM32H573I-DK/);
  });
});
