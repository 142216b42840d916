/** The mode table: one row per mode, all with one signature. A new mode is a new row. */
import { accuracyMode } from './accuracy.js';
import { energyMode } from './energy.js';
import type { ModeRunner } from './mode-runner.js';
import { performanceMode } from './performance.js';
import type { Mode } from './plan.js';

export const MODE_RUNNERS: Readonly<Record<Mode, ModeRunner>> = {
  performance: performanceMode,
  accuracy: accuracyMode,
  energy: energyMode,
};
