// Builds every entry of package.json `exports`: ESM + CJS (+ source maps), bundled .d.ts/.d.cts,
// the CLI (with its shebang) and the minified UMD script-tag build (global `Holdfast`).
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { builtinModules } from 'node:module';

const clientEntries = {
  index: 'src/index.ts',
  miniprogram: 'src/miniprogram/index.ts',
};
const entries = { ...clientEntries, server: 'src/server/index.ts' };

// Node built-ins stay external (only the server entry may use them; a test checks the others).
const external = (id) => id.startsWith('node:') || builtinModules.includes(id);

// The ES module and CommonJS builds (client, mini-program, server) target ES2022: native
// `#private` fields instead of WeakMap helpers, which cost ~1 kB gzip in the client and ~10% CPU
// on hot paths. Bundlers (and mini-program build tools) transpile further when an app targets
// older engines. The script-tag build, which nobody transpiles, targets ES2020 (engines without
// native private fields, e.g. iOS Safari before 14.5).
const ts = (target = 'ES2022') =>
  typescript({
    tsconfig: './tsconfig.json',
    compilerOptions: { target, declaration: false, sourceMap: true, outDir: undefined, noEmit: false },
    include: ['src/**/*.ts'],
  });

export default [
  {
    input: clientEntries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: { server: 'src/server/index.ts' },
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/server-[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/server-[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: { cli: 'src/server/cli.ts' },
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js', sourcemap: true, banner: '#!/usr/bin/env node' },
  },
  {
    input: 'src/umd.ts',
    plugins: [ts('ES2020')],
    output: {
      file: 'dist/holdfast.umd.min.js',
      format: 'umd',
      name: 'Holdfast',
      sourcemap: true,
      plugins: [terser({ format: { comments: false }, compress: { passes: 2 } })],
    },
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: 'chunks/[name]-[hash].d.cts' },
    ],
  },
];
