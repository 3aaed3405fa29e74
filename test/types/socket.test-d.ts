// Type tests on the real `connect()` return type, with and without `use: [rpc<Api>()]`. Under
// `vitest run` this file also executes, so the sockets are real (a fake WebSocket constructor that
// never opens) and closed at the end.
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  connect,
  drain,
  maxMessageSize,
  once,
  opened,
  rpc,
  type CoreSocket,
  type Feature,
  type HandlerContext,
  type HoldfastSocket,
  type Rpc,
  type SendResult,
} from '../../src/index';
import { NEVER_OPENS } from './never-opens';

interface ChatApi {
  methods: {
    'room.join': { params: { room: string }; result: { members: string[] } };
    ping: { params?: undefined; result: 'pong' };
    search: { params?: { q: string }; result: string[] };
    upload: { params: { name: string; body: Uint8Array }; result: { size: number } };
  };
  events: { chat: { from: string; text: string }; typing: { from: string } };
  emits: { chat: { text: string }; leave: undefined };
  handles: { 'client.version': { params: undefined; result: string }; 'client.sum': { params: number[]; result: number } };
}

const options = { WebSocket: NEVER_OPENS, environment: false, heartbeat: false } as const;
const url = 'ws://127.0.0.1:1/';

/** A feature of this test's own, to combine with rpc(). */
const greeter: Feature<{ greet(name: string): string }> = () => ({ greet: (name) => `hi ${name}` });

const chat = connect(url, { ...options, use: [rpc<ChatApi>()] });
const loose = connect(url, { ...options, use: [rpc()] });
const bare = connect(url, options);
const blobs = connect(url, { ...options, binaryType: 'blob' });
const both = connect(url, { ...options, use: [rpc<ChatApi>({ timeout: 100 }), greeter] });
/** Every request here is rejected by close(): absorb that, keeping the promise's type. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

afterAll(() => {
  for (const socket of [chat, loose, bare, blobs, both]) socket.close();
});

describe('connect()', () => {
  it('returns a HoldfastSocket with the methods of the features in use', () => {
    const typed: HoldfastSocket<Rpc<ChatApi>> = chat;
    const untyped: HoldfastSocket<Rpc> = loose;
    const plain: HoldfastSocket = bare;
    void [typed, untyped, plain];
    expectTypeOf(chat).toEqualTypeOf<HoldfastSocket<Rpc<ChatApi>>>();
    expectTypeOf(loose).toEqualTypeOf<HoldfastSocket<Rpc>>();
    expectTypeOf(chat).toExtend<CoreSocket>();
    expectTypeOf(bare).toEqualTypeOf<HoldfastSocket>();
    expectTypeOf(both.greet('ada')).toEqualTypeOf<string>();
    expectTypeOf(quiet(both.request('ping'))).toEqualTypeOf<Promise<'pong'>>();
  });

  it('gives a socket without rpc() no request, handle, emit or onEvent', () => {
    // @ts-expect-error request() comes with rpc()
    void bare.request;
    // @ts-expect-error handle() comes with rpc()
    void bare.handle;
    // @ts-expect-error emit() comes with rpc()
    void bare.emit;
    // @ts-expect-error onEvent() comes with rpc()
    void bare.onEvent;
    // @ts-expect-error a socket with rpc() is not a plain one's supertype
    const wrong: HoldfastSocket<Rpc> = bare;
    void wrong;
  });

  it('takes only features in use', () => {
    // Never called: the compile-time check is the test (at run time it would throw a TypeError).
    const notAFeature = () =>
      // @ts-expect-error `use` takes feature functions, not an Api
      connect(url, { ...options, use: [{ methods: {} }] });
    void notAFeature;
  });

  it('types message data by binaryType', () => {
    bare.on('message', (data) => expectTypeOf(data).toEqualTypeOf<string | ArrayBuffer>());
    chat.on('message', (data) => expectTypeOf(data).toEqualTypeOf<string | ArrayBuffer>());
    blobs.on('message', (data) => expectTypeOf(data).toEqualTypeOf<string | Blob>());
    expectTypeOf(blobs).toExtend<HoldfastSocket<object, 'blob'>>();
    // @ts-expect-error with binaryType 'blob', binary arrives as a Blob, not an ArrayBuffer
    blobs.on('message', (data: string | ArrayBuffer) => void data);
    // @ts-expect-error message data is never a number
    bare.on('message', (data: number) => void data);
  });
});

describe('request()', () => {
  it('types params and results by method', () => {
    const joined = quiet(chat.request('room.join', { room: 'lobby' }));
    expectTypeOf(joined).toEqualTypeOf<Promise<{ members: string[] }>>();
    expectTypeOf(quiet(chat.request('ping'))).toEqualTypeOf<Promise<'pong'>>();
    expectTypeOf(quiet(chat.request('search'))).toEqualTypeOf<Promise<string[]>>();
    const searched = quiet(chat.request('search', { q: 'x' }, { timeout: 100, signal: new AbortController().signal, retry: true }));
    expectTypeOf(searched).toEqualTypeOf<Promise<string[]>>();
  });

  it('rejects wrong names, params, options and result use', () => {
    // @ts-expect-error unknown method
    quiet(chat.request('room.leave', { room: 'x' }));
    // @ts-expect-error params are required
    quiet(chat.request('room.join'));
    // @ts-expect-error wrong params shape
    quiet(chat.request('room.join', { name: 'lobby' }));
    // @ts-expect-error binary params must be a Uint8Array
    quiet(chat.request('upload', { name: 'a', body: 'text' }));
    // @ts-expect-error retry must be a boolean
    quiet(chat.request('ping', undefined, { retry: 'yes' }));
    // @ts-expect-error the result is an object, not a number
    const wrong: Promise<number> = chat.request('room.join', { room: 'x' });
    quiet(wrong);
  });

  it('gives unknown (never any) without an Api', () => {
    const anything = quiet(loose.request('anything', { a: 1 }, { timeout: 5 }));
    expectTypeOf(anything).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(anything).resolves.not.toBeAny();
    quiet(loose.request('no-params'));
  });
});

describe('emit() and onEvent()', () => {
  it('types emitted data by the emits map', () => {
    expectTypeOf(chat.emit('chat', { text: 'hi' })).toEqualTypeOf<SendResult>();
    chat.emit('leave');
    // @ts-expect-error typing is server-to-client only
    chat.emit('typing', { from: 'me' });
    // @ts-expect-error emits.chat has no `from`
    chat.emit('chat', { from: 'me', text: 'hi' });
    // @ts-expect-error data is required
    chat.emit('chat');
  });

  it('types event listeners by the events map', () => {
    const off = chat.onEvent('chat', (data) => expectTypeOf(data).toEqualTypeOf<{ from: string; text: string }>());
    expectTypeOf(off).toEqualTypeOf<() => void>();
    // @ts-expect-error leave is client-to-server only
    chat.onEvent('leave', () => undefined);
    // @ts-expect-error wrong payload type
    chat.onEvent('typing', (data: { text: string }) => void data);
  });

  it('keeps lifecycle events on on(), typed by SocketEvents', () => {
    chat.on('close', (info) => expectTypeOf(info.willReconnect).toEqualTypeOf<boolean>());
    // @ts-expect-error chat is an application event: use onEvent()
    chat.on('chat', () => undefined);
    // @ts-expect-error a close listener gets the close info, not a string
    chat.on('close', (info: string) => void info);
  });

  it('gives unknown event data without an Api', () => {
    loose.onEvent('whatever', (data) => {
      expectTypeOf(data).toEqualTypeOf<unknown>();
      expectTypeOf(data).not.toBeAny();
    });
    loose.emit('x');
    loose.emit('x', { any: 'thing' });
  });
});

describe('handle()', () => {
  it('types params, context and result of handlers', () => {
    chat.handle('client.version', () => '1.0.0');
    chat.handle('client.sum', async (params, ctx) => {
      expectTypeOf(params).toEqualTypeOf<number[]>();
      expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal | undefined>();
      return params.reduce((a, b) => a + b, 0);
    });
    // @ts-expect-error must return a string
    chat.handle('client.version', () => 1);
    // @ts-expect-error params are numbers
    chat.handle('client.sum', (params: string[]) => params.length);
    // @ts-expect-error not a declared handler
    chat.handle('client.reload', () => 'ok');
  });

  it('accepts any handler without an Api, with unknown params', () => {
    loose.handle('anything', (params) => {
      expectTypeOf(params).toEqualTypeOf<unknown>();
      return params;
    });
  });
});

describe('the lifecycle (issue 10)', () => {
  it('types once(), stop, start, close with drain(), maxMessageSize(), opened and start: false', () => {
    const off = once(bare, 'close', (e) => {
      expectTypeOf(e.willReconnect).toEqualTypeOf<boolean>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    once(blobs, 'message', (data) => expectTypeOf(data).toEqualTypeOf<string | Blob>());
    // @ts-expect-error no such event
    once(bare, 'opened', () => {});
    expectTypeOf(chat.stop).parameters.toEqualTypeOf<[code?: number, reason?: string]>();
    expectTypeOf(chat.start).returns.toEqualTypeOf<void>();
    const draining = connect(url, { ...options, use: [drain(), maxMessageSize(1024), rpc<ChatApi>()] });
    expectTypeOf(draining.close).toBeCallableWith(1000, 'bye', { drain: 5000 });
    expectTypeOf(draining.request).toEqualTypeOf<Rpc<ChatApi>['request']>();
    // @ts-expect-error drain is a number of milliseconds
    draining.close(1000, 'bye', { drain: 'soon' });
    // @ts-expect-error without drain(), close() takes no options
    bare.close(1000, 'bye', { drain: 5000 });
    // @ts-expect-error maxMessageSize is now a feature
    connect(url, { ...options, maxMessageSize: 10 }).close();
    draining.close();
    const stopped = connect(url, { ...options, start: false, use: [rpc<ChatApi>()] });
    expectTypeOf(stopped.request).toEqualTypeOf<Rpc<ChatApi>['request']>();
    stopped.close();
    // @ts-expect-error start is a boolean (and refused at run time)
    expect(() => connect(url, { ...options, start: 'later' })).toThrow('start');
    expectTypeOf(quiet(opened(chat))).toEqualTypeOf<Promise<void>>();
    expectTypeOf(opened).toBeCallableWith(bare, { signal: new AbortController().signal });
    void opened(bare).catch(() => undefined);
  });
});
