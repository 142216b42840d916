/** The limits a measured window is held to, by the runners that size windows and by the rules that judge results. */

/**
 * Fewest inferences a measured window may have (EEMBC: 10 s or 10
 * iterations; we ask both): a window of one or two inferences means the
 * calibration was wrong, however long it lasted.
 */
export const MIN_WINDOW_INFERENCES = 10;
/** Longest window the rules can need: the 10 s minimum with margin, many times over. Beyond it the timer is broken. */
export const MAX_PLAUSIBLE_WINDOW_US = 30 * 60 * 1e6;
