/**
 * Lays sessions out as the MLPerf Tiny submission checker expects
 * (protocol reference §6):
 *   <division>/<submitter>/results/<system>/<model>/<test>/{log.txt,results.txt,results.json}
 *   <division>/<submitter>/systems/<system>.json
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError } from '../errors.js';
import { insideDir } from '../core/safe-path.js';
import { ruleViolations } from '../core/scoring.js';
import { readSessionDocuments } from './html-report.js';
import { readMultiSession } from './multi-session.js';
import type { ResultsDocument } from './results-schema.js';

/** The submission checker's folder per benchmark (v1.4: ic02 is `ic2`). */
export const CHECKER_MODEL: Partial<Record<ResultsDocument['benchmark'], string>> = {
  kws01: 'kws',
  vww01: 'vww',
  ic01: 'ic',
  ic02: 'ic2',
  ad01: 'ad',
  sww01: 'sww',
};

/**
 * MLPerf Tiny v1.4 asks for progressively larger submissions: a larger model
 * of a task only beside its smaller one. Each entry: larger -> what it needs.
 */
const NEEDS_SMALLER: Partial<Record<ResultsDocument['benchmark'], ResultsDocument['benchmark']>> = { ic02: 'ic01' };

export interface SubmissionOptions {
  sessions: string[];
  out: string;
  division: 'closed' | 'open';
  submitter: string;
  system: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function writeSubmission(options: SubmissionOptions): string[] {
  for (const [what, value] of [
    ['--submitter', options.submitter],
    ['--system', options.system],
  ] as const) {
    if (!NAME.test(value)) throw new ConfigError(`${what} ${JSON.stringify(value)} must be letters, digits, '.', '_' or '-' (it becomes a folder name)`);
  }
  // A session of several DUTs is one system per DUT: <system>-<dut label>.
  const systems = new Map<string, string[]>();
  for (const session of options.sessions) {
    const labels = readMultiSession(session);
    const parts: Array<[string, string]> = labels ? labels.map((l) => [`${options.system}-${l}`, join(session, l)]) : [[options.system, session]];
    for (const [system, dir] of parts) systems.set(system, [...(systems.get(system) ?? []), dir]);
  }
  // Each session's results read once, for the check below and for the system's folder.
  const documents = new Map([...systems.values()].flat().map((dir) => [dir, readSessionDocuments(dir)] as const));
  // A DUT of a rack that never finished a test has nothing to submit; the others still do.
  const withResults = systems.size > 1 ? [...systems].filter(([, sessions]) => sessions.some((s) => documents.get(s)!.length > 0)) : [...systems];
  return withResults.flatMap(([system, sessions]) => writeSystem({ ...options, system, sessions }, documents));
}

function writeSystem(options: SubmissionOptions, documents: ReadonlyMap<string, ResultsDocument[]>): string[] {
  const picked = new Map<string, { doc: ResultsDocument; dir: string }>();
  for (const session of options.sessions) {
    for (const doc of documents.get(session)!) {
      if (options.division === 'closed' && doc.simulated) {
        throw new ConfigError(
          `${session}: ${doc.benchmark} ${doc.mode} is SIMULATED; the closed division needs results measured on hardware (use --division open)`,
        );
      }
      // The checker has no accuracy test for sww: its counts live in the energy and performance results.
      if (doc.benchmark === 'sww01' && doc.mode === 'accuracy') continue;
      // Judged again here: a results.json written before the rules were recorded in it is held to them too.
      const broken = doc.invalid ?? ruleViolations(doc);
      if (broken.length) {
        throw new ConfigError(
          `${session}: ${doc.benchmark} ${doc.mode} is INVALID: ${broken[0]}${broken.length > 1 ? ` (and ${broken.length - 1} more broken rule${broken.length > 2 ? 's' : ''})` : ''}; a submission needs results that meet every rule`,
        );
      }
      if (doc.subset)
        throw new ConfigError(
          `${session}: ${doc.benchmark} ${doc.mode} ran a subset (${doc.subsetReason ?? `--limit ${doc.files}`}); a submission needs the official index, every file`,
        );
      // A later session replaces an earlier one for the same test.
      picked.set(`${doc.benchmark}/${doc.mode}`, { doc, dir: join(session, doc.benchmark, doc.mode) });
    }
  }
  if (picked.size === 0) throw new ConfigError('No results found in the given sessions');
  const root = insideDir(options.out, options.division, options.submitter);
  const written: string[] = [];
  for (const { doc } of picked.values()) {
    const smaller = NEEDS_SMALLER[doc.benchmark];
    if (smaller && !picked.has(`${smaller}/${doc.mode}`)) {
      throw new ConfigError(
        `${options.system}: a ${doc.benchmark} ${doc.mode} result needs a ${smaller} ${doc.mode} result in the same submission (MLPerf Tiny: progressively larger submissions); add a session with ${smaller} ${doc.mode}`,
      );
    }
  }
  for (const { doc, dir } of picked.values()) {
    const model = CHECKER_MODEL[doc.benchmark];
    if (!model) throw new ConfigError(`${dir}: submission does not package ${doc.benchmark} results yet`);
    const target = insideDir(root, 'results', options.system, model, doc.mode);
    mkdirSync(target, { recursive: true });
    for (const file of ['log.txt', 'results.txt', 'results.json']) {
      if (!existsSync(join(dir, file))) throw new ConfigError(`${dir} lacks ${file}`);
      copyFileSync(join(dir, file), join(target, file));
    }
    // sww energy: the checker also requires the power plot.
    if (existsSync(join(dir, 'energy_inf_000.png'))) copyFileSync(join(dir, 'energy_inf_000.png'), join(target, 'energy_inf_000.png'));
    written.push(target);
  }
  const systems = insideDir(root, 'systems');
  mkdirSync(systems, { recursive: true });
  const sample = [...picked.values()][0]!.doc;
  const monitor = [...picked.values()].find((p) => p.doc.monitor)?.doc.monitor;
  const systemPath = join(systems, `${options.system}.json`);
  if (!existsSync(systemPath)) {
    writeFileSync(
      systemPath,
      `${JSON.stringify(
        {
          division: options.division,
          submitter: options.submitter,
          system_name: options.system,
          Status: 'available',
          host_processor: '',
          dut_processor: '',
          dut_board: sample.dut.name,
          dut_firmware: sample.dut.firmware,
          inference_framework: sample.dut.firmware.startsWith('tiny-bench') ? 'tiny-bench engine (TFLite Micro reference arithmetic)' : '',
          energy_monitor: monitor
            ? `${monitor.kind === 'lpm01a' ? 'ST X-NUCLEO-LPM01A' : 'Nordic PPK2'}${monitor.firmware ? ` (firmware ${monitor.firmware})` : ''}${monitor.powerModel ? ', SIMULATED' : ''}`
            : '',
          notes: sample.simulated ? 'SIMULATED: measured on the tiny-bench virtual DUT, not hardware' : '',
        },
        null,
        2,
      )}\n`,
    );
  }
  return written;
}
