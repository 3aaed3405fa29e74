// Proves the ESM build tree-shakes: an app that imports only `connect` does not carry the base64
// tables or the JSON-RPC codec. (The binary envelope is part of the default JSON codec, so it
// stays.) Bundles with rollup and terser exactly like scripts/size.mjs (which also enforces the
// gzip budgets).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { bundleSize } from '../../scripts/size.mjs';

type Bundle = { text: string; min: number; gzip: number };
const bundle = bundleSize as (code: string) => Promise<Bundle>;

describe('tree-shaking', () => {
  it('importing only connect leaves out base64 and the JSON-RPC codec', async () => {
    const onlyConnect = await bundle("export { connect } from 'holdfast';");
    const everything = await bundle("export * from 'holdfast';");
    // Marker strings that only the optional modules contain.
    const markers = ['jsonrpc', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
    for (const marker of markers) {
      expect(everything.text, `"${marker}" should be in the full entry (test is stale otherwise)`).toContain(marker);
      expect(onlyConnect.text, `"${marker}" leaked into a connect-only bundle`).not.toContain(marker);
    }
    expect(onlyConnect.gzip).toBeLessThan(everything.gzip);
  });

  it('a bundle of the mini-program entry carries no client core', async () => {
    const mini = await bundle("export { wechat } from 'holdfast/miniprogram';");
    expect(mini.text).not.toContain('heartbeat');
  });
});
