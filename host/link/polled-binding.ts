/**
 * node-serialport's Linux binding with one read path and one write path: the
 * port's file descriptor is non-blocking, so a read or write is tried at once
 * on the event loop thread and only when the kernel says EAGAIN do we wait for
 * the binding's poller. The stock binding sends every read and write through
 * libuv's thread pool (a read that finds nothing, the poll, then the read that
 * finds the bytes), which is most of the host's time per command on a fast
 * wire (bench/serial-overhead.mjs). Opening, termios, baud, drain and close
 * stay the stock binding's.
 */
import { EventEmitter } from 'node:events';
import { readSync, writeSync } from 'node:fs';

import {
  type BindingInterface,
  type BindingPortInterface,
  type LinuxOpenOptions,
  type LinuxPortBinding,
  type LinuxSetOptions,
  type UpdateOptions,
  LinuxBinding,
} from '@serialport/bindings-cpp';

/** libuv's uv_poll_event flags, which the poller takes as they are (its EVENTS table is not exported). */
const EVENTS = { UV_READABLE: 1, UV_WRITABLE: 2 } as const;

/** The interface's contract: a read pending when the port closes fails with `canceled`. */
class CanceledError extends Error {
  readonly canceled = true;
  constructor() {
    super('Port is not open');
  }
}

function wouldBlock(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR';
}

/** EBADF / ENXIO / EIO after an unplug: serialport turns `disconnect` into its DisconnectedError. */
function asDisconnect(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EBADF' || code === 'ENXIO' || code === 'EIO' || code === 'UNKNOWN') Object.assign(error as object, { disconnect: true });
  return error;
}

class PolledPort implements BindingPortInterface {
  constructor(private readonly inner: LinuxPortBinding) {}

  get openOptions(): Required<LinuxOpenOptions> {
    return this.inner.openOptions;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  private fd(): number {
    if (!this.inner.isOpen || this.inner.fd === null) throw new CanceledError();
    return this.inner.fd;
  }

  /** Callers waiting for each event now. */
  private readonly waiting = { readable: 0, writable: 0 };

  /**
   * Resolves at the poller's next `event`. The poller's own once() starts
   * polling for that one event only and drops what it polled for before, so
   * a read re-arming 'readable' while a write waits for room would leave the
   * write asleep until the next byte came in (a 16 KB block to a DUT that
   * had just answered stalled that way). So the listener goes on the emitter
   * and the poll asks for every event someone waits on.
   */
  private when(event: 'readable' | 'writable'): Promise<void> {
    const poller = this.inner.poller;
    return new Promise((resolve, reject) => {
      this.waiting[event]++;
      EventEmitter.prototype.once.call(poller, event, (err?: Error | null) => {
        this.waiting[event]--;
        if (err) reject(err);
        else resolve();
      });
      poller.poll((this.waiting.readable ? EVENTS.UV_READABLE : 0) | (this.waiting.writable ? EVENTS.UV_WRITABLE : 0));
    });
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    for (;;) {
      try {
        const bytesRead = readSync(this.fd(), buffer, offset, length, null);
        if (bytesRead > 0) return { buffer, bytesRead };
      } catch (error) {
        if (error instanceof CanceledError || !wouldBlock(error)) throw asDisconnect(error);
      }
      // Nothing there (or end of file on a pty whose peer is gone): wait for the kernel instead of spinning.
      await this.when('readable');
    }
  }

  async write(buffer: Buffer): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      try {
        done += writeSync(this.fd(), buffer, done, buffer.length - done);
        continue;
      } catch (error) {
        if (error instanceof CanceledError || !wouldBlock(error)) throw asDisconnect(error);
      }
      await this.when('writable');
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
  update(options: UpdateOptions): Promise<void> {
    return this.inner.update(options);
  }
  set(options: LinuxSetOptions): Promise<void> {
    return this.inner.set(options);
  }
  get(): ReturnType<LinuxPortBinding['get']> {
    return this.inner.get();
  }
  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
}

export const PolledLinuxBinding: BindingInterface<PolledPort, LinuxOpenOptions> = {
  list: () => LinuxBinding.list(),
  open: async (options) => new PolledPort(await LinuxBinding.open(options)),
};
