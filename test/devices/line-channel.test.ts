import { describe, expect, it } from 'vitest';

import { LineChannel } from '../../host/devices/line-channel.js';
import { LineTooLongError, LinkClosedError, TimeoutError } from '../../host/errors.js';
import { createVirtualPair } from '../../host/link/virtual-link.js';
import { mayBeDamagedEnd } from '../../host/protocol/replies.js';
import { onCommands } from '../fakes/scripted-dut.js';

/** A scripted device: answers each command with the given raw chunks. */
function scripted(reply: (command: string) => string[]) {
  const pair = createVirtualPair('scripted');
  onCommands(pair.device, (command) => {
    for (const piece of reply(command)) void pair.device.write(Buffer.from(piece, 'latin1'));
  });
  return pair;
}

describe('LineChannel', () => {
  it('replies to bytes sent ahead come back in order, each complete; a reply that never comes fails all still due', async () => {
    const { host } = scripted((command) => (command === 'quiet' ? [] : [`m-echo-[${command}]\r\nm-ready\r\n`]));
    const channel = new LineChannel(host);
    const sent = ['one', 'two', 'three'].map((c) => channel.sendAhead(Buffer.from(`${c}%`), c, c, 1000));
    expect(await Promise.all(sent.map((s) => s.reply))).toEqual([['m-echo-[one]'], ['m-echo-[two]'], ['m-echo-[three]']]);
    const silent = channel.sendAhead(Buffer.from('quiet%'), 'quiet', "'quiet'", 100);
    const after = channel.sendAhead(Buffer.from('four%'), 'four', "'four'", 1000);
    // four's reply arrives while quiet's is due: it is taken as quiet's (the DUT answers in order)...
    expect(await silent.reply).toEqual(['m-echo-[four]']);
    const error = await after.reply.catch((e: unknown) => e);
    // ...and the next one, which never comes, times out within its own timeout.
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/No reply to 'four' within 1000 ms/);
    const a = channel.sendAhead(Buffer.from('quiet%'), 'quiet', "'quiet'", 100);
    const b = channel.sendAhead(Buffer.from('quiet%'), 'quiet', "'quiet'", 5000);
    await expect(a.reply).rejects.toBeInstanceOf(TimeoutError);
    // The second's own timeout is long, but the first's failure fails it too.
    await expect(b.reply).rejects.toBeInstanceOf(TimeoutError);
    // A normal command afterwards works: nothing is left due.
    expect(await channel.command('five', 1000)).toEqual(['m-echo-[five]']);
  });

  it('a reply bounded to start soon: a lost command fails within the bound, a reply that started may take its whole timeout', async () => {
    // 'lost' gets nothing back (its '%' was dropped); 'slow' starts at once and ends 300 ms later.
    const pair = createVirtualPair('scripted');
    // One command at a time, as a DUT runs them: the next waits for the one before to finish.
    let busy = Promise.resolve();
    onCommands(pair.device, (command) => {
      if (command !== 'slow') return;
      busy = busy.then(async () => {
        await pair.device.write(Buffer.from('m-warmup-start-0\r\n'));
        await new Promise((r) => setTimeout(r, 300));
        await pair.device.write(Buffer.from('m-results-[1]\r\nm-ready\r\n'));
      });
    });
    const channel = new LineChannel(pair.host);
    const t0 = Date.now();
    const lost = await channel.command('lost', 60_000, 100).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(TimeoutError);
    expect((lost as Error).message).toMatch(/No reply started to 'lost' within 100 ms on .*: the command was lost on the way/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await channel.command('slow', 5000, 100)).toEqual(['m-warmup-start-0', 'm-results-[1]']);
    // Sent ahead: the bound runs from when the reply is due, not from when its bytes were written.
    const first = channel.sendAhead(Buffer.from('slow%'), 'slow', "'slow'", 5000, 100);
    const second = channel.sendAhead(Buffer.from('slow%'), 'slow', "'slow'", 5000, 100);
    expect(await first.reply).toEqual(['m-warmup-start-0', 'm-results-[1]']);
    expect(await second.reply).toEqual(['m-warmup-start-0', 'm-results-[1]']);
    const gone = channel.sendAhead(Buffer.from('lost%'), 'lost', "'lost'", 60_000, 100);
    await expect(gone.reply).rejects.toThrow(/No reply started to 'lost' within 100 ms/);
  });

  it('joins a line split across reads and drops CR and NUL', async () => {
    const { host } = scripted(() => ['m-name-du', 't-[x\0]\r', '\nm-re', 'ady\r\n']);
    const channel = new LineChannel(host);
    expect(await channel.command('name', 1000)).toEqual(['m-name-dut-[x]']);
  });

  it('ends a reply at m-ready glued to the end of another line', async () => {
    const { host } = scripted(() => ['1234, 5678, m-ready\r\n']);
    expect(await new LineChannel(host).command('print_dutycycle', 1000)).toEqual(['1234, 5678,']);
  });

  it('times out when the DUT never answers, naming the command and the last lines', async () => {
    const { host } = scripted(() => ['partial reply\r\n']);
    const channel = new LineChannel(host);
    const error = await channel.command('infer 1 0', 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/No complete reply to 'infer 1 0' within 100 ms/);
    expect((error as Error).message).toMatch(/< partial reply/);
  });

  it('a reply whose integrity line and m-ready both arrive damaged ends after the grace, not the whole timeout', async () => {
    const { host } = scripted(() => ['m-infer-done\r\n', 'm--crc-[9ce24a90,300b7447]\r\n', 'm-rea\xe4y\r\n']);
    const channel = new LineChannel(host, { integrityGraceMs: 50 });
    const t0 = performance.now();
    expect(await channel.command('infer 1 0', 60_000)).toEqual(['m-infer-done', 'm--crc-[9ce24a90,300b7447]', 'm-rea\xe4y']);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('a line that only looked like a damaged end does not cut the reply: later lines cancel the guess', async () => {
    const pair = createVirtualPair('scripted');
    onCommands(pair.device, () => {
      void pair.device.write(Buffer.from('m-readx\r\n', 'latin1'));
      setTimeout(() => void pair.device.write(Buffer.from('m-results-[1]\r\n', 'latin1')), 20);
      setTimeout(() => void pair.device.write(Buffer.from('m-ready\r\n', 'latin1')), 400);
    });
    const channel = new LineChannel(pair.host, { integrityGraceMs: 100 });
    expect(await channel.command('infer 1 0', 5000)).toEqual(['m-readx', 'm-results-[1]']);
  });

  it('takes only near misses of m-ready and m-crc-[ for a damaged end, never another line of either firmware', () => {
    for (const damaged of ['m-rady', 'm-reaady', 'm-re\xe4dy', 'mready', 'm--crc-[9ce24a90,300b7447]', 'm-arc-[d623f1d6,ebfa851]', 'mcrc-[b5b47bc0,e20537e9]'])
      expect(mayBeDamagedEnd(damaged), damaged).toBe(true);
    for (const line of [
      'm-results-[0.000,0.996]',
      'm-[Expecting 490 bytes]',
      'm-load-crc-[c711a7f3]',
      'm-load-done',
      'm-clock-[SIMULATED: cost-model clock]',
      'm-baud-[921600,115200,1500]',
      'm-state-[1]',
      'm-db-at-[0]',
      'm-lap-us-65618',
      'm-infer-done',
      'm-init-done',
      'm-bin-done',
      'm-warmup-done',
      'm-model-[kws01]',
      'm-name-dut-[tiny-bench]',
      'e-[db-crc: db chunk checksum mismatch]',
    ])
      expect(mayBeDamagedEnd(line), line).toBe(false);
  });

  it('a write that never completes (a DUT that stopped reading, its port buffer full) fails in the timeout, also a bounded raw write', async () => {
    const { host } = scripted(() => []);
    const stuck = {
      ...host,
      description: host.description,
      isOpen: true,
      write: () => new Promise<void>(() => {}),
      onData: host.onData.bind(host),
      onClose: host.onClose.bind(host),
    };
    const channel = new LineChannel(stuck);
    await expect(channel.command('db load 4', 100)).rejects.toThrow(/No complete reply to 'db load 4' within 100 ms/);
    await expect(channel.writeBounded(new Uint8Array(16), 'filler', 100)).rejects.toThrow(
      /Writing filler did not finish within 100 ms .*the DUT stopped reading/,
    );
  });

  it('bounds an endless line without newline', async () => {
    const { host } = scripted(() => ['x'.repeat(5000)]);
    const channel = new LineChannel(host, { maxLineLength: 1024 });
    await expect(channel.command('name', 1000)).rejects.toBeInstanceOf(LineTooLongError);
  });

  it('survives binary garbage as ordinary characters', async () => {
    const { host } = scripted(() => ['\xff\xfe\x00\x80garbage\r\n', 'm-ready\r\n']);
    const lines = await new LineChannel(host).command('name', 1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('garbage');
  });

  it('fails a pending command when the link is lost', async () => {
    const pair = createVirtualPair('lost');
    const channel = new LineChannel(pair.host);
    const pending = channel.command('name', 5000);
    setTimeout(() => void pair.device.close(), 10);
    await expect(pending).rejects.toBeInstanceOf(LinkClosedError);
  });

  it('passes lines outside a command to unsolicited listeners and settles once quiet', async () => {
    const pair = createVirtualPair('banner');
    const channel = new LineChannel(pair.host);
    const seen: string[] = [];
    channel.onUnsolicited((l) => seen.push(l));
    void pair.device.write(Buffer.from('m-init-done\r\nm-ready\r\n'));
    await channel.settle(20, 1000);
    expect(seen).toEqual(['m-init-done', 'm-ready']);
  });
});
