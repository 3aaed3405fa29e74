// @vitest-environment node
// scripts/build.mjs decides whether `npm test` / `npm start` must rebuild dist/: checked on a
// scratch directory laid out like the project, with file times set by hand.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { INPUTS, OUTPUTS, staleness } from '../../scripts/build.mjs';

const outputs = OUTPUTS as string[];
const inputs = INPUTS as string[];
const stale = staleness as (root: string) => string | undefined;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function touch(root: string, file: string, at: Date): void {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x');
  utimesSync(path, at, at);
}

/** A project whose sources date from T0 and whose dist/ was built 10 s later. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'holdfast-build-'));
  dirs.push(root);
  touch(root, 'src/core/socket.ts', T0);
  utimesSync(join(root, 'src/core'), T0, T0);
  utimesSync(join(root, 'src'), T0, T0);
  for (const file of inputs.filter((input) => input !== 'src')) touch(root, file, T0);
  for (const file of outputs) touch(root, file, later(10));
  return root;
}

describe('scripts/build.mjs staleness', () => {
  it('is fresh when every output is newer than every input', () => {
    expect(stale(project())).toBeUndefined();
  });

  it('lists the entries, their types, the CLI and the UMD as outputs', () => {
    expect(outputs).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.cts', 'dist/server.cjs', 'dist/miniprogram.d.ts', 'dist/cli.js', 'dist/holdfast.umd.min.js']));
  });

  it('is stale when an output is missing', () => {
    const root = project();
    rmSync(join(root, 'dist/holdfast.umd.min.js'));
    expect(stale(root)).toBe('dist/holdfast.umd.min.js is missing');
  });

  it('is stale when a source file deep in src/ is newer than the oldest output', () => {
    const root = project();
    utimesSync(join(root, 'dist/server.js'), later(5), later(5));
    touch(root, 'src/core/socket.ts', later(6));
    utimesSync(join(root, 'src/core'), T0, T0);
    utimesSync(join(root, 'src'), T0, T0);
    expect(stale(root)).toBe('src changed since the last build');
  });

  it('is stale when a source file was deleted (its directory changed)', () => {
    const root = project();
    utimesSync(join(root, 'src/core'), later(20), later(20));
    expect(stale(root)).toBe('src changed since the last build');
  });

  it.each(['rollup.config.mjs', 'package.json', 'tsconfig.json'])('is stale when %s changed', (file) => {
    const root = project();
    touch(root, file, later(11));
    expect(stale(root)).toBe(`${file} changed since the last build`);
  });
});
