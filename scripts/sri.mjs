// npm run sri: prints the Subresource Integrity value of the built script-tag file, for a
// `<script integrity="…">` that pins it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'holdfast.umd.min.js');
const digest = createHash('sha384').update(readFileSync(file)).digest('base64');
console.log(`sha384-${digest}`);
