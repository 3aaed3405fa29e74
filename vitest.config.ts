import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Client and mini-program unit tests run in Node's global scope (it has Blob, EventTarget,
// MessageEvent, DOMException, AbortSignal); a file that needs a DOM (window, document, navigator,
// location, FileReader, CloseEvent) says so on its first line with `// @vitest-environment jsdom`.
// Setting up jsdom costs about a second of CPU per file, so only those files pay for it.
// The server, end-to-end and tooling tests run in Node too.
// Files share their workers (isolate: false: a worker imports a module once, not once per file),
// so every file restores what it changes: real timers, stubbed globals, spies. Every loop in a test
// is bounded, and every test cleans up its own servers, sockets and timers.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    isolate: false,
    // Vitest's default is one worker less than the cores: one worker on a 2-core machine, where
    // the end-to-end files, which mostly wait on sockets and timers, leave a core idle.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        extends: true,
        test: {
          name: 'client',
          environment: 'node',
          include: ['test/{core,features,codecs,binary,protocol,miniprogram,websocket}/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/server/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/build/**/*.test.ts', 'test/types/**/*.test-d.ts'],
          // The type tests, and every other file of test/tsconfig.json (src/ and test/), are
          // type-checked once, here (tsc -p test/tsconfig.json --noEmit): a type error anywhere
          // in that program fails the run.
          typecheck: {
            enabled: true,
            include: ['test/types/**/*.test-d.ts'],
            tsconfig: './test/tsconfig.json',
          },
        },
      },
    ],
  },
});
