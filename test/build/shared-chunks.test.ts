// Checks that the entries share their common modules as chunks instead of each carrying a copy:
// an error class is one class whichever entry it is imported from (so `instanceof` holds when a
// client error meets server code, or the reverse), it is defined in one built file, and the CLI
// is a thin file on top of dist/server.js. Runs after `npm run build` (npm test does it).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

type ErrorClasses = { ClosedError: new (...args: never[]) => Error; HoldfastError: new (...args: never[]) => Error };
const load = async (file: string) => (await import(pathToFileURL(join(dist, file)).href)) as ErrorClasses;

function builtFiles(extension: '.js' | '.cjs', dir = dist): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return builtFiles(extension, path);
    return entry.name.endsWith(extension) && !entry.name.endsWith('.min.js') ? [path] : [];
  });
}

// A class declaration or expression with a name: `class Foo {` or `class Foo extends Bar {`.
const classDefinition = (name = '[A-Za-z_$][\\w$]*') => new RegExp(`\\bclass\\s+${name}\\s*(?:extends\\b|\\{)`, 'g');

describe('shared chunks', () => {
  it.each(['ClosedError', 'HoldfastError'] as const)('%s is the same class in dist/index.js and dist/server.js', async (name) => {
    const client = await load('index.js');
    const server = await load('server.js');
    expect(typeof client[name]).toBe('function');
    expect(server[name]).toBe(client[name]);
    const Class = server[name] as new () => Error;
    expect(new Class()).toBeInstanceOf(client[name]);
  });

  it.each(['ClosedError', 'HoldfastError'] as const)('%s is the same class in dist/index.cjs and dist/server.cjs', (name) => {
    const client = require(join(dist, 'index.cjs')) as ErrorClasses;
    const server = require(join(dist, 'server.cjs')) as ErrorClasses;
    expect(typeof client[name]).toBe('function');
    expect(server[name]).toBe(client[name]);
  });

  it.each(['.js', '.cjs'] as const)('each error class is defined in exactly one %s file', (extension) => {
    for (const name of ['HoldfastError', 'ClosedError', 'TimeoutError', 'RemoteError']) {
      const definedIn = builtFiles(extension).filter((file) => classDefinition(name).test(readFileSync(file, 'utf8')));
      expect(definedIn.map((file) => relative(root, file)), name).toHaveLength(1);
    }
  });

  it('dist/cli.js defines no class of its own and runs the server from dist/server.js', () => {
    const cli = readFileSync(join(dist, 'cli.js'), 'utf8');
    expect(cli.match(classDefinition()) ?? []).toEqual([]);
    expect(cli).toMatch(/from\s*['"]\.\/server\.js['"]/);
  });

  it('the built server finds and serves dist/holdfast.umd.min.js (its HTTP code stays out of dist/chunks/)', async () => {
    type Listening = { listen(port: number, host: string): Promise<{ httpUrl: string }>; close(): Promise<void> };
    const { createServer } = (await import(pathToFileURL(join(dist, 'server.js')).href)) as { createServer(options: object): Listening };
    const server = createServer({ pingInterval: 0 });
    try {
      const { httpUrl } = await server.listen(0, '127.0.0.1');
      const response = await fetch(`${httpUrl}/holdfast.umd.min.js`);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(join(dist, 'holdfast.umd.min.js')))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('only dist/cli.js starts with a shebang, and the CLI has no CommonJS twin', () => {
    const withShebang = [...builtFiles('.js'), ...builtFiles('.cjs')].filter((file) => readFileSync(file, 'utf8').startsWith('#!'));
    expect(withShebang.map((file) => relative(dist, file))).toEqual(['cli.js']);
    expect(builtFiles('.cjs').map((file) => relative(dist, file))).not.toContain('cli.cjs');
  });
});
