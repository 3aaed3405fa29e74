import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `npm run test:mutation` runs against each mutant: the `client` project of
// vitest.config.ts (its environment and files), without the type tests. `isolate: false` sets up
// jsdom once per worker instead of once per file: that is what makes a run fit a small machine
// (the client project's files take about 4 s this way instead of about 50 s).
const client = base.test?.projects?.find(
  (p): p is { test: { name: string; environment: string; include: string[] } } =>
    typeof p === 'object' && p !== null && 'test' in p && (p.test as { name?: unknown } | undefined)?.name === 'client',
);
if (!client) throw new Error('vitest.config.ts has no `client` project');

export default defineConfig({
  test: {
    environment: client.test.environment,
    include: client.test.include,
    isolate: false,
    testTimeout: base.test?.testTimeout,
    hookTimeout: base.test?.hookTimeout,
  },
});
