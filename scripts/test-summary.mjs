// Prints vitest's JSON report as one plain closing line: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';

const path = process.argv[2];
try {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
} catch (error) {
  console.log(`tests: no report at ${path} (${error.message})`);
  process.exitCode = 1;
}
