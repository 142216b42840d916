/** run --fast-baud in the plan builder: where the host sets the DUT's rate, the default is 921600; elsewhere it is refused. */
import { describe, expect, it } from 'vitest';

import { type RunRequest, RunPlanSchema, buildRunPlan, savedPlan } from '../../host/run/plan.js';

const base: RunRequest = { mode: 'accuracy', dataDir: '/data', command: ['run'] };

describe('--fast-baud in the plan', () => {
  it('defaults to 921600 on a serial port, RFC 2217, the virtual DUT and QEMU; off keeps the link rate', () => {
    expect(buildRunPlan({ ...base, port: '/dev/ttyACM0' }).fastBaud).toBe(921600);
    expect(buildRunPlan({ ...base, port: 'rfc2217://lab:4001' }).fastBaud).toBe(921600);
    expect(buildRunPlan(base).fastBaud).toBe(921600);
    expect(buildRunPlan({ ...base, dut: 'qemu' }).fastBaud).toBe(921600);
    expect(buildRunPlan({ ...base, port: '/dev/ttyACM0', fastBaud: 'off' }).fastBaud).toBeUndefined();
    expect(buildRunPlan({ ...base, port: '/dev/ttyACM0', fastBaud: 2_000_000 }).fastBaud).toBe(2_000_000);
  });

  it('no default where the link already runs that fast, none through an interface board, a raw TCP port or for sww01', () => {
    expect(buildRunPlan({ ...base, port: '/dev/ttyACM0', baud: 921600 }).fastBaud).toBeUndefined();
    expect(buildRunPlan({ ...base, mode: 'energy' }).fastBaud).toBeUndefined();
    expect(buildRunPlan({ ...base, port: 'tcp://lab:4000' }).fastBaud).toBeUndefined();
    expect(buildRunPlan({ ...base, benchmark: 'sww01' }).fastBaud).toBeUndefined();
  });

  it.each<[string, Partial<RunRequest>, RegExp]>([
    ['in energy mode', { mode: 'energy', fastBaud: 921600 }, /--fast-baud 921600: in energy mode .*interface board.*drop --fast-baud/],
    ['on a raw TCP port', { port: 'tcp://lab:4000', fastBaud: 921600 }, /raw TCP port: its rate is set on the server/],
    ['for the streaming wakeword', { benchmark: 'sww01', fastBaud: 921600 }, /streaming wakeword runs through the interface board/],
    ['a rate not above the link rate', { port: 'p', baud: 230400, fastBaud: 115200 }, /--fast-baud 115200 is not faster than the link's 230400 baud/],
  ])('refuses --fast-baud %s', (_what, request, message) => {
    expect(() => buildRunPlan({ ...base, ...request })).toThrow(message);
  });

  it('is saved in the plan, so --resume switches the same way', () => {
    const plan = buildRunPlan({ ...base, port: '/dev/ttyACM0', fastBaud: 460800 });
    expect(RunPlanSchema.parse(JSON.parse(JSON.stringify(savedPlan(plan)))).fastBaud).toBe(460800);
  });
});
