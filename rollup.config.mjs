// Builds every entry of package.json `exports`: ESM + CJS (+ source maps), bundled .d.ts/.d.cts,
// the CLI (with its shebang) and the minified UMD script-tag build (global `Holdfast`).
//
// TypeScript is only transpiled here (esbuild, file by file; the sources are written for
// `isolatedModules`). Type errors are `npm run typecheck`'s job, declarations rollup-plugin-dts's.
import esbuild from 'rollup-plugin-esbuild';
import { transform } from 'esbuild';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { builtinModules } from 'node:module';
import { rmSync } from 'node:fs';

// One input map for all ES module and CommonJS entries, so a module that several entries use
// (the error classes, the wire helpers, the server for the CLI) is emitted once, as a shared
// chunk: `instanceof ClosedError` holds whichever entry the error and the class came from.
const entries = {
  index: 'src/index.ts',
  miniprogram: 'src/miniprogram/index.ts',
  server: 'src/server/index.ts',
  cli: 'src/server/cli.ts',
};
const { cli: _cli, ...libraryEntries } = entries;

// Node built-ins stay external (only server code may use them; a test checks the browser entries).
const external = (id) => id.startsWith('node:') || builtinModules.includes(id);

// The ES module and CommonJS builds target ES2022: native `#private` fields and class fields
// instead of WeakMap/defineProperty helpers. Bundlers (and mini-program build tools) transpile
// further when an app targets older engines. The script-tag build, which nobody transpiles,
// targets ES2020 (engines without native private fields, e.g. iOS Safari before 14.5): its
// modules are transpiled like the others, then the whole file is lowered once (`lowerChunk`).
// Class-field semantics follow TypeScript's default for the shipped target: define for ES2022,
// assignment in the constructor for ES2020 (no defineProperty helper per field).
const transpile = ({ defineClassFields }) =>
  esbuild({
    include: /\.ts$/,
    target: 'es2022',
    sourceMap: true,
    tsconfig: false,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: defineClassFields } },
  });

// Lowers a whole rendered chunk (the UMD, wrapper included) to `target`, so esbuild's helpers
// (e.g. for `#private`) are emitted once per file instead of once per module. The function around
// it keeps those helpers out of a script tag's global scope (`.call(this)`: same `this` as before).
const lowerChunk = (target) => ({
  name: 'lower-chunk',
  async renderChunk(code) {
    const result = await transform(code, { loader: 'js', target, sourcemap: true, banner: '(function () {', footer: '}).call(this);' });
    return { code: result.code, map: result.map };
  },
});

// The CLI is an ES module only (package.json has `"type": "module"`); drop its CommonJS twin.
const withoutCjsCli = {
  name: 'without-cjs-cli',
  generateBundle(_options, bundle) {
    delete bundle['cli.cjs'];
    delete bundle['cli.cjs.map'];
  },
};

// Chunk names carry a content hash: start from an empty dist/ so no stale chunk is published.
// (Not in watch mode, where a rebuild of this config would delete the other configs' output.)
const cleanDist = {
  name: 'clean-dist',
  buildStart() {
    if (!this.meta.watchMode) rmSync('dist', { recursive: true, force: true });
  },
};

export default [
  {
    input: entries,
    external,
    plugins: [cleanDist, transpile({ defineClassFields: true })],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        sourcemap: true,
        banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        sourcemap: true,
        exports: 'named',
        plugins: [withoutCjsCli],
      },
    ],
  },
  {
    input: 'src/umd.ts',
    plugins: [transpile({ defineClassFields: false })],
    output: {
      file: 'dist/holdfast.umd.min.js',
      format: 'umd',
      name: 'Holdfast',
      sourcemap: true,
      plugins: [lowerChunk('es2020'), terser({ format: { comments: false }, compress: { passes: 2 } })],
    },
  },
  {
    input: libraryEntries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: 'chunks/[name]-[hash].d.cts' },
    ],
  },
];
