// Type-checks the TypeScript projects at the same time (one `tsc --noEmit` process each, so a
// machine with two cores checks two at once), prints each one's output in order, and exits
// non-zero if any failed.
//   node scripts/typecheck.mjs           the library (tsconfig.json), the browser entries without
//                                        Node types (tsconfig.client.json) and the tests (test/tsconfig.json)
//   node scripts/typecheck.mjs --no-tests   the first two: `npm test` leaves the tests to
//                                        `vitest run`, whose typecheck runs tsc on test/tsconfig.json
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = ['tsconfig.json', 'tsconfig.client.json'];
if (!process.argv.includes('--no-tests')) projects.push('test/tsconfig.json');

/** Runs tsc on one project; resolves with its exit status and everything it printed. */
function check(project) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project, '--noEmit', ...(process.stdout.isTTY ? ['--pretty'] : [])], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ status: 1, output: `${output}${error.message}\n` }));
    child.on('close', (status) => resolve({ status: status ?? 1, output }));
  });
}

const results = await Promise.all(projects.map(check));
let failed = false;
results.forEach(({ status, output }, i) => {
  process.stdout.write(output);
  if (status !== 0) {
    failed = true;
    console.error(`typecheck: tsc -p ${projects[i]} failed`);
  }
});
if (!failed) console.log(`typecheck: ${projects.join(', ')}: no errors`);
process.exit(failed ? 1 : 0);
