// @vitest-environment node
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.js';
import {
  RawClient,
  cleanup,
  nextConnection,
  openSocket,
  rawExchange,
  sleep,
  socketClosed,
  startServer,
  upgradeRequest,
  waitFor,
  within,
  type UpgradeRequestParts,
} from '../helpers/server.js';

const temps: string[] = [];
afterEach(async () => {
  await cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-static-'));
  temps.push(dir);
  return dir;
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);
}

async function upgradeStatus(port: number, parts: UpgradeRequestParts = {}): Promise<{ status: number; response: string }> {
  const response = await rawExchange(port, upgradeRequest(port, parts));
  return { status: statusOf(response), response };
}



describe('handshake over real HTTP', () => {
  it('answers a valid upgrade with 101 and the RFC 6455 accept value', async () => {
    const { port } = await startServer();
    const client = await RawClient.connect(port);
    // The sample key and accept value from RFC 6455 §1.3.
    expect(client.handshake).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('refuses a non-GET upgrade with 405 and Allow: GET', async () => {
    const { port } = await startServer();
    const { status, response } = await upgradeStatus(port, { method: 'POST' });
    expect(status).toBe(405);
    expect(response).toMatch(/\r\nAllow: GET\r\n/i);
  });

  it.each<[string, UpgradeRequestParts]>([
    ['a missing key', { headers: { 'Sec-WebSocket-Key': undefined } }],
    ['a key that is not 16 bytes of base64', { headers: { 'Sec-WebSocket-Key': 'c2hvcnQ=' } }],
    ['an Upgrade header that does not name websocket', { headers: { Upgrade: 'h2c' } }],
  ])('refuses an upgrade with %s with 400', async (_name, parts) => {
    const { port } = await startServer();
    expect((await upgradeStatus(port, parts)).status).toBe(400);
    await RawClient.connect(port); // and keeps serving
  });

  it('refuses an unsupported version with 426 and Sec-WebSocket-Version: 13', async () => {
    const { port } = await startServer();
    const { status, response } = await upgradeStatus(port, { headers: { 'Sec-WebSocket-Version': '8' } });
    expect(status).toBe(426);
    expect(response).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/i);
  });

  it('refuses an origin that is not allowed with 403 and accepts an allowed one', async () => {
    const { port } = await startServer({ origins: ['https://good.example'] });
    expect((await upgradeStatus(port, { headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    await RawClient.connect(port, { headers: { Origin: 'https://good.example' } });
  });

  it('refuses upgrades beyond maxConnections with 503, and accepts again once one leaves', async () => {
    const { port, server } = await startServer({ maxConnections: 1 });
    const first = await RawClient.connect(port);
    await waitFor(() => server.connections.size === 1, 'the first connection');
    expect((await upgradeStatus(port)).status).toBe(503);
    first.socket.destroy();
    await waitFor(() => server.connections.size === 0, 'the first connection to go');
    await RawClient.connect(port);
  });

  it("agrees with protocols on the client's first offer that is in the list", async () => {
    const { port, server } = await startServer({ protocols: ['chat.v1', 'chat.v2'] });
    const connected = nextConnection(server);
    const client = await RawClient.connect(port, { headers: { 'Sec-WebSocket-Protocol': 'other, chat.v2, chat.v1' } });
    expect(client.handshake).toMatch(/\r\nSec-WebSocket-Protocol: chat\.v2\r\n/i);
    expect((await connected).protocol).toBe('chat.v2');
    const none = await RawClient.connect(port, { headers: { 'Sec-WebSocket-Protocol': 'other' } });
    expect(none.handshake).not.toMatch(/Sec-WebSocket-Protocol/i);
  });

  it("rejects protocols that are not tokens, or given with selectProtocol", () => {
    expect(() => createServer({ protocols: ['has space'] })).toThrow(RangeError);
    expect(() => createServer({ protocols: 'chat' as unknown as string[] })).toThrow(TypeError);
    expect(() => createServer({ protocols: ['chat'], selectProtocol: () => 'chat' })).toThrow(TypeError);
  });

  it('agrees on the subprotocol chosen by selectProtocol', async () => {
    const { port, server } = await startServer({ selectProtocol: (offered) => offered.find((p) => p === 'chat.v2') });
    const connected = nextConnection(server);
    const client = await RawClient.connect(port, { headers: { 'Sec-WebSocket-Protocol': 'chat.v1, chat.v2' } });
    expect(client.handshake).toMatch(/\r\nSec-WebSocket-Protocol: chat\.v2\r\n/i);
    expect((await connected).protocol).toBe('chat.v2');
  });

  it('drops a client that connects but never sends its request within handshakeTimeout', async () => {
    const { port } = await startServer({ handshakeTimeout: 150 });
    const silent = await openSocket(port);
    const partial = await openSocket(port);
    partial.write('GET / HTTP/1.1\r\nHost: x\r\n'); // never finishes its headers
    const started = Date.now();
    await within(Promise.all([socketClosed(silent), socketClosed(partial)]), 3000, 'the silent clients to be dropped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await RawClient.connect(port);
  });

  it('leaves no listener of the HTTP front on an upgraded socket, only the connection’s own', async () => {
    const { port, server } = await startServer({ handshakeTimeout: 150 });
    const counts = new Promise<number[]>((resolve) => {
      // Runs after the front's upgrade handler, which was registered first.
      server.httpServer.on('upgrade', (_req, socket: import('node:net').Socket) => {
        resolve(['close', 'error', 'data', 'drain'].map((event) => socket.listenerCount(event)));
      });
    });
    const client = await RawClient.connect(port);
    expect(await within(counts, 3000, 'the upgrade')).toEqual([1, 1, 1, 1]);
    // The handshake timer went with the upgrade: the connection outlives handshakeTimeout.
    await sleep(300);
    expect(client.socket.destroyed).toBe(false);
    expect(server.connections.size).toBe(1);
  });

  it('answers 503 to an upgrade that arrives while the server is shutting down', async () => {
    const { port, server } = await startServer({ closeTimeout: 400 });
    const lingering = await RawClient.connect(port); // will not answer the server's close frame
    const early = await openSocket(port); // connected before close(), upgrades during it
    const chunks: Buffer[] = [];
    early.on('data', (chunk: Buffer) => chunks.push(chunk));
    await waitFor(() => server.connections.size === 1, 'the connection');
    const closing = server.close();
    expect((await lingering.nextClose()).code).toBe(1001);
    early.write(upgradeRequest(port));
    await within(socketClosed(early), 3000, 'the refused upgrade');
    expect(statusOf(Buffer.concat(chunks).toString('latin1'))).toBe(503);
    await closing;
  });
});

describe('HTTP routes', () => {
  it('reports health as JSON with the connection count', async () => {
    const { port, httpUrl } = await startServer();
    await RawClient.connect(port);
    const response = await fetch(`${httpUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ ok: true, connections: 1 });
  });

  it('serves the demo page at / with the ids the browser test relies on', async () => {
    const { httpUrl } = await startServer();
    const response = await fetch(`${httpUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    for (const id of ['state', 'rtt', 'spark', 'queue', 'counters', 'name', 'text', 'send', 'log', 'drop', 'outage', 'outage-seconds', 'freeze', 'control-status', 'timeline']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('src="/holdfast.umd.min.js"');
    expect(html).not.toMatch(/(src|href)="https?:/);
    // Driven by the socket's events: no timer polls the socket.
    expect(html).not.toMatch(/setInterval|setTimeout/);
    expect(html).toMatch(/<link rel="icon"[^>]* href="data:image\/svg\+xml,/);
  });

  it('serves the script-tag build from staticDir', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'holdfast.umd.min.js'), 'var Holdfast={connect:function(){}};');
    const { httpUrl } = await startServer({ staticDir: dir });
    const response = await fetch(`${httpUrl}/holdfast.umd.min.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(await response.text()).toBe('var Holdfast={connect:function(){}};');
  });

  it('answers 404 with a clear message when the script-tag build is missing', async () => {
    const { httpUrl } = await startServer({ staticDir: tempDir() });
    const response = await fetch(`${httpUrl}/holdfast.umd.min.js`);
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/npm run build/);
  });

  it('answers 404 for unknown paths and 405 for the wrong method', async () => {
    const { httpUrl } = await startServer();
    expect((await fetch(`${httpUrl}/nope`)).status).toBe(404);
    const post = await fetch(`${httpUrl}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toMatch(/GET/);
  });

  it('has no /demo/drop route unless the demo option is on', async () => {
    const { httpUrl } = await startServer();
    expect((await fetch(`${httpUrl}/demo/drop`, { method: 'POST' })).status).toBe(404);
  });

  it('drops every connection without a close frame on POST /demo/drop when demo is on', async () => {
    const { port, httpUrl, server } = await startServer({ demo: true });
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await waitFor(() => server.connections.size === 2, 'two connections');
    const response = await fetch(`${httpUrl}/demo/drop`, { method: 'POST' });
    expect(await response.json()).toEqual({ dropped: 2 });
    await a.waitClosed();
    await b.waitClosed();
    await expect(a.nextFrame(50)).rejects.toThrow(/closed/);
  });
});

describe('HoldfastServer lifecycle', () => {
  it('close() sends 1001 to every client, then releases every socket', async () => {
    const { port, server } = await startServer();
    const clients = [await RawClient.connect(port), await RawClient.connect(port)];
    await waitFor(() => server.connections.size === 2, 'two connections');
    const closing = server.close();
    for (const client of clients) {
      const close = await client.nextClose();
      expect(close.code).toBe(1001);
      client.sendFrame(0x8, Buffer.from([0x03, 0xe9]));
    }
    await within(closing, 3000, 'close()');
    for (const client of clients) await client.waitClosed();
    expect(server.connections.size).toBe(0);
    expect(server.httpServer.listening).toBe(false);
    expect(server.close()).toBe(closing);
    await expect(openSocket(port)).rejects.toThrow();
  });

  it('close() is bounded by closeTimeout when a client never answers', async () => {
    const { port, server } = await startServer({ closeTimeout: 100 });
    const silent = await RawClient.connect(port);
    await waitFor(() => server.connections.size === 1, 'the connection');
    const started = Date.now();
    await within(server.close(), 2000, 'close()');
    expect(Date.now() - started).toBeLessThan(1500);
    await silent.waitClosed();
  });

  it('close() unfreezes frozen connections so their close handshake completes promptly', async () => {
    const { port, server } = await startServer({ closeTimeout: 2000 });
    const client = await RawClient.connect(port);
    await waitFor(() => server.connections.size === 1, 'the connection');
    server.faults.freeze();
    const closed = new Promise<boolean>((resolve) => server.on('close', (_c, _code, _reason, wasClean) => resolve(wasClean)));
    const started = Date.now();
    const closing = server.close();
    expect((await client.nextClose()).code).toBe(1001);
    client.sendFrame(0x8, Buffer.from([0x03, 0xe9]));
    await within(closing, 1500, 'close()');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await closed).toBe(true);
  });

  it('rejects a second listen, a listen after close, and a port that is taken', async () => {
    const { port, server } = await startServer();
    await expect(server.listen(0)).rejects.toThrow(/listening/);
    const other = createServer({ pingInterval: 0 });
    await expect(other.listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    await other.close();
    await expect(other.listen(0)).rejects.toThrow(/closed/);
  });

  it('reports ws:// and http:// URLs for the bound port', async () => {
    const { port, url, httpUrl, host } = await startServer();
    expect(host).toBe('127.0.0.1');
    expect(url).toBe(`ws://127.0.0.1:${port}`);
    expect(httpUrl).toBe(`http://127.0.0.1:${port}`);
  });

  it('throws RangeError for negative or non-numeric timing options', () => {
    expect(() => createServer({ pingInterval: -1 })).toThrow(RangeError);
    expect(() => createServer({ closeTimeout: Number.NaN })).toThrow(RangeError);
    expect(() => createServer({ maxConnections: 1.5 })).toThrow(RangeError);
  });
});
