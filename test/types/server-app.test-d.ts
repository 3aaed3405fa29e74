// Type tests of the server's application half: one `Api` map types the client's `rpc<Api>()`
// and the server's handlers, events and server-to-client requests. Runs against the real
// `createApp()` / `createServer()` and the `ws` package's own types (nothing listens here). Under
// `vitest run` this file also executes.
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, describe, expectTypeOf, it } from 'vitest';
import { createApp, createServer, type Connection, type HandlerContext, type Peer } from '../../src/server/index';

interface ChatApi {
  methods: {
    'room.join': { params: { room: string }; result: { members: string[] } };
    'room.list': { result: string[] };
  };
  events: { chat: { from: string; text: string }; bye: undefined };
  emits: { chat: { text: string } };
  handles: { 'client.version': { params: undefined; result: string }; 'client.add': { params: [number, number]; result: number } };
}

const app = createApp<ChatApi, WebSocket>();
const server = createServer<ChatApi>();
// A real peer over a channel that sends nowhere; ended (its requests rejected) at the end.
const link = app.open({ send: () => true, close: () => undefined }, {} as WebSocket);
const peer: Peer<ChatApi> = link.peer;

afterAll(() => link.end());

/** Absorbs a rejection (nothing is connected), keeping the promise's type. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('handle(): the Api methods', () => {
  it('gives handlers the declared params, the typed peer and the socket', () => {
    app.handle('room.join', (params, context) => {
      expectTypeOf(params).toEqualTypeOf<{ room: string }>();
      expectTypeOf(context).toEqualTypeOf<HandlerContext<ChatApi, WebSocket>>();
      expectTypeOf(context.peer).toEqualTypeOf<Peer<ChatApi>>();
      expectTypeOf(context.connection).toEqualTypeOf<WebSocket>();
      return { members: [params.room] };
    });
    app.handle('room.list', async () => ['lobby']);
    server.handle('room.join', (params, { connection }) => {
      expectTypeOf(connection).toEqualTypeOf<Connection>();
      return { members: [params.room] };
    });
  });

  it('rejects a handler with the wrong param or result type, or an unknown method', () => {
    // @ts-expect-error the params are { room: string }, not { room: number }
    app.handle('room.join', (params: { room: number }) => ({ members: [String(params.room)] }));
    // @ts-expect-error the result must be { members: string[] }
    app.handle('room.join', () => 42);
    // @ts-expect-error an async handler must resolve to the result type too
    app.handle('room.list', async () => [1, 2]);
    // @ts-expect-error not a method of ChatApi
    app.handle('room.leave', () => null);
    // @ts-expect-error the same rules on the reference server
    server.handle('room.join', () => ({ members: [1] }));
  });

  it('accepts any method with unknown params on an untyped app', () => {
    const loose = createApp();
    loose.handle('anything', (params) => {
      expectTypeOf(params).toEqualTypeOf<unknown>();
      return params;
    });
  });
});

describe('events and server-to-client requests', () => {
  it('types emit by `events` and onEvent by `emits`', () => {
    expectTypeOf(peer.emit('chat', { from: 'a', text: 'b' })).toEqualTypeOf<boolean>();
    peer.emit('bye');
    expectTypeOf(app.emit('chat', { from: 'a', text: 'b' })).toEqualTypeOf<number>();
    app.onEvent('chat', (data, from, socket) => {
      expectTypeOf(data).toEqualTypeOf<{ text: string }>();
      expectTypeOf(from).toEqualTypeOf<Peer<ChatApi>>();
      expectTypeOf(socket).toEqualTypeOf<WebSocket>();
    });
    server.onEvent('chat', (data) => expectTypeOf(data).toEqualTypeOf<{ text: string }>());
    // @ts-expect-error chat data needs from and text
    peer.emit('chat', { text: 'b' });
    // @ts-expect-error not an event of ChatApi
    app.emit('typing', {});
    // @ts-expect-error the reference server's emit is typed too
    server.emit('chat', 1);
    // @ts-expect-error clients emit { text }, not a string
    app.onEvent('chat', (data: string) => void data);
  });

  it('types request() by `handles`: params and result', () => {
    expectTypeOf(quiet(peer.request('client.version'))).toEqualTypeOf<Promise<string>>();
    expectTypeOf(quiet(peer.request('client.add', [1, 2], { timeout: 100 }))).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error params are required for client.add
    quiet(peer.request('client.add'));
    // @ts-expect-error wrong params
    quiet(peer.request('client.add', ['1', 2]));
    // @ts-expect-error not a request the client handles
    quiet(peer.request('client.reboot'));
    // @ts-expect-error the result is a string
    const wrong: Promise<number> = peer.request('client.version');
    quiet(wrong);
  });
});

describe('the ws package fits the attachment points', () => {
  it('attach() takes a WebSocketServer and serve() a WebSocket', () => {
    expectTypeOf(app.attach).toBeCallableWith(new WebSocketServer({ noServer: true }));
    expectTypeOf(app.serve).parameter(0).toMatchTypeOf<WebSocket>();
    const plain = createApp();
    expectTypeOf(plain.attach).toBeCallableWith(new WebSocketServer({ noServer: true }));
    // @ts-expect-error a plain object is no socket
    void (() => plain.serve({}));
  });
});
