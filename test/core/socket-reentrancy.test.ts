// Application code runs synchronously inside the socket's own transitions (state listeners,
// error listeners, a handler's abort listener). Each test closes the socket from such a place and
// checks that the socket ends cleanly: no illegal transition, no event after the final close,
// no timer left.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
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
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false });
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
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false });
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
