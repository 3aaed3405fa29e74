// @vitest-environment node
// The drop-in HoldfastWebSocket with the `ws` package against the reference server on loopback.
// Node 20 has EventTarget, Event and MessageEvent but no CloseEvent: close events are Events
// carrying code, reason and wasClean.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { HoldfastWebSocket } from '../../src/websocket/websocket';
import type { HoldfastWebSocketOptions } from '../../src/websocket/types';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { createServer, type HoldfastServer } from '../../src/server/index';
import { sleep, waitFor } from '../helpers/client-wait';

const servers: HoldfastServer[] = [];
const sockets: HoldfastWebSocket[] = [];

async function startServer(port = 0) {
  const server = createServer({ pingInterval: 0, selectProtocol: (offered) => offered.find((p) => p === 'chat.v2') });
  servers.push(server);
  const info = await server.listen(port, '127.0.0.1');
  const received: string[] = [];
  server.on('message', (data, isBinary) => {
    if (!isBinary) received.push(String(data));
  });
  return { server, received, ...info };
}

function open(url: string, protocols?: string | string[], options: HoldfastWebSocketOptions = {}) {
  const ws = new HoldfastWebSocket(url, protocols, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    backoff: { initialDelay: 20, maxDelay: 100 },
    ...options,
  });
  sockets.push(ws);
  const log: string[] = [];
  const events: Event[] = [];
  for (const type of ['open', 'message', 'close', 'error']) {
    ws.addEventListener(type, (e) => {
      events.push(e as Event);
      const detail = type === 'close' ? `:${(e as unknown as { code: number }).code}` : '';
      log.push(`${type}${detail}`);
    });
  }
  return { ws, log, events };
}

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('HoldfastWebSocket against the reference server on loopback', () => {
  it('opens with the subprotocol the server chose and echoes text and binary as MessageEvents', async () => {
    const { url } = await startServer();
    const { ws, events } = open(url, ['chat.v1', 'chat.v2']);
    ws.binaryType = 'arraybuffer';
    await waitFor(() => ws.readyState === WebSocket.OPEN, 5000, 'open');
    expect(ws.protocol).toBe('chat.v2');
    ws.send('hello');
    ws.send(new Uint8Array([1, 2, 3]));
    await waitFor(() => events.filter((e) => e.type === 'message').length === 2, 5000, 'two echoes');
    const [text, binary] = events.filter((e) => e.type === 'message') as MessageEvent[];
    expect(text).toBeInstanceOf(MessageEvent);
    expect(text!.data).toBe('hello');
    expect(text!.target).toBe(ws);
    expect([...new Uint8Array(binary!.data as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it('delivers binary as a Blob by default, as a browser WebSocket does', async () => {
    const { url } = await startServer();
    const { ws, events } = open(url);
    ws.onopen = () => ws.send(new Uint8Array([9, 8]));
    await waitFor(() => events.some((e) => e.type === 'message'), 5000, 'an echo');
    const data = (events.find((e) => e.type === 'message') as MessageEvent).data as Blob;
    expect(data).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await data.arrayBuffer())]).toEqual([9, 8]);
  });

  it("reconnect 'always': close for the restart, open again on the same object; what was sent while down arrives once, in order", async () => {
    const first = await startServer();
    const { ws, log, events } = open(first.url);
    await waitFor(() => ws.readyState === WebSocket.OPEN, 5000, 'first open');
    await first.server.close();
    await waitFor(() => log.includes('close:1001'), 5000, 'the close of the restart');
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    for (const m of ['a', 'b', 'c']) ws.send(m);
    await sleep(150); // attempts against a closed port: each fails with error, then close 1006
    const failed = events.find((e) => e.type === 'error') as Event & { message?: string };
    expect(failed.message).toMatch(/ECONNREFUSED/);
    const second = await startServer(first.port);
    await waitFor(() => second.received.length >= 3, 5000, 'the queued messages');
    await sleep(100);
    expect(second.received).toEqual(['a', 'b', 'c']);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const lifecycle = log.filter((l) => l === 'open' || l.startsWith('close'));
    expect(lifecycle[0]).toBe('open');
    expect(lifecycle[1]).toBe('close:1001');
    expect(lifecycle.at(-1)).toBe('open');
    expect(lifecycle.slice(2, -1).every((l) => l === 'close:1006')).toBe(true);
    const close = events.find((e) => e.type === 'close') as Event & { code: number; reason: string; wasClean: boolean };
    expect(close).toBeInstanceOf(Event);
    expect([close.code, close.wasClean, close.target]).toEqual([1001, true, ws]);
  });

  it("reconnect 'until-open': waits (CONNECTING, no event) for a server that is not up yet; its first close is final", async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.server.close();
    servers.splice(0);
    const { ws, log } = open(`ws://127.0.0.1:${port}`, undefined, { reconnect: 'until-open' });
    await sleep(200);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(log).toEqual([]);
    const server = await startServer(port);
    await waitFor(() => ws.readyState === WebSocket.OPEN, 5000, 'open');
    await server.server.close();
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'closed');
    await startServer(port);
    await sleep(200);
    expect(log).toEqual(['open', 'close:1001']);
    expect(ws.socket.state).toBe('closed');
  });

  it('close() runs the closing handshake: CLOSING, then one clean close 1000, and the server sees it go', async () => {
    const { server, url } = await startServer();
    const { ws, log } = open(url);
    await waitFor(() => server.connections.size === 1 && ws.readyState === WebSocket.OPEN, 5000, 'open');
    ws.close(1000, 'done');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'closed');
    expect(log).toEqual(['open', 'close:1000']);
    await waitFor(() => server.connections.size === 0, 5000, 'the server to drop the connection');
  });
});
