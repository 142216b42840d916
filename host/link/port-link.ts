/**
 * Opens what `--port` names: a serial device path, or a network-exported
 * UART (`rfc2217://host:port`, `tcp://host:port`). Runners call this and
 * never need to know which kind of link they got.
 */
import type { Link } from './link.js';
import { NetworkLink } from './network-link.js';
import { parsePortUrl } from '../protocol/port-url.js';
import { SerialLink } from './serial-link.js';

export interface PortLinkOptions {
  /** Opening (serial) or connecting (TCP) may take this long. */
  openTimeoutMs?: number;
}

export function openPortLink(path: string, baudRate: number, options: PortLinkOptions = {}): Promise<Link> {
  const network = parsePortUrl(path);
  if (network)
    return NetworkLink.open({
      port: network,
      baudRate,
      ...(options.openTimeoutMs ? { connectTimeoutMs: options.openTimeoutMs, replyTimeoutMs: options.openTimeoutMs } : {}),
    });
  return SerialLink.open({ path, baudRate, ...(options.openTimeoutMs ? { openTimeoutMs: options.openTimeoutMs } : {}) });
}

/** Whether the baud rate of `path` is something the host sets (a serial port, RFC 2217) rather than the server's (raw TCP). */
export function portSetsBaud(path: string): boolean {
  return parsePortUrl(path)?.protocol !== 'tcp';
}
