// Mutation testing: `npm run test:mutation` mutates the client core and its features and runs
// the client unit tests (vitest.mutation.config.ts) against every mutant. A mutant that survives
// is a rule no test guards. Narrow it to the files you touch:
//   npm run test:mutation -- -m src/core/backoff.ts
//   npm run test:mutation -- -m 'src/core/socket.ts:100-200'     (a line range)
// Incremental: results of unchanged code and tests are reused from reports/stryker-incremental.json.
// Stryker only sees changes to src files and test files, not to helpers or configs: after
// changing test/helpers, pass `--force` for a full run.
// Reports: reports/mutation/mutation.html (and .json); both folders are git-ignored.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['src/core/*.ts', 'src/features/**/*.ts'],
  // Only the tests that cover a mutant run against it.
  coverageAnalysis: 'perTest',
  // Two cores, shared: one test runner per core.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // A mutant that makes a loop endless counts as killed (timeout) after 2 x its tests' time +
  // 10 s; with less, a loaded machine passes mere slow runs off as timeouts.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', 'reports', 'test-results', '.scratch'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false },
  thresholds: { high: 90, low: 75, break: null },
};
