/**
 * What the class indices of each classifier mean (the order of the models'
 * outputs and of the labels files), so reports name classes instead of
 * numbers. Checked against the datasets' file names in test/bench.
 */
const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

export const CLASS_NAMES: Readonly<Record<string, readonly string[]>> = {
  kws01: ['down', 'go', 'left', 'no', 'off', 'on', 'right', 'stop', 'up', 'yes', 'silence', 'unknown'],
  vww01: ['no person', 'person'],
  ic01: CIFAR10,
  ic02: CIFAR10,
  ad01: ['normal', 'anomaly'],
};

export function className(benchmark: string, index: number): string {
  return CLASS_NAMES[benchmark]?.[index] ?? String(index);
}
