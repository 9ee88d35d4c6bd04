/**
 * Jest runs the compiled tests in build/ as native ES modules, so what is
 * tested is exactly what `tsc` emitted and what the relay runs.
 * @type {import('jest').Config}
 */
export default {
  rootDir: "build",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.js"],
  testEnvironment: "node",
  transform: {},
  testTimeout: 60_000,
  maxWorkers: 2,
};
