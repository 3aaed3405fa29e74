import { describe, expectTypeOf, it } from 'vitest';
import type {
  DefaultApi,
  EmitArgs,
  EmitData,
  EmitName,
  EventData,
  EventListener,
  EventName,
  Handler,
  HandlerName,
  HandlerParams,
  HandlerResult,
  MethodName,
  ParamsArgs,
  ParamsOf,
  ResultOf,
} from '../../src/features/rpc/api';

interface ChatApi {
  methods: {
    'room.join': { params: { room: string }; result: { members: string[] } };
    ping: { params?: undefined; result: 'pong' };
    'room.list': { result: string[] };
    search: { params?: { q: string }; result: string[] };
  };
  events: { chat: { from: string; text: string }; typing: { from: string } };
  emits?: { chat: { text: string }; leave: undefined };
  handles?: { 'client.version': { params: undefined; result: string } };
}

/** Only server events; no `emits`, so the client emits the same events. */
interface EventsOnlyApi {
  events: { tick: number };
}

interface RequestOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/** The signatures the socket is meant to adopt. */
interface TypedSocket<Api> {
  request<M extends MethodName<Api>>(method: M, ...args: [...ParamsArgs<Api, M>, RequestOptions?]): Promise<ResultOf<Api, M>>;
  on<E extends EventName<Api>>(event: E, listener: EventListener<Api, E>): () => void;
  emit<E extends EmitName<Api>>(event: E, ...args: EmitArgs<Api, E>): void;
  handle<M extends HandlerName<Api>>(method: M, handler: Handler<Api, M>): () => void;
}

/** This file also runs as a plain test, so the sockets must exist at runtime; they do nothing. */
function fakeSocket<Api>(): TypedSocket<Api> {
  return { request: () => Promise.resolve(undefined as never), on: () => () => {}, emit: () => {}, handle: () => () => {} };
}

const s = fakeSocket<ChatApi>();
const loose = fakeSocket<DefaultApi>();
const ticks = fakeSocket<EventsOnlyApi>();

describe('method helpers', () => {
  it('names the declared methods and reads their params and results', () => {
    expectTypeOf<MethodName<ChatApi>>().toEqualTypeOf<'room.join' | 'ping' | 'room.list' | 'search'>();
    expectTypeOf<ParamsOf<ChatApi, 'room.join'>>().toEqualTypeOf<{ room: string }>();
    expectTypeOf<ParamsOf<ChatApi, 'ping'>>().toEqualTypeOf<undefined>();
    expectTypeOf<ParamsOf<ChatApi, 'room.list'>>().toEqualTypeOf<undefined>();
    expectTypeOf<ParamsOf<ChatApi, 'search'>>().toEqualTypeOf<{ q: string } | undefined>();
    expectTypeOf<ResultOf<ChatApi, 'room.join'>>().toEqualTypeOf<{ members: string[] }>();
  });

  it('makes params required only when their type excludes undefined', () => {
    expectTypeOf<ParamsArgs<ChatApi, 'room.join'>>().toEqualTypeOf<[{ room: string }]>();
    expectTypeOf<ParamsArgs<ChatApi, 'ping'>>().toEqualTypeOf<[undefined?]>();
    expectTypeOf<ParamsArgs<ChatApi, 'search'>>().toEqualTypeOf<[({ q: string } | undefined)?]>();
  });

  it('types request() calls and their results', () => {
    expectTypeOf(s.request('room.join', { room: 'lobby' })).toEqualTypeOf<Promise<{ members: string[] }>>();
    expectTypeOf(s.request('ping')).toEqualTypeOf<Promise<'pong'>>();
    expectTypeOf(s.request('room.list', undefined, { timeout: 1000 })).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(s.request('search')).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(s.request('search', { q: 'x' }, { signal: new AbortController().signal })).toEqualTypeOf<Promise<string[]>>();
  });

  it('rejects unknown methods, missing or wrong params and bad options', () => {
    // @ts-expect-error unknown method
    void s.request('room.leave');
    // @ts-expect-error params are required for room.join
    void s.request('room.join');
    // @ts-expect-error wrong params shape
    void s.request('room.join', { name: 'lobby' });
    // @ts-expect-error ping takes no params
    void s.request('ping', { x: 1 });
    // @ts-expect-error timeout must be a number
    void s.request('ping', undefined, { timeout: '1s' });
    // @ts-expect-error the result is not a number
    const wrong: Promise<number> = s.request('ping');
    void wrong;
  });
});

describe('event helpers', () => {
  it('types on() listeners by server event', () => {
    expectTypeOf<EventName<ChatApi>>().toEqualTypeOf<'chat' | 'typing'>();
    expectTypeOf<EventData<ChatApi, 'chat'>>().toEqualTypeOf<{ from: string; text: string }>();
    s.on('typing', (data) => expectTypeOf(data).toEqualTypeOf<{ from: string }>());
    // @ts-expect-error unknown event
    s.on('joined', () => {});
    // @ts-expect-error listener expects the wrong data
    s.on('chat', (data: { room: string }) => void data);
  });

  it('types emit() by the emits map, with data optional when it admits undefined', () => {
    expectTypeOf<EmitName<ChatApi>>().toEqualTypeOf<'chat' | 'leave'>();
    expectTypeOf<EmitData<ChatApi, 'chat'>>().toEqualTypeOf<{ text: string }>();
    s.emit('chat', { text: 'hi' });
    s.emit('leave');
    // @ts-expect-error client may not emit a server-only event
    s.emit('typing', { from: 'me' });
    // @ts-expect-error emits.chat has no `from`
    s.emit('chat', { from: 'me', text: 'hi' });
    // @ts-expect-error data required
    s.emit('chat');
  });

  it('falls back to events for emit() when emits is absent, and offers no methods', () => {
    expectTypeOf<EmitName<EventsOnlyApi>>().toEqualTypeOf<'tick'>();
    ticks.emit('tick', 1);
    expectTypeOf<MethodName<EventsOnlyApi>>().toEqualTypeOf<never>();
    // @ts-expect-error an API without methods has nothing to request
    void ticks.request('anything');
  });
});

describe('handler helpers', () => {
  it('types server-to-client request handlers', () => {
    expectTypeOf<HandlerName<ChatApi>>().toEqualTypeOf<'client.version'>();
    expectTypeOf<HandlerParams<ChatApi, 'client.version'>>().toEqualTypeOf<undefined>();
    expectTypeOf<HandlerResult<ChatApi, 'client.version'>>().toEqualTypeOf<string>();
    s.handle('client.version', () => '1.0.0');
    s.handle('client.version', async () => '1.0.0');
    // @ts-expect-error must return a string
    s.handle('client.version', () => 1);
    // @ts-expect-error not a declared handler
    s.handle('client.reload', () => 'ok');
  });
});

describe('DefaultApi (no type argument)', () => {
  it('accepts any name with unknown payloads, never any', () => {
    expectTypeOf<MethodName>().toEqualTypeOf<string>();
    expectTypeOf<ParamsOf<DefaultApi, 'x'>>().toEqualTypeOf<unknown>();
    expectTypeOf(loose.request('anything')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(loose.request('anything', { a: 1 }, { timeout: 5 })).toEqualTypeOf<Promise<unknown>>();
    loose.on('whatever', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
    loose.emit('x');
    loose.emit('x', 42);
    expectTypeOf<ResultOf<DefaultApi, 'x'>>().not.toBeAny();
    expectTypeOf<EventData<DefaultApi, 'x'>>().not.toBeAny();
    expectTypeOf<HandlerResult<DefaultApi, 'x'>>().toEqualTypeOf<unknown>();
  });

  it('accepts API maps whose sections are declared as separate interfaces', () => {
    interface MathMethods {
      add: { params: [number, number]; result: number };
    }
    interface MathApi {
      methods: MathMethods;
    }
    expectTypeOf<ResultOf<MathApi, 'add'>>().toEqualTypeOf<number>();
    expectTypeOf<ParamsArgs<MathApi, 'add'>>().toEqualTypeOf<[[number, number]]>();
    expectTypeOf<EventName<MathApi>>().toEqualTypeOf<never>();
  });
});
