// Dependency direction between the source folders, checked on every import and re-export of
// every .ts file under src/. The core never imports a feature, a codec, an adapter or the server;
// the server shares protocol/ with the client and imports nothing else of it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Top-level folders of src/ and the folders each may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  binary: ['protocol'],
  codecs: ['protocol', 'binary'],
  core: ['protocol', 'binary'],
  features: ['core', 'codecs', 'binary', 'protocol'],
  miniprogram: ['core', 'binary', 'protocol'],
  websocket: ['core', 'binary', 'protocol'],
  server: ['protocol'],
};

/**
 * Folders below src/features/ and the top-level folders each may import from. Features never
 * import each other (they meet only on the socket), so that each one can be left out of a bundle.
 */
const FEATURES: Record<string, readonly string[]> = {
  rpc: ['core', 'codecs', 'binary', 'protocol'],
  stats: ['core', 'binary'],
  // shared() relays frames without decoding them with a codec: core types and byte helpers only.
  shared: ['core', 'binary', 'protocol'],
  // session() never looks inside a message either: it counts frames.
  session: ['core', 'binary', 'protocol'],
  drain: ['core'],
  limit: ['core', 'protocol'],
  'retry-after': ['core'],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of the .ts files under src/<folder>/, as the top-level folder it reaches. */
function importsOf(folder: string): Array<{ file: string; specifier: string; reaches: string }> {
  return filesUnder(join(src, folder)).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)].map((match) => {
      const specifier = match[1] as string;
      const target = relative(src, resolve(dirname(file), specifier));
      return { file: relative(src, file), specifier, reaches: target.split(/[\\/]/)[0] as string };
    });
  });
}

describe('source layering', () => {
  it('knows every folder of src/ (a new folder needs a rule here)', () => {
    const folders = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory());
    expect(folders.sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('finds the imports it checks (the scan is not vacuous)', () => {
    expect(importsOf('miniprogram').some(({ reaches }) => reaches === 'core')).toBe(true);
    expect(importsOf('server').some(({ reaches }) => reaches === 'protocol')).toBe(true);
    expect(importsOf('features').some(({ reaches }) => reaches === 'core')).toBe(true);
  });

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      const wrong = importsOf(folder).filter(({ reaches }) => reaches !== folder && !allowed.includes(reaches));
      expect(wrong).toEqual([]);
    });
  }

  it('knows every feature folder (a new feature needs a rule here)', () => {
    const folders = readdirSync(join(src, 'features')).filter((name) => statSync(join(src, 'features', name)).isDirectory());
    expect(folders.sort()).toEqual(Object.keys(FEATURES).sort());
  });

  for (const [feature, allowed] of Object.entries(FEATURES)) {
    it(`features/${feature}/ imports only ${allowed.join(', ')} (never another feature)`, () => {
      const folder = join('features', feature);
      const wrong = importsOf(folder).filter(({ file, specifier }) => {
        const target = relative(src, resolve(dirname(join(src, file)), specifier)).split(/[\\/]/);
        return target[0] === 'features' ? target[1] !== feature : !allowed.includes(target[0] as string);
      });
      expect(wrong).toEqual([]);
    });
  }

  it('the browser entries never import the server', () => {
    for (const entry of ['index.ts', 'umd.ts']) {
      expect(readFileSync(join(src, entry), 'utf8')).not.toMatch(/from\s+['"]\.\/server\//);
    }
  });
});
