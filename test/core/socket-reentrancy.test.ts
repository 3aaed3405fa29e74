// Application code runs synchronously inside the socket's own transitions (state listeners,
// error listeners, a handler's abort listener). Each test closes the socket from such a place and
// checks that the socket ends cleanly: no illegal transition, no event after the final close,
// no timer left.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { rpc } from '../../src/features/rpc/rpc';
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

describe('re-entrant close()', () => {
  it('close() from a state listener on open stops the open path: no open event, no heartbeat, ends closed', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: { interval: 1000, timeout: 500 }, closeTimeout: 60_000 });
    const log: string[] = [];
    socket.on('state', ({ from, to }) => {
      log.push(`${from}>${to}`);
      if (to === 'open') socket.close();
    });
    socket.on('open', () => log.push('open event'));
    socket.on('error', (error) => log.push(`error ${error.message}`));
    await tick();
    kit.last().open();
    expect(socket.state).toBe('closing');
    await tick(5000); // past interval + timeout: a heartbeat started by mistake would fire here
    expect(log).toEqual(['connecting>open', 'open>closing']);
    kit.last().closed(1000, '', true);
    expect(socket.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() from a handler abort listener while the link drops ends closed without throwing', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, use: [rpc()] });
    const states: string[] = [];
    const closes: boolean[] = [];
    socket.on('state', ({ to }) => states.push(to));
    socket.on('close', ({ willReconnect }) => closes.push(willReconnect));
    socket.handle('slow', (_params, ctx) => {
      ctx.signal?.addEventListener('abort', () => socket.close());
      return new Promise(() => {});
    });
    await tick();
    const ws = kit.last();
    ws.open();
    ws.receive(JSON.stringify({ type: 'request', id: 1, method: 'slow' }));
    expect(() => ws.closed(1006, '', false)).not.toThrow();
    expect(socket.state).toBe('closed');
    expect(states).toEqual(['open', 'reconnecting', 'closed']);
    expect(closes).toEqual([false]); // only the final close: no "will reconnect" after it
    await tick(60_000);
    expect(kit.instances.length).toBe(1); // no further attempt
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() from a handler abort listener during reconnect() ends closed without throwing', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, use: [rpc()] });
    const closes: boolean[] = [];
    socket.on('close', ({ willReconnect }) => closes.push(willReconnect));
    socket.handle('slow', (_params, ctx) => {
      ctx.signal?.addEventListener('abort', () => socket.close());
      return new Promise(() => {});
    });
    await tick();
    kit.last().open();
    kit.last().receive(JSON.stringify({ type: 'request', id: 1, method: 'slow' }));
    expect(() => socket.reconnect()).not.toThrow();
    expect(socket.state).toBe('closed');
    expect(closes).toEqual([false]);
    await tick(60_000);
    expect(kit.instances.length).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a connect timeout reports its error before the final close when retries are used up', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, connectTimeout: 100, backoff: { maxRetries: 0 } });
    const log: string[] = [];
    socket.on('error', (error) => log.push(`error ${error.code}`));
    socket.on('close', ({ willReconnect }) => log.push(`close ${willReconnect}`));
    await tick();
    await tick(100);
    expect(log).toEqual(['error TIMEOUT', 'close false']);
    expect(socket.state).toBe('closed');
  });

  it('close() from an error listener on a connect timeout ends closed with no further attempt', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, connectTimeout: 100 });
    socket.on('error', () => socket.close());
    await tick();
    await tick(100);
    expect(socket.state).toBe('closed');
    await tick(60_000);
    expect(kit.instances.length).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('re-entrant reconnect()', () => {
  it('reconnect() from an error listener in the middle of the open-time flush leaves the rest queued for the next link', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, random: () => 0 });
    const drops: unknown[] = [];
    socket.on('drop', ({ data }) => drops.push(data));
    let once = true;
    socket.on('error', (error) => {
      if (error.code === 'SEND' && once) {
        once = false;
        socket.reconnect();
      }
    });
    for (const m of ['a', 'b', 'c', 'd']) socket.send(m);
    await tick();
    const first = kit.last();
    const send = first.send.bind(first);
    first.send = (data) => {
      if (data === 'b') throw new Error('platform refused b');
      send(data);
    };
    first.open();
    expect(first.sent).toEqual(['a']); // c and d were not written to the replaced socket
    await tick();
    const second = kit.last();
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent).toEqual(['c', 'd']);
    expect(drops).toEqual([]);
    expect(socket.state).toBe('open');
    socket.close();
  });

  it('reconnect() from a drop listener while the flush drops an expired message sends the rest on the next link, not the old one', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, random: () => 0, queue: { ttl: 1000 } });
    let once = true;
    socket.on('drop', ({ reason }) => {
      if (reason === 'expired' && once) {
        once = false;
        socket.reconnect();
      }
    });
    socket.send('old');
    await tick(1500);
    socket.send('new-1');
    socket.send('new-2');
    const first = kit.last();
    first.open();
    expect(first.sent).toEqual([]);
    await tick();
    kit.last().open();
    expect(kit.last().sent).toEqual(['new-1', 'new-2']);
    socket.close();
  });

  it('close() while a handler abort listener calls reconnect() ends closed without throwing', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, use: [rpc()] });
    socket.handle('slow', (_params, ctx) => {
      ctx.signal?.addEventListener('abort', () => socket.reconnect());
      return new Promise(() => {});
    });
    await tick();
    kit.last().open();
    kit.last().receive(JSON.stringify({ type: 'request', id: 1, method: 'slow' }));
    expect(() => socket.close()).not.toThrow();
    expect(socket.state).toBe('closing');
    kit.last().closed(1000, '', true);
    expect(socket.state).toBe('closed');
    await tick(60_000);
    expect(kit.instances.length).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an error while connecting ends the attempt at once, even when the platform never reports a close', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, random: () => 0, connectTimeout: 10_000 });
    const log: string[] = [];
    socket.on('error', (e) => log.push(`error ${e.code}`));
    socket.on('close', (e) => log.push(`close ${e.code} ${e.willReconnect}`));
    await tick();
    kit.last().error();
    expect(socket.state).toBe('reconnecting');
    expect(log).toEqual(['error CONNECT', 'close 1006 true']);
    expect(kit.instances[0]?.detached).toBe(false); // only the absorbing onerror stays on a still-connecting socket
    await tick(1);
    expect(kit.instances).toHaveLength(2);
    socket.close();
  });
});
