// Per-module bytes of one `npm run size` app, bundled from src/ (not dist/) with esbuild's
// metafile: `node scripts/size-modules.mjs ['core: connect']` prints each input's minified bytes
// in the bundle, then the bundle's min and gzip -9 totals. For finding what a bundle pays for.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { appBuild, apps } from './size.mjs';

const row = process.argv[2] ?? 'core: connect';
if (!(row in apps)) {
  console.error(`no such app: ${row} (one of: ${Object.keys(apps).join(', ')})`);
  process.exit(1);
}
const code = apps[row].replace(/'holdfast(\/\w+)?'/g, (_, sub) => `'./src/${sub ? sub.slice(1) : 'index'}.ts'`);
const result = await build({ ...appBuild(code), metafile: true });
const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
for (const [file, { bytesInOutput }] of inputs) if (bytesInOutput > 0) console.log(String(bytesInOutput).padStart(7), file);
const bytes = result.outputFiles[0].contents;
console.log(`${String(bytes.length).padStart(7)} min total, ${gzipSync(bytes, { level: 9 }).length} gzip`);
