/**
 * NetworkLink's failure paths against small local TCP servers: refused,
 * unreachable, a raw port given as rfc2217://, a server refusing
 * COM-PORT-OPTION, a connection closed under us; and raw tcp:// bytes. The
 * RFC 2217 happy path runs against the real ser2net in test/e2e/ser2net.test.ts.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { LinkClosedError } from '../../host/errors.js';
import { NetworkLink } from '../../host/link/network-link.js';
import { openPortLink } from '../../host/link/port-link.js';
import { parsePortUrl } from '../../host/protocol/port-url.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function serve(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('NetworkLink', () => {
  it('a refused port fails at once with one line saying so', { timeout: 5000 }, async () => {
    const port = await freePort();
    await expect(openPortLink(`rfc2217://127.0.0.1:${port}`, 115200)).rejects.toThrow(
      new RegExp(`^Cannot connect to rfc2217://127.0.0.1:${port}: connection refused`),
    );
    await expect(openPortLink(`tcp://127.0.0.1:${port}`, 115200)).rejects.toThrow(LinkClosedError);
  });

  it('an address that does not answer fails within the connect timeout', { timeout: 5000 }, async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): nothing answers there; a
    // firewall may drop (no answer), reject (refused) or have no route (unreachable).
    await expect(NetworkLink.open({ port: parsePortUrl('tcp://192.0.2.1:4000')!, baudRate: 115200, connectTimeoutMs: 300 })).rejects.toThrow(
      /^Cannot connect to tcp:\/\/192\.0\.2\.1:4000: (no answer within 300 ms|host unreachable|connection refused)/,
    );
  });

  it('rfc2217:// on a raw port that never negotiates names the likely mistake', { timeout: 5000 }, async () => {
    const port = await serve(() => {});
    await expect(NetworkLink.open({ port: parsePortUrl(`rfc2217://127.0.0.1:${port}`)!, baudRate: 115200, replyTimeoutMs: 300 })).rejects.toThrow(
      /no RFC 2217 negotiation from the server within 300 ms.*use tcp:\/\/127\.0\.0\.1:/,
    );
  });

  it('a server answering DONT COM-PORT-OPTION is refused clearly', { timeout: 5000 }, async () => {
    const port = await serve((s) => s.write(Uint8Array.of(255, 254, 44)));
    await expect(openPortLink(`rfc2217://127.0.0.1:${port}`, 115200)).rejects.toThrow(/refuses RFC 2217 \(COM-PORT-OPTION\)/);
  });

  it('tcp:// carries bytes as they are (255 not doubled) and reports the server closing', async () => {
    const received: number[] = [];
    let peer!: Socket;
    const port = await serve((s) => {
      peer = s;
      s.on('data', (d: Buffer) => received.push(...d));
    });
    const link = await openPortLink(`tcp://127.0.0.1:${port}`, 115200);
    const got: number[] = [];
    link.onData((c) => got.push(...c));
    const closed = new Promise<Error | undefined>((r) => link.onClose(r));
    await link.write(Uint8Array.of(1, 255, 2));
    while (!peer || received.length < 3) await new Promise((r) => setTimeout(r, 5));
    peer.write(Uint8Array.of(255, 10));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual([1, 255, 2]);
    expect(got).toEqual([255, 10]);
    peer.destroy();
    const error = await closed;
    expect(error).toBeInstanceOf(LinkClosedError);
    expect(error?.message).toMatch(/tcp:\/\/127\.0\.0\.1:\d+: (the server closed the connection|connection lost)/);
    expect(link.isOpen).toBe(false);
    await expect(link.write(Uint8Array.of(1))).rejects.toThrow(LinkClosedError);
  });
});
