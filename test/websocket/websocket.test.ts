// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoldfastWebSocket } from '../../src/websocket/websocket';
import type { HoldfastWebSocketOptions } from '../../src/websocket/types';
import { stats } from '../../src/features/stats/stats';
import { HoldfastError } from '../../src/protocol/errors';
import { createFakeWebSocket, type FakeWebSocket, type FakeWebSocketKit } from '../helpers/client-fake-ws';

const live: HoldfastWebSocket[] = [];

/** What the drop-in dispatched, in order, as `type` or `type:detail`, plus readyState at that time. */
function record(ws: HoldfastWebSocket): { log: string[]; events: Event[] } {
  const log: string[] = [];
  const events: Event[] = [];
  for (const type of ['open', 'message', 'close', 'error']) {
    ws.addEventListener(type, (e) => {
      events.push(e as Event);
      const c = e as CloseEvent;
      const m = e as MessageEvent;
      const detail = type === 'close' ? `:${c.code}` : type === 'message' && typeof m.data === 'string' ? `:${m.data}` : '';
      log.push(`${type}${detail}@${ws.readyState}`);
    });
  }
  return { log, events };
}

function setup(options: HoldfastWebSocketOptions = {}, url = 'ws://test.invalid/live', protocols?: string | string[]) {
  const kit = createFakeWebSocket();
  const ws = new HoldfastWebSocket(url, protocols, { WebSocket: kit.WebSocket, environment: false, random: () => 1, backoff: { initialDelay: 100, maxDelay: 1000 }, ...options });
  live.push(ws);
  return { kit, ws, ...record(ws) };
}

/** Runs pending microtasks and timers due within `ms`. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function opened(options: HoldfastWebSocketOptions = {}, protocol = '') {
  const ctx = setup(options);
  await tick();
  ctx.kit.last().open(protocol);
  return ctx;
}

/** The fake's `extensions` and `bufferedAmount`, which the shared fake does not model. */
function platform(ws: FakeWebSocket, fields: { extensions?: string; bufferedAmount?: number }): void {
  Object.assign(ws, fields);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const ws of live.splice(0)) ws.close();
  vi.useRealTimers();
});

describe('the WebSocket interface', () => {
  it('has the readyState constants on the class and on instances, as libraries check them', async () => {
    const { ws } = setup();
    for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSING', 2], ['CLOSED', 3]] as const) {
      expect(HoldfastWebSocket[name]).toBe(value);
      expect(ws[name]).toBe(value);
    }
    // graphql-ws accepts an implementation by these checks
    expect(typeof HoldfastWebSocket === 'function' && 'CLOSED' in HoldfastWebSocket && 'CONNECTING' in HoldfastWebSocket).toBe(true);
    expect(ws).toBeInstanceOf(EventTarget);
  });

  it('opens: readyState CONNECTING then OPEN, onopen and open listeners with the socket as target, protocol and extensions from the link', async () => {
    const { kit, ws, log, events } = setup({}, 'ws://test.invalid/live', ['chat', 'v2']);
    const onopen = vi.fn();
    ws.onopen = onopen;
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.protocol).toBe('');
    await tick();
    expect(kit.last().url).toBe('ws://test.invalid/live');
    expect(kit.last().protocols).toEqual(['chat', 'v2']);
    platform(kit.last(), { extensions: 'permessage-deflate' });
    kit.last().open('chat');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(log).toEqual(['open@1']);
    expect(onopen).toHaveBeenCalledTimes(1);
    expect(onopen.mock.contexts[0]).toBe(ws);
    expect(events[0]).toBeInstanceOf(Event);
    expect(events[0]!.target).toBe(ws);
    expect(ws.protocol).toBe('chat');
    expect(ws.extensions).toBe('permessage-deflate');
  });

  it('resolves the url as a WebSocket does: absolute, http(s) as ws(s)', () => {
    const kit = createFakeWebSocket();
    const make = (url: string) => new HoldfastWebSocket(url, undefined, { WebSocket: kit.WebSocket, environment: false });
    const a = make('https://example.com/live?x=1');
    const b = make('/relative');
    live.push(a, b);
    expect(a.url).toBe('wss://example.com/live?x=1');
    expect(b.url).toBe(new URL('/relative', location.href).href.replace(/^http/, 'ws'));
  });

  it('throws a SyntaxError DOMException for a bad url or bad subprotocols, as the WebSocket constructor does', () => {
    const { WebSocket: Fake } = createFakeWebSocket();
    const make = (url: string, protocols?: string | string[]) => () => new HoldfastWebSocket(url, protocols, { WebSocket: Fake, environment: false });
    for (const bad of [make('ftp://example.com/'), make('ws://example.com/#frag'), make('http://[bad')]) {
      expect(bad).toThrow(DOMException);
      expect(bad).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    }
    for (const bad of [make('ws://x/', ['a', 'a']), make('ws://x/', 'has space'), make('ws://x/', ''), make('ws://x/', [42 as unknown as string])]) {
      expect(bad).toThrow(expect.objectContaining({ name: 'SyntaxError', message: expect.stringContaining('subprotocols') }));
    }
  });

  it('refuses an unknown reconnect mode with HoldfastError OPTIONS', () => {
    const { WebSocket: Fake } = createFakeWebSocket();
    const bad = () => new HoldfastWebSocket('ws://x/', undefined, { WebSocket: Fake, reconnect: 'never' as 'always' });
    expect(bad).toThrow(HoldfastError);
    expect(bad).toThrow(expect.objectContaining({ code: 'OPTIONS', message: 'reconnect' }));
  });

  it('dispatches text as a MessageEvent, binary as a Blob by default and as an ArrayBuffer with binaryType arraybuffer', async () => {
    const { kit, ws, events } = await opened();
    const onmessage = vi.fn();
    ws.onmessage = onmessage;
    expect(ws.binaryType).toBe('blob');
    kit.last().receive('hello');
    kit.last().receive(new Uint8Array([1, 2, 3]).buffer);
    ws.binaryType = 'arraybuffer';
    kit.last().receive(new Uint8Array([4, 5]));
    ws.binaryType = 'nodebuffer' as 'blob'; // ignored, as a WebSocket ignores unknown values
    expect(ws.binaryType).toBe('arraybuffer');
    const messages = events.filter((e) => e.type === 'message') as MessageEvent[];
    expect(messages.every((m) => m instanceof MessageEvent && m.target === ws)).toBe(true);
    expect(messages[0]!.data).toBe('hello');
    expect(messages[1]!.data).toBeInstanceOf(Blob);
    expect((messages[1]!.data as Blob).size).toBe(3);
    expect(messages[2]!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(messages[2]!.data as ArrayBuffer)]).toEqual([4, 5]);
    expect(onmessage).toHaveBeenCalledTimes(3);
  });

  it('onX handlers can be replaced and cleared, and removeEventListener removes a listener', async () => {
    const { kit, ws } = await opened();
    const first = vi.fn();
    const second = vi.fn();
    const listener = vi.fn();
    ws.onmessage = first;
    ws.addEventListener('message', listener);
    kit.last().receive('a');
    ws.onmessage = second;
    ws.removeEventListener('message', listener);
    kit.last().receive('b');
    ws.onmessage = null;
    kit.last().receive('c');
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('supports the EventTarget options (once) and handleEvent objects, and dispatchEvent', async () => {
    const { kit, ws } = await opened();
    const once = vi.fn();
    const handler = { handleEvent: vi.fn() };
    ws.addEventListener('message', once, { once: true });
    ws.addEventListener('message', handler);
    kit.last().receive('a');
    kit.last().receive('b');
    expect(once).toHaveBeenCalledTimes(1);
    expect(handler.handleEvent).toHaveBeenCalledTimes(2);
    const custom = vi.fn();
    ws.addEventListener('custom', custom);
    expect(ws.dispatchEvent(new Event('custom'))).toBe(true);
    expect(custom).toHaveBeenCalledTimes(1);
  });
});

describe("reconnect: 'always' (the default)", () => {
  it('dispatches close for a lost link (readyState CLOSED), reconnects with backoff and dispatches open again on the same object', async () => {
    const { kit, ws, log, events } = await opened();
    kit.last().closed(1001, 'going away', true);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    const close = events.find((e) => e.type === 'close') as CloseEvent;
    expect(close).toBeInstanceOf(CloseEvent);
    expect([close.code, close.reason, close.wasClean, close.target]).toEqual([1001, 'going away', true, ws]);
    expect(kit.instances).toHaveLength(1);
    await tick(99);
    expect(kit.instances).toHaveLength(1);
    await tick(1);
    expect(kit.instances).toHaveLength(2);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    kit.last().open();
    expect(log).toEqual(['open@1', 'close:1001@3', 'open@1']);
  });

  it('a failed attempt dispatches error then close 1006, as a platform socket does, and the next one follows', async () => {
    const { kit, ws, log, events } = setup();
    await tick();
    kit.last().error();
    expect(log).toEqual(['error@3', 'close:1006@3']);
    expect((events[0] as Event & { error: unknown }).error).toBeInstanceOf(HoldfastError);
    await tick(100);
    kit.last().open();
    expect(log).toEqual(['error@3', 'close:1006@3', 'open@1']);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a lost open link is a close alone, even when the platform reported an error first (as browsers do)', async () => {
    const { kit, ws, log } = await opened({ heartbeat: { interval: 1000, timeout: 500, required: true } });
    const errors: string[] = [];
    ws.socket.on('error', (e) => errors.push(e.code));
    kit.last().error();
    kit.last().closed(1006);
    await tick(100);
    kit.last().open();
    await tick(1500); // the heartbeat declares the new link dead
    expect(errors).toEqual(['CONNECT', 'TIMEOUT']);
    expect(log).toEqual(['open@1', 'close:1006@3', 'open@1', 'close:4000@3']);
  });

  it('a connect timeout fails the attempt with error and close', async () => {
    const { kit, log } = setup({ connectTimeout: 500 });
    await tick(500);
    expect(log).toEqual(['error@3', 'close:1006@3']);
    expect(kit.instances[0]!.closeCalls).toHaveLength(1);
  });

  it('an attempt whose url provider fails still ends with error and close', async () => {
    const kit = createFakeWebSocket();
    let calls = 0;
    const ws = new HoldfastWebSocket(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('no token');
        return 'ws://test.invalid/live';
      },
      undefined,
      { WebSocket: kit.WebSocket, environment: false, random: () => 1, backoff: { initialDelay: 100 } },
    );
    live.push(ws);
    const { log } = record(ws);
    expect(ws.url).toBe('');
    await tick();
    expect(log).toEqual(['error@3', 'close:1006@3']);
    await tick(100);
    kit.last().open();
    expect(log).toEqual(['error@3', 'close:1006@3', 'open@1']);
  });

  it('queues what is sent while not open and flushes it, in order, before open is dispatched; bufferedAmount counts it', async () => {
    const { kit, ws } = await opened();
    kit.last().closed(1006);
    ws.send('one');
    ws.send(new Uint8Array([1, 2]));
    expect(ws.bufferedAmount).toBe(5);
    await tick(100);
    const next = kit.last();
    let sentAtOpen: unknown[] = [];
    ws.onopen = () => void (sentAtOpen = [...next.sent]);
    next.open();
    expect(sentAtOpen).toEqual(['one', new Uint8Array([1, 2])]);
    expect(ws.bufferedAmount).toBe(0);
    platform(next, { bufferedAmount: 42 });
    expect(ws.bufferedAmount).toBe(42);
  });

  it('close() on an open link: CLOSING, then one close event when the handshake ends, and no reconnect', async () => {
    const { kit, ws, log } = await opened();
    ws.close(4000, 'bye');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    expect(kit.last().closeCalls).toEqual([{ code: 4000, reason: 'bye' }]);
    kit.last().closed(4000, 'bye', true);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    ws.close();
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:4000@3']);
    expect(kit.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() while connecting fails the attempt: error then close 1006, dispatched after close() returns', async () => {
    const { kit, ws, log } = setup();
    await tick();
    ws.close();
    expect(log).toEqual([]);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    await tick();
    expect(log).toEqual(['error@3', 'close:1006@3']);
    expect(kit.last().onopen).toBeNull();
    expect(kit.last().closeCalls).toHaveLength(1);
    await tick(60_000);
    expect(kit.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() between links dispatches nothing more (the lost link already closed) and stops reconnecting', async () => {
    const { kit, ws, log } = await opened();
    kit.last().closed(1006);
    ws.close();
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:1006@3']);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(kit.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a close handler that calls close() (as y-websocket does) gets no second close event', async () => {
    const { kit, ws, log } = await opened();
    ws.onclose = () => ws.close();
    kit.last().closed(1001, '', true);
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:1001@3']);
    expect(kit.instances).toHaveLength(1);
  });

  it('a final close code from the server ends the object with one close event', async () => {
    const { kit, ws, log } = await opened();
    kit.last().closed(4401, 'unauthorized', true);
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:4401@3']);
    expect(ws.socket.state).toBe('closed');
    expect(kit.instances).toHaveLength(1);
  });

  it('sending after close() drops the message without throwing, as a closed WebSocket discards it', async () => {
    const { kit, ws } = await opened();
    ws.close();
    kit.last().closed(1000, '', true);
    const drops: unknown[] = [];
    ws.socket.on('drop', (d) => drops.push(d.data));
    expect(() => ws.send('late')).not.toThrow();
    expect(drops).toEqual(['late']);
  });

  it('close() validates code and reason as a WebSocket does', async () => {
    const { ws } = await opened();
    expect(() => ws.close(1001)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => ws.close(5000)).toThrow(DOMException);
    expect(() => ws.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close(1000, 'é'.repeat(61));
    expect(ws.readyState).toBe(WebSocket.CLOSING);
  });
});

describe("reconnect: 'until-open'", () => {
  it('hides failed attempts (readyState stays CONNECTING, no event), then opens', async () => {
    const { kit, ws, log } = setup({ reconnect: 'until-open' });
    await tick();
    kit.last().error();
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    await tick(100);
    kit.last().closed(1006);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    await tick(200);
    expect(kit.instances).toHaveLength(3);
    kit.last().open();
    expect(log).toEqual(['open@1']);
    kit.last().closed(1000, '', true); // a clean close: the hidden attempts' errors are not reported
    expect(log).toEqual(['open@1', 'close:1000@3']);
  });

  it('once a link opened, its loss closes the object for good: one close event, no new attempt', async () => {
    const { kit, ws, log } = await opened({ reconnect: 'until-open' });
    kit.last().closed(1001, 'restart', true);
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:1001@3']);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(kit.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('giving up before any link opened fails the object: error then close', async () => {
    const { kit, log, events } = setup({ reconnect: 'until-open', backoff: { initialDelay: 100, maxRetries: 1 } });
    await tick();
    kit.last().error();
    await tick(100);
    kit.last().error();
    await tick(60_000);
    expect(log).toEqual(['error@3', 'close:1006@3']);
    expect((events[0] as Event & { error: HoldfastError }).error.code).toBe('CONNECT');
    expect(kit.instances).toHaveLength(2);
  });

  it('socket.reconnect() after open ends the object instead of reopening it', async () => {
    const { kit, ws, log } = await opened({ reconnect: 'until-open' });
    ws.socket.reconnect();
    await tick(60_000);
    expect(log).toEqual(['open@1', 'close:1000@3']);
    expect(kit.instances).toHaveLength(1);
  });
});

describe('options', () => {
  it('has the heartbeat off unless set (the library speaks its own protocol)', async () => {
    const off = await opened();
    await tick(120_000);
    expect(off.kit.last().sent).toEqual([]);
    const on = await opened({ heartbeat: { interval: 1000, timeout: 500 } });
    await tick(1000);
    expect(String(on.kit.last().sent[0])).toMatch(/^\{"type":"ping","ts":\d+\}$/);
  });

  it('passes features to the socket underneath, typed', async () => {
    const kit = createFakeWebSocket();
    const ws = new HoldfastWebSocket('ws://test.invalid/', undefined, { WebSocket: kit.WebSocket, environment: false, use: [stats()] });
    live.push(ws);
    await tick();
    kit.last().open();
    kit.last().receive('x');
    expect(ws.socket.stats().connects).toBe(1);
  });

  it('HoldfastWebSocket.with(defaults) makes a class a library can construct with (url, protocols)', async () => {
    const kit: FakeWebSocketKit = createFakeWebSocket();
    const Impl = HoldfastWebSocket.with({ WebSocket: kit.WebSocket, environment: false, reconnect: 'until-open' });
    expect(Impl.OPEN).toBe(1);
    const ws = new Impl('ws://test.invalid/', 'graphql-transport-ws');
    live.push(ws);
    expect(ws).toBeInstanceOf(HoldfastWebSocket);
    await tick();
    expect(kit.last().protocols).toBe('graphql-transport-ws');
    kit.last().open('graphql-transport-ws');
    kit.last().closed(1006);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    await tick(60_000);
    expect(kit.instances).toHaveLength(1); // until-open came from the defaults
  });
});
