// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Connection, HoldfastServer } from '../../src/server/index.js';
import { RawClient, cleanup, nextConnection, sleep, startServer, waitFor, within } from '../helpers/server.js';

const clients = new Set<WebSocket>();
afterEach(async () => {
  for (const ws of clients) {
    ws.on('error', () => undefined); // terminating a socket still connecting reports an error
    ws.terminate();
  }
  clients.clear();
  await cleanup();
});

/** A `ws` client connected to `url`; resolves once open. */
async function wsClient(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  clients.add(ws);
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    3000,
    'the ws client to open',
  );
  return ws;
}

function nextMessage(ws: WebSocket, ms = 3000): Promise<{ data: Buffer; isBinary: boolean }> {
  return within(
    new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }))),
    ms,
    'a message',
  );
}

function closeEvent(ws: WebSocket, ms = 3000): Promise<{ code: number; reason: string }> {
  return within(
    new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }))),
    ms,
    'the ws close event',
  );
}

async function connectPair(server: HoldfastServer, open: () => Promise<WebSocket>): Promise<[WebSocket, Connection]> {
  const connection = nextConnection(server);
  const ws = await open();
  return [ws, await connection];
}

describe('interop with the ws package client', () => {
  it('echoes text and binary messages', async () => {
    const { url } = await startServer();
    const ws = await wsClient(url);
    ws.send('héllo wörld');
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe('héllo wörld');
    ws.send(Uint8Array.of(1, 2, 3, 250));
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect([...binary.data]).toEqual([1, 2, 3, 250]);
  });

  it('echoes a 5 MiB message intact', async () => {
    const { url } = await startServer();
    const ws = await wsClient(url);
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    ws.send(big);
    const echoed = await nextMessage(ws, 10_000);
    expect(echoed.data.length).toBe(big.length);
    expect(echoed.data.equals(big)).toBe(true);
  });

  it('answers a protocol ping with a pong echoing the payload', async () => {
    const { url } = await startServer();
    const ws = await wsClient(url);
    const pong = within(new Promise<Buffer>((resolve) => ws.once('pong', resolve)), 3000, 'pong');
    ws.ping('ping-42');
    expect((await pong).toString()).toBe('ping-42');
  });

  it('completes a client-initiated close with the same code and reason', async () => {
    const { url, server } = await startServer();
    const serverClosed = within(new Promise<unknown[]>((resolve) => server.on('close', (_c, ...rest) => resolve(rest))), 3000, 'server close');
    const ws = await wsClient(url);
    const closed = closeEvent(ws);
    ws.close(4321, 'see you');
    expect(await closed).toEqual({ code: 4321, reason: 'see you' });
    expect(await serverClosed).toEqual([4321, 'see you', true]);
  });

  it('answers liveness pings automatically, so a ws client stays connected', async () => {
    const { url, server } = await startServer({ pingInterval: 40 });
    const ws = await wsClient(url);
    let pings = 0;
    ws.on('ping', () => pings++);
    // Three pings: the client has answered two (a loaded machine runs the 40 ms timer late).
    await waitFor(() => pings >= 3, 'three pings', 5000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(server.connections.size).toBe(1);
  });

  it('serves a server-to-client request answered by a ws client', async () => {
    const { url, server } = await startServer();
    const [ws, connection] = await connectPair(server, () => wsClient(url));
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; id: number; params: string };
      if (message.type === 'request') ws.send(JSON.stringify({ type: 'response', id: message.id, result: message.params.toUpperCase() }));
    });
    await expect(connection.request('shout', 'quiet')).resolves.toBe('QUIET');
  });
});

describe('fault controls', () => {
  it('freeze() stops answering while TCP stays up; unfreeze() delivers what waited', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    server.faults.freeze();
    ws.send('held');
    let pong = false;
    ws.once('pong', () => (pong = true));
    ws.ping();
    await expect(nextMessage(ws, 200)).rejects.toThrow(/timed out/);
    expect(pong).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    server.faults.unfreeze();
    expect((await nextMessage(ws)).data.toString()).toBe('held');
  });

  it('freeze() stops the server liveness pings, so the half-open link is not torn down', async () => {
    const { port, server } = await startServer({ pingInterval: 40 });
    const client = await RawClient.connect(port);
    const first = await client.nextFrame();
    expect(first.opcode).toBe(0x9);
    client.sendFrame(0xa, first.payload);
    server.faults.freeze();
    await sleep(50); // a ping may already be on the wire
    await client.nextFrame(20).catch(() => undefined);
    await expect(client.nextFrame(250)).rejects.toThrow(/no frame/);
    expect(server.connections.size).toBe(1);
  });

  it('freeze(connection) affects only that connection', async () => {
    const { url, server } = await startServer();
    const [frozen, connection] = await connectPair(server, () => wsClient(url));
    const other = await wsClient(url);
    server.faults.freeze(connection);
    expect(connection.frozen).toBe(true);
    frozen.send('a');
    other.send('b');
    expect((await nextMessage(other)).data.toString()).toBe('b');
    await expect(nextMessage(frozen, 150)).rejects.toThrow(/timed out/);
  });

  it('drop() destroys the socket without a close frame (the client sees 1006)', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    const closed = closeEvent(ws);
    server.faults.drop();
    expect((await closed).code).toBe(1006);
  });

  it('closeWith() closes with the given code and reason', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    const closed = closeEvent(ws);
    server.faults.closeWith(1013, 'retry-after=5');
    expect(await closed).toEqual({ code: 1013, reason: 'retry-after=5' });
    expect(() => server.faults.closeWith(1006, 'not sendable')).toThrow(RangeError);
  });

  it('delay() holds every outgoing message, for current and new connections; delay(0) restores', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    server.faults.delay(150);
    const later = await wsClient(url);
    for (const client of [ws, later]) {
      const started = Date.now();
      client.send('slow');
      expect((await nextMessage(client)).data.toString()).toBe('slow');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    }
    server.faults.delay(0);
    const started = Date.now();
    ws.send('fast');
    await nextMessage(ws);
    expect(Date.now() - started).toBeLessThan(140);
  });

  it('delay() never reorders: a message sent after the delay was lowered waits behind the held ones', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    const got: string[] = [];
    ws.on('message', (data) => void got.push(data.toString()));
    server.faults.delay(150);
    ws.send('held');
    await sleep(30); // the echo of 'held' is now held for 150 ms
    server.faults.delay(0);
    ws.send('after');
    await waitFor(() => got.length === 2, 'both echoes');
    expect(got).toEqual(['held', 'after']);
  });

  it('rejectHandshakes(status, count) refuses exactly the next count upgrades', async () => {
    const { url, server } = await startServer();
    server.faults.rejectHandshakes(502, 2);
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(url);
      clients.add(ws);
      const status = await within(
        new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))),
        3000,
        'the refusal',
      );
      expect(status).toBe(502);
    }
    await wsClient(url);
  });

  it('rejectHandshakes(status) without a count refuses until reset()', async () => {
    const { port, url, server } = await startServer();
    server.faults.rejectHandshakes(503);
    for (let i = 0; i < 3; i++) await expect(RawClient.connect(port)).rejects.toThrow(/503/);
    server.faults.reset();
    await wsClient(url);
    expect(() => server.faults.rejectHandshakes(200)).toThrow(RangeError);
  });

  it('acceptAndDrop(count) completes the handshake and then drops the socket', async () => {
    const { url, server } = await startServer();
    server.faults.acceptAndDrop(1);
    const ws = new WebSocket(url);
    clients.add(ws);
    const opened = within(new Promise<void>((resolve) => ws.once('open', () => resolve())), 3000, 'open');
    const closed = closeEvent(ws);
    await opened;
    expect((await closed).code).toBe(1006);
    expect(server.connections.size).toBe(0);
    const next = await wsClient(url);
    next.send('ok');
    expect((await nextMessage(next)).data.toString()).toBe('ok');
  });

  it('reset() unfreezes and removes the delay', async () => {
    const { url, server } = await startServer();
    const ws = await wsClient(url);
    server.faults.freeze();
    server.faults.delay(500);
    server.faults.reset();
    const started = Date.now();
    ws.send('normal');
    expect((await nextMessage(ws)).data.toString()).toBe('normal');
    expect(Date.now() - started).toBeLessThan(400);
  });
});
