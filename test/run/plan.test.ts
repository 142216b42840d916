import { describe, expect, it } from 'vitest';

import { type RunRequest, buildRunPlan, refuseOptionsWithResume, savedPlan } from '../../host/run/plan.js';

const base: RunRequest = { mode: 'both', dataDir: '/data', command: ['run'] };

describe('buildRunPlan: every default and conflict decided once', () => {
  it('the default run: every benchmark, performance then accuracy, on the virtual DUT', () => {
    expect(buildRunPlan(base)).toEqual({
      benchmarks: ['kws01', 'vww01', 'ic01', 'ad01'],
      modes: ['performance', 'accuracy'],
      dut: { kind: 'sim' },
      dataDir: '/data',
      fastBaud: 921600,
      command: ['run'],
    });
  });

  it('a board runs the model it reports, at 115200 baud unless told', () => {
    const plan = buildRunPlan({ ...base, port: '/dev/ttyACM0' });
    expect(plan.benchmarks).toBeUndefined();
    expect(plan.dut).toEqual({ kind: 'serial', path: '/dev/ttyACM0', baudRate: 115200 });
  });

  it('devices.yaml sets the baud per mode; energy mode defaults to 9600 behind the board', () => {
    const devices = [{ name: 'dut', type: 'dut' as const, baud: { accuracy: 921600, energy: 19200 } }];
    expect(buildRunPlan({ ...base, mode: 'accuracy', port: 'p', devices }).dut).toMatchObject({ baudRate: 921600 });
    expect(buildRunPlan({ ...base, mode: 'energy' }).energy).toEqual({ bench: { kind: 'sim', monitor: 'lpm01a' }, voltageV: 1.8, dutBaud: 9600 });
  });

  it.each<[string, Partial<RunRequest>, RegExp]>([
    [
      '--dut qemu with --port (the port used to win silently)',
      { dut: 'qemu', port: '/dev/ttyUSB0' },
      /--dut qemu runs an emulated DUT and --port \/dev\/ttyUSB0 a board: choose one/,
    ],
    ['--baud on the virtual DUT', { baud: 9600 }, /--baud sets the rate of a board's serial port.*virtual DUT has no baud rate/],
    ['--baud on QEMU', { dut: 'qemu', baud: 9600 }, /QEMU DUT has no baud rate/],
    ['--faults without --fault-rate', { faults: ['drop'] }, /give --fault-rate too/],
    ['--fault-seed without --fault-rate', { faultSeed: 3 }, /give --fault-rate too/],
    ['faults on a board', { port: 'p', faultRate: 0.01 }, /only applies to the virtual DUT/],
    ['faults in energy mode (they were announced and never injected)', { mode: 'energy', faultRate: 0.01 }, /not available in energy mode/],
    ['--icount-shift without QEMU', { icountShift: 2 }, /--icount-shift applies to the QEMU DUT/],
    ['--icount-shift out of range', { dut: 'qemu', icountShift: Number.NaN }, /whole number from 0 to 10/],
    ['--interface outside energy mode', { interface: 'p' }, /belong to --mode energy/],
    ['energy mode on QEMU', { mode: 'energy', dut: 'qemu' }, /simulated energy bench runs the virtual DUT/],
    ['--port in energy mode', { mode: 'energy', port: 'p' }, /reached through the interface board/],
  ])('refuses %s', (_what, request, message) => {
    expect(() => buildRunPlan({ ...base, ...request })).toThrow(message);
  });

  it('the saved plan is exactly the schema: a program-opened link is reduced to what it was', () => {
    const plan = buildRunPlan(base);
    const withLink = {
      ...plan,
      dut: {
        kind: 'link' as const,
        open: async () => {
          throw new Error('never');
        },
        simulated: true,
      },
    };
    expect(savedPlan(withLink).dut).toEqual({ kind: 'link', simulated: true });
    expect(() => savedPlan({ ...plan, outDir: 'x' } as never)).toThrow(/Unrecognized key/);
  });

  it('--resume refuses options it would drop, naming them as typed', () => {
    expect(() => refuseOptionsWithResume(['resume', 'json'])).not.toThrow();
    expect(() => refuseOptionsWithResume(['resume', 'limit', 'faultRate'])).toThrow(/drop --limit, --fault-rate/);
  });
});
