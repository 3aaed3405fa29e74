// @vitest-environment node
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/core/connect';
import { stats } from '../../src/features/stats/stats';
import type { SocketEvents } from '../../src/core/events';
import type { HoldfastSocket } from '../../src/core/connect';
import type { CoreOptions, UrlProvider } from '../../src/core/options';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { createServer, type HoldfastServer } from '../../src/server/index';
import { sleep, waitFor } from '../helpers/client-wait';

const servers: HoldfastServer[] = [];
const sockets: HoldfastSocket[] = [];

async function startServer(port = 0) {
  const server = createServer({ pingInterval: 0 });
  servers.push(server);
  const info = await server.listen(port, '127.0.0.1');
  const received: string[] = [];
  server.on('message', (data, isBinary) => {
    if (!isBinary) received.push(String(data));
  });
  return { server, received, ...info };
}

function open(url: UrlProvider, options: CoreOptions = {}) {
  const socket = connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructorLike, environment: false, use: [stats()], ...options });
  sockets.push(socket);
  const seen: { [E in keyof SocketEvents]: SocketEvents[E][] } = {
    open: [], message: [], close: [], reconnecting: [], state: [], error: [], drop: [], heartbeat: [],
  };
  for (const name of Object.keys(seen) as (keyof SocketEvents)[]) {
    socket.on(name, (payload) => (seen[name] as unknown[]).push(payload));
  }
  return { socket, seen };
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('client against the reference server on loopback', () => {
  it('echoes text and binary; binary arrives as an ArrayBuffer', async () => {
    const { url } = await startServer();
    const { socket, seen } = open(url, { heartbeat: false });
    await waitFor(() => socket.state === 'open', 5000, 'open');
    socket.send('hello');
    socket.send(new Uint8Array([1, 2, 3]));
    await waitFor(() => seen.message.length === 2, 5000, 'two echoes');
    expect(seen.message[0]).toBe('hello');
    expect(seen.message[1]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(seen.message[1] as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it('reconnects to a server restarted on the same port; messages sent while down arrive once, in order', async () => {
    const first = await startServer();
    const { socket, seen } = open(first.url, { heartbeat: false, backoff: { initialDelay: 20, maxDelay: 100 } });
    await waitFor(() => socket.state === 'open', 5000, 'first open');
    await first.server.close();
    await waitFor(() => socket.state === 'reconnecting' || socket.state === 'connecting', 5000, 'link loss');
    for (const m of ['a', 'b', 'c']) expect(socket.send(m)).not.toBe('dropped');
    await sleep(150); // a few attempts against a closed port
    expect(socket.state).not.toBe('open');
    const second = await startServer(first.port);
    await waitFor(() => second.received.length >= 3, 5000, 'queued messages');
    await sleep(100);
    expect(second.received).toEqual(['a', 'b', 'c']);
    expect(seen.open).toHaveLength(2);
    expect(seen.close[0]).toMatchObject({ code: 1001, willReconnect: true });
    expect(socket.stats().reconnects).toBe(1);
  });

  it('detects a frozen server (no close) within interval + timeout and reconnects', async () => {
    const { server, url } = await startServer();
    const { socket, seen } = open(url, { heartbeat: { interval: 200, timeout: 200 }, backoff: { initialDelay: 20 } });
    await waitFor(() => seen.heartbeat.length >= 1, 5000, 'a first pong');
    expect(seen.heartbeat[0]?.rtt).toBeGreaterThanOrEqual(0);
    server.faults.freeze();
    const frozenAt = Date.now();
    await waitFor(() => seen.close.length > 0, 2000, 'heartbeat timeout');
    const detectedAfter = Date.now() - frozenAt;
    expect(seen.close[0]).toMatchObject({ code: 4000, reason: 'heartbeat timeout', willReconnect: true });
    // interval + timeout, plus room for a loaded machine.
    expect(detectedAfter).toBeLessThanOrEqual(400 + 250);
    await waitFor(() => seen.open.length === 2, 5000, 'reconnect');
    expect(socket.state).toBe('open');
  });

  it('backs off with growing delays while the server accepts and drops 20 times, without a storm', async () => {
    const { server, url } = await startServer();
    server.faults.acceptAndDrop(20);
    const attemptsAt: number[] = [];
    const provider: UrlProvider = () => {
      attemptsAt.push(Date.now());
      return url;
    };
    const { socket, seen } = open(provider, { heartbeat: false, random: () => 1, backoff: { initialDelay: 10, maxDelay: 80 } });
    await waitFor(() => socket.state === 'open' && seen.open.length > 0 && seen.close.length >= 20, 10_000, 'the 21st attempt to stay open');
    await sleep(50);
    expect(socket.state).toBe('open');
    const delays = seen.reconnecting.map((r) => r.delay);
    expect(delays).toHaveLength(20);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] as number);
    expect(delays.slice(0, 5)).toEqual([10, 20, 40, 80, 80]);
    expect(Math.max(...delays)).toBe(80);
    expect(attemptsAt).toHaveLength(21);
    // No storm: each attempt waited at least its scheduled delay after the previous one.
    for (let i = 1; i < attemptsAt.length; i++) {
      expect((attemptsAt[i] as number) - (attemptsAt[i - 1] as number)).toBeGreaterThanOrEqual((delays[i - 1] as number) - 2);
    }
  });

  it('stops for good when the server closes with a client-error code', async () => {
    const { server, url } = await startServer();
    const { socket, seen } = open(url, { heartbeat: false, backoff: { initialDelay: 10 } });
    await waitFor(() => socket.state === 'open', 5000, 'open');
    server.faults.closeWith(4403, 'forbidden');
    await waitFor(() => socket.state === 'closed', 5000, 'closed');
    expect(seen.close).toEqual([{ code: 4403, reason: 'forbidden', wasClean: true, willReconnect: false }]);
    await sleep(100);
    expect(server.connections.size).toBe(0);
  });
});
