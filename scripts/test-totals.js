// Adds up jest's JSON results from several runs into one closing line.
import { readFileSync } from "node:fs";
import process from "node:process";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  const result = JSON.parse(readFileSync(file, "utf8"));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
}

process.stdout.write(
  `${passed} passed, ${failed} failed, ${skipped} skipped\n`,
);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
