import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { HoldfastError, MessageTooBigError, ProtocolError, QueueFullError, TimeoutError } from '../../src/protocol/errors';
import type { SocketEvents } from '../../src/core/events';
import type { State } from '../../src/core/state';
import type { ConnectOptions, HoldfastSocket } from '../../src/core/connect';
import { canTransition } from '../../src/core/state';
import { stats, type StatsMethods } from '../../src/features/stats/stats';
import { maxMessageSize } from '../../src/features/limit/limit';
import { retryAfter } from '../../src/features/retry-after/retry-after';
import { createFakeEnvironment } from '../helpers/client-fake-environment';
import { createFakeWebSocket, type FakeWebSocket } from '../helpers/client-fake-ws';

const EVENTS = ['open', 'message', 'close', 'reconnecting', 'state', 'error', 'drop', 'heartbeat'] as const;
type Recorded = { [E in keyof SocketEvents]: [E, SocketEvents[E]] }[keyof SocketEvents];

const live: HoldfastSocket[] = [];
/** Every state change of every socket in a test: each must be a move the table allows. */
const moves: Array<[State, State]> = [];

function setup(options: ConnectOptions = {}, url: Parameters<typeof connect>[0] = 'ws://test.invalid/') {
  const kit = createFakeWebSocket();
  const env = createFakeEnvironment();
  const socket = connect(url, { WebSocket: kit.WebSocket, environment: env, random: () => 1, heartbeat: false, ...options });
  live.push(socket);
  const events: Recorded[] = [];
  for (const name of EVENTS) socket.on(name, (payload) => events.push([name, payload] as Recorded));
  socket.on('state', ({ from, to }) => moves.push([from, to]));
  const of = <E extends keyof SocketEvents>(name: E): SocketEvents[E][] =>
    events.filter((e) => e[0] === name).map((e) => e[1] as SocketEvents[E]);
  const states = (): string[] => of('state').map((s) => `${s.from}>${s.to}`);
  return { kit, env, socket, events, of, states };
}

/** Runs pending microtasks and timers due within `ms`. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function opened(options: ConnectOptions = {}) {
  const ctx = setup(options);
  await tick();
  ctx.kit.last().open('chat');
  return ctx;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});

afterEach(() => {
  for (const socket of live.splice(0)) socket.close();
  const illegal = moves.splice(0).filter(([from, to]) => !canTransition(from, to));
  expect(illegal).toEqual([]);
  vi.useRealTimers();
});

describe('lifecycle', () => {
  it('starts the first attempt after connect() returns, so early listeners see every event', async () => {
    const { kit, socket, of } = setup();
    expect(socket.state).toBe('connecting');
    expect(kit.instances).toHaveLength(0);
    await tick();
    expect(kit.instances).toHaveLength(1);
    expect(kit.last().url).toBe('ws://test.invalid/');
    expect(kit.last().binaryType).toBe('arraybuffer');
    kit.last().open('chat');
    expect(socket.state).toBe('open');
    expect(of('open')).toEqual([{ attempt: 0, protocol: 'chat' }]);
    expect(of('state')).toEqual([{ from: 'connecting', to: 'open', reason: 'connected' }]);
  });

  it('close() on an open link goes through closing and ends with close and state closed, leaving nothing behind', async () => {
    const { kit, env, socket, of, states } = await opened({ heartbeat: { interval: 1000, timeout: 500 } });
    const ws = kit.last();
    socket.close(4321, 'bye');
    expect(socket.state).toBe('closing');
    expect(ws.closeCalls).toEqual([{ code: 4321, reason: 'bye' }]);
    ws.closed(4321, 'bye', true);
    expect(socket.state).toBe('closed');
    expect(states()).toEqual(['connecting>open', 'open>closing', 'closing>closed']);
    expect(of('close')).toEqual([{ code: 4321, reason: 'bye', wasClean: true, willReconnect: false }]);
    expect(ws.detached).toBe(true);
    expect(env.subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() finishes after closeTimeout when the platform never reports the close', async () => {
    const { kit, socket, of } = await opened({ closeTimeout: 300 });
    socket.close();
    await tick(299);
    expect(socket.state).toBe('closing');
    await tick(1);
    expect(socket.state).toBe('closed');
    expect(of('close')).toEqual([{ code: 1000, reason: '', wasClean: false, willReconnect: false }]);
    expect(kit.last().onclose).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() while connecting closes at once and aborts the attempt', async () => {
    const { kit, socket, of, states } = setup();
    await tick();
    const ws = kit.last();
    socket.close();
    expect(socket.state).toBe('closed');
    expect(states()).toEqual(['connecting>closed']);
    expect(ws.closeCalls).toHaveLength(1);
    expect([ws.onopen, ws.onmessage, ws.onclose]).toEqual([null, null, null]);
    ws.open();
    expect(of('open')).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() before the first attempt started means no attempt at all', async () => {
    const { kit, socket } = setup();
    socket.close();
    await tick(60_000);
    expect(kit.instances).toHaveLength(0);
    expect(socket.state).toBe('closed');
  });

  it('close() while reconnecting cancels the pending retry', async () => {
    const { kit, socket } = await opened();
    kit.last().closed(1006);
    expect(socket.state).toBe('reconnecting');
    socket.close();
    expect(socket.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    await tick(60_000);
    expect(kit.instances).toHaveLength(1);
  });

  it('close() twice is a no-op', async () => {
    const { socket, of } = setup();
    socket.close();
    socket.close();
    expect(of('close')).toHaveLength(1);
  });

  it('close() discards the queue with drop events and later sends are dropped', async () => {
    const { socket, of } = setup();
    socket.send('a');
    socket.send('b');
    socket.close();
    expect(socket.send('c')).toBe('dropped');
    expect(of('drop')).toEqual([
      { data: 'a', reason: 'closed' },
      { data: 'b', reason: 'closed' },
      { data: 'c', reason: 'closed' },
    ]);
    expect(socket.queue.length).toBe(0);
  });

  it('reconnect() does nothing once closed', async () => {
    const { kit, socket } = setup();
    await tick();
    socket.close();
    socket.reconnect();
    await tick(60_000);
    expect(socket.state).toBe('closed');
    expect(kit.instances).toHaveLength(1);
  });
});

describe('reconnection', () => {
  it('reconnects after a drop with a backoff delay, and never keeps two live sockets', async () => {
    const { kit, socket, of, states } = await opened();
    const first = kit.last();
    first.closed(1006);
    expect(socket.state).toBe('reconnecting');
    expect(of('close')).toEqual([{ code: 1006, reason: '', wasClean: false, willReconnect: true }]);
    expect(of('reconnecting')).toEqual([{ attempt: 1, delay: 1000, reason: 'link closed (1006)' }]);
    expect(first.detached).toBe(true);
    await tick(999);
    expect(kit.instances).toHaveLength(1);
    await tick(1);
    expect(kit.instances).toHaveLength(2);
    kit.last().open();
    expect(states()).toEqual(['connecting>open', 'open>reconnecting', 'reconnecting>connecting', 'connecting>open']);
    expect(of('open').map((o) => o.attempt)).toEqual([0, 1]);
  });

  it('grows the delay on repeated failures up to maxDelay', async () => {
    const { kit, of } = setup({ backoff: { initialDelay: 100, maxDelay: 500 } });
    await tick();
    for (let i = 0; i < 5; i++) {
      kit.last().closed(1006);
      await tick(1000);
    }
    expect(of('reconnecting').map((r) => [r.attempt, r.delay])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 500],
      [5, 500],
    ]);
  });

  it('applies full jitter through the injected random()', async () => {
    const { kit, of } = setup({ random: () => 0.5 });
    await tick();
    kit.last().closed(1006);
    expect(of('reconnecting')[0]?.delay).toBe(500);
  });

  it('resets the retry counter only after the link stayed open for minUptime', async () => {
    const { kit, of } = setup({ backoff: { initialDelay: 100, minUptime: 1000 } });
    await tick();
    kit.last().closed(1006);
    await tick(100);
    kit.last().open();
    await tick(999); // flapping: dropped just before minUptime
    kit.last().closed(1006);
    await tick(200);
    kit.last().open();
    await tick(1000); // stable
    kit.last().closed(1006);
    expect(of('reconnecting').map((r) => r.delay)).toEqual([100, 200, 100]);
  });

  it('gives up after maxRetries with the reason in the state and close events', async () => {
    const { kit, socket, of } = setup({ backoff: { maxRetries: 2, initialDelay: 10 } });
    await tick();
    for (let i = 0; i < 3; i++) {
      kit.last().closed(1006);
      await tick(100);
    }
    expect(socket.state).toBe('closed');
    expect(kit.instances).toHaveLength(3);
    const last = of('state').at(-1);
    expect(last).toEqual({ from: 'connecting', to: 'closed', reason: 'gave up after 2 retries' });
    expect(of('close').at(-1)).toEqual({ code: 1006, reason: 'gave up after 2 retries', wasClean: false, willReconnect: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps trying every idleInterval after maxRetries, and at once when the network returns', async () => {
    const { kit, env, socket, of } = setup({ backoff: { maxRetries: 1, initialDelay: 10, idleInterval: 60_000 } });
    await tick();
    kit.last().closed(1006);
    await tick(10);
    kit.last().closed(1006);
    expect(socket.state).toBe('reconnecting');
    expect(of('reconnecting').at(-1)?.delay).toBe(60_000);
    await tick(59_999);
    expect(kit.instances).toHaveLength(2);
    await tick(1);
    expect(kit.instances).toHaveLength(3);
    kit.last().closed(1006);
    env.emit('online');
    expect(kit.instances).toHaveLength(4);
  });

  it.each([1002, 1003, 1007, 1008, 1009, 1010, 4401])('does not reconnect after close code %i', async (code) => {
    const { kit, socket, of } = await opened();
    kit.last().closed(code, 'no', true);
    expect(socket.state).toBe('closed');
    expect(of('close')).toEqual([{ code, reason: 'no', wasClean: true, willReconnect: false }]);
    await tick(60_000);
    expect(kit.instances).toHaveLength(1);
  });

  it.each([1000, 1001, 1011, 1012])('reconnects after a server close with %i (restart, deploy, error)', async (code) => {
    const { kit, socket } = await opened();
    kit.last().closed(code, '', true);
    expect(socket.state).toBe('reconnecting');
    await tick(1000);
    expect(kit.instances).toHaveLength(2);
  });

  it('lets shouldReconnect override the table both ways and passes it the context', async () => {
    const shouldReconnect = vi.fn((ctx: { code: number }) => ctx.code === 1008);
    const { kit, socket } = await opened({ shouldReconnect });
    kit.last().closed(1008, 'policy', true);
    expect(shouldReconnect).toHaveBeenCalledWith({ code: 1008, reason: 'policy', wasClean: true, attempt: 0 });
    expect(socket.state).toBe('reconnecting');
    await tick(1000);
    kit.last().closed(1006);
    expect(socket.state).toBe('closed');
  });

  it('with retryAfter(), waits at least retry-after seconds after 1013 (and the backoff otherwise)', async () => {
    const { kit, of } = await opened({ use: [retryAfter()] });
    kit.last().closed(1013, 'busy; retry-after=12', true);
    expect(of('reconnecting')[0]?.delay).toBe(12_000);
    await tick(11_999);
    expect(kit.instances).toHaveLength(1);
    await tick(1);
    expect(kit.instances).toHaveLength(2);
    kit.last().closed(1011, 'retry-after=60'); // not 1013: the hint is ignored
    await tick(2000);
    kit.last().closed(1013, 'busy'); // 1013 without a hint
    expect(of('reconnecting').map((r) => r.delay)).toEqual([12_000, 2000, 4000]);
  });

  it('without retryAfter(), a 1013 is retried after the backoff alone', async () => {
    const { kit, of } = await opened();
    kit.last().closed(1013, 'busy; retry-after=12', true);
    expect(of('reconnecting')[0]?.delay).toBe(1000);
  });

  it('aborts a hanging attempt after connectTimeout and counts it as failed', async () => {
    const { kit, socket, of } = setup({ connectTimeout: 2000 });
    await tick();
    const ws = kit.last();
    await tick(2000);
    expect(ws.closeCalls).toHaveLength(1);
    expect(ws.onopen).toBeNull();
    expect(of('error')[0]).toBeInstanceOf(TimeoutError);
    expect(of('close')).toEqual([{ code: 1006, reason: 'connect timeout', wasClean: false, willReconnect: true }]);
    expect(socket.state).toBe('reconnecting');
    expect(of('reconnecting')[0]?.attempt).toBe(1);
  });

  it('reconnect() on an open link closes it and attempts again at once with the counter reset', async () => {
    const { kit, socket, of } = await opened();
    const first = kit.last();
    socket.reconnect();
    expect(first.closeCalls).toEqual([{ code: 1000, reason: 'reconnect() called' }]);
    expect(first.detached).toBe(true);
    expect(of('close')).toEqual([{ code: 1000, reason: 'reconnect() called', wasClean: false, willReconnect: true }]);
    await tick();
    expect(kit.instances).toHaveLength(2);
    expect(socket.state).toBe('connecting');
    kit.last().open();
    expect(of('open').at(-1)?.attempt).toBe(0);
  });

  it('reconnect() while waiting for a retry attempts now', async () => {
    const { kit, socket } = await opened();
    kit.last().closed(1006);
    socket.reconnect();
    await tick();
    expect(kit.instances).toHaveLength(2);
    expect(socket.state).toBe('connecting');
  });

  it('ignores late events from a replaced socket (generation check)', async () => {
    const { kit, socket, of } = await opened();
    const old = kit.last();
    const { onmessage, onclose, onopen } = old;
    socket.reconnect();
    await tick();
    onopen?.({});
    expect(of('open')).toHaveLength(1);
    kit.last().open();
    onmessage?.({ data: 'stale' });
    onclose?.({ code: 1006, reason: '', wasClean: false });
    expect(of('message')).toEqual([]);
    expect(of('open')).toHaveLength(2);
    expect(socket.state).toBe('open');
  });
});

describe('url and protocols providers', () => {
  it('calls the url provider before every attempt with the retry count, sync or async', async () => {
    const calls: number[] = [];
    const { kit } = setup({}, async ({ attempt }) => {
      calls.push(attempt);
      return `ws://test.invalid/?try=${attempt}`;
    });
    await tick();
    expect(kit.last().url).toBe('ws://test.invalid/?try=0');
    kit.last().closed(1006);
    await tick(1000);
    expect(kit.last().url).toBe('ws://test.invalid/?try=1');
    expect(calls).toEqual([0, 1]);
  });

  it('treats a throwing or rejecting provider as a failed attempt reported as a URL error', async () => {
    let n = 0;
    const { kit, socket, of } = setup({}, () => {
      n++;
      if (n === 1) throw new Error('token refresh failed');
      if (n === 2) return Promise.reject(new Error('again'));
      return 'ws://test.invalid/';
    });
    await tick();
    expect(of('error')[0]).toMatchObject({ code: 'URL' });
    expect(socket.state).toBe('reconnecting');
    await tick(1000);
    expect(of('error')).toHaveLength(2);
    await tick(2000);
    expect(kit.instances).toHaveLength(1);
    expect(of('close')).toEqual([]);
  });

  it('reports a provider that returns something other than a string or null', async () => {
    const { of } = setup({}, () => 42 as unknown as string);
    await tick();
    expect(of('error')[0]).toMatchObject({ code: 'URL' });
  });

  it('stops for good when the url provider returns null', async () => {
    const { kit, env, socket, of } = setup({}, () => null);
    await tick();
    expect(socket.state).toBe('closed');
    expect(env.subscribers).toBe(0);
    expect(kit.instances).toHaveLength(0);
    expect(of('close')[0]).toMatchObject({ willReconnect: false, reason: 'url provider returned null' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores an async url that resolves after close()', async () => {
    let resolve: (url: string) => void = () => {};
    const { kit, socket } = setup({}, () => new Promise<string>((r) => (resolve = r)));
    await tick();
    socket.close();
    resolve('ws://test.invalid/');
    await tick();
    expect(kit.instances).toHaveLength(0);
  });

  it('passes protocols (static or provided) to the constructor', async () => {
    const { kit } = setup({ protocols: async () => ['v2', 'v1'] });
    await tick();
    expect(kit.last().protocols).toEqual(['v2', 'v1']);
  });

  it('reports a throwing constructor as a CONNECT error and retries', async () => {
    const { socket, of } = setup({
      WebSocket: class {
        constructor() {
          throw new SyntaxError('bad url');
        }
      } as unknown as ConnectOptions['WebSocket'],
    });
    await tick();
    expect(of('error')[0]).toMatchObject({ code: 'CONNECT' });
    expect(socket.state).toBe('reconnecting');
  });
});

describe('environment', () => {
  it('makes no attempt while offline and starts one at once when online', async () => {
    const ctx = setup();
    ctx.env.online = false;
    await tick(60_000);
    expect(ctx.kit.instances).toHaveLength(0);
    expect(ctx.socket.state).toBe('reconnecting');
    ctx.env.emit('online');
    expect(ctx.kit.instances).toHaveLength(1);
  });

  it('burns no retries while offline: the backoff pauses and resumes at its first step', async () => {
    const { kit, env, of } = await opened({ backoff: { initialDelay: 100 } });
    env.emit('offline');
    kit.last().closed(1006);
    await tick(60_000);
    expect(kit.instances).toHaveLength(1);
    expect(of('reconnecting')).toEqual([]);
    env.emit('online');
    expect(kit.instances).toHaveLength(2);
    kit.last().closed(1006);
    expect(of('reconnecting').map((r) => r.attempt)).toEqual([1]);
  });

  it('cancels a scheduled retry when the network goes away', async () => {
    const { kit, env } = await opened();
    kit.last().closed(1006);
    env.emit('offline');
    await tick(60_000);
    expect(kit.instances).toHaveLength(1);
  });

  it('on resume checks an open link at once with a heartbeat ping', async () => {
    const { kit, env, socket } = await opened({ heartbeat: { interval: 25_000, timeout: 1000, required: true } });
    env.emit('resume');
    expect(kit.last().sent).toEqual([`{"type":"ping","ts":${Date.now()}}`]);
    await tick(1000);
    expect(socket.state).toBe('reconnecting');
  });

  it('on resume retries at once while reconnecting', async () => {
    const { kit, env } = await opened();
    kit.last().closed(1006);
    env.emit('resume');
    expect(kit.instances).toHaveLength(2);
  });
});

describe('heartbeat', () => {
  const heartbeat = { interval: 200, timeout: 200 };

  it('pings every interval and turns the matching pong into rtt without a message event', async () => {
    const { kit, socket: plain, of } = await opened({ heartbeat, use: [stats()] });
    const socket = plain as typeof plain & StatsMethods;
    const ws = kit.last();
    await tick(200);
    const ts = Date.now();
    expect(ws.sent).toEqual([`{"type":"ping","ts":${ts}}`]);
    await tick(30);
    ws.receive(`{"type":"pong","ts":${ts}}`);
    expect(of('heartbeat')).toEqual([{ rtt: 30 }]);
    expect(socket.rtt).toBe(30);
    expect(socket.stats().rtt).toBe(30);
    expect(of('message')).toEqual([]);
    await tick(170);
    expect(ws.sent).toHaveLength(2);
  });

  it('with required: true, detects a silent link within interval + timeout, closes it with 4000 without waiting, and reconnects', async () => {
    const { kit, socket, of } = await opened({ heartbeat: { ...heartbeat, required: true } });
    const ws = kit.last();
    await tick(399);
    expect(socket.state).toBe('open');
    await tick(1);
    expect(socket.state).toBe('reconnecting');
    expect(ws.closeCalls).toEqual([{ code: 4000, reason: 'heartbeat timeout' }]);
    expect(ws.detached).toBe(true);
    expect(of('close')).toEqual([{ code: 4000, reason: 'heartbeat timeout', wasClean: false, willReconnect: true }]);
    expect(of('error')[0]).toBeInstanceOf(TimeoutError);
    await tick(1000);
    expect(kit.instances).toHaveLength(2);
  });

  it('once the server has answered a ping, detects a silent link within interval + timeout (also on a later link)', async () => {
    const { kit, socket, of } = await opened({ heartbeat });
    await tick(200);
    const ping = kit.last().sent[0] as string;
    kit.last().receive(ping.replace('ping', 'pong'));
    await tick(399); // the next ping goes out at 200 from the last one; its timeout is 200 more
    expect(socket.state).toBe('open');
    await tick(1);
    expect(socket.state).toBe('reconnecting');
    expect(of('close').at(-1)).toMatchObject({ code: 4000, reason: 'heartbeat timeout' });
    await tick(1000);
    kit.last().open(); // a new link never answers: the socket knows this server speaks the heartbeat
    await tick(400);
    expect(socket.state).toBe('reconnecting');
    expect(of('error').map((e) => e.code)).toEqual(['TIMEOUT', 'TIMEOUT']);
  });

  it('keeps the link of a server that never answers a ping: one HEARTBEAT error, no more pings on that link, no reconnect loop', async () => {
    const { kit, socket, of } = await opened({ heartbeat });
    const ws = kit.last();
    await tick(400); // interval 200 + timeout 200: the first ping went unanswered
    expect(socket.state).toBe('open');
    expect(of('error').map((e) => e.code)).toEqual(['HEARTBEAT']);
    expect(ws.sent).toHaveLength(1);
    await tick(60_000);
    expect(socket.state).toBe('open');
    expect(ws.sent).toHaveLength(1);
    expect(ws.closeCalls).toEqual([]);
    // The next link tries the heartbeat again, and says nothing new when it goes unanswered.
    ws.closed(1006);
    await tick(1000);
    kit.last().open();
    await tick(400);
    expect(kit.last().sent).toHaveLength(1);
    expect(socket.state).toBe('open');
    expect(of('error').map((e) => e.code)).toEqual(['HEARTBEAT']);
  });

  it('counts any inbound message as proof of life', async () => {
    const { kit, socket } = await opened({ heartbeat });
    await tick(300);
    kit.last().receive('app data');
    await tick(100);
    expect(socket.state).toBe('open');
  });

  it('answers a ping from the server with a pong of the same ts', async () => {
    const { kit, of } = await opened();
    kit.last().receive('{"type":"ping","ts":77}');
    expect(kit.last().sent).toEqual(['{"type":"pong","ts":77}']);
    expect(of('message')).toEqual([]);
  });

  it('sends no pings when disabled', async () => {
    const { kit } = await opened({ heartbeat: false });
    await tick(120_000);
    expect(kit.last().sent).toEqual([]);
  });
});

describe('send and the offline queue', () => {
  it('queues while connecting and flushes in order before open is emitted and before newer messages', async () => {
    const { kit, socket, events } = setup();
    expect(socket.send('one')).toBe('queued');
    socket.send('two');
    expect(socket.queue).toMatchObject({ length: 2, bytes: 6 });
    socket.on('open', () => socket.send('three'));
    await tick();
    const ws = kit.last();
    const sentAtOpen: unknown[] = [];
    socket.on('state', () => sentAtOpen.push(...ws.sent));
    ws.open();
    expect(ws.sent).toEqual(['one', 'two', 'three']);
    expect(sentAtOpen).toEqual(['one', 'two']);
    expect(events.find((e) => e[0] === 'open')).toBeDefined();
    expect(socket.queue.length).toBe(0);
  });

  it('writes straight through while open', async () => {
    const { kit, socket } = await opened();
    const bytes = new Uint8Array([1, 2, 3]);
    expect(socket.send('hi')).toBe('sent');
    expect(socket.send(bytes)).toBe('sent');
    expect(kit.last().sent).toEqual(['hi', bytes]);
  });

  it('queues instead of writing to a platform socket that is already closing', async () => {
    const { kit, socket } = await opened();
    kit.last().close();
    expect(socket.send('later')).toBe('queued');
    expect(kit.last().sent).toEqual([]);
  });

  it('reports overflow with drop events, and throws only with overflow "throw"', async () => {
    const a = setup({ queue: { maxMessages: 1 } });
    a.socket.send('old');
    a.socket.send('new');
    expect(a.of('drop')).toEqual([{ data: 'old', reason: 'overflow' }]);
    const b = setup({ queue: { maxMessages: 1, overflow: 'throw' } });
    b.socket.send('x');
    expect(() => b.socket.send('y')).toThrow(QueueFullError);
  });

  it('drops messages older than ttl when the link opens instead of sending them late', async () => {
    const { kit, socket, of } = setup({ queue: { ttl: 1000 } });
    socket.send('stale');
    await tick(1000);
    socket.send('fresh');
    kit.last().open();
    expect(kit.last().sent).toEqual(['fresh']);
    expect(of('drop')).toEqual([{ data: 'stale', reason: 'expired' }]);
  });

  it('rejects messages above maxMessageSize, counting UTF-8 bytes', async () => {
    const { socket } = setup({ use: [maxMessageSize(4)] });
    expect(socket.send('abcd')).toBe('queued');
    expect(() => socket.send('ab€')).toThrow(MessageTooBigError);
    expect(() => socket.send(new ArrayBuffer(5))).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_BIG', size: 5, limit: 4 }));
  });

  it('counts queued text in UTF-8 bytes: 1 to 4 per code point, 3 for a lone surrogate (sent as U+FFFD)', async () => {
    const { socket } = setup();
    const sizes = ['a', 'é', '€', '😀', '\ud800', 'x\udc00y', new Uint8Array(7), new ArrayBuffer(2)].map((data) => {
      const before = socket.queue.bytes;
      socket.send(data);
      return socket.queue.bytes - before;
    });
    expect(sizes).toEqual([1, 2, 3, 4, 3, 5, 7, 2]);
  });

  it('maxMessageSize() refuses a limit that is not a number >= 0', () => {
    for (const bad of [-1, Number.NaN, '5']) expect(() => maxMessageSize(bad as number)).toThrow(expect.objectContaining({ code: 'OPTIONS', message: 'maxMessageSize' }));
  });

  it('throws a TypeError for data it cannot send', async () => {
    const { socket } = setup();
    expect(() => socket.send(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('incoming messages', () => {
  it('delivers application text as the original string; without rpc() request, response and event frames are application data too', async () => {
    const { kit, of } = await opened();
    const texts = ['hello', '{"type":"event","event":"x","data":1}', '{"type":"request","id":1,"method":"m"}', '{"type":"response","id":1,"result":2}', '{"type":"chat"}', '[1,2]'];
    for (const t of texts) kit.last().receive(t);
    expect(of('message')).toEqual(texts);
    expect(of('error')).toEqual([]);
  });

  it('keeps heartbeats away from message listeners, but passes heartbeat-like frames that break the shape through as data', async () => {
    const { kit, socket, of } = await opened();
    const ws = kit.last();
    ws.receive('{"type":"pong","ts":5}');
    ws.receive('{"type":"ping","ts":6}');
    const odd = ['{"type":"pong"}', '{"type":"ping","ts":"7"}', '{"type":"ping","ts":1e999}', '{"type":"ping" broken', `{"type":"ping","ts":1,"pad":"${'x'.repeat(200)}"}`];
    for (const t of odd) ws.receive(t);
    expect(of('message')).toEqual(odd.slice(0, 4).concat(odd[4] as string));
    expect(ws.sent).toEqual(['{"type":"pong","ts":6}']);
    expect(of('error')).toEqual([]);
    expect(socket.state).toBe('open');
  });

  it('delivers binary as an ArrayBuffer: as is, or an exact copy of a view', async () => {
    const { kit, of } = await opened();
    const buffer = new Uint8Array([1, 2]).buffer;
    kit.last().receive(buffer);
    kit.last().receive(new Uint8Array([9, 8, 7, 6]).subarray(1, 3));
    const [first, second] = of('message');
    expect(first).toBe(buffer);
    expect(second).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(second as ArrayBuffer)]).toEqual([8, 7]);
  });

  it('passes a Blob through as is', async () => {
    const { kit, of } = await opened({ binaryType: 'blob' });
    const blob = new Blob(['x']);
    kit.last().receive(blob);
    expect(of('message')[0]).toBe(blob);
  });

  it('reports data of an unknown kind as a ProtocolError', async () => {
    const { kit, of } = await opened();
    kit.last().receive(12);
    expect(of('error')[0]).toBeInstanceOf(ProtocolError);
  });
});

describe('stats', () => {
  it('counts connects, reconnects, traffic, drops and the last close', async () => {
    const { kit, socket: plain } = await opened({ queue: { maxMessages: 1 }, use: [stats()] });
    const socket = plain as typeof plain & StatsMethods;
    socket.send('héllo');
    kit.last().receive('abc');
    kit.last().receive(new ArrayBuffer(10));
    kit.last().closed(1012, 'restart', true);
    socket.send('a');
    socket.send('b');
    await tick(1000);
    kit.last().open();
    expect(socket.stats()).toMatchObject({
      state: 'open',
      attempts: 2,
      connects: 2,
      reconnects: 1,
      lastCloseCode: 1012,
      lastCloseReason: 'restart',
      lastReconnectReason: 'link closed (1012 restart)',
      messagesIn: 2,
      bytesIn: 13,
      messagesOut: 2,
      bytesOut: 7,
      drops: { overflow: 1, expired: 0, closed: 0 },
      queue: { length: 0, bytes: 0 },
    });
    await tick(250);
    expect(socket.stats().timeInState).toBe(250);
  });
});

describe('listener errors', () => {
  it('reports a throwing listener as a LISTENER error and keeps the socket working', async () => {
    const { kit, socket, of } = await opened();
    socket.on('message', () => {
      throw new Error('app bug');
    });
    kit.last().receive('a');
    kit.last().receive('b');
    expect(of('message')).toEqual(['a', 'b']);
    const errors = of('error');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(HoldfastError);
    expect(errors[0]).toMatchObject({ code: 'LISTENER' });
    expect(socket.state).toBe('open');
  });

  it('does not loop when an error listener throws', async () => {
    const { kit, socket, of } = await opened();
    const bad = vi.fn(() => {
      throw new Error('error handler bug');
    });
    socket.on('error', bad);
    kit.last().receive(Symbol('not data'));
    expect(bad).toHaveBeenCalledTimes(1);
    expect(of('error')).toHaveLength(1);
  });

  it('survives a listener that closes the socket in the middle of a reconnect', async () => {
    const { kit, socket } = await opened();
    socket.on('close', () => socket.close());
    kit.last().closed(1006);
    expect(socket.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('platform socket handlers', () => {
  it('leaves no handler on a link replaced by a reconnect', async () => {
    const { kit } = await opened();
    const ws: FakeWebSocket = kit.last();
    ws.closed(1006);
    expect(ws.detached).toBe(true);
  });
});

/** `${from}>${to} ${reason}` for every state change. */
const moved = (of: ReturnType<typeof setup>['of']): string[] => of('state').map((s) => `${s.from}>${s.to} ${s.reason}`);
const causeOf = (error: unknown): unknown => (error as { cause?: unknown }).cause;

describe('state reasons', () => {
  it('names why each move happened: offline, network online, connected, link closed, backoff elapsed, connect timeout, resumed, connect error, close() called, close timeout', async () => {
    const { kit, env, socket, of } = setup({ connectTimeout: 500, closeTimeout: 300 });
    env.online = false;
    await tick();
    env.emit('online');
    kit.last().open();
    kit.last().closed(1006);
    await tick(1000);
    await tick(500); // connect timeout
    env.emit('resume');
    kit.last().error();
    await tick(4000);
    kit.last().open();
    socket.close();
    await tick(300);
    expect(moved(of)).toEqual([
      'connecting>reconnecting offline',
      'reconnecting>connecting network online',
      'connecting>open connected',
      'open>reconnecting link closed (1006)',
      'reconnecting>connecting backoff elapsed',
      'connecting>reconnecting connect timeout',
      'reconnecting>connecting resumed',
      'connecting>reconnecting connect error',
      'reconnecting>connecting backoff elapsed',
      'connecting>open connected',
      'open>closing close() called',
      'closing>closed close timeout',
    ]);
    expect(of('reconnecting').map((r) => r.reason)).toEqual(['link closed (1006)', 'connect timeout', 'connect error']);
  });

  it('names the end: closed by the platform after close(), close() while not open, and a final close code', async () => {
    const a = await opened();
    a.socket.close();
    a.kit.last().closed(1000, '', true);
    expect(moved(a.of).slice(-1)).toEqual(['closing>closed closed']);
    const b = setup();
    await tick();
    b.socket.close();
    expect(moved(b.of)).toEqual(['connecting>closed close() called']);
    const c = await opened();
    c.kit.last().closed(1008, 'policy', true);
    expect(moved(c.of).slice(-1)).toEqual(['open>closed will not reconnect after link closed (1008 policy)']);
  });

  it('names failed providers and a throwing constructor in the state reason', async () => {
    const url = setup({}, () => {
      throw new Error('no token');
    });
    const protocols = setup({
      protocols: () => {
        throw new Error('no protocols');
      },
    });
    const ctor = setup({
      WebSocket: class {
        constructor() {
          throw new SyntaxError('bad url');
        }
      } as unknown as ConnectOptions['WebSocket'],
    });
    const nothing = setup({}, () => null);
    await tick();
    expect(moved(url.of)).toEqual(['connecting>reconnecting url provider failed']);
    expect(moved(protocols.of)).toEqual(['connecting>reconnecting protocols provider failed']);
    expect(moved(ctor.of)).toEqual(['connecting>reconnecting WebSocket constructor threw']);
    expect(moved(nothing.of)).toEqual(['connecting>closed url provider returned null']);
  });
});

describe('errors name their cause', () => {
  it('reports a throwing provider with the thrown value as cause, and a protocols failure opens nothing', async () => {
    const thrown = new Error('no token');
    const url = setup({}, () => {
      throw thrown;
    });
    const protocols = setup({ protocols: () => Promise.reject(new Error('no protocols')) });
    const wrong = setup({}, () => 42 as unknown as string);
    await tick();
    expect(url.of('error').map((e) => [e.code, e.message])).toEqual([['URL', 'url provider failed']]);
    expect(causeOf(url.of('error')[0])).toBe(thrown);
    expect(protocols.of('error').map((e) => e.message)).toEqual(['protocols provider failed']);
    expect(protocols.kit.instances).toHaveLength(0);
    expect(wrong.of('error')[0]?.message).toBe('url provider failed');
    expect(causeOf(wrong.of('error')[0])).toEqual(new TypeError('number'));
  });

  it('adds the platform text to CONNECT errors when the platform gives one', async () => {
    const events: unknown[] = [{ message: 'ECONNREFUSED' }, { error: { message: 'getaddrinfo ENOTFOUND' } }, { message: '' }, { type: 'error' }];
    const messages: string[] = [];
    for (const event of events) {
      const { kit, of } = setup();
      await tick();
      kit.last().onerror?.(event);
      messages.push(...of('error').map((e) => e.message));
      expect(causeOf(of('error')[0])).toBe(event);
    }
    const ctor = setup({
      WebSocket: class {
        constructor() {
          throw new SyntaxError('bad url');
        }
      } as unknown as ConnectOptions['WebSocket'],
    });
    await tick();
    expect(messages).toEqual(['WebSocket error: ECONNREFUSED', 'WebSocket error: getaddrinfo ENOTFOUND', 'WebSocket error', 'WebSocket error']);
    expect(ctor.of('error')[0]?.message).toBe('WebSocket constructor threw: bad url');
    expect(causeOf(ctor.of('error')[0])).toBeInstanceOf(SyntaxError);
  });

  it('reports a throwing listener with the event name and what it threw', async () => {
    const { kit, socket, of } = await opened();
    const bug = new Error('app bug');
    socket.on('message', () => {
      throw bug;
    });
    kit.last().receive('a');
    expect(of('error').map((e) => [e.code, e.message])).toEqual([['LISTENER', 'message listener threw']]);
    expect(causeOf(of('error')[0])).toBe(bug);
  });

  it('names the timeouts in their errors and in the reconnect reason', async () => {
    const a = setup({ connectTimeout: 2000 });
    await tick(2000);
    expect(a.of('error')[0]).toMatchObject({ code: 'TIMEOUT', message: 'connect timeout' });
    const b = await opened({ heartbeat: { interval: 200, timeout: 150, required: true } });
    await tick(350);
    expect(b.of('error')[0]).toMatchObject({ code: 'TIMEOUT', message: 'heartbeat timeout' });
    expect(b.of('reconnecting')[0]?.reason).toBe('heartbeat timeout');
  });

  it('reports data of an unknown kind by its type', async () => {
    const { kit, of } = await opened();
    kit.last().receive(12);
    expect(of('error')[0]?.message).toBe('unsupported data ([object Number])');
  });
});

describe('platform socket quirks', () => {
  it('closes a still-connecting platform socket without a code, and an open one with the code given', async () => {
    const a = setup();
    await tick();
    a.socket.close(4001, 'bye');
    expect(a.kit.last().closeCalls).toEqual([{ code: undefined, reason: undefined }]);
    const b = await opened();
    b.socket.close(4001, 'bye');
    expect(b.kit.last().closeCalls).toEqual([{ code: 4001, reason: 'bye' }]);
  });

  it('falls back to a plain close when the platform refuses the close code, and survives a close that always throws', async () => {
    const a = await opened();
    a.socket.close(1005); // reserved: the platform throws InvalidAccessError
    expect(a.kit.last().closeCalls).toEqual([{ code: undefined, reason: undefined }]);
    expect(a.socket.state).toBe('closing');
    const b = await opened({ closeTimeout: 100 });
    b.kit.last().close = () => {
      throw new Error('platform bug');
    };
    expect(() => b.socket.close()).not.toThrow();
    await tick(100);
    expect(b.socket.state).toBe('closed');
  });

  it('closes a platform socket once: not again when it reports its close, nor when closeTimeout ends a socket already closing', async () => {
    const a = await opened();
    a.socket.close(4001, 'bye');
    a.kit.last().closed(4001, 'bye', true);
    expect(a.kit.last().closeCalls).toHaveLength(1);
    const b = await opened({ closeTimeout: 100 });
    b.socket.close();
    await tick(100);
    expect(b.socket.state).toBe('closed');
    expect(b.kit.last().closeCalls).toHaveLength(1);
    const c = await opened();
    c.kit.last().closed(1006);
    expect(c.kit.last().closeCalls).toEqual([]);
  });

  it('reports an open event with protocol "" when the platform socket has no protocol property value', async () => {
    const { kit, of } = setup();
    await tick();
    const ws = kit.last();
    Object.defineProperty(ws, 'protocol', { get: () => undefined, set: () => {} });
    ws.open();
    expect(of('open')).toEqual([{ attempt: 0, protocol: '' }]);
  });

  it('ends a connecting attempt on error by closing it (1006, no reason), but keeps an open link up on error', async () => {
    const a = setup();
    await tick();
    a.kit.last().error();
    expect(a.kit.last().closeCalls).toEqual([{ code: undefined, reason: undefined }]);
    expect(a.of('close')).toEqual([{ code: 1006, reason: '', wasClean: false, willReconnect: true }]);
    const b = await opened();
    b.kit.last().error();
    expect(b.socket.state).toBe('open');
    expect(b.of('error').map((e) => e.code)).toEqual(['CONNECT']);
    expect(b.of('close')).toEqual([]);
  });

  it('stops the open-time flush when the platform socket starts closing, keeping the rest for the next link', async () => {
    const { kit, socket } = setup();
    for (const m of ['a', 'b', 'c']) socket.send(m);
    await tick();
    const first = kit.last();
    const send = first.send.bind(first);
    first.send = (data) => {
      send(data);
      first.close(); // the link begins closing (readyState CLOSING); its close event comes later
    };
    first.open();
    expect(first.sent).toEqual(['a']);
    expect(socket.queue.length).toBe(2);
    first.closed(1006);
    await tick(1000);
    kit.last().open();
    expect(kit.last().sent).toEqual(['b', 'c']);
  });

  it('ignores late errors of a replaced platform socket', async () => {
    const { kit, socket, of } = await opened();
    const old = kit.last();
    const { onerror } = old;
    socket.reconnect();
    onerror?.({ message: 'late' });
    expect(of('error')).toEqual([]);
    expect(kit.instances).toHaveLength(2);
    expect(socket.state).toBe('connecting');
  });
});

describe('re-entrancy in failed attempts', () => {
  it('close() from the error listener of a failed provider or constructor ends closed, with no reconnect', async () => {
    const throwing = class {
      constructor() {
        throw new SyntaxError('bad url');
      }
    } as unknown as ConnectOptions['WebSocket'];
    for (const make of [() => setup({}, () => Promise.reject(new Error('no token'))), () => setup({ WebSocket: throwing })]) {
      const ctx = make();
      ctx.socket.on('error', () => ctx.socket.close());
      await tick();
      expect(ctx.socket.state).toBe('closed');
      expect(ctx.of('reconnecting')).toEqual([]);
      expect(ctx.of('close')).toHaveLength(1);
    }
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reconnect() from the error listener of a connecting socket leaves the fresh attempt alone', async () => {
    const { kit, socket } = setup();
    let once = true;
    socket.on('error', () => {
      if (once) {
        once = false;
        socket.reconnect();
      }
    });
    await tick();
    kit.last().error();
    expect(kit.instances).toHaveLength(2);
    expect(socket.state).toBe('connecting');
    expect(kit.last().closeCalls).toEqual([]);
  });

  it('ignores a url provider that rejects after close()', async () => {
    let reject: (e: Error) => void = () => {};
    const { socket, of } = setup({}, () => new Promise<string>((_resolve, r) => (reject = r)));
    await tick();
    socket.close();
    reject(new Error('too late'));
    await tick();
    expect(of('error')).toEqual([]);
  });

  it('reports a throwing shouldReconnect as a LISTENER error and falls back to the table', async () => {
    const bug = new Error('policy bug');
    const { kit, socket, of } = await opened({
      shouldReconnect: () => {
        throw bug;
      },
    });
    kit.last().closed(1006);
    expect(of('error').map((e) => [e.code, e.message])).toEqual([['LISTENER', 'shouldReconnect threw']]);
    expect(causeOf(of('error')[0])).toBe(bug);
    expect(socket.state).toBe('reconnecting');
  });

  it('close() from the error listener of a throwing shouldReconnect ends closed, with no reconnect', async () => {
    const { kit, socket, of } = await opened({
      shouldReconnect: () => {
        throw new Error('policy bug');
      },
    });
    socket.on('error', () => socket.close());
    kit.last().closed(1006);
    expect(socket.state).toBe('closed');
    expect(of('reconnecting')).toEqual([]);
    expect(of('close')).toEqual([{ code: 1000, reason: '', wasClean: false, willReconnect: false }]);
  });

  it('ends with a 1006 close naming the give-up when an attempt without a link fails for the last time', async () => {
    const { socket, of } = setup({ backoff: { maxRetries: 0 } }, () => {
      throw new Error('no token');
    });
    await tick();
    expect(socket.state).toBe('closed');
    expect(of('close')).toEqual([{ code: 1006, reason: 'gave up after 0 retries', wasClean: false, willReconnect: false }]);
  });
});

describe('timers of one attempt', () => {
  it('cancels the connect timeout once the link opened', async () => {
    const { kit, socket, of } = setup({ connectTimeout: 2000 });
    await tick(100);
    kit.last().open();
    await tick(5000);
    expect(socket.state).toBe('open');
    expect(of('error')).toEqual([]);
  });

  it('cancels the minUptime reset when the link drops early, so later failures keep growing the delay', async () => {
    const { kit, of } = setup({ backoff: { initialDelay: 100, minUptime: 1000 } });
    await tick();
    kit.last().closed(1006); // retry 1: 100 ms
    await tick(100);
    kit.last().open();
    await tick(500);
    kit.last().closed(1006); // dropped before minUptime: retry 2, 200 ms
    await tick(200);
    await tick(400); // past the moment minUptime would have ended
    kit.last().closed(1006); // retry 3: 400 ms
    expect(of('reconnecting').map((r) => r.delay)).toEqual([100, 200, 400]);
  });

  it('stops the heartbeat when the link drops: no ping, no heartbeat error while reconnecting', async () => {
    const { kit, of } = await opened({ heartbeat: { interval: 200, timeout: 200 }, backoff: { initialDelay: 10_000 } });
    await tick(100);
    kit.last().closed(1006);
    await tick(1000);
    expect(of('error')).toEqual([]);
    expect(kit.last().sent).toEqual([]);
  });

  it('cancels the pending backoff when the network comes back and the early attempt fails', async () => {
    const { kit, env } = await opened();
    kit.last().closed(1006); // retry 1: 1000 ms
    await tick(500);
    env.emit('online'); // attempt now
    expect(kit.instances).toHaveLength(2);
    kit.last().closed(1006); // retry 2: 2000 ms from now
    await tick(1999);
    expect(kit.instances).toHaveLength(2);
    await tick(1);
    expect(kit.instances).toHaveLength(3);
  });
});

describe('signals and calls in every state', () => {
  it('does not retry on suspend while reconnecting, and does on resume', async () => {
    const { kit, env } = await opened();
    kit.last().closed(1006);
    env.emit('suspend');
    expect(kit.instances).toHaveLength(1);
    env.emit('resume');
    expect(kit.instances).toHaveLength(2);
  });

  it('checks the heartbeat on resume only while open, and copes without a heartbeat', async () => {
    const a = setup({ heartbeat: { interval: 1000, timeout: 200 }, connectTimeout: 60_000 });
    await tick();
    a.env.emit('resume'); // still connecting
    await tick(500);
    expect(a.of('error')).toEqual([]);
    const b = await opened({ heartbeat: false });
    expect(() => b.env.emit('resume')).not.toThrow();
    expect(b.socket.state).toBe('open');
  });

  it('discards frames that arrive while closing', async () => {
    const { kit, socket, of } = await opened();
    socket.close();
    kit.last().receive('late');
    expect(of('message')).toEqual([]);
  });

  it('close() again while closing waits for the platform, closing it only once', async () => {
    const { kit, socket } = await opened();
    socket.close();
    socket.close();
    expect(socket.state).toBe('closing');
    expect(kit.last().closeCalls).toHaveLength(1);
  });

  it('reconnect() on an open link attempts at once, without a backoff wait or a reconnecting event', async () => {
    const { kit, socket, of } = await opened();
    socket.reconnect();
    expect(kit.instances).toHaveLength(2);
    expect(socket.state).toBe('connecting');
    expect(of('reconnecting')).toEqual([]);
  });

  it('reconnect() before the first attempt started makes exactly one attempt', async () => {
    const { kit, socket } = setup();
    expect(() => socket.reconnect()).not.toThrow();
    await tick();
    expect(kit.instances).toHaveLength(1);
    expect(socket.state).toBe('connecting');
  });

  it('passes a short frame that mentions ping but is not a heartbeat through as data', async () => {
    const { kit, of } = await opened();
    const text = '{"type":"typing","ts":5,"note":"ping"}';
    kit.last().receive(text);
    expect(of('message')).toEqual([text]);
    expect(kit.last().sent).toEqual([]);
  });

  it('checks the type of data while open too, and writes a Blob as is', async () => {
    const { kit, socket } = await opened();
    expect(() => socket.send(42 as unknown as string)).toThrow(TypeError);
    const blob = new Blob(['x']);
    expect(socket.send(blob)).toBe('sent');
    expect(kit.last().sent).toEqual([blob]);
  });
});

describe('a link replaced while it opens', () => {
  it('reports no open for a link that reconnect() replaced during its open-time flush', async () => {
    const { kit, socket, of, states } = setup();
    socket.send('a');
    socket.send('b');
    socket.on('error', () => socket.reconnect());
    await tick();
    const first = kit.last();
    first.send = () => {
      throw new Error('platform refused');
    };
    first.open();
    expect(socket.state).toBe('connecting');
    expect(of('open')).toEqual([]);
    expect(states()).toEqual(['connecting>reconnecting', 'reconnecting>connecting']);
    expect(kit.instances).toHaveLength(2);
  });
});
