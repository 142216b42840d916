/**
 * A duplex byte pipe. Serial ports, the virtual DUT and a DUT behind an
 * interface board all look like this, so nothing above it knows which one
 * it talks to.
 */
export interface Link {
  /** Human-readable origin, e.g. `/dev/ttyACM0 @ 115200` or `virtual DUT (kws01)`. */
  readonly description: string;
  write(data: Uint8Array): Promise<void>;
  /** Subscribes to received bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the link closes; `error` is set when it was lost, not closed. */
  onClose(listener: (error?: Error) => void): () => void;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** Longest command text this link carries intact (an interface board's limit); undefined: no limit of its own. */
  readonly maxCommandLength?: number;
  /**
   * Changes the host side's UART rate (a serial port, an RFC 2217 server, a
   * virtual wire); absent where the host cannot (raw TCP, an interface board).
   */
  setBaudRate?(baud: number): Promise<unknown>;
}

/** Fan-out helper shared by Link implementations. */
export class Listeners<T extends unknown[]> {
  private readonly set = new Set<(...args: T) => void>();
  add(fn: (...args: T) => void): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }
  emit(...args: T): void {
    for (const fn of [...this.set]) fn(...args);
  }
}

/** The listener half every Link implementation shares: subscribers for data and for the close. */
export abstract class LinkEvents {
  protected readonly data = new Listeners<[Uint8Array]>();
  protected readonly closed = new Listeners<[Error | undefined]>();

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.closed.add(listener);
  }
}
