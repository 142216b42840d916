/** The simulated sww01 bench for tests: virtual H573 + WebAssembly DUT, the host's board and DUT clients. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { SWW01 } from '../../host/bench/sww01.js';
import { DutSession } from '../../host/devices/dut-session.js';
import { InterfaceBoard } from '../../host/devices/interface-board.js';
import { VirtualEnergyBench } from '../../host/sim/energy-bench.js';
import { dataDir } from '../helpers.js';

/** A DUT clock at which this engine keeps up with 32 ms hops (about 14 ms a frame). */
export const FAST_DUT_HZ = 480e6;

export async function streamingBench(files: Map<string, Uint8Array>, dutClockHz = FAST_DUT_HZ) {
  const bench = await VirtualEnergyBench.create({
    benchmark: SWW01,
    model: readFileSync(join(dataDir(), 'models', SWW01.modelFile)),
    dutBaud: SWW01.dutBaud,
    streamFiles: files,
    dutClockHz,
  });
  bench.powerOnFromUsb();
  const board = await InterfaceBoard.connect(bench.boardLink, { resetWaitMs: 50 });
  await board.setBaud(SWW01.dutBaud);
  const session = await DutSession.open(
    { link: board.dutLink(), bootWaitMs: 100, resync: () => board.resync(SWW01.dutBaud) },
    { commandTimeoutMs: 2000, settleQuietMs: 20 },
  );
  return { bench, board, session, close: async () => (session.close(), board.close(), await bench.close()) };
}

export function sdCard(dir: string): Map<string, Uint8Array> {
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.wav'))
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}
