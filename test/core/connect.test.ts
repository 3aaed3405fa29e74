import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { stats } from '../../src/features/stats/stats';
import type { HoldfastSocket } from '../../src/core/connect';
import type { WebSocketConstructorLike } from '../../src/core/transport';

const URL = 'ws://mock.invalid/';
const WebSocket = MockWebSocket as unknown as WebSocketConstructorLike;

/** A mock server that answers heartbeats and records everything else. */
function startServer() {
  const server = new Server(URL);
  const received: string[] = [];
  const clients: Client[] = [];
  server.on('connection', (client) => {
    clients.push(client);
    client.on('message', (data) => {
      const text = String(data);
      const ping = /^\{"type":"ping","ts":(\d+)\}$/.exec(text);
      if (ping) client.send(`{"type":"pong","ts":${ping[1]}}`);
      else received.push(text);
    });
  });
  return { server, received, clients };
}

const cleanups: Array<() => void> = [];
const track = (socket: HoldfastSocket): HoldfastSocket => {
  cleanups.push(() => socket.close());
  return socket;
};

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('connect()', () => {
  it('throws NO_WEBSOCKET when there is no constructor anywhere', () => {
    vi.stubGlobal('WebSocket', undefined);
    expect(() => connect(URL)).toThrow(expect.objectContaining({ name: 'HoldfastError', code: 'NO_WEBSOCKET' }));
  });

  it('throws a TypeError for a url that is neither a string nor a function', () => {
    expect(() => connect(42 as unknown as string, { WebSocket })).toThrow(TypeError);
  });

  it('uses globalThis.WebSocket by default', async () => {
    const { server } = startServer();
    cleanups.push(() => server.stop());
    vi.stubGlobal('WebSocket', MockWebSocket);
    const socket = track(connect(URL, { environment: false }));
    await vi.advanceTimersByTimeAsync(10);
    expect(socket.state).toBe('open');
  });
});

describe('against a mock-socket server', () => {
  it('flushes messages queued before open in order and measures rtt from heartbeats', async () => {
    const { server, received } = startServer();
    cleanups.push(() => server.stop());
    const socket = track(connect(URL, { WebSocket, environment: false, heartbeat: { interval: 1000, timeout: 500 } }));
    socket.send('1');
    socket.send('2');
    await vi.advanceTimersByTimeAsync(10);
    expect(socket.state).toBe('open');
    socket.send('3');
    await vi.advanceTimersByTimeAsync(1100);
    expect(received).toEqual(['1', '2', '3']);
    expect(socket.rtt).toBeTypeOf('number');
    expect(socket.state).toBe('open');
  });

  it('reconnects to a server restarted on the same url and delivers what was sent while down, once and in order', async () => {
    const first = startServer();
    const socket = connect(URL, { WebSocket, environment: false, random: () => 1, backoff: { initialDelay: 100, maxDelay: 400 }, use: [stats()] });
    track(socket);
    await vi.advanceTimersByTimeAsync(10);
    expect(socket.state).toBe('open');
    first.server.close({ code: 1012, reason: 'restart', wasClean: true });
    expect(socket.state).toBe('reconnecting');
    socket.send('a');
    socket.send('b');
    await vi.advanceTimersByTimeAsync(1000); // retries against nobody
    expect(socket.state).not.toBe('open');
    const second = startServer();
    cleanups.push(() => second.server.stop());
    await vi.advanceTimersByTimeAsync(500);
    expect(socket.state).toBe('open');
    expect(second.received).toEqual(['a', 'b']);
    expect(first.received).toEqual([]);
    expect(socket.stats().reconnects).toBe(1);
  });

  it('leaves no timer behind after close()', async () => {
    const { server } = startServer();
    cleanups.push(() => server.stop());
    const socket = connect(URL, { WebSocket, environment: false, heartbeat: { interval: 1000, timeout: 500 } });
    await vi.advanceTimersByTimeAsync(10);
    const closed = new Promise<unknown>((resolve) => socket.on('close', resolve));
    socket.close(1000, 'done');
    await vi.advanceTimersByTimeAsync(100);
    await expect(closed).resolves.toMatchObject({ code: 1000, willReconnect: false });
    expect(socket.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});
