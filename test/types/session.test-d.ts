// Type tests of session() on the real `connect()` return type, alone and with `rpc<Api>()`. Under
// `vitest run` this file also executes: the sockets are real (a fake WebSocket constructor that
// never opens) and closed at the end.
import { afterAll, describe, expectTypeOf, it } from 'vitest';
import {
  browserStorage,
  connect,
  keyValueStorage,
  miniProgramStorage,
  rpc,
  session,
  type Feature,
  type HoldfastSocket,
  type Rpc,
  type Session,
  type SessionEvent,
  type SessionInfo,
  type SessionPersistence,
  type SessionReason,
  type SessionState,
} from '../../src/index';
import { NEVER_OPENS } from './never-opens';

interface ShopApi {
  methods: { checkout: { params: { cart: number }; result: { total: number } } };
  events: { price: { sku: string; cents: number } };
}

const options = { WebSocket: NEVER_OPENS, environment: false, heartbeat: false } as const;
const url = 'ws://127.0.0.1:1/';

const alone = connect(url, { ...options, use: [session()] });
const shop = connect(url, { ...options, use: [session({ maxMessages: 10, overflow: 'throw' }), rpc<ShopApi>()] });
const bare = connect(url, options);
const stored = connect(url, { ...options, use: [session({ storage: keyValueStorage({ get: () => null, set: () => undefined, remove: () => undefined }) })] });

afterAll(() => {
  for (const socket of [alone, shop, bare, stored]) socket.close();
});

describe('session() on the socket', () => {
  it('adds `session` (a snapshot) and `onSession` to the type of connect()', () => {
    expectTypeOf(session()).toEqualTypeOf<Feature<Session>>();
    expectTypeOf(alone).toEqualTypeOf<HoldfastSocket<Session>>();
    expectTypeOf(alone.session).toEqualTypeOf<SessionInfo>();
    expectTypeOf(alone.session.id).toEqualTypeOf<string | undefined>();
    expectTypeOf(alone.session.state).toEqualTypeOf<SessionState>();
    expectTypeOf(alone.session.outbox).toEqualTypeOf<{ readonly length: number; readonly bytes: number }>();
    expectTypeOf(alone.session.received).toEqualTypeOf<number>();
    expectTypeOf(alone.session.durable).toEqualTypeOf<boolean>();
    const off = alone.onSession((event) => {
      expectTypeOf(event).toEqualTypeOf<SessionEvent>();
      expectTypeOf(event.resumed).toEqualTypeOf<boolean>();
      expectTypeOf(event.reason).toEqualTypeOf<SessionReason | undefined>();
      expectTypeOf(event.resent).toEqualTypeOf<number>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    off();
    expectTypeOf(stored.session).toEqualTypeOf<SessionInfo>();
  });

  it('combines with rpc<Api>(): both features on one socket, requests typed by the Api', () => {
    expectTypeOf(shop).toEqualTypeOf<HoldfastSocket<Session & Rpc<ShopApi>>>();
    expectTypeOf(shop.session.state).toEqualTypeOf<SessionState>();
    const total = shop.request('checkout', { cart: 42 });
    total.catch(() => undefined); // rejected by close()
    expectTypeOf(total).toEqualTypeOf<Promise<{ total: number }>>();
    shop.onEvent('price', (data) => expectTypeOf(data).toEqualTypeOf<{ sku: string; cents: number }>());
    shop.onSession(({ resumed }) => expectTypeOf(resumed).toEqualTypeOf<boolean>());
  });

  it('reads the snapshot, never writes it, and types its states and reasons', () => {
    const states: SessionState[] = ['offline', 'handshake', 'active', 'unsupported', 'closed'];
    const reasons: SessionReason[] = ['new', 'unknown', 'overflow', 'mismatch', 'unsupported'];
    void [states, reasons];
    // Never called: at run time the getter-only property would throw.
    const writes = () => {
      // @ts-expect-error the snapshot is read-only
      alone.session = alone.session;
      // @ts-expect-error its fields are read-only too
      alone.session.received = 3;
    };
    void writes;
    // @ts-expect-error not a state
    const state: SessionState = 'open';
    // @ts-expect-error not a reason the server or the client gives
    const reason: SessionReason = 'expired';
    void [state, reason];
  });

  it('rejects wrong usages', () => {
    // @ts-expect-error a socket without session() has no session
    void bare.session;
    // @ts-expect-error ...and no onSession
    void bare.onSession;
    // @ts-expect-error a plain socket is not a session one
    const wrong: HoldfastSocket<Session> = bare;
    void wrong;
    // @ts-expect-error onSession takes a listener of SessionEvent
    alone.onSession((event: string) => void event);
    // @ts-expect-error resumed is a boolean
    alone.onSession((event) => expectTypeOf(event.resumed).toEqualTypeOf<string>());
    // @ts-expect-error rpc's methods need rpc()
    void alone.request;
    // Never called: the compile-time checks are the test (at run time these throw).
    const badOptions = () => {
      // @ts-expect-error not an overflow policy
      session({ overflow: 'drop-all' });
      // @ts-expect-error limits are numbers
      session({ maxMessages: '10' });
      // @ts-expect-error storage is a SessionPersistence, not a raw key/value store
      session({ storage: { get: () => null, set: () => undefined, remove: () => undefined } });
      // @ts-expect-error an option session() does not have
      session({ ttl: 1000 });
    };
    void badOptions;
  });

  it('types the storages as SessionPersistence', () => {
    expectTypeOf(browserStorage).returns.toEqualTypeOf<SessionPersistence>();
    expectTypeOf(keyValueStorage).returns.toEqualTypeOf<SessionPersistence>();
    expectTypeOf(miniProgramStorage).returns.toEqualTypeOf<SessionPersistence>();
    expectTypeOf(browserStorage).parameters.toEqualTypeOf<[key?: string]>();
  });
});
