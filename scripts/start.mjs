// `npm start`: builds dist/ when it is stale (scripts/build.mjs), then runs the reference server
// (with its demo page) on 127.0.0.1:8080. Extra arguments are passed on: `npm start -- --port 0`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');

const status = buildIfStale();
if (status !== 0) process.exit(status);

const args = process.argv.slice(2);
const defaults = [];
if (!args.includes('--port')) defaults.push('--port', '8080');
if (!args.includes('--host')) defaults.push('--host', '127.0.0.1');
const child = spawn(process.execPath, [built, ...defaults, ...args], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
