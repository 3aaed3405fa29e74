// stats(): the counters as a feature, on the fake WebSocket with fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions } from '../../src/core/connect';
import { stats } from '../../src/features/stats/stats';
import { createFakeEnvironment } from '../helpers/client-fake-environment';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

function setup(options: Omit<ConnectOptions, 'use' | 'binaryType'> = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, random: () => 1, ...options, use: [stats()] });
  return { kit, socket };
}

describe('stats()', () => {
  it('counts every attempt, failed providers included, and the backoff counter until minUptime resets it', async () => {
    let calls = 0;
    const provided = createFakeWebSocket();
    const flaky = connect(
      () => {
        calls++;
        if (calls === 1) throw new Error('no token yet');
        return 'ws://x/';
      },
      { WebSocket: provided.WebSocket, environment: false, heartbeat: false, random: () => 1, backoff: { initialDelay: 100, minUptime: 1000 }, use: [stats()] },
    );
    await tick();
    expect(flaky.stats()).toMatchObject({ attempts: 1, retries: 1, state: 'reconnecting', lastReconnectReason: 'url provider failed' });
    await tick(100);
    provided.last().open();
    expect(flaky.stats()).toMatchObject({ attempts: 2, connects: 1, reconnects: 0, retries: 1 });
    await tick(1000);
    expect(flaky.stats().retries).toBe(0);
    flaky.close();
    expect(provided.instances).toHaveLength(1);
  });

  it('counts frames both ways with UTF-8 bytes, heartbeats included, and the close of the last link', async () => {
    const { kit, socket } = setup({ heartbeat: { interval: 100, timeout: 50 } });
    await tick();
    kit.last().open();
    socket.send('€'); // 3 bytes
    socket.send(new Uint8Array(5));
    kit.last().receive('ab');
    await tick(100); // a ping goes out
    const ping = kit.last().sent[2] as string;
    kit.last().receive(ping.replace('ping', 'pong'));
    const s = socket.stats();
    expect(s.messagesOut).toBe(3);
    expect(s.bytesOut).toBe(3 + 5 + ping.length);
    expect(s.messagesIn).toBe(2);
    expect(s.bytesIn).toBe(2 + ping.length);
    expect(s.rtt).toBe(0);
    expect(s.heartbeat).toBe('answered');
    socket.close(4001, 'done');
    kit.last().closed(4001, 'done', true);
    expect(socket.stats()).toMatchObject({ state: 'closed', lastCloseCode: 4001, lastCloseReason: 'done' });
  });

  it('counts drops by reason and shows the live queue', async () => {
    const { socket } = setup({ queue: { maxMessages: 2, ttl: 50 } });
    socket.send('a');
    socket.send('b');
    socket.send('c'); // overflow drops a
    expect(socket.stats().queue).toEqual({ length: 2, bytes: 2 });
    await tick(60);
    socket.send('d'); // the queue is full: the expired b makes room (c is expired too, but is not in the way)
    socket.close();
    expect(socket.stats().drops).toEqual({ overflow: 1, expired: 1, closed: 2 });
    expect(socket.stats().queue).toEqual({ length: 0, bytes: 0 });
  });

  it('says when the server does not answer the heartbeat', async () => {
    const { kit, socket } = setup({ heartbeat: { interval: 100, timeout: 50 } });
    await tick();
    kit.last().open();
    expect(socket.stats().heartbeat).toBe('unknown');
    await tick(150);
    expect(socket.stats().heartbeat).toBe('unanswered');
    expect(socket.state).toBe('open');
    socket.close();
  });

  it('a socket without stats() has no stats method', () => {
    const kit = createFakeWebSocket();
    const bare = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false });
    expect('stats' in bare).toBe(false);
    bare.close();
  });
});
