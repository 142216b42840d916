/**
 * A DUT UART exported over TCP (ser2net, labgrid's NetworkSerialPort, a LAVA
 * worker): raw bytes (`tcp://`), or Telnet with RFC 2217 COM-PORT-OPTION
 * (`rfc2217://`), through which the client sets the serial line — baud rate,
 * 8N1, DTR/RTS where the server offers them — and purges stale bytes.
 * Every wait is bounded; a refused, unreachable or closed port is one line.
 */
import { type Socket, createConnection } from 'node:net';

import { LinkClosedError, TimeoutError, TinyBenchError } from '../errors.js';
import { type Link, LinkEvents } from './link.js';
import type { NetworkPort } from '../protocol/port-url.js';
import {
  COM_PORT_OPTION,
  ComPort,
  Control,
  type ComPortReply,
  DO,
  DONT,
  OptionNegotiator,
  Parity,
  Purge,
  StopSize,
  TelnetDecoder,
  WONT,
  escapeIac,
  parseComPortReply,
  purgeData,
  setBaudRate,
  setControl,
  setDataSize,
  setParity,
  setStopSize,
} from './rfc2217.js';

export interface NetworkLinkOptions {
  port: NetworkPort;
  baudRate: number;
  /** Connecting (TCP handshake) may take this long; a refused port fails at once. */
  connectTimeoutMs?: number;
  /** The RFC 2217 server must answer negotiation and line settings within this. */
  replyTimeoutMs?: number;
}

/** What the RFC 2217 server reported back when the line was set up. */
export interface ComPortSettings {
  baudRate: number;
  /** Control lines the server acknowledged (DTR/RTS); empty when it does not offer them. */
  control: string[];
}

export class NetworkLink extends LinkEvents implements Link {
  description: string;
  private closing = false;
  private lostError: Error | undefined;
  private readonly decoder = new TelnetDecoder();
  private readonly negotiator = new OptionNegotiator();
  private readonly replyWaiters: Array<(reply: ComPortReply) => void> = [];
  private comPortRefused = false;
  private comPortAgreed = false;
  /** Text the server sent before the line was set up (ser2net explains a refusal that way). */
  private readonly greeting: number[] = [];
  /** Settings the server confirmed (rfc2217 only). */
  settings: ComPortSettings | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: NetworkLinkOptions,
  ) {
    super();
    const { port } = options;
    this.description = port.protocol === 'rfc2217' ? `${port.url} @ ${options.baudRate} baud` : port.url;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on('data', (chunk: Buffer) => this.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.lostError ??= new LinkClosedError(`${port.url}: connection lost (${error.code ?? error.message})`);
    });
    socket.on('close', () => {
      this.closed.emit(this.closing ? undefined : (this.lostError ?? new LinkClosedError(`${port.url}: the server closed the connection`)));
    });
  }

  static async open(options: NetworkLinkOptions): Promise<NetworkLink> {
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const socket = await connect(options.port, timeoutMs);
      const link = new NetworkLink(socket, options);
      if (options.port.protocol === 'tcp') return link;
      try {
        await link.setUpComPort();
        return link;
      } catch (error) {
        link.closing = true;
        link.socket.destroy();
        // ser2net turns a client away while it still holds the device for the previous one
        // ("Port's device already in use"): that clears within moments, so try again.
        if (!(error instanceof LinkClosedError) || Date.now() + 100 > deadline) throw link.explainHangUp(error);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && !this.closing;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.lostError ?? new LinkClosedError(`${this.description} is closed`));
    const bytes = this.options.port.protocol === 'rfc2217' ? escapeIac(data) : data;
    return this.send(bytes);
  }

  /** Changes the DUT UART's rate through the server (RFC 2217 only); resolves with the rate the server reports. */
  async setBaudRate(baud: number): Promise<number> {
    if (this.options.port.protocol !== 'rfc2217')
      throw new TinyBenchError(`${this.options.port.url} is a raw TCP port: its baud rate is set on the server, not by tiny-bench`);
    const reply = this.expectReply(ComPort.SET_BAUDRATE, this.options.replyTimeoutMs ?? 3000);
    await this.send(setBaudRate(baud));
    const set = (await reply).value;
    this.description = `${this.options.port.url} @ ${set} baud`;
    return set;
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return Promise.resolve();
    // Our last bytes go out, then the socket goes: a server need not answer our FIN (ser2net does not).
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(() => this.socket.destroy());
    });
  }

  /** A connection closed while setting up, with what the server said before (ser2net explains a refusal that way). */
  private explainHangUp(error: unknown): unknown {
    const said = Buffer.from(this.greeting).toString('latin1').trim();
    if (!(error instanceof LinkClosedError) || !said) return error;
    return new LinkClosedError(`${error.message}; it said ${JSON.stringify(said)}`);
  }

  private send(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable)
      return Promise.reject(this.lostError ?? new LinkClosedError(`${this.options.port.url}: the server closed the connection`));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => {
        if (error) reject(new LinkClosedError(`Writing to ${this.description} failed: ${error.message}`));
        else resolve();
      });
    });
  }

  private receive(chunk: Uint8Array): void {
    if (this.options.port.protocol === 'tcp') {
      this.data.emit(new Uint8Array(chunk));
      return;
    }
    for (const event of this.decoder.push(chunk)) {
      if (event.kind === 'data') {
        if (!this.settings && this.greeting.length < 200) this.greeting.push(...event.bytes.subarray(0, 200));
        this.data.emit(event.bytes);
      } else if (event.kind === 'negotiation') {
        if (event.option === COM_PORT_OPTION && (event.verb === DONT || event.verb === WONT)) this.comPortRefused = true;
        if (event.option === COM_PORT_OPTION && event.verb === DO) this.comPortAgreed = true;
        const answer = this.negotiator.answer(event.verb, event.option);
        if (answer) void this.send(answer).catch(() => {});
      } else if (event.option === COM_PORT_OPTION) {
        const reply = parseComPortReply(event.payload);
        if (reply) for (const waiter of [...this.replyWaiters]) waiter(reply);
      }
    }
  }

  private expectReply(command: number, timeoutMs: number): Promise<ComPortReply> {
    return new Promise((resolve, reject) => {
      const waiter = (reply: ComPortReply): void => {
        if (reply.command !== command) return;
        done();
        resolve(reply);
      };
      const timer = setTimeout(() => {
        done();
        reject(new TimeoutError(`${this.options.port.url}: the RFC 2217 server did not answer ${commandName(command)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const offClose = this.closed.add(() => {
        done();
        reject(new ServerHungUpError(`${this.options.port.url}: the server closed the connection before answering ${commandName(command)}`));
      });
      const done = (): void => {
        offClose();
        clearTimeout(timer);
        const i = this.replyWaiters.indexOf(waiter);
        if (i >= 0) this.replyWaiters.splice(i, 1);
      };
      this.replyWaiters.push(waiter);
    });
  }

  /**
   * Offers COM-PORT-OPTION, waits for the server's DO, then sets 8N1 at the
   * requested rate, raises DTR and RTS, and purges both buffers, all in one
   * write. Replies do not come back in request order (ser2net answers the
   * purge before the baud rate), so each required one is awaited; DTR/RTS are
   * optional — a server without modem lines (a pty behind it) does not answer
   * them — and count as offered when answered before the required replies.
   */
  private async setUpComPort(): Promise<void> {
    const url = this.options.port.url;
    const timeoutMs = this.options.replyTimeoutMs ?? 3000;
    await this.send(this.negotiator.opening());
    const deadline = Date.now() + timeoutMs;
    while (!this.comPortAgreed) {
      if (this.comPortRefused)
        throw new TinyBenchError(
          `${url}: the server refuses RFC 2217 (COM-PORT-OPTION); if it is a raw TCP port, use tcp://${this.options.port.host}:${this.options.port.port}`,
        );
      if (!this.isOpen) throw new ServerHungUpError(`${url}: the server closed the connection during Telnet negotiation`);
      if (Date.now() > deadline)
        throw new TimeoutError(
          `${url}: no RFC 2217 negotiation from the server within ${timeoutMs} ms (is it a raw TCP port? then use tcp://${this.options.port.host}:${this.options.port.port})`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
    const control: string[] = [];
    const controlWaiter = (reply: ComPortReply): void => {
      if (reply.command !== ComPort.SET_CONTROL) return;
      if (reply.value === Control.DTR_ON) control.push('DTR');
      if (reply.value === Control.RTS_ON) control.push('RTS');
    };
    this.replyWaiters.push(controlWaiter);
    try {
      const replies = Promise.all([
        this.expectReply(ComPort.SET_BAUDRATE, timeoutMs),
        this.expectReply(ComPort.SET_DATASIZE, timeoutMs),
        this.expectReply(ComPort.SET_PARITY, timeoutMs),
        this.expectReply(ComPort.SET_STOPSIZE, timeoutMs),
        this.expectReply(ComPort.PURGE_DATA, timeoutMs),
      ]);
      replies.catch(() => {});
      const requests = [
        setBaudRate(this.options.baudRate),
        setDataSize(8),
        setParity(Parity.NONE),
        setStopSize(StopSize.ONE),
        setControl(Control.DTR_ON),
        setControl(Control.RTS_ON),
        purgeData(Purge.BOTH),
      ];
      await this.send(Buffer.concat(requests));
      const [baud] = await replies;
      if (baud.value !== this.options.baudRate) throw new TinyBenchError(`${url}: asked the server for ${this.options.baudRate} baud, it set ${baud.value}`);
      this.settings = { baudRate: baud.value, control };
    } finally {
      this.replyWaiters.splice(this.replyWaiters.indexOf(controlWaiter), 1);
    }
  }
}

/** The server accepted the TCP connection, then closed it before RFC 2217 was set up. */
class ServerHungUpError extends LinkClosedError {}

function commandName(command: number): string {
  return (
    Object.entries(ComPort)
      .find(([, code]) => code === command)?.[0]
      .replace(/_/g, '-') ?? `command ${command}`
  );
}

/** Opens the TCP connection; errors say which of refused / unreachable / unknown host / no answer it was. */
function connect(port: NetworkPort, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: port.host, port: port.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`Cannot connect to ${port.url}: no answer within ${timeoutMs} ms (host down, or a firewall drops the connection)`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new LinkClosedError(`Cannot connect to ${port.url}: ${explain(error)}`));
    });
  });
}

function explain(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused (nothing listens on port ${error.message.match(/:(\d+)$/)?.[1] ?? 'that port'}; is ser2net running with this port exported?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host name';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable (check the address and the network route)';
    case 'ECONNRESET':
      return 'the server reset the connection';
    default:
      return error.code ? `${error.code} (${error.message})` : error.message;
  }
}
