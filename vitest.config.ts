import { defineConfig } from 'vitest/config';

// Client and mini-program unit tests run in jsdom (a browser-like global scope); the server,
// end-to-end and tooling tests run in Node. Every loop in a test is bounded, and every test
// cleans up its own servers, sockets and timers.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './test/tsconfig.json',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'client',
          environment: 'jsdom',
          include: ['test/{core,features,codecs,binary,protocol,miniprogram,websocket}/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/server/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/build/**/*.test.ts', 'test/types/**/*.test-d.ts'],
        },
      },
    ],
  },
});
