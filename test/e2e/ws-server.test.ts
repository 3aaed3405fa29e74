// @vitest-environment node
// holdfast's protocol on a user's own server: a plain `ws` package WebSocketServer on 127.0.0.1,
// port 0, with the application half attached (`createApp().attach(wss)`), against the real
// client with `rpc<Api>()`. Requests both ways, events both ways, broadcast, heartbeat, and the
// user's own listeners working as before.
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import type { CoreOptions } from '../../src/core/options';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { rpc, type Rpc } from '../../src/features/rpc/rpc';
import { ClosedError, RemoteError, TimeoutError } from '../../src/protocol/errors';
import { createApp, ResponseError, type HoldfastApp, type Peer } from '../../src/server/index';
import { sleep, waitFor } from '../helpers/client-wait';
import { recordUntilOpen } from '../helpers/client-record';

interface ChatApi {
  methods: {
    'room.join': { params: { room: string }; result: { members: string[] } };
    'room.fail': { params?: undefined; result: never };
    'room.crash': { params?: undefined; result: never };
    'room.slow': { params: number; result: string };
  };
  events: { chat: { from: string; text: string }; welcome: { members: number } };
  emits: { chat: { text: string } };
  handles: { 'client.version': { params: undefined; result: string }; 'client.fail': { params: undefined; result: never } };
}

const servers: WebSocketServer[] = [];
const sockets: HoldfastSocket[] = [];
const detachers: Array<() => void> = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const detach of detachers.splice(0)) detach();
  await Promise.all(
    servers.splice(0).map(
      (wss) =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    ),
  );
});

/** A user's own ws server: it answers "own:" messages itself, as it did before holdfast was attached. */
async function startWsServer(): Promise<{ wss: WebSocketServer; url: string; seenByOwnListener: string[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  const seenByOwnListener: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : data.toString();
      seenByOwnListener.push(text);
      if (text.startsWith('own:')) ws.send(`the server's own answer to ${text}`);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address() as { port: number };
  return { wss, url: `ws://127.0.0.1:${address.port}`, seenByOwnListener };
}

function chatApp(): HoldfastApp<ChatApi, WebSocket> {
  const app = createApp<ChatApi, WebSocket>({ requestTimeout: 2000 });
  const members = new Set<string>();
  app.handle('room.join', ({ room }, { peer }) => {
    members.add(room);
    peer.emit('welcome', { members: members.size });
    return { members: [...members] };
  });
  app.handle('room.fail', () => {
    throw new ResponseError('FORBIDDEN', 'not a member');
  });
  app.handle('room.crash', () => {
    throw new Error('internal detail');
  });
  app.handle('room.slow', (ms) => sleep(ms).then(() => 'slow done'));
  return app;
}

async function open(url: string, options: CoreOptions = {}) {
  const socket = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    heartbeat: false,
    backoff: { initialDelay: 20, maxDelay: 100 },
    ...options,
    use: [rpc<ChatApi>()],
  });
  sockets.push(socket);
  return { socket, ...(await recordUntilOpen(socket)) };
}

async function attached() {
  const { wss, url, seenByOwnListener } = await startWsServer();
  const app = chatApp();
  detachers.push(app.attach(wss));
  return { wss, url, app, seenByOwnListener };
}

/** The app's peer for the next client that connects. */
function nextPeer(app: HoldfastApp<ChatApi, WebSocket>): Promise<Peer<ChatApi>> {
  return new Promise((resolve) => {
    const off = app.on('connection', (peer) => {
      off();
      resolve(peer);
    });
  });
}

describe('requests from the client to a ws server', () => {
  it('answers typed requests from handlers, which can emit to the caller', async () => {
    const { url } = await attached();
    const { socket } = await open(url);
    const welcomes: Array<{ members: number }> = [];
    socket.onEvent('welcome', (data) => welcomes.push(data));
    await expect(socket.request('room.join', { room: 'a' })).resolves.toEqual({ members: ['a'] });
    await expect(socket.request('room.join', { room: 'b' })).resolves.toEqual({ members: ['a', 'b'] });
    // The welcome was sent before the response, so it has arrived by now.
    expect(welcomes).toEqual([{ members: 1 }, { members: 2 }]);
  });

  it('rejects with RemoteError: a ResponseError as thrown, any other exception as INTERNAL, an unknown method as METHOD_NOT_FOUND', async () => {
    const { url, app } = await attached();
    const errors: Error[] = [];
    app.on('error', (error) => errors.push(error));
    const { socket } = await open(url);
    await expect(socket.request('room.fail')).rejects.toMatchObject({ name: 'RemoteError', remoteCode: 'FORBIDDEN', message: 'not a member' });
    await expect(socket.request('room.crash')).rejects.toMatchObject({ name: 'RemoteError', remoteCode: 'INTERNAL', message: 'internal error' });
    const unknown = await (socket as HoldfastSocket<Rpc>).request('nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(RemoteError);
    expect(unknown).toMatchObject({ remoteCode: 'METHOD_NOT_FOUND' });
    expect(errors.map((e) => e.message)).toEqual(['internal detail']);
  });
});

describe('requests from a ws server to the client', () => {
  it('resolves with what the client handler returns, and rejects with RemoteError when it throws', async () => {
    const { url, app } = await attached();
    const peer = nextPeer(app);
    const { socket } = await open(url);
    socket.handle('client.version', () => '1.2.3');
    socket.handle('client.fail', () => {
      throw Object.assign(new Error('nope'), { code: 'NOPE' });
    });
    const server = await peer;
    await expect(server.request('client.version')).resolves.toBe('1.2.3');
    await expect(server.request('client.fail')).rejects.toMatchObject({ name: 'RemoteError', remoteCode: 'NOPE' });
  });

  it('rejects with TimeoutError when the client does not answer in time', async () => {
    const { url, app } = await attached();
    const peer = nextPeer(app);
    const { socket } = await open(url);
    socket.handle('client.version', () => new Promise<string>(() => undefined));
    const error = await (await peer).request('client.version', undefined, { timeout: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('rejects pending requests with ClosedError when the connection closes, and forgets the peer', async () => {
    const { url, app } = await attached();
    const peerPromise = nextPeer(app);
    const { socket } = await open(url);
    socket.handle('client.version', () => new Promise<string>(() => undefined));
    const peer = await peerPromise;
    const closes: number[] = [];
    app.on('close', (_peer, code) => closes.push(code));
    expect(app.peers.has(peer)).toBe(true);
    const pending = peer.request('client.version').catch((e: unknown) => e);
    await sleep(20);
    socket.close(4000, 'bye');
    const error = await pending;
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ code: 'CLOSED', closeCode: 4000 });
    expect(closes).toEqual([4000]);
    expect(app.peers.size).toBe(0);
    await expect(peer.request('client.version')).rejects.toBeInstanceOf(ClosedError);
    expect(peer.emit('chat', { from: 'x', text: 'late' })).toBe(false);
  });
});

describe('events, broadcast and heartbeat on a ws server', () => {
  it('delivers client events to typed onEvent listeners, with the sender', async () => {
    const { url, app } = await attached();
    const peer = nextPeer(app);
    const got: Array<[{ text: string }, Peer<ChatApi>]> = [];
    app.onEvent('chat', (data, from) => got.push([data, from]));
    const { socket } = await open(url);
    socket.emit('chat', { text: 'hello' });
    await waitFor(() => got.length === 1, 3000, 'the chat event');
    expect(got[0]?.[0]).toEqual({ text: 'hello' });
    expect(got[0]?.[1]).toBe(await peer);
  });

  it('emits to one connection, and broadcasts events and raw data to all', async () => {
    const { url, app } = await attached();
    const first = nextPeer(app);
    const alice = await open(url);
    const alicePeer = await first;
    const bob = await open(url);
    await waitFor(() => app.peers.size === 2, 3000, 'two peers');
    const heard = { alice: [] as unknown[], bob: [] as unknown[] };
    alice.socket.onEvent('chat', (data) => heard.alice.push(data));
    bob.socket.onEvent('chat', (data) => heard.bob.push(data));
    expect(alicePeer.emit('chat', { from: 'server', text: 'just you' })).toBe(true);
    expect(app.emit('chat', { from: 'server', text: 'everyone' })).toBe(2);
    expect(app.broadcast('plain text')).toBe(2);
    await waitFor(() => alice.messages.length === 1 && bob.messages.length === 1, 3000, 'the broadcast data');
    expect(heard.alice).toEqual([{ from: 'server', text: 'just you' }, { from: 'server', text: 'everyone' }]);
    expect(heard.bob).toEqual([{ from: 'server', text: 'everyone' }]);
    expect(alice.messages).toEqual(['plain text']);
    expect(bob.messages).toEqual(['plain text']);
  });

  it("answers the client's JSON heartbeat, so its pings come back as round trips", async () => {
    const { url, seenByOwnListener } = await attached();
    const { socket } = await open(url, { heartbeat: { interval: 30, timeout: 1000 } });
    const rtts: number[] = [];
    socket.on('heartbeat', ({ rtt }) => rtts.push(rtt));
    await waitFor(() => rtts.length >= 2, 3000, 'two answered heartbeats');
    expect(socket.state).toBe('open');
    expect(seenByOwnListener.some((text) => text.startsWith('{"type":"ping"'))).toBe(true);
  });
});

describe("the user's own ws server stays as it was", () => {
  it('keeps its own listeners, which still answer their own messages; the app sees only application data as data', async () => {
    const { url, app, seenByOwnListener } = await attached();
    const appData: unknown[] = [];
    app.on('message', (data, isBinary) => appData.push([data, isBinary]));
    const { socket, messages } = await open(url);
    await socket.request('room.join', { room: 'r' });
    socket.send('own: hi');
    await waitFor(() => messages.length === 1, 3000, "the server's own answer");
    expect(messages).toEqual(["the server's own answer to own: hi"]);
    expect(appData).toEqual([['own: hi', false]]);
    expect(seenByOwnListener.some((text) => text.includes('"method":"room.join"'))).toBe(true);
  });

  it('detach() stops serving: requests are no longer answered and pending server requests reject with ClosedError', async () => {
    const { wss, url } = await startWsServer();
    const app = chatApp();
    const detach = app.attach(wss);
    const peerPromise = nextPeer(app);
    const { socket, messages } = await open(url);
    socket.handle('client.version', () => new Promise<string>(() => undefined));
    const peer = await peerPromise;
    const pending = peer.request('client.version').catch((e: unknown) => e);
    await socket.request('room.join', { room: 'x' });
    detach();
    expect(await pending).toBeInstanceOf(ClosedError);
    expect(app.peers.size).toBe(0);
    await expect(socket.request('room.join', { room: 'y' }, { timeout: 150 })).rejects.toBeInstanceOf(TimeoutError);
    // The user's server still works, and the socket is still open.
    socket.send('own: still here');
    await waitFor(() => messages.length === 1, 3000, "the server's own answer");
    expect(socket.state).toBe('open');
    // A new connection after detach is not served either.
    const later = await open(url);
    await expect(later.socket.request('room.join', { room: 'z' }, { timeout: 150 })).rejects.toBeInstanceOf(TimeoutError);
    expect(app.peers.size).toBe(0);
  });
});
