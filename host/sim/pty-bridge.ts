/**
 * Puts a virtual device behind a pseudo-terminal, so a runner in another
 * process opens it like a USB serial port (`--interface /tmp/.../interface`).
 * socat makes a pty pair; this process holds one end and copies bytes
 * between it and the device's Link.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Link } from '../link/link.js';
import { SerialLink } from '../link/serial-link.js';
import { startHelper, waitForHelpers } from './child-processes.js';

export interface PtyDevice {
  /** The path a runner opens. */
  path: string;
  close(): Promise<void>;
}

export async function exposeOnPty(device: Link, dir: string, name: string, timeoutMs = 5000): Promise<PtyDevice> {
  const path = join(dir, name);
  const ours = join(dir, `.${name}.bench`);
  const socat = startHelper('socat', [`pty,link=${path},raw,echo=0`, `pty,link=${ours},raw,echo=0`], `the pty of ${name}`);
  try {
    await waitForHelpers(`the ptys of ${name}`, () => existsSync(path) && existsSync(ours), [socat], timeoutMs);
  } catch (error) {
    await socat.stop();
    throw error;
  }
  const port = await SerialLink.open({ path: ours, baudRate: 115200 });
  const offA = port.onData((chunk) => void device.write(chunk).catch(() => {}));
  const offB = device.onData((chunk) => void port.write(chunk).catch(() => {}));
  return {
    path,
    async close() {
      offA();
      offB();
      await port.close().catch(() => {});
      await socat.stop();
    },
  };
}
