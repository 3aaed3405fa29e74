// Size budget: bundles each public import the way an app's bundler would (tree-shaken, minified
// with terser), gzips it at level 9, prints a table, and fails if any budget in package.json
// `sizeBudget` (bytes, gzipped) is exceeded. Run after `npm run build`.
import { rollup } from 'rollup';
import terser from '@rollup/plugin-terser';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const budgets = pkg.sizeBudget ?? {};

/** Bundles `code` (an ES module importing from dist/) and returns minified bytes. */
export async function bundleSize(code) {
  const virtualId = '\0size-entry';
  const bundle = await rollup({
    input: virtualId,
    external: (id) => id.startsWith('node:'),
    plugins: [
      {
        name: 'virtual-entry',
        resolveId: (id) => (id === virtualId ? id : id.startsWith('holdfast') ? join(root, 'dist', id === 'holdfast' ? 'index.js' : `${id.slice(9)}.js`) : null),
        load: (id) => (id === virtualId ? code : null),
      },
    ],
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'es', plugins: [terser({ compress: { passes: 2 }, format: { comments: false } })] });
  await bundle.close();
  const text = output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('');
  return { text, min: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length };
}

export const imports = {
  'holdfast (connect only)': "export { connect } from 'holdfast';",
  'holdfast (everything)': "export * from 'holdfast';",
  'holdfast/miniprogram': "export * from 'holdfast/miniprogram';",
};

async function main() {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    console.error('dist/ is missing: run `npm run build` first');
    process.exit(1);
  }
  const rows = [];
  for (const [name, code] of Object.entries(imports)) {
    const { min, gzip } = await bundleSize(code);
    rows.push({ name, min, gzip });
  }
  const umd = readFileSync(join(root, 'dist', 'holdfast.umd.min.js'));
  rows.push({ name: 'dist/holdfast.umd.min.js', min: umd.length, gzip: gzipSync(umd, { level: 9 }).length });

  let failed = false;
  console.log('entry'.padEnd(30), 'min'.padStart(8), 'gzip'.padStart(8), 'budget'.padStart(8));
  for (const row of rows) {
    const budget = budgets[row.name];
    const over = budget !== undefined && row.gzip > budget;
    if (over) failed = true;
    console.log(row.name.padEnd(30), String(row.min).padStart(8), String(row.gzip).padStart(8), String(budget ?? '-').padStart(8), over ? 'OVER BUDGET' : '');
  }
  if (failed) {
    console.error('size budget exceeded');
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
