/**
 * How many files the official evaluation index of each benchmark lists
 * (MLPerf Tiny rules; ad01 also accepts the official 72-file short index).
 * An index of any other length is a subset: never a full result.
 */
export const OFFICIAL_INDEX_FILES: Readonly<Record<string, readonly number[]>> = {
  kws01: [1000],
  vww01: [1000],
  ic01: [200],
  ic02: [200],
  ad01: [248, 72],
};

/** Why an index of `files` rows is not a full result for `benchmark`, or undefined. */
export function indexSubsetReason(benchmark: string, files: number): string | undefined {
  const official = OFFICIAL_INDEX_FILES[benchmark];
  if (!official || official.includes(files)) return undefined;
  return `the index lists ${files} files; the official ${benchmark} index lists ${official.join(' (or ')}${official.length > 1 ? ')' : ''}`;
}
