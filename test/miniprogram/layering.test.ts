// @vitest-environment node
// Dependency direction between the source folders: the mini-program adapters may use client/,
// never the reverse, and protocol/ (shared with the Node server) depends on neither.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const srcDir = new URL('../../src/', import.meta.url);

/** Every module specifier imported or re-exported by the .ts files of one src/ folder. */
function importsOf(folder: string): Array<{ file: string; specifier: string }> {
  const dir = new URL(`${folder}/`, srcDir);
  const found: Array<{ file: string; specifier: string }> = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)) {
      found.push({ file: `${folder}/${file}`, specifier: match[1] as string });
    }
  }
  return found;
}

describe('source layering', () => {
  it('finds the imports it checks (the scan is not vacuous)', () => {
    expect(importsOf('miniprogram').some(({ specifier }) => specifier.startsWith('../client/'))).toBe(true);
    expect(importsOf('protocol').some(({ specifier }) => specifier === './wire.js')).toBe(true);
  });

  it('protocol/ imports nothing from client/, miniprogram/ or server/', () => {
    const outward = importsOf('protocol').filter(({ specifier }) => specifier.startsWith('../'));
    expect(outward).toEqual([]);
  });

  it('client/ imports nothing from miniprogram/ or server/', () => {
    const wrong = importsOf('client').filter(({ specifier }) => /^\.\.\/(miniprogram|server)\//.test(specifier));
    expect(wrong).toEqual([]);
  });

  it('miniprogram/ imports only client/ and protocol/ outside its own folder', () => {
    const wrong = importsOf('miniprogram').filter(({ specifier }) => specifier.startsWith('../') && !/^\.\.\/(client|protocol)\//.test(specifier));
    expect(wrong).toEqual([]);
  });
});
