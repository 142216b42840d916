/** runSession routes sww01 to the stream step; --resume keeps a finished sww01 mode instead of streaming again. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { RunContext, RunPlan } from '../../host/run/bench-run.js';
import { silentProgress } from '../../host/core/progress.js';
import { dataDir, runTestSession } from '../helpers.js';

describe('sww01 sessions', () => {
  it('runs on the virtual bench at the asked core clock and resumes without streaming again', async () => {
    const said: string[] = [];
    const options: RunPlan & RunContext = {
      benchmarks: ['sww01'],
      modes: ['performance'],
      dut: { kind: 'sim' },
      dataDir: dataDir(),
      dutClockMhz: 480,
      outDir: mkdtempSync(join(tmpdir(), 'tb-sww-session-')),
      command: ['test'],
      progress: silentProgress,
      say: (l: string) => void said.push(l),
    };
    const first = await runTestSession(options);
    const doc = first.documents[0]!;
    expect(doc).toMatchObject({ benchmark: 'sww01', mode: 'performance', simulated: true });
    expect(doc.streaming!.dutClockHz).toBe(480e6);
    expect(doc.streaming!.streams[0]!.framesMissed).toBe(0);
    const again = await runTestSession(options, first.sessionDir);
    expect(again.documents[0]).toEqual(doc);
    expect(said).toContain('sww01 performance: already finished in this session');
  });
});
