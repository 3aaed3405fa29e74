// @vitest-environment node
// The real client (over the `ws` package) against the reference server on 127.0.0.1, port 0:
// requests both ways, events both ways, abort, timeout and dropped links.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import { rpc, type Rpc, type RpcOptions } from '../../src/features/rpc/rpc';
import { AbortError, ClosedError, ProtocolError, RemoteError, TimeoutError } from '../../src/protocol/errors';
import type { CoreOptions } from '../../src/core/options';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { createServer, ResponseError, type Connection, type HoldfastServer } from '../../src/server/index';
import { sleep, waitFor } from '../helpers/client-wait';
import { recordUntilOpen } from '../helpers/client-record';

interface TestApi {
  methods: {
    echo: { params: unknown; result: unknown };
    add: { params: [number, number]; result: number };
    fail: { params?: undefined; result: never };
    hang: { params?: undefined; result: never };
    slow: { params: number; result: string };
    flaky: { params?: undefined; result: string };
  };
  events: { chat: { text: string }; news: string };
  emits: { chat: { text: string }; hello: { name: string } };
  handles: { 'client.version': { params: undefined; result: string }; 'client.fail': { params: undefined; result: never } };
}

const servers: HoldfastServer[] = [];
const sockets: HoldfastSocket[] = [];

async function startServer() {
  const server = createServer({ pingInterval: 0 });
  servers.push(server);
  server.handle('add', (params) => {
    const [a, b] = params as [number, number];
    return a + b;
  });
  server.handle('fail', () => {
    throw new ResponseError('FORBIDDEN', 'not allowed');
  });
  server.handle('hang', () => new Promise(() => undefined));
  server.handle('slow', (ms) => sleep(ms as number).then(() => 'slow done'));
  const connections: Connection[] = [];
  server.on('connection', (connection) => connections.push(connection));
  const { url } = await server.listen(0, '127.0.0.1');
  return { server, url, connections };
}

async function open(url: string, options: CoreOptions = {}, rpcOptions: RpcOptions = {}) {
  const socket = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    heartbeat: false,
    backoff: { initialDelay: 20, maxDelay: 100 },
    ...options,
    use: [rpc<TestApi>(rpcOptions)],
  });
  sockets.push(socket);
  return { socket, ...(await recordUntilOpen(socket)) };
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('requests from the client', () => {
  it('resolves with the results of server handlers and the built-in echo', async () => {
    const { url } = await startServer();
    const { socket, messages } = await open(url);
    await expect(socket.request('add', [2, 3])).resolves.toBe(5);
    await expect(socket.request('echo', { deep: [1, 'two', null] })).resolves.toEqual({ deep: [1, 'two', null] });
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => socket.request('add', [i, i])));
    expect(many).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect(messages).toEqual([]);
  });

  it('rejects with RemoteError for a handler error and for an unknown method', async () => {
    const { url } = await startServer();
    const { socket } = await open(url);
    await expect(socket.request('fail')).rejects.toMatchObject({ name: 'RemoteError', remoteCode: 'FORBIDDEN', message: 'not allowed' });
    const unknown = await (socket as HoldfastSocket<Rpc>).request('nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(RemoteError);
    expect(unknown).toMatchObject({ remoteCode: 'METHOD_NOT_FOUND', method: 'nope', id: 2 });
  });

  it('rejects with TimeoutError when the server does not answer in time', async () => {
    const { url } = await startServer();
    const { socket } = await open(url);
    const started = Date.now();
    const error = await socket.request('hang', undefined, { timeout: 80 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ method: 'hang', id: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(socket.state).toBe('open');
  });

  it('rejects with AbortError on abort, and reports the late answer as a ProtocolError', async () => {
    const { url } = await startServer();
    const { socket, errors } = await open(url);
    const controller = new AbortController();
    const call = socket.request('slow', 50, { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    await waitFor(() => errors.length > 0, 5000, 'the late response to be reported');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    await expect(socket.request('add', [1, 1])).resolves.toBe(2);
  });

  it('rejects with DISCONNECTED when the link drops under the request', async () => {
    const { server, url } = await startServer();
    const { socket } = await open(url);
    const call = socket.request('hang');
    await sleep(20);
    server.faults.drop();
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect((error as ClosedError).code).toBe('DISCONNECTED');
    expect(error).toMatchObject({ method: 'hang', id: 1 });
  });

  it('re-sends a retry request after the reconnect and resolves it', async () => {
    const { server, url } = await startServer();
    let calls = 0;
    server.handle('flaky', () => (++calls === 1 ? new Promise(() => undefined) : 'second time'));
    const { socket } = await open(url);
    const call = socket.request('flaky', undefined, { retry: true, timeout: 5000 });
    await waitFor(() => calls === 1, 5000, 'the first attempt to reach the server');
    server.faults.drop();
    await expect(call).resolves.toBe('second time');
    expect(calls).toBe(2);
  });

  it('rejects pending requests with CLOSED on close()', async () => {
    const { url } = await startServer();
    const { socket } = await open(url);
    const call = socket.request('hang');
    socket.close();
    const error = await call.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ClosedError', code: 'CLOSED' });
    expect(error).toMatchObject({ method: 'hang', id: 1 });
  });
});

describe('requests from the server', () => {
  it('are answered by socket.handle(), results and errors alike', async () => {
    const { url, connections } = await startServer();
    const { socket } = await open(url);
    socket.handle('client.version', () => '1.2.3');
    socket.handle('client.fail', async () => {
      throw Object.assign(new Error('broken'), { code: 'BROKEN' });
    });
    await waitFor(() => connections.length === 1, 5000, 'the server connection');
    const connection = connections[0] as Connection;
    await expect(connection.request('client.version')).resolves.toBe('1.2.3');
    await expect(connection.request('client.fail')).rejects.toMatchObject({ remoteCode: 'BROKEN', message: 'broken' });
    await expect(connection.request('client.missing')).rejects.toMatchObject({ remoteCode: 'METHOD_NOT_FOUND' });
  });
});

describe('events', () => {
  it('go from client to server with emit()', async () => {
    const { server, url } = await startServer();
    const seen: unknown[] = [];
    server.on('event', (event, data) => seen.push([event, data]));
    const { socket } = await open(url);
    socket.emit('hello', { name: 'ada' });
    await waitFor(() => seen.length === 1, 5000, 'the server to get the event');
    expect(seen).toEqual([['hello', { name: 'ada' }]]);
  });

  it('go from server to client with onEvent(), including broadcasts to every client', async () => {
    const { server, url } = await startServer();
    const a = await open(url);
    const b = await open(url);
    const got: Record<'a' | 'b', unknown[]> = { a: [], b: [] };
    a.socket.onEvent('chat', (data) => got.a.push(data));
    b.socket.onEvent('chat', (data) => got.b.push(data));
    a.socket.onEvent('news', (data) => got.a.push(data));
    await waitFor(() => server.connections.size === 2, 5000, 'two connections');
    a.socket.emit('chat', { text: 'hi all' });
    await waitFor(() => got.a.length === 1 && got.b.length === 1, 5000, 'the broadcast chat');
    server.emit('news', 'extra');
    await waitFor(() => got.a.length === 2, 5000, 'the news event');
    expect(got).toEqual({ a: [{ text: 'hi all' }, 'extra'], b: [{ text: 'hi all' }] });
    expect(a.messages).toEqual([]);
  });
});

describe('application data', () => {
  it("passes the server's own frames that misfit a protocol shape to message listeners, with no error", async () => {
    const { url, connections } = await startServer();
    const { socket, messages, errors } = await open(url);
    const seen: unknown[] = [];
    socket.onEvent('chat', (data) => seen.push(data));
    await waitFor(() => connections.length === 1, 5000, 'the server connection');
    const misfits = ['{"type":"event","name":"chat","data":1}', '{"type":"request","method":"chat"}', '{"type":"response","id":"none"}'];
    for (const frame of misfits) (connections[0] as Connection).send(frame);
    await waitFor(() => messages.length === misfits.length, 5000, 'the frames to arrive');
    expect(messages).toEqual(misfits);
    expect(errors).toEqual([]);
    expect(seen).toEqual([]);
    await expect(socket.request('add', [1, 2])).resolves.toBe(3);
  });

  it('is every request, response and event frame for a socket without rpc()', async () => {
    const { server, url, connections } = await startServer();
    const events: unknown[] = [];
    server.on('event', (event, data) => events.push([event, data]));
    const socket = connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructorLike, environment: false, heartbeat: false });
    sockets.push(socket);
    const { messages, errors } = await recordUntilOpen(socket);
    expect('request' in socket).toBe(false);
    // The reference server answers a request frame; the answer is plain data to this socket.
    socket.send('{"type":"request","id":1,"method":"echo","params":"hi"}');
    socket.send('{"type":"event","event":"hello","data":{"name":"raw"}}');
    await waitFor(() => connections.length === 1, 5000, 'the server connection');
    (connections[0] as Connection).send('{"type":"event","event":"news","data":"x"}');
    await waitFor(() => messages.length === 2 && events.length === 1, 5000, 'the answer and the event');
    expect(messages.map((m) => JSON.parse(m as string) as unknown)).toEqual(
      expect.arrayContaining([
        { type: 'response', id: 1, result: 'hi' },
        { type: 'event', event: 'news', data: 'x' },
      ]),
    );
    expect(events).toEqual([['hello', { name: 'raw' }]]);
    expect(errors).toEqual([]);
  });
});
