// `npm start`: builds dist/ when it is missing or older than src/, then runs the reference server
// with the demo and its fault controls (`--demo`) on 127.0.0.1:8080. Extra arguments are passed
// on: `npm start -- --port 0`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const stale = !existsSync(built) || !existsSync(join(root, 'dist', 'holdfast.umd.min.js')) || statSync(built).mtimeMs < newest(join(root, 'src'));
if (stale) {
  console.log('building dist/ …');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const args = process.argv.slice(2);
const defaults = [];
if (!args.includes('--port')) defaults.push('--port', '8080');
if (!args.includes('--host')) defaults.push('--host', '127.0.0.1');
if (!args.includes('--demo')) defaults.push('--demo');
const child = spawn(process.execPath, [built, ...defaults, ...args], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
