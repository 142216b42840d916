/** The C harness, driven by the TypeScript Dut client over the real bytes of a VirtualLink. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { BENCHMARKS } from '../../host/bench/benchmark.js';
import { Dut } from '../../host/devices/dut.js';
import { LineChannel } from '../../host/devices/line-channel.js';
import { DutReportedError } from '../../host/errors.js';
import { parseDutError } from '../../host/protocol/replies.js';
import { openVirtualDut } from '../../host/sim/wasm-dut.js';
import { dataDir } from '../helpers.js';

async function connect(commandBuffer?: number) {
  const bench = BENCHMARKS.kws01;
  const { link } = await openVirtualDut({ benchmark: bench, dataDir: dataDir(), ...(commandBuffer ? { commandBuffer } : {}) });
  const channel = new LineChannel(link);
  const banner: string[] = [];
  channel.onUnsolicited((l) => banner.push(l));
  await channel.settle(20, 1000);
  const dut = new Dut(channel);
  return { dut, channel, banner, sample: readFileSync(join(dataDir(), 'datasets', 'kws01', 'tst_000000_Stop_7.bin')) };
}

const hex = (n: number): string => n.toString(16).padStart(8, '0');

async function rejected(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DutReportedError);
  // Every error the harness prints carries a token the host knows (host/protocol/replies.ts).
  expect(errorTokens(error as DutReportedError)).toHaveLength(1);
  return (error as DutReportedError).dutMessage;
}

function errorTokens(error: DutReportedError): string[] {
  return error.lines.map((l) => parseDutError(l)?.token).filter((t): t is NonNullable<typeof t> => t !== undefined);
}

describe('test harness protocol', () => {
  it('prints the boot banner, then identifies itself and advertises its command buffer', async () => {
    const { dut, banner } = await connect();
    expect(banner).toEqual(['m-timestamp-mode-performance', 'm-lap-us-0', 'm-init-done', 'm-ready']);
    expect(await dut.identify()).toEqual({
      name: 'tiny-bench virtual DUT (SIMULATED)',
      firmware: 'tiny-bench firmware 0.1.0',
      model: 'kws01',
      commandBuffer: 8192,
      features: ['crc32', 'db-at', 'db-bin', 'db-put', 'db-window', 'baud'],
      dbBuffer: 96 * 96 * 3,
      // What the MCU ports' RX ring holds (4 096 bytes, one slot kept empty): inputs may go ahead of replies.
      rxBuffer: 4095,
      clock: 'SIMULATED: cost-model clock of the tiny-bench virtual DUT',
    });
  });

  it('loads a tensor, prints it back 8 bytes per line, and infers with both counts echoed', async () => {
    const { dut, sample } = await connect(80);
    await dut.identify();
    expect(dut.commandBuffer).toBe(80);
    await dut.load(sample);
    const printed = await dut.send('db print');
    expect(printed).toHaveLength(Math.ceil(490 / 8));
    expect(printed[0]).toBe(`m-buffer-${Array.from(sample.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('-')}`);
    const result = await dut.infer(3, 2);
    expect(result.iterations).toBe(3);
    expect(result.warmups).toBe(2);
    expect(result.elapsedUs).toBeGreaterThan(0);
    expect(result.results).toHaveLength(12);
    expect((await dut.send('results'))[0]).toMatch(/^m-results-\[/);
  });

  it('answers help and timestamp', async () => {
    const { dut } = await connect();
    const help = (await dut.send('help')).join('\n');
    expect(help).toMatch(/infer N W/);
    // The tiny-bench extensions are listed too.
    for (const command of ['db @O', 'db bin', 'db slide', 'infer N W @F,S,K', 'baud R #C']) expect(help).toContain(command);
    expect((await dut.send('timestamp'))[0]).toMatch(/^m-lap-us-\d+$/);
  });

  it.each([
    ['bogus', /^Unknown command: bogus$/],
    ['db', /^Command 'db' requires a subcommand$/],
    ['db load', /requires the # of bytes/],
    ['db load x', /requires the # of bytes/],
    ['db load 0', /must be >0 bytes/],
    ['db load 30000', /^db load 30000 exceeds the buffer of 27648 bytes$/],
    ['db 00', /^db data without a pending db load/],
    ['infer 0 1', /iterations must be >0/],
    ['infer 1 -1', /warmup must be >=0/],
    ['infer 1 0', /^Input has 0 bytes, expected 490$/],
    ['results', /^No results yet/],
  ])('rejects %j with an e-[...] reply', async (command, message) => {
    const { dut } = await connect();
    expect(await rejected(dut.send(command))).toMatch(message);
  });

  it('rejects bad hex: odd digit count, invalid digits, more bytes than announced', async () => {
    const { dut } = await connect();
    await dut.send('db load 2');
    expect(await rejected(dut.send('db 0'))).toMatch(/Insufficient number of hex digits/);
    expect(await rejected(dut.send('db zz'))).toMatch(/Invalid hex digit 'zz'/);
    await dut.send('db load 2');
    expect(await rejected(dut.send('db 000102'))).toMatch(/exceeds the 2 bytes announced/);
  });

  it('rejects an empty command and a command longer than the buffer instead of corrupting it', async () => {
    const { channel } = await connect(80);
    const reply = await channel.command('x'.repeat(81), 1000);
    expect(reply[0]).toBe('e-[too-long: Command longer than 80 characters]');
    // The integrity line covers all 81 characters received, not only the 80 kept.
    expect(reply[1]).toBe(`m-crc-[${hex(crc32('x'.repeat(81)))},${hex(crc32(`${reply[0]}\r\n`))}]`);
    // An empty command cannot be framed by the host; send the raw '%' to see the DUT's answer.
    const lines: string[] = [];
    const off = channel.onUnsolicited((l) => lines.push(l));
    await channel.link.write(Buffer.from('%'));
    await channel.settle(20, 1000);
    off();
    expect(lines).toEqual(['e-[usage: Empty command]', `m-crc-[00000000,${hex(crc32('e-[usage: Empty command]\r\n'))}]`, 'm-ready']);
  });

  it('ends every reply with m-crc-[command CRC-32, reply CRC-32], equal to zlib crc32 of the bytes', async () => {
    const { channel, sample } = await connect();
    for (const command of ['name', 'profile', 'db load 490', `db ${sample.toString('hex')}`, 'infer 2 1', 'results', 'bogus']) {
      const lines = await channel.command(command, 2000);
      const body = lines
        .slice(0, -1)
        .map((l) => `${l}\r\n`)
        .join('');
      expect(lines.at(-1), command).toBe(`m-crc-[${hex(crc32(command))},${hex(crc32(body))}]`);
    }
  });

  it('tokens give the host its decision: damaged, load lost, refused', async () => {
    const { dut } = await connect();
    const kind = async (command: string): Promise<string> => {
      const error = await dut.send(command).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, command).toBeInstanceOf(DutReportedError);
      return (error as DutReportedError).kind;
    };
    expect(await kind('db load 30000')).toBe('refused');
    expect(await kind('infer 1 0')).toBe('load-lost');
    expect(await kind('db 00')).toBe('load-lost');
    await dut.send('db load 4');
    expect(await kind('db @2 0000')).toBe('load-lost');
    expect(await kind('db @0 0000 #00000000')).toBe('damaged');
    expect(await kind('nmae')).toBe('damaged');
  });

  it('db bin errors carry tokens too: a garbled header is damage, a gap or an overflow loses the load, a bad block is damage', async () => {
    const { dut, channel } = await connect();
    await dut.identify();
    // db bin must carry the checksum of its own text; what is checked here comes after that check.
    const signed = (text: string): string => `${text} #${hex(crc32(text))}`;
    const kind = (e: unknown): string => (e as DutReportedError).kind;
    expect(await rejected(dut.send(signed('db bin 0 4')))).toMatch(/^Expected db bin <offset> <length> <crc32> #<crc32>$/);
    await expect(dut.send('db bin 0 4 00000000')).rejects.toSatisfy((e: unknown) => kind(e) === 'damaged');
    await expect(dut.send(signed('db bin 0 4 00000000'))).rejects.toSatisfy((e: unknown) => kind(e) === 'load-lost');
    await dut.send('db load 4');
    await expect(dut.send(signed('db bin 2 2 00000000'))).rejects.toSatisfy((e: unknown) => kind(e) === 'load-lost');
    await expect(dut.send(signed('db bin 0 8 00000000'))).rejects.toSatisfy((e: unknown) => kind(e) === 'load-lost');
    expect(await dut.send(signed('db bin 0 4 00000000'))).toContain('m-bin-ready');
    // Four raw bytes whose CRC-32 is not 00000000: the block's own reply is the error.
    const reply = await channel.sendRaw(Uint8Array.of(1, 2, 3, 4), '4 raw bytes', 2000);
    expect(reply.map((l) => parseDutError(l)).find((e) => e)).toMatchObject({ token: 'db-crc', kind: 'damaged' });
  });

  it('baud <rate> must carry the checksum of its text: a damaged rate is refused, not switched to', async () => {
    const { dut } = await connect();
    await dut.identify();
    const kind = (e: unknown): string => (e as DutReportedError).kind;
    expect(await rejected(dut.send('baud 921600'))).toMatch(/^Expected baud <rate> #<crc32>, baud probe or baud commit$/);
    // 'baud 92160' arriving for 'baud 921600': the checksum was taken of the rate that was sent.
    await expect(dut.send(`baud 92160 #${hex(crc32('baud 921600'))}`)).rejects.toSatisfy((e: unknown) => kind(e) === 'damaged');
    // Still at the boot rate with nothing pending: a signed switch is accepted.
    expect(await dut.send(`baud 921600 #${hex(crc32('baud 921600'))}`)).toContainEqual(expect.stringMatching(/^m-baud-\[\d+,115200,\d+\]$/));
  });

  it('refuses an infer after a partial load', async () => {
    const { dut, sample } = await connect();
    await dut.send('db load 490');
    await dut.send(`db ${sample.subarray(0, 100).toString('hex')}`);
    expect(await rejected(dut.send('infer 1 0'))).toMatch(/Input has 100 bytes, expected 490/);
  });
});
