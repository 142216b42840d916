import type { Link } from './link.js';

/**
 * Resolves once `link` has received nothing for `quietMs`, or after `maxMs`
 * at the latest: lets a boot banner or stale output pass before the next
 * command, without ever waiting unboundedly on a device that keeps talking.
 */
export function waitForQuiet(link: Link, quietMs: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let quiet: ReturnType<typeof setTimeout>;
    let off: () => void = () => {};
    const finish = (): void => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      off();
      resolve();
    };
    const deadline = setTimeout(finish, maxMs);
    quiet = setTimeout(finish, quietMs);
    off = link.onData(() => {
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    });
  });
}
