// Mutation testing of the server's protocol-critical files: `npm run test:mutation:server`
// mutates the frame parser, the handshake checks, the close-code / UTF-8 validation and the
// session half (session table, dedup, replay, acks) and the event emitter (listener throws), and runs
// the server unit tests (vitest.mutation.server.config.ts) against every mutant. Same settings as
// stryker.config.mjs otherwise (see there). Narrow it like that one:
//   npm run test:mutation:server -- -m src/server/handshake.ts
// Equivalent mutants (no test can tell them from the original) are disabled in the source with
// `// Stryker disable next-line <mutator>: <reason>`, so each carries its reason where it is.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutation.server.config.ts' },
  mutate: ['src/server/frame-parser.ts', 'src/server/handshake.ts', 'src/server/validation.ts', 'src/server/session.ts', 'src/server/emitter.ts'],
  incrementalFile: 'reports/stryker-server-incremental.json',
  htmlReporter: { fileName: 'reports/mutation-server/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-server/mutation.json' },
};
