import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CLASS_NAMES } from '../../host/bench/class-names.js';
import { dataDir } from '../helpers.js';

/** The datasets' own file names carry the class (kws01: tst_000003_Up_8.bin; ic01: lippizaner_s_000613.bin is a horse). */
function rows(benchmark: string): Array<[string, number]> {
  return readFileSync(join(dataDir(), 'datasets', benchmark, 'y_labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [file, , label] = l.split(',');
      return [file!, Number(label)];
    });
}

describe('class names follow the labels files', () => {
  it('kws01: the word in every file name is the class named for its label', () => {
    for (const [file, label] of rows('kws01')) expect(file.split('_')[2]!.toLowerCase()).toBe(CLASS_NAMES.kws01![label]);
  });
  it('ic01: CIFAR-10 order (checked on file names of known classes)', () => {
    const known: Record<string, string> = { lippizaner: 'horse', toy_spaniel: 'dog', felis_domesticus: 'cat', tabby_cat: 'cat' };
    let seen = 0;
    for (const [file, label] of rows('ic01')) {
      const stem = file.replace(/_s_\d+\.bin$/, '');
      if (known[stem]) {
        expect(CLASS_NAMES.ic01![label]).toBe(known[stem]);
        ++seen;
      }
    }
    expect(seen).toBeGreaterThan(2);
  });
});
