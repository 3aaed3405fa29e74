// Type tests on the real `connect<Api>()` return type. Under `vitest run` this file also executes,
// so the sockets are real (a fake WebSocket constructor that never opens) and closed at the end.
import { afterAll, describe, expectTypeOf, it } from 'vitest';
import { connect, type HandlerContext, type HoldfastSocket, type SendResult, type WebSocketConstructorLike } from '../../src/index';

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

class NeverOpens {
  readyState = 0;
  protocol = '';
  binaryType = 'arraybuffer';
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;
  send(): void {}
  close(): void {}
}
const options = { WebSocket: NeverOpens as unknown as WebSocketConstructorLike, environment: false, heartbeat: false } as const;

const chat = connect<ChatApi>('ws://127.0.0.1:1/', options);
const loose = connect('ws://127.0.0.1:1/', options);
/** Every request here is rejected by close(): absorb that, keeping the promise's type. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

afterAll(() => {
  chat.close();
  loose.close();
});

describe('connect<Api>()', () => {
  it('returns a HoldfastSocket of that Api', () => {
    expectTypeOf(chat).toEqualTypeOf<HoldfastSocket<ChatApi>>();
    expectTypeOf(loose).toEqualTypeOf<HoldfastSocket>();
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
