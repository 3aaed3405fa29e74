// Checks the built package the way its users meet it: the exports map resolves for import and
// require, every entry has types, the browser entries pull in no Node built-in, the UMD build
// defines the global `Holdfast` with the same `connect` as the ESM build, and importing only
// `connect` tree-shakes the optional helpers away. Runs after `npm run build` (npm test does it).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } } | string>;
  dependencies?: Record<string, string>;
  sideEffects: boolean;
  bin: Record<string, string>;
  files: string[];
  license: string;
};
const require = createRequire(import.meta.url);
const entries = ['.', './server', './miniprogram'] as const;

function target(entry: (typeof entries)[number]) {
  const value = pkg.exports[entry];
  if (typeof value === 'string') throw new Error(`${entry} has no conditions`);
  return value;
}

describe('package.json', () => {
  it('has no runtime dependencies and is side-effect free', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.sideEffects).toBe(false);
  });

  it.each(entries)('entry %s exists as ESM, CJS and types for both', (entry) => {
    const { import: esm, require: cjs } = target(entry);
    for (const file of [esm.default, esm.types, cjs.default, cjs.types]) {
      expect(existsSync(join(root, file)), `${file} is missing`).toBe(true);
    }
    expect(existsSync(join(root, `${esm.default}.map`))).toBe(true);
  });

  it.each(entries)('entry %s loads with import() and require() and exports the same names', async (entry) => {
    const { import: esm, require: cjs } = target(entry);
    const viaImport = (await import(pathToFileURL(join(root, esm.default)).href)) as Record<string, unknown>;
    const viaRequire = require(join(root, cjs.default)) as Record<string, unknown>;
    expect(Object.keys(viaImport).sort()).toEqual(Object.keys(viaRequire).sort());
    expect(Object.keys(viaImport).length).toBeGreaterThan(0);
  });

  it('exports only the three entries (and package.json): the script-tag build is a file, not an entry', () => {
    // A `holdfast/umd` entry would be a second copy of the client (its classes not the ones of
    // `holdfast`), without types, and an ES module to Node because the package is "type": "module".
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './miniprogram', './package.json', './server']);
  });

  it.each(['./server', './miniprogram'] as const)('entry %s resolves without `exports` too (moduleResolution "node", older tools)', (entry) => {
    // A folder with a package.json stands in for the subpath where `exports` is not read.
    const folder = entry.slice(2);
    const stub = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { main: string; module: string; types: string };
    const inFolder = (file: string) => join(root, folder, file);
    expect(inFolder(stub.main)).toBe(join(root, target(entry).require.default));
    expect(inFolder(stub.module)).toBe(join(root, target(entry).import.default));
    expect(inFolder(stub.types)).toBe(join(root, target(entry).import.types));
    expect(pkg.files).toContain(`${folder}/package.json`);
    expect(require(join(root, folder))).toBe(require(join(root, target(entry).require.default)));
  });

  it('ships the LICENSE its license field names', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 holdfast contributors\n/);
    expect(pkg.files).toContain('LICENSE');
  });

  it('the bin points at the built CLI with a shebang', () => {
    const cli = join(root, pkg.bin['holdfast-server']!);
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});

describe('browser entries', () => {
  // Follows relative imports from an entry file through the built chunks.
  function reachableSources(file: string, seen = new Set<string>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const out = [source];
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      out.push(...reachableSources(join(dirname(file), match[1]!), seen));
    }
    return out;
  }

  it.each(['.', './miniprogram'] as const)('%s imports no Node built-in, directly or through chunks', (entry) => {
    const sources = reachableSources(join(root, target(entry).import.default)).join('\n');
    expect(sources).not.toMatch(/from\s*['"]node:/);
    expect(sources).not.toMatch(/require\(['"]node:/);
    expect(sources).not.toMatch(/\b(?:from|import)\s*['"](?:fs|net|http|https|crypto|events|stream|buffer|zlib|path)['"]/);
  });

  it('the UMD build defines global Holdfast whose connect matches the ESM export', async () => {
    const code = readFileSync(join(root, 'dist', 'holdfast.umd.min.js'), 'utf8');
    const sandbox: Record<string, unknown> = {};
    sandbox.globalThis = sandbox;
    sandbox.self = sandbox;
    runInNewContext(code, sandbox);
    const global = sandbox.Holdfast as Record<string, unknown> | undefined;
    expect(global).toBeDefined();
    expect(typeof global!.connect).toBe('function');
    const esm = (await import(pathToFileURL(join(root, 'dist', 'index.js')).href)) as Record<string, unknown>;
    expect(Object.keys(global!).sort()).toEqual(Object.keys(esm).sort());
    expect(String(global!.connect).length).toBeGreaterThan(0);
    // The sandbox has no EventTarget, as a mini-program has none: loading still works, and the
    // drop-in WebSocket says what it needs only when it is constructed.
    const Drop = global!.HoldfastWebSocket as new (url: string) => unknown;
    expect(typeof Drop).toBe('function');
    expect(() => new Drop('ws://127.0.0.1:1/')).toThrow(/needs EventTarget/);
  });
});
