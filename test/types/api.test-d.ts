// Type tests of the Api helpers of `api.ts`, on sockets from the real `connect()` with
// `use: [rpc<Api>()]`. Under `vitest run` this file also executes: the sockets are real (a fake
// WebSocket constructor that never opens) and closed at the end.
import { afterAll, describe, expectTypeOf, it } from 'vitest';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import { NEVER_OPENS } from './never-opens';
import { rpc, type Rpc } from '../../src/features/rpc/rpc';
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

const live: HoldfastSocket[] = [];
/** A real socket with `rpc<Api>()`, that never opens. */
function socketOf<Api>(): HoldfastSocket<Rpc<Api>> {
  const socket = connect('ws://127.0.0.1:1/', {
    WebSocket: NEVER_OPENS,
    environment: false,
    heartbeat: false,
    use: [rpc<Api>()],
  });
  live.push(socket);
  return socket;
}
/** Every request here is rejected by close(): absorb that, keeping the promise's type. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

const s = socketOf<ChatApi>();
const loose = socketOf<DefaultApi>();
const ticks = socketOf<EventsOnlyApi>();

afterAll(() => {
  for (const socket of live.splice(0)) socket.close();
});

describe('the socket rpc<Api>() makes', () => {
  it('has the signatures the helpers describe', () => {
    type R = Rpc<ChatApi>;
    expectTypeOf<R['onEvent']>().toEqualTypeOf<<E extends EventName<ChatApi>>(event: E, listener: EventListener<ChatApi, E>) => () => void>();
    expectTypeOf<R['handle']>().toEqualTypeOf<<M extends HandlerName<ChatApi>>(method: M, handler: Handler<ChatApi, M>) => () => void>();
  });
});

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
    expectTypeOf(quiet(s.request('room.join', { room: 'lobby' }))).toEqualTypeOf<Promise<{ members: string[] }>>();
    expectTypeOf(quiet(s.request('ping'))).toEqualTypeOf<Promise<'pong'>>();
    expectTypeOf(quiet(s.request('room.list', undefined, { timeout: 1000 }))).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(quiet(s.request('search'))).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(quiet(s.request('search', { q: 'x' }, { signal: new AbortController().signal }))).toEqualTypeOf<Promise<string[]>>();
  });

  it('rejects unknown methods, missing or wrong params and bad options', () => {
    // @ts-expect-error unknown method
    quiet(s.request('room.leave'));
    // @ts-expect-error params are required for room.join
    quiet(s.request('room.join'));
    // @ts-expect-error wrong params shape
    quiet(s.request('room.join', { name: 'lobby' }));
    // @ts-expect-error ping takes no params
    quiet(s.request('ping', { x: 1 }));
    // @ts-expect-error timeout must be a number
    quiet(s.request('ping', undefined, { timeout: '1s' }));
    // @ts-expect-error the result is not a number
    const wrong: Promise<number> = s.request('ping');
    quiet(wrong);
  });
});

describe('event helpers', () => {
  it('types onEvent() listeners by server event', () => {
    expectTypeOf<EventName<ChatApi>>().toEqualTypeOf<'chat' | 'typing'>();
    expectTypeOf<EventData<ChatApi, 'chat'>>().toEqualTypeOf<{ from: string; text: string }>();
    s.onEvent('typing', (data) => expectTypeOf(data).toEqualTypeOf<{ from: string }>());
    // @ts-expect-error unknown event
    s.onEvent('joined', () => {});
    // @ts-expect-error listener expects the wrong data
    s.onEvent('chat', (data: { room: string }) => void data);
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
    quiet(ticks.request('anything'));
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
    expectTypeOf(quiet(loose.request('anything'))).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(quiet(loose.request('anything', { a: 1 }, { timeout: 5 }))).toEqualTypeOf<Promise<unknown>>();
    loose.onEvent('whatever', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
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
