// Proves the ESM build tree-shakes: an app that uses only `connect` does not carry the optional
// modules. Bundles with esbuild exactly like scripts/size.mjs (which also enforces the gzip
// budgets), using the same small apps.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { apps as sizeApps, bundleSize, MissingExportError as MissingExport } from '../../scripts/size.mjs';

type Bundle = { text: string; min: number; gzip: number };
const bundle = bundleSize as (code: string) => Promise<Bundle>;
const apps = sizeApps as Record<'core: connect' | 'core + rpc()' | 'core + shared()' | 'holdfast (everything)', string>;
const MissingExportError = MissingExport as new (...args: never[]) => Error;

// Code that only an optional module contains, as it appears in a minified bundle.
const leftOut: [what: string, marker: RegExp][] = [
  ['the base64 alphabet', /ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/],
  ['the JSON-RPC codec', /jsonrpc/],
  // The envelope's magic "HFB1" as a string or as the bytes 0x48 0x46 0x42 0x31.
  ['the binary envelope', /HFB1|72,70,66,49/],
  ['the drop-in WebSocket', /needs EventTarget/],
  // shared(): the prefix of its lock and channel names.
  ['shared()', /holdfast\//],
];
// Code only the rpc() feature contains.
const rpcOnly: [what: string, marker: RegExp][] = [['the request table', /METHOD_NOT_FOUND/]];

describe('tree-shaking', () => {
  it('an app that uses only connect leaves out every optional module', async () => {
    const onlyConnect = await bundle(apps['core: connect']);
    const everything = await bundle(apps['holdfast (everything)']);
    for (const [what, marker] of [...leftOut, ...rpcOnly]) {
      expect(everything.text, `${what} (${marker}) should be in the full entry (the marker is stale otherwise)`).toMatch(marker);
    }
    for (const [what, marker] of [...leftOut, ...rpcOnly]) {
      expect(onlyConnect.text, `${what} (${marker}) leaked into a connect-only bundle`).not.toMatch(marker);
    }
    expect(onlyConnect.gzip).toBeLessThan(everything.gzip);
    expect(onlyConnect.gzip).toBeLessThan(onlyConnect.min);
  });

  it('an app that uses rpc() with its default codec leaves out the envelope, JSON-RPC and base64', async () => {
    const withRpc = await bundle(apps['core + rpc()']);
    for (const [what, marker] of rpcOnly) expect(withRpc.text, `${what} should be in a core + rpc() bundle`).toMatch(marker);
    for (const [what, marker] of leftOut) expect(withRpc.text, `${what} (${marker}) leaked into a core + rpc() bundle`).not.toMatch(marker);
  });

  it('an app that uses shared() carries it, and no rpc()', async () => {
    const withShared = await bundle(apps['core + shared()']);
    expect(withShared.text).toMatch(/holdfast\//);
    for (const [what, marker] of rpcOnly) expect(withShared.text, `${what} leaked into a core + shared() bundle`).not.toMatch(marker);
  });

  it('a bundle of the mini-program entry carries no client core', async () => {
    const mini = await bundle("export { wechat } from 'holdfast/miniprogram';");
    expect(mini.text).not.toContain('heartbeat');
  });

  it('an app importing a name that holdfast does not export fails to bundle', async () => {
    const missing = bundle("import { noSuchExport } from 'holdfast'; console.log(noSuchExport);");
    await expect(missing).rejects.toBeInstanceOf(MissingExportError);
    await expect(missing).rejects.toThrow(/noSuchExport/);
  });
});
