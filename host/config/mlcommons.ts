/**
 * The MLCommons runner's configuration files: devices.yaml (what is plugged
 * in: VID/PID, baud per mode, preference, DUT voltage) and tests_*.yaml (the
 * script per model: loop N, download, infer N W). Parsed with zod; errors
 * name the file, the entry and the field.
 */
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';
import { z } from 'zod';

import { ConfigError } from '../errors.js';
import { parsePortUrl } from '../protocol/port-url.js';

const UsbIds = z.record(z.string(), z.union([z.number().int(), z.array(z.number().int())]));
const Baud = z.union([
  z.number().int().positive(),
  z.object({
    energy: z.number().int().positive().optional(),
    performance: z.number().int().positive().optional(),
    accuracy: z.number().int().positive().optional(),
  }),
]);

export const DeviceEntry = z
  .object({
    name: z.string(),
    type: z.enum(['interface', 'power', 'dut']),
    preference: z.number().optional(),
    baud: Baud.optional(),
    usb: UsbIds.optional(),
    voltage: z.number().positive().optional(),
    echo: z.boolean().optional(),
    interface: z.string().optional(),
    /** tiny-bench extension: where the device is, a serial path or a network-exported UART (rfc2217://host:port, tcp://host:port). */
    port: z
      .string()
      .refine((p) => {
        try {
          parsePortUrl(p);
          return true;
        } catch {
          return false;
        }
      }, 'expected a serial device path, rfc2217://host:port or tcp://host:port')
      .optional(),
  })
  .passthrough();
export type DeviceEntry = z.infer<typeof DeviceEntry>;

const Step = z.union([z.string(), z.record(z.string(), z.array(z.string()))]);
export const TestsFile = z.record(
  z.string(),
  z.object({ name: z.string().optional(), model: z.string().optional(), truth_file: z.string().optional(), script: z.array(Step) }).passthrough(),
);

function load(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: not readable YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function explain(path: string, error: z.ZodError, describe: (p: PropertyKey[]) => string): ConfigError {
  const issue = error.issues[0]!;
  return new ConfigError(`${path}: ${describe(issue.path)}: ${issue.message}`);
}

export function readDevicesYaml(path: string): DeviceEntry[] {
  const parsed = z.array(DeviceEntry).safeParse(load(path));
  if (!parsed.success) {
    throw explain(path, parsed.error, (p) =>
      typeof p[0] === 'number' ? `entry ${p[0] + 1}${p.length > 1 ? `, field ${p.slice(1).join('.')}` : ''}` : 'the file must be a list of devices',
    );
  }
  return parsed.data;
}

/** USB ids of an entry as `vvvv:pppp` strings (lower-case hex). */
export function usbIds(entry: DeviceEntry): string[] {
  const ids: string[] = [];
  for (const [vid, pids] of Object.entries(entry.usb ?? {})) {
    const v = Number(vid);
    for (const p of Array.isArray(pids) ? pids : [pids]) ids.push(`${v.toString(16).padStart(4, '0')}:${p.toString(16).padStart(4, '0')}`);
  }
  return ids;
}

export function baudFor(entry: DeviceEntry, mode: 'energy' | 'performance' | 'accuracy'): number | undefined {
  return typeof entry.baud === 'number' ? entry.baud : entry.baud?.[mode];
}

export interface TestPlan {
  model: string;
  truthFile?: string;
  /** `loop N` count (performance/energy windows); undefined: loop over every file. */
  loops?: number;
  iterations?: number;
  warmups?: number;
  stream: boolean;
}

/** The plan of each model in a tests_*.yaml: loop count, infer N W, truth file. */
export function readTestsYaml(path: string): Record<string, TestPlan> {
  const parsed = TestsFile.safeParse(load(path));
  if (!parsed.success) throw explain(path, parsed.error, (p) => `${String(p[0] ?? 'file')}${p.length > 1 ? `, ${p.slice(1).join('.')}` : ''}`);
  const plans: Record<string, TestPlan> = {};
  for (const [model, test] of Object.entries(parsed.data)) {
    const plan: TestPlan = { model: test.model ?? model, stream: false, ...(test.truth_file ? { truthFile: test.truth_file } : {}) };
    const visit = (steps: Array<string | Record<string, string[]>>): void => {
      for (const step of steps) {
        if (typeof step === 'string') {
          const infer = /^infer\s+(\d+)\s+(\d+)\s*$/.exec(step);
          if (infer && Number(infer[1]) < 1) throw new ConfigError(`${path}: ${model}: ${JSON.stringify(step)} runs no inference; N must be at least 1`);
          if (infer) {
            plan.iterations = Number(infer[1]);
            plan.warmups = Number(infer[2]);
          } else if (step.trim() === 'stream') plan.stream = true;
          else if (!/^(download|reset \d+)\s*$/.test(step.trim()) && !/^loop(\s+\d+)?\s*$/.test(step.trim())) {
            throw new ConfigError(`${path}: ${model}: unknown script step ${JSON.stringify(step)} (expected download, loop [N], infer N W, stream, reset S)`);
          }
        } else {
          for (const [key, inner] of Object.entries(step)) {
            const loop = /^loop(?:\s+(\d+))?\s*$/.exec(key);
            if (!loop) throw new ConfigError(`${path}: ${model}: unknown script block ${JSON.stringify(key)}`);
            if (loop[1] !== undefined && Number(loop[1]) < 1)
              throw new ConfigError(`${path}: ${model}: ${JSON.stringify(key)} runs nothing; the loop count must be at least 1`);
            if (loop[1]) plan.loops = Number(loop[1]);
            visit(inner);
          }
        }
      }
    };
    visit(test.script);
    plans[model] = plan;
  }
  return plans;
}
