import { ConfigError } from '../errors.js';

/** A DUT's UART exported on the network: RFC 2217 (telnet COM-PORT-OPTION) or raw TCP, as ser2net, labgrid and LAVA offer it. */
export interface NetworkPort {
  protocol: 'rfc2217' | 'tcp';
  host: string;
  port: number;
  /** The text given, for messages. */
  url: string;
}

/** `rfc2217://host:port` or `tcp://host:port` → its parts; undefined for anything else (a device path). */
export function parsePortUrl(text: string): NetworkPort | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return undefined;
  if (scheme !== 'rfc2217' && scheme !== 'tcp')
    throw new ConfigError(`Port ${text}: unknown scheme '${scheme}://'; expected rfc2217://host:port, tcp://host:port or a serial device path`);
  // host: a name, an IPv4 address or a bracketed IPv6 address.
  const m = /^[a-z0-9+.-]+:\/\/(\[[0-9a-f:.]+\]|[^:/[\]]+):(\d+)\/?$/i.exec(text);
  if (!m) throw new ConfigError(`Port ${text}: expected ${scheme}://host:port (e.g. ${scheme}://127.0.0.1:3333)`);
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(`Port ${text}: TCP port ${m[2]} is outside 1-65535`);
  return { protocol: scheme, host: m[1]!.replace(/^\[|\]$/g, ''), port, url: text };
}
