/** results.json's recovery block: a run that needed only resends is not a clean run. */
import { describe, expect, it } from 'vitest';

import { recoveryRecord } from '../../host/run/test-outcome.js';

const clean = { retries: 0, resets: 0, reconnects: 0, resends: 0 };

describe('recoveryRecord', () => {
  it('leaves a clean run without a recovery block', () => {
    expect(recoveryRecord(clean)).toEqual({});
  });

  it('records a run that was recovered by resent commands only', () => {
    expect(recoveryRecord({ ...clean, resends: 3 })).toEqual({ recovery: { ...clean, resends: 3 } });
  });

  it('records injected faults even when none needed recovery', () => {
    expect(recoveryRecord(clean, 0)).toEqual({ recovery: { ...clean, faultsInjected: 0 } });
  });
});
