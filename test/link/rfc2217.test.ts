/** The Telnet / RFC 2217 codec on hand-built byte sequences (byte values from RFC 854 and RFC 2217). */
import { describe, expect, it } from 'vitest';

import {
  OptionNegotiator,
  TelnetDecoder,
  comPortRequest,
  escapeIac,
  parseComPortReply,
  purgeData,
  setBaudRate,
  setControl,
  setDataSize,
  setParity,
  setStopSize,
} from '../../host/link/rfc2217.js';
import { parsePortUrl } from '../../host/protocol/port-url.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('Telnet decoder', () => {
  it('passes plain data through and turns IAC IAC into one 255', () => {
    const d = new TelnetDecoder();
    expect(d.push(bytes(0x6d, 0x2d, 255, 255, 0x0a))).toEqual([{ kind: 'data', bytes: bytes(0x6d, 0x2d, 255, 0x0a) }]);
  });

  it('separates negotiations from the data around them, in order', () => {
    const d = new TelnetDecoder();
    expect(d.push(bytes(0x41, 255, 251, 3, 0x42, 255, 253, 44))).toEqual([
      { kind: 'data', bytes: bytes(0x41) },
      { kind: 'negotiation', verb: 251, option: 3 },
      { kind: 'data', bytes: bytes(0x42) },
      { kind: 'negotiation', verb: 253, option: 44 },
    ]);
  });

  it('keeps its state across chunks: a command split by TCP is still one command', () => {
    const d = new TelnetDecoder();
    const events = [bytes(0x61, 255), bytes(250, 44), bytes(101, 0, 1, 194), bytes(0, 255), bytes(240, 0x62)].flatMap((c) => d.push(c));
    expect(events).toEqual([
      { kind: 'data', bytes: bytes(0x61) },
      { kind: 'subnegotiation', option: 44, payload: bytes(101, 0, 1, 194, 0) },
      { kind: 'data', bytes: bytes(0x62) },
    ]);
  });

  it('un-doubles IAC inside a subnegotiation', () => {
    const d = new TelnetDecoder();
    expect(d.push(bytes(255, 250, 44, 101, 0, 0, 255, 255, 255, 255, 255, 240))).toEqual([
      { kind: 'subnegotiation', option: 44, payload: bytes(101, 0, 0, 255, 255) },
    ]);
  });

  it('drops other Telnet commands (NOP, GA) and a split IAC IAC stays data', () => {
    const d = new TelnetDecoder();
    expect([bytes(0x31, 255, 241, 0x32, 255, 249, 255), bytes(255, 0x33)].flatMap((c) => d.push(c))).toEqual([
      { kind: 'data', bytes: bytes(0x31, 0x32) },
      { kind: 'data', bytes: bytes(255, 0x33) },
    ]);
  });

  it('bounds a subnegotiation that never ends', () => {
    const d = new TelnetDecoder(8);
    const long = new Uint8Array(100).fill(7);
    expect(d.push(Uint8Array.of(255, 250, 44, ...long, 255, 240))).toEqual([{ kind: 'subnegotiation', option: 44, payload: new Uint8Array(8).fill(7) }]);
  });
});

describe('IAC doubling', () => {
  it('doubles every 255 in outgoing data and leaves other bytes alone', () => {
    expect(escapeIac(bytes(1, 255, 2, 255, 255))).toEqual(bytes(1, 255, 255, 2, 255, 255, 255, 255));
    const plain = bytes(0x64, 0x62);
    expect(escapeIac(plain)).toBe(plain);
  });

  it('round-trips through the decoder', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const events = new TelnetDecoder().push(escapeIac(all));
    expect(events).toEqual([{ kind: 'data', bytes: all }]);
  });
});

describe('COM-PORT-OPTION requests and replies', () => {
  it('SET-BAUDRATE carries the rate as four big-endian bytes', () => {
    expect(setBaudRate(115200)).toEqual(bytes(255, 250, 44, 1, 0x00, 0x01, 0xc2, 0x00, 255, 240));
    expect(setBaudRate(9600)).toEqual(bytes(255, 250, 44, 1, 0, 0, 0x25, 0x80, 255, 240));
  });

  it('one-byte settings: data size, parity, stop size, control, purge', () => {
    expect(setDataSize(8)).toEqual(bytes(255, 250, 44, 2, 8, 255, 240));
    expect(setParity(1)).toEqual(bytes(255, 250, 44, 3, 1, 255, 240));
    expect(setStopSize(1)).toEqual(bytes(255, 250, 44, 4, 1, 255, 240));
    expect(setControl(8)).toEqual(bytes(255, 250, 44, 5, 8, 255, 240));
    expect(purgeData(3)).toEqual(bytes(255, 250, 44, 12, 3, 255, 240));
  });

  it('a value byte of 255 is doubled inside the subnegotiation', () => {
    expect(setBaudRate(0xff00ff)).toEqual(bytes(255, 250, 44, 1, 0, 255, 255, 0, 255, 255, 255, 240));
    expect(comPortRequest(5, bytes(255))).toEqual(bytes(255, 250, 44, 5, 255, 255, 255, 240));
  });

  it('server replies are the client code + 100', () => {
    expect(parseComPortReply(bytes(101, 0, 0, 0xe1, 0x00))).toEqual({ command: 1, value: 57600 });
    expect(parseComPortReply(bytes(102, 8))).toEqual({ command: 2, value: 8 });
    expect(parseComPortReply(bytes(105, 11))).toEqual({ command: 5, value: 11 });
    expect(parseComPortReply(bytes(112, 3))).toEqual({ command: 12, value: 3 });
    // A client-side code (a server echoing requests) or a truncated baud reply is not a reply.
    expect(parseComPortReply(bytes(1, 0, 0, 0xe1, 0))).toBeUndefined();
    expect(parseComPortReply(bytes(101, 0, 0xe1))).toBeUndefined();
    // Notifications the server sends by itself (line and modem state, flow control) answer no request.
    expect(parseComPortReply(bytes(106, 0x60))).toBeUndefined();
    expect(parseComPortReply(bytes(107, 0x30))).toBeUndefined();
    expect(parseComPortReply(bytes(108))).toBeUndefined();
  });
});

describe('option negotiation', () => {
  it('opens with WILL BINARY, SGA, COM-PORT-OPTION and DO BINARY, SGA', () => {
    expect(new OptionNegotiator().opening()).toEqual(bytes(255, 251, 0, 255, 251, 3, 255, 251, 44, 255, 253, 0, 255, 253, 3));
  });

  it('acknowledged requests get no answer; requests for what we did not offer are answered once', () => {
    const n = new OptionNegotiator();
    n.opening();
    expect(n.answer(253, 44)).toBeUndefined(); // DO COM-PORT after our WILL
    expect(n.answer(251, 3)).toBeUndefined(); // WILL SGA after our DO
    expect(n.answer(251, 1)).toEqual(bytes(255, 254, 1)); // WILL ECHO -> DONT ECHO
    expect(n.answer(251, 1)).toBeUndefined(); // asked again: no loop
    expect(n.answer(253, 24)).toEqual(bytes(255, 252, 24)); // DO TERMINAL-TYPE -> WONT
  });

  it('a DONT after our WILL is acknowledged with WONT and remembered as refused', () => {
    const n = new OptionNegotiator();
    n.opening();
    expect(n.answer(254, 44)).toEqual(bytes(255, 252, 44));
    expect(n.refusedByServer(44)).toBe(true);
    expect(n.answer(254, 44)).toBeUndefined();
  });

  it('a server that asks first gets our agreement', () => {
    const n = new OptionNegotiator();
    expect(n.answer(253, 0)).toEqual(bytes(255, 251, 0));
    expect(n.answer(251, 0)).toEqual(bytes(255, 253, 0));
  });
});

describe('port URLs', () => {
  it('parses rfc2217:// and tcp:// with IPv4, names and bracketed IPv6', () => {
    expect(parsePortUrl('rfc2217://127.0.0.1:3333')).toEqual({ protocol: 'rfc2217', host: '127.0.0.1', port: 3333, url: 'rfc2217://127.0.0.1:3333' });
    expect(parsePortUrl('tcp://lab-exporter:4001')).toMatchObject({ protocol: 'tcp', host: 'lab-exporter', port: 4001 });
    expect(parsePortUrl('tcp://[::1]:4001')).toMatchObject({ host: '::1', port: 4001 });
    expect(parsePortUrl('/dev/ttyACM0')).toBeUndefined();
  });

  it('names what is wrong with a bad URL', () => {
    expect(() => parsePortUrl('telnet://h:23')).toThrow(/unknown scheme 'telnet:\/\/'/);
    expect(() => parsePortUrl('rfc2217://host')).toThrow(/expected rfc2217:\/\/host:port/);
    expect(() => parsePortUrl('tcp://h:70000')).toThrow(/outside 1-65535/);
  });
});
