// The lifecycle of issue 10: once(), opened(), stop()/start() (and start: false), close() with
// drain, and send() after close(). Fake WebSocket, fake environment, fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions } from '../../src/core/connect';
import { opened } from '../../src/core/opened';
import { once } from '../../src/core/once';
import { drain, type Drain } from '../../src/features/drain/drain';
import { maxMessageSize } from '../../src/features/limit/limit';
import type { SocketEvents } from '../../src/core/events';
import type { Feature, FeatureHooks } from '../../src/core/feature';
import { canTransition, type State } from '../../src/core/state';
import { rpc } from '../../src/features/rpc/rpc';
import { HoldfastError } from '../../src/protocol/errors';
import { createFakeEnvironment } from '../helpers/client-fake-environment';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

const moves: Array<[State, State]> = [];
const live: Array<{ close(): void }> = [];

function setup(options: ConnectOptions = {}) {
  const kit = createFakeWebSocket();
  const env = createFakeEnvironment();
  const socket = connect('ws://test.invalid/', { WebSocket: kit.WebSocket, environment: env, random: () => 1, heartbeat: false, ...options });
  live.push(socket);
  const events: Array<[keyof SocketEvents, unknown]> = [];
  for (const name of ['open', 'close', 'state', 'drop', 'error'] as const) socket.on(name, (payload) => void events.push([name, payload]));
  socket.on('state', ({ from, to }) => void moves.push([from, to]));
  const of = <E extends keyof SocketEvents>(name: E): SocketEvents[E][] => events.filter((e) => e[0] === name).map((e) => e[1] as SocketEvents[E]);
  const states = (): string[] => of('state').map((s) => `${s.from}>${s.to}`);
  return { kit, env, socket, of, states };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

/** `setup` with the drain() feature first in `use`, and its `close()` typed. */
function drained(options: ConnectOptions = {}) {
  const ctx = setup({ ...options, use: [drain(), ...(options.use ?? [])] });
  return { ...ctx, socket: ctx.socket as typeof ctx.socket & Drain };
}

/** Tracks how a promise settled, without an unhandled rejection. */
function track(promise: Promise<unknown>) {
  const t: { settled: boolean; how?: 'resolved' | 'rejected'; value?: unknown; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(t, { settled: true, how: 'resolved', value }),
    (error: unknown) => Object.assign(t, { settled: true, how: 'rejected', error }),
  );
  return t;
}

/** An AbortSignal stand-in that records its listeners. */
function fakeSignal() {
  const listeners = new Set<() => void>();
  return {
    aborted: false,
    reason: undefined as unknown,
    addEventListener: (type: string, listener: () => void) => void (type === 'abort' && listeners.add(listener)),
    removeEventListener: (type: string, listener: () => void) => void (type === 'abort' && listeners.delete(listener)),
    get listeners() {
      return listeners.size;
    },
    abort(reason: unknown) {
      this.aborted = true;
      this.reason = reason;
      for (const l of [...listeners]) l();
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const socket of live.splice(0)) socket.close();
  expect(moves.splice(0).filter(([from, to]) => !canTransition(from, to))).toEqual([]);
  vi.useRealTimers();
});

describe('once()', () => {
  it('calls its listener for the next event only, and its unsubscribe works before that', async () => {
    const { kit, socket } = setup();
    const first: unknown[] = [];
    const never: unknown[] = [];
    once(socket, 'close', (e) => void first.push(e.code));
    const off = once(socket, 'open', () => void never.push('open'));
    off();
    off();
    await tick();
    kit.last().open();
    kit.last().closed(1006);
    await tick(1000);
    kit.last().open();
    kit.last().closed(1011);
    expect(first).toEqual([1006]);
    expect(never).toEqual([]);
  });
});

describe('opened()', () => {
  it('resolves when the socket opens, and at once when it is open', async () => {
    const { kit, socket } = setup();
    const waiting = track(opened(socket));
    await tick();
    expect(waiting.settled).toBe(false);
    kit.last().open();
    await tick();
    expect(waiting).toEqual({ settled: true, how: 'resolved', value: undefined });
    const again = track(opened(socket));
    await tick();
    expect(again.how).toBe('resolved');
  });

  it('waits through a reconnect, and rejects with CLOSED when the socket ends for good', async () => {
    const { kit, socket } = setup({ backoff: { maxRetries: 1, initialDelay: 100 } });
    const waiting = track(opened(socket));
    await tick();
    kit.last().closed(1006); // a failed attempt: reconnecting, not the end
    await tick();
    expect(waiting.settled).toBe(false);
    await tick(100);
    kit.last().closed(1006); // retries used up: closed
    await tick();
    expect(socket.state).toBe('closed');
    expect(waiting.error).toBeInstanceOf(HoldfastError);
    expect(waiting.error).toMatchObject({ code: 'CLOSED', message: 'socket closed' });
  });

  it('rejects at once on a closing, closed or stopped socket', async () => {
    const closing = setup();
    await tick();
    closing.kit.last().open();
    closing.socket.close();
    expect(closing.socket.state).toBe('closing');
    const stopped = setup({ start: false });
    const results = [track(opened(closing.socket)), track(opened(stopped.socket))];
    await tick();
    expect(results.map((r) => (r.error as HoldfastError | undefined)?.code)).toEqual(['CLOSED', 'CLOSED']);
  });

  it('rejects with ABORTED and the reason as cause when the signal aborts, also when it already has, leaving no listener', async () => {
    const { kit, socket } = setup();
    const signal = fakeSignal();
    const waiting = track(opened(socket, { signal: signal as unknown as AbortSignal }));
    expect(signal.listeners).toBe(1);
    signal.abort('gave up');
    await tick();
    expect(waiting.error).toMatchObject({ code: 'ABORTED', message: 'aborted', cause: 'gave up' });
    expect(signal.listeners).toBe(0);
    const late = track(opened(socket, { signal: signal as unknown as AbortSignal }));
    await tick();
    expect(late.error).toMatchObject({ code: 'ABORTED' });
    expect(signal.listeners).toBe(0);
    // Settled promises keep no socket listener either: opening later changes nothing for them.
    kit.last().open();
    const ok = fakeSignal();
    const resolved = track(opened(socket, { signal: ok as unknown as AbortSignal }));
    await tick();
    expect(resolved.how).toBe('resolved');
    expect(ok.listeners).toBe(0);
  });
});

describe('stop() and start()', () => {
  it('stop() ends like close() but keeps the listeners, and start() connects again with the counter reset', async () => {
    const { kit, socket, of, states, env } = setup({ backoff: { initialDelay: 100 } });
    const messages: unknown[] = [];
    socket.on('message', (data) => void messages.push(data));
    await tick();
    kit.last().closed(1006);
    await tick(100);
    kit.last().open();
    expect(env.subscribers).toBe(1);
    socket.stop(4001, 'logged out');
    expect(socket.state).toBe('closing');
    expect(kit.last().closeCalls).toEqual([{ code: 4001, reason: 'logged out' }]);
    kit.last().closed(4001, 'logged out', true);
    expect(socket.state).toBe('closed');
    expect(of('close').at(-1)).toMatchObject({ code: 4001, willReconnect: false });
    expect(env.subscribers).toBe(0);
    expect(socket.send('while stopped')).toBe('dropped');
    await tick(60_000);
    expect(kit.instances).toHaveLength(2);

    socket.start();
    expect(socket.state).toBe('connecting');
    expect(env.subscribers).toBe(1);
    expect(kit.instances).toHaveLength(3);
    kit.last().open();
    kit.last().receive('after login');
    expect(messages).toEqual(['after login']);
    expect(of('open').at(-1)).toEqual({ attempt: 0, protocol: '' });
    expect(states().slice(-4)).toEqual(['open>closing', 'closing>closed', 'closed>connecting', 'connecting>open']);
    expect(of('state').at(-2)).toMatchObject({ from: 'closed', to: 'connecting', reason: 'start() called' });
  });

  it('start: false creates the socket stopped: no attempt, sends dropped, until start()', async () => {
    const { kit, socket, of } = setup({ start: false });
    expect(socket.state).toBe('closed');
    await tick(60_000);
    expect(kit.instances).toHaveLength(0);
    expect(socket.send('early')).toBe('dropped');
    expect(of('drop')).toEqual([{ data: 'early', reason: 'closed' }]);
    expect(of('state')).toEqual([]);
    socket.start();
    expect(kit.instances).toHaveLength(1);
    kit.last().open();
    expect(socket.send('now')).toBe('sent');
    expect(kit.last().sent).toEqual(['now']);
  });

  it('close() is final: start() after it does nothing, also after a stop()', async () => {
    const a = setup();
    await tick();
    a.socket.close();
    a.socket.start();
    expect(a.socket.state).toBe('closed');
    const b = setup({ start: false });
    b.socket.stop();
    b.socket.close();
    b.socket.start();
    await tick(60_000);
    expect(b.socket.state).toBe('closed');
    expect(b.kit.instances).toHaveLength(0);
  });

  it('start() revives a socket that ended by itself (a final close code) unless close() was called; it does nothing while live', async () => {
    const { kit, socket } = setup();
    await tick();
    socket.start(); // connecting: nothing happens
    expect(kit.instances).toHaveLength(1);
    kit.last().open();
    kit.last().closed(4401, 'unauthorized', true);
    expect(socket.state).toBe('closed');
    socket.start();
    expect(socket.state).toBe('connecting');
    expect(kit.instances).toHaveLength(2);
  });

  it('stop() while not open ends at once; stop() twice does nothing', async () => {
    const { kit, socket, of } = setup();
    await tick();
    socket.stop();
    socket.stop();
    expect(socket.state).toBe('closed');
    // The connecting platform socket is closed without a code, its handlers released.
    expect(kit.last().closeCalls).toEqual([{ code: undefined, reason: undefined }]);
    expect(kit.last().onopen).toBeNull();
    expect(of('close')).toHaveLength(1);
  });

  it('features end on stop() and keep working after start(): rpc rejects pending requests, keeps its handlers', async () => {
    const ended: number[] = [];
    const probe: Feature = (host) => {
      const hooks: FeatureHooks = { end: (code) => void ended.push(code) };
      host.hook(hooks);
      return {};
    };
    const kit = createFakeWebSocket();
    const socket = connect('ws://test.invalid/', { WebSocket: kit.WebSocket, heartbeat: false, use: [rpc(), probe] });
    live.push(socket);
    socket.handle('whoami', () => 'me');
    await tick();
    kit.last().open();
    const pending = track(socket.request('slow'));
    socket.stop();
    kit.last().closed(1000, '', true);
    await tick();
    expect(pending.error).toMatchObject({ code: 'CLOSED' });
    expect(ended).toEqual([1000]);
    socket.start();
    kit.last().open();
    kit.last().receive(JSON.stringify({ type: 'request', id: 'r1', method: 'whoami' }));
    await tick();
    expect(kit.last().sent).toContain(JSON.stringify({ type: 'response', id: 'r1', result: 'me' }));
    const answered = track(socket.request('echo', 1));
    kit.last().receive(JSON.stringify({ type: 'response', id: 2, result: 1 }));
    await tick();
    expect(answered.value).toBe(1);
  });
});

describe('close() with drain', () => {
  it('waits for the link to open, flushes the queue, then closes; later sends are dropped', async () => {
    const { kit, socket, of } = drained({ closeTimeout: 300 });
    socket.send('hello');
    socket.close(1000, 'bye', { drain: 5000 });
    expect(socket.state).toBe('connecting');
    expect(socket.send('late')).toBe('dropped');
    await tick();
    kit.last().open();
    expect(kit.last().sent).toEqual(['hello']);
    expect(kit.last().closeCalls).toEqual([{ code: 1000, reason: 'bye' }]);
    expect(socket.state).toBe('closing');
    await tick(300);
    expect(socket.state).toBe('closed');
    expect(of('drop')).toEqual([{ data: 'late', reason: 'closed' }]);
    socket.start();
    expect(socket.state).toBe('closed'); // close() is final, drained or not
  });

  it('drops what is still queued when the drain time runs out, closing with the code given', async () => {
    const { kit, socket, of } = drained();
    socket.send('a');
    socket.close(4000, 'gone', { drain: 2000 });
    await tick(1999);
    expect(socket.state).toBe('connecting');
    await tick(1);
    expect(socket.state).toBe('closed');
    expect(of('drop')).toEqual([{ data: 'a', reason: 'closed' }]);
    expect(of('close').at(-1)).toMatchObject({ code: 4000, reason: 'gone', willReconnect: false });
    expect(kit.last().onopen).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closes at once with nothing queued or when open; a plain close() while draining closes now', async () => {
    const empty = drained();
    empty.socket.close(1000, '', { drain: 5000 });
    expect(empty.socket.state).toBe('closed');
    const draining = drained();
    draining.socket.send('x');
    draining.socket.close(1000, '', { drain: 5000 });
    await tick(4000);
    draining.socket.close(1000, '', { drain: 5000 }); // again with drain: keeps the first deadline
    expect(draining.socket.state).toBe('connecting');
    await tick(1000);
    expect(draining.socket.state).toBe('closed');
    const plain = drained();
    plain.socket.send('x');
    plain.socket.close(1000, '', { drain: 5000 });
    plain.socket.close();
    expect(plain.socket.state).toBe('closed');
    expect(plain.of('drop')).toEqual([{ data: 'x', reason: 'closed' }]);
  });

  it('a stop() while draining ends the socket; the close() that drained stays final, and its timer is gone', async () => {
    const { socket, of } = drained();
    socket.send('m');
    socket.close(1000, '', { drain: 5000 });
    socket.stop();
    expect(socket.state).toBe('closed');
    expect(of('drop')).toEqual([{ data: 'm', reason: 'closed' }]);
    expect(vi.getTimerCount()).toBe(0);
    socket.start();
    expect(socket.state).toBe('closed');
    expect(socket.send('later')).toBe('dropped');
  });

  it('keeps reconnecting while it drains', async () => {
    const { kit, socket } = drained({ backoff: { initialDelay: 100 } });
    socket.send('m');
    socket.close(1000, '', { drain: 5000 });
    await tick();
    kit.last().closed(1006);
    await tick(100);
    expect(kit.instances).toHaveLength(2);
    kit.last().open();
    expect(kit.last().sent).toEqual(['m']);
    expect(socket.state).toBe('closing');
  });
});

describe('guards and messages', () => {
  it('an open listener that closes a draining socket closes it once', async () => {
    const { kit, socket, states } = drained();
    socket.send('m');
    socket.close(1000, '', { drain: 5000 });
    socket.on('open', () => socket.close());
    await tick();
    kit.last().open();
    expect(states().filter((m) => m === 'open>closing')).toHaveLength(1);
    expect(kit.last().closeCalls).toHaveLength(1);
    expect(socket.state).toBe('closing'); // still waiting for the closing handshake
  });

  it('stop() while closing waits for the platform like close() does', async () => {
    const { kit, socket } = setup({ closeTimeout: 500 });
    await tick();
    kit.last().open();
    socket.stop();
    socket.stop();
    expect(socket.state).toBe('closing');
    expect(kit.last().closeCalls).toEqual([{ code: 1000, reason: '' }]);
    await tick(500);
    expect(socket.state).toBe('closed');
  });

  it('names its errors: send failed, unsupported data, maxMessageSize, hook threw, no pong, no WebSocket', async () => {
    const throwing: Feature = (host) => {
      host.hook({
        up: () => {
          throw new Error('bug');
        },
      });
      return {};
    };
    const { kit, socket, of } = setup({ heartbeat: { interval: 100, timeout: 50 }, use: [maxMessageSize(2), throwing] });
    expect(() => socket.send(5 as unknown as string)).toThrow(new TypeError('unsupported data'));
    expect(() => socket.send('abc')).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_BIG', message: 'message of 3 bytes exceeds maxMessageSize (2)', size: 3, limit: 2 }));
    await tick();
    const ws = kit.last();
    ws.open();
    ws.send = () => {
      throw new Error('refused');
    };
    socket.send('ab');
    await tick(150);
    expect(of('error').map((e) => [e.code, e.message])).toEqual([
      ['LISTENER', 'hook threw'],
      ['SEND', 'send failed'], // 'ab'
      ['SEND', 'send failed'], // the ping
      ['HEARTBEAT', 'no pong: heartbeat unanswered'],
    ]);
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => connect('ws://x')).toThrow(expect.objectContaining({ code: 'NO_WEBSOCKET', message: 'no WebSocket' }));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('host.write() on no open link returns false and reports nothing', async () => {
    let write: ((data: string) => boolean) | undefined;
    const { kit, of } = setup({ use: [(host) => ((write = host.write), {})] });
    await tick();
    expect(write?.('x')).toBe(false);
    kit.last().open();
    expect(write?.('y')).toBe(true);
    expect(kit.last().sent).toEqual(['y']);
    expect(of('error')).toEqual([]);
  });

  it('a url provider returning null ends with a clean close', async () => {
    const kit = createFakeWebSocket();
    const socket = connect(() => null, { WebSocket: kit.WebSocket, heartbeat: false });
    const closes: unknown[] = [];
    socket.on('close', (e) => void closes.push(e));
    await tick();
    expect(closes).toEqual([{ code: 1000, reason: 'url provider returned null', wasClean: true, willReconnect: false }]);
  });

  it('constructs without a protocols argument when there are none', async () => {
    const counts: number[] = [];
    const kit = createFakeWebSocket();
    const Counting = function (this: unknown, ...args: [string, string?]) {
      counts.push(args.length);
      return new kit.WebSocket(...args);
    } as unknown as typeof kit.WebSocket;
    live.push(connect('ws://x', { WebSocket: Counting, heartbeat: false }), connect('ws://x', { WebSocket: Counting, heartbeat: false, protocols: 'p' }));
    await tick();
    expect(counts).toEqual([1, 2]);
  });

  it('adds only a string platform reason to CONNECT errors, and survives a constructor that throws nothing', async () => {
    const a = setup();
    await tick();
    a.kit.last().onerror?.({ message: 42 });
    const b = setup({
      WebSocket: class {
        constructor() {
          throw undefined; // eslint-disable-line no-throw-literal
        }
      } as unknown as ConnectOptions['WebSocket'],
    });
    await tick();
    expect(a.of('error').map((e) => e.message)).toEqual(['WebSocket error']);
    expect(b.of('error').map((e) => e.message)).toEqual(['WebSocket constructor threw']);
  });

  it('checks the heartbeat only on resume: suspend, offline and online leave an open link alone', async () => {
    const { kit, env } = setup({ heartbeat: { interval: 10_000, timeout: 500 } });
    await tick();
    kit.last().open();
    env.emit('suspend');
    env.emit('offline');
    env.emit('online');
    expect(kit.last().sent).toEqual([]);
    env.emit('resume');
    expect(kit.last().sent).toHaveLength(1);
  });
});
