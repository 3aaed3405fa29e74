import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The tests `npm run test:mutation:server` runs against each mutant of the server's
// protocol-critical files: the server's unit tests (the session half's over fake peers, and the
// app's that drive it), in Node, without real sockets (those run in
// `npm test`; here they would make every mutant cost seconds), and without the frame fuzz test:
// it is random and covers every line of the parser, so it would run, slowly, against every
// parser mutant; the deterministic tests are the ones that must kill them. `isolate: false`:
// the modules are set up once per worker.
export default defineConfig({
  test: {
    environment: 'node',
    include: [
      'test/server/frame-parser.test.ts',
      'test/server/frame-writer.test.ts',
      'test/server/fragment-buffer.test.ts',
      'test/server/handshake.test.ts',
      'test/server/validation.test.ts',
      'test/server/session.test.ts',
      'test/server/protocol-app.test.ts',
      'test/server/emitter.test.ts',
    ],
    isolate: false,
    testTimeout: base.test?.testTimeout,
    hookTimeout: base.test?.hookTimeout,
  },
});
