/**
 * The Telnet byte stream of an RFC 2217 (COM-PORT-OPTION) connection, as pure
 * functions: a decoder that separates data from Telnet commands, option
 * negotiation answers, IAC doubling, and the COM-PORT-OPTION requests a
 * client sends (set baud rate, data size, parity, stop bits, control lines,
 * purge). No sockets here: network-link.ts does the I/O.
 *
 * Facts used (RFC 854 / 855 / 1143 / 2217): IAC = 255; a data byte 255 is
 * sent as IAC IAC (also inside subnegotiations); `IAC SB <option> … IAC SE`
 * carries a subnegotiation; COM-PORT-OPTION is option 44, client request
 * codes 0–12, the server answers with the same code + 100.
 */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;

export const OPTION_BINARY = 0;
export const OPTION_ECHO = 1;
export const OPTION_SGA = 3;
export const COM_PORT_OPTION = 44;

/** Client-to-server COM-PORT-OPTION codes (server replies use code + 100). */
export const ComPort = {
  SIGNATURE: 0,
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  NOTIFY_LINESTATE: 6,
  NOTIFY_MODEMSTATE: 7,
  FLOWCONTROL_SUSPEND: 8,
  FLOWCONTROL_RESUME: 9,
  SET_LINESTATE_MASK: 10,
  SET_MODEMSTATE_MASK: 11,
  PURGE_DATA: 12,
} as const;
export const SERVER_OFFSET = 100;

export const Parity = { NONE: 1, ODD: 2, EVEN: 3, MARK: 4, SPACE: 5 } as const;
export const StopSize = { ONE: 1, TWO: 2, ONE_AND_HALF: 3 } as const;
/** SET-CONTROL values for the modem lines and flow control. */
export const Control = { NO_FLOW_CONTROL: 1, DTR_ON: 8, DTR_OFF: 9, RTS_ON: 11, RTS_OFF: 12 } as const;
/** PURGE-DATA: 1 the server's receive buffer (from the DUT), 2 its transmit buffer, 3 both. */
export const Purge = { RECEIVE: 1, TRANSMIT: 2, BOTH: 3 } as const;

export type Verb = typeof DO | typeof DONT | typeof WILL | typeof WONT;

export type TelnetEvent =
  { kind: 'data'; bytes: Uint8Array } | { kind: 'negotiation'; verb: Verb; option: number } | { kind: 'subnegotiation'; option: number; payload: Uint8Array };

type State = 'data' | 'iac' | 'verb' | 'sb-option' | 'sb' | 'sb-iac';

/**
 * Splits a Telnet byte stream into data and commands. Keeps its state across
 * chunks, so a command split by TCP segmentation is still recognised.
 * Commands other than negotiations and subnegotiations (NOP, GA, …) vanish.
 */
export class TelnetDecoder {
  private state: State = 'data';
  private verb: Verb = DO;
  private sbOption = 0;
  private sb: number[] = [];
  /** A subnegotiation longer than this is dropped (a bounded buffer against a broken server). */
  constructor(private readonly maxSubnegotiation = 256) {}

  push(chunk: Uint8Array): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    let data: number[] = [];
    const flush = (): void => {
      if (data.length) events.push({ kind: 'data', bytes: Uint8Array.from(data) });
      data = [];
    };
    for (const byte of chunk) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            data.push(IAC);
            this.state = 'data';
          } else if (byte === DO || byte === DONT || byte === WILL || byte === WONT) {
            this.verb = byte;
            this.state = 'verb';
          } else if (byte === SB) this.state = 'sb-option';
          else this.state = 'data';
          break;
        case 'verb':
          flush();
          events.push({ kind: 'negotiation', verb: this.verb, option: byte });
          this.state = 'data';
          break;
        case 'sb-option':
          this.sbOption = byte;
          this.sb = [];
          this.state = 'sb';
          break;
        case 'sb':
          if (byte === IAC) this.state = 'sb-iac';
          else if (this.sb.length < this.maxSubnegotiation) this.sb.push(byte);
          break;
        case 'sb-iac':
          if (byte === IAC) {
            if (this.sb.length < this.maxSubnegotiation) this.sb.push(IAC);
            this.state = 'sb';
          } else if (byte === SE) {
            flush();
            events.push({ kind: 'subnegotiation', option: this.sbOption, payload: Uint8Array.from(this.sb) });
            this.state = 'data';
          } else {
            // IAC <other> inside a subnegotiation: malformed; give up on it and go back to data.
            this.state = 'data';
          }
          break;
      }
    }
    flush();
    return events;
  }
}

/** Data bytes as they go on a Telnet connection: every 255 doubled. */
export function escapeIac(data: Uint8Array): Uint8Array {
  let count = 0;
  for (const b of data) if (b === IAC) ++count;
  if (!count) return data;
  const out = new Uint8Array(data.length + count);
  let at = 0;
  for (const b of data) {
    out[at++] = b;
    if (b === IAC) out[at++] = IAC;
  }
  return out;
}

export function negotiation(verb: Verb, option: number): Uint8Array {
  return Uint8Array.of(IAC, verb, option);
}

/**
 * Which options each side may have on, and what we said so far (RFC 1143's
 * rule: answer only a request that changes an option's state, so two peers
 * never loop). We run BINARY and SGA both ways and COM-PORT-OPTION from our
 * side; we refuse the server's ECHO (an echoed command would garble the next
 * reply line) and everything else.
 */
export class OptionNegotiator {
  private readonly ours = new Set<number>();
  private readonly theirs = new Set<number>();
  private readonly refusedOurs = new Set<number>();
  private readonly refusedTheirs = new Set<number>();

  constructor(
    private readonly wantOurs: ReadonlySet<number> = new Set([OPTION_BINARY, OPTION_SGA, COM_PORT_OPTION]),
    private readonly wantTheirs: ReadonlySet<number> = new Set([OPTION_BINARY, OPTION_SGA]),
  ) {}

  /** What a client sends right after connecting. */
  opening(): Uint8Array {
    const out: number[] = [];
    for (const o of this.wantOurs) {
      this.ours.add(o);
      out.push(IAC, WILL, o);
    }
    for (const o of this.wantTheirs) {
      this.theirs.add(o);
      out.push(IAC, DO, o);
    }
    return Uint8Array.from(out);
  }

  /** The answer to one negotiation from the server, if one is due. */
  answer(verb: Verb, option: number): Uint8Array | undefined {
    switch (verb) {
      case DO:
        if (!this.wantOurs.has(option)) {
          if (this.refusedOurs.has(option)) return undefined;
          this.refusedOurs.add(option);
          return negotiation(WONT, option);
        }
        if (this.ours.has(option)) return undefined; // the server agreed to our WILL
        this.ours.add(option);
        return negotiation(WILL, option);
      case WILL:
        if (!this.wantTheirs.has(option)) {
          if (this.refusedTheirs.has(option)) return undefined;
          this.refusedTheirs.add(option);
          return negotiation(DONT, option);
        }
        if (this.theirs.has(option)) return undefined;
        this.theirs.add(option);
        return negotiation(DO, option);
      case DONT:
        this.refusedOurs.add(option);
        if (!this.ours.delete(option)) return undefined;
        return negotiation(WONT, option);
      case WONT:
        this.refusedTheirs.add(option);
        if (!this.theirs.delete(option)) return undefined;
        return negotiation(DONT, option);
    }
  }

  /** The server refused an option we offered (DONT after our WILL). */
  refusedByServer(option: number): boolean {
    return this.refusedOurs.has(option) && !this.ours.has(option);
  }
}

/** `IAC SB COM-PORT-OPTION <code> <value…> IAC SE`, value bytes IAC-doubled. */
export function comPortRequest(code: number, value: Uint8Array): Uint8Array {
  const body = escapeIac(value);
  const out = new Uint8Array(body.length + 6);
  out.set([IAC, SB, COM_PORT_OPTION, code]);
  out.set(body, 4);
  out.set([IAC, SE], body.length + 4);
  return out;
}

export function setBaudRate(baud: number): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, baud >>> 0);
  return comPortRequest(ComPort.SET_BAUDRATE, v);
}

export const setDataSize = (bits: number): Uint8Array => comPortRequest(ComPort.SET_DATASIZE, Uint8Array.of(bits));
export const setParity = (parity: number): Uint8Array => comPortRequest(ComPort.SET_PARITY, Uint8Array.of(parity));
export const setStopSize = (stop: number): Uint8Array => comPortRequest(ComPort.SET_STOPSIZE, Uint8Array.of(stop));
export const setControl = (value: number): Uint8Array => comPortRequest(ComPort.SET_CONTROL, Uint8Array.of(value));
export const purgeData = (which: number): Uint8Array => comPortRequest(ComPort.PURGE_DATA, Uint8Array.of(which));

export interface ComPortReply {
  /** The client code this answers (server code - 100). */
  command: number;
  /** The value the server reports: a baud rate for SET-BAUDRATE, else the first byte. */
  value: number;
}

/** A COM-PORT-OPTION subnegotiation from the server; undefined when it is not a reply to a request. */
export function parseComPortReply(payload: Uint8Array): ComPortReply | undefined {
  const code = payload[0];
  if (code === undefined || code < SERVER_OFFSET || code > SERVER_OFFSET + ComPort.PURGE_DATA) return undefined;
  const command = code - SERVER_OFFSET;
  // Sent by the server on its own (line/modem state changes, flow control), not in answer to a request.
  if (command >= ComPort.NOTIFY_LINESTATE && command <= ComPort.FLOWCONTROL_RESUME) return undefined;
  const body = payload.subarray(1);
  if (command === ComPort.SET_BAUDRATE) {
    if (body.length !== 4) return undefined;
    return { command, value: new DataView(body.buffer, body.byteOffset, 4).getUint32(0) };
  }
  return { command, value: body[0] ?? 0 };
}
