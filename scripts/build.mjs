// Builds dist/ only when it is stale: `npm test`, `npm start`, the browser suite and the benchmarks
// call this, so a second run does not pay for a build it already has. `npm run build` (rollup -c)
// always rebuilds; `node scripts/build.mjs --force` does too.
//
// dist/ is stale when one of its entry files is missing, or when anything rollup reads (src/, the
// rollup config, package.json, tsconfig.json) is newer than the oldest of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file the build writes that something runs or imports (the entries, their types, the UMD). */
export const OUTPUTS = ['index', 'miniprogram', 'server']
  .flatMap((name) => [`${name}.js`, `${name}.cjs`, `${name}.d.ts`, `${name}.d.cts`])
  .concat('cli.js', 'holdfast.umd.min.js')
  .map((file) => join('dist', file));
/** What the build reads. */
export const INPUTS = ['src', 'rollup.config.mjs', 'package.json', 'tsconfig.json'];

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Why dist/ must be rebuilt, or undefined when it is fresh. */
export function staleness(root = projectRoot) {
  const missing = OUTPUTS.find((file) => !existsSync(join(root, file)));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...OUTPUTS.map((file) => statSync(join(root, file)).mtimeMs));
  const changed = INPUTS.find((input) => existsSync(join(root, input)) && newest(join(root, input)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/** Builds when stale (or forced); returns the exit status (0 when nothing had to be done). */
export function buildIfStale({ force = false, log = console.log } = {}) {
  const why = force ? 'forced' : staleness();
  if (!why) return 0;
  log(`building dist/ (${why}) …`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return spawnSync(npm, ['run', 'build', '--silent'], { cwd: projectRoot, stdio: 'inherit' }).status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const status = buildIfStale({ force: process.argv.includes('--force') });
  if (status === 0 && !process.argv.includes('--force')) {
    // Say so, so that a run that skipped the build is not mistaken for one that built.
    if (!staleness()) console.log('dist/ is fresh');
  }
  process.exit(status);
}
