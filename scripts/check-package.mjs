// Checks the package as it would be published: packs it (`npm pack`, into a temporary folder),
// then lints the tarball with publint (strict: a warning or a suggestion fails too) and with
// Are the Types Wrong (every entry under node10, node16 from CJS and from ESM, and bundler).
// Prints both reports; exits non-zero if either finds anything. Run after `npm run build`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('check:package: dist/ is missing, run `npm run build` first');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'holdfast-pack-'));
let failed = false;
try {
  // --ignore-scripts: the tarball of what is built now; --json: the file name without parsing logs.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  const tarball = join(dir, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${packed[0].entryCount} files, ${packed[0].size} bytes`);

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const data = readFileSync(tarball);
  const { messages } = await publint({
    pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  if (messages.length === 0) console.log('publint: no errors, warnings or suggestions');
  for (const message of messages) console.log(`publint ${message.type}: ${formatMessage(message, pkg)}`);
  if (messages.length > 0) failed = true;

  // --no-definitely-typed: judge the package's own types, offline (no @types look-up).
  const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const result = spawnSync(process.execPath, [attw, tarball, '--no-definitely-typed', '--profile', 'strict', '--format', 'table-flipped', '--no-color'], {
    encoding: 'utf8',
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.status !== 0) failed = true;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.error('check:package: the packed package has problems (see above)');
  process.exit(1);
}
