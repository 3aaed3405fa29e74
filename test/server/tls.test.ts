// wss:// and https:// with the `tls` option, using a self-signed certificate for 127.0.0.1 kept
// in test/fixtures (generated once with openssl; valid for 100 years).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createServer, type HoldfastServer } from '../../src/server/index';

const fixtures = join(__dirname, '..', 'fixtures');
const tls = { cert: readFileSync(join(fixtures, 'tls-cert.pem')), key: readFileSync(join(fixtures, 'tls-key.pem')) };
const ca = tls.cert;

let server: HoldfastServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('TLS', () => {
  it('serves wss:// and echoes text and binary over it', async () => {
    server = createServer({ tls, pingInterval: 0 });
    const { url, httpUrl } = await server.listen(0, '127.0.0.1');
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(httpUrl).toMatch(/^https:\/\//);
    const client = new WebSocket(url, { ca });
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    const replies: Array<{ data: string | Buffer; isBinary: boolean }> = [];
    const done = new Promise<void>((resolve) => {
      client.on('message', (data, isBinary) => {
        replies.push({ data: isBinary ? (data as Buffer) : String(data), isBinary });
        if (replies.length === 2) resolve();
      });
    });
    client.send('secure hello');
    client.send(Buffer.from([1, 2, 3]));
    await done;
    expect(replies[0]).toEqual({ data: 'secure hello', isBinary: false });
    expect(replies[1]!.isBinary).toBe(true);
    expect([...(replies[1]!.data as Buffer)]).toEqual([1, 2, 3]);
    client.close(1000);
    await new Promise((resolve) => client.once('close', resolve));
  });

  it('serves /healthz over https', async () => {
    server = createServer({ tls, pingInterval: 0 });
    const { httpUrl } = await server.listen(0, '127.0.0.1');
    const body = await new Promise<string>((resolve, reject) => {
      get(`${httpUrl}/healthz`, { ca }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(`${response.statusCode} ${text}`));
      }).on('error', reject);
    });
    expect(body).toBe('200 {"ok":true,"connections":0}');
  });

  it('refuses a plain ws:// client on a TLS port', async () => {
    server = createServer({ tls, pingInterval: 0 });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const outcome = await new Promise<string>((resolve) => {
      client.once('open', () => resolve('open'));
      client.once('error', () => resolve('error'));
    });
    expect(outcome).toBe('error');
    client.terminate();
  });
});
