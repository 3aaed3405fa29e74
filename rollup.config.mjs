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

// Browser and mini-program code is compiled for ES2020 (older mini-program engines lack native
// `#private` fields); the Node-only server for ES2022, where native private fields avoid the
// WeakMap helpers that cost the server ~10% CPU and made handshakes slower than `ws`.
const ts = (target = 'ES2020') =>
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
    plugins: [ts('ES2022')],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/server-[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/server-[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: { cli: 'src/server/cli.ts' },
    external,
    plugins: [ts('ES2022')],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/cli-[name]-[hash].js', sourcemap: true, banner: '#!/usr/bin/env node' },
  },
  {
    input: 'src/umd.ts',
    plugins: [ts()],
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
