// @vitest-environment node
// sharedb's client `Connection` takes a WebSocket it keeps for its whole life: it redoes its
// handshake on every `open` and resends pending operations, so it expects a socket that
// reconnects on its own, with `close` per lost link and `open` again on the same object: the drop-in's
// default `reconnect: 'always'`. Here against sharedb's own backend over `ws` on 127.0.0.1; the
// WebSocket server is restarted (same port, same backend and database, as a server process that
// restarts) and the app rebuilds nothing.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import Backend from 'sharedb';
import { Connection, type ConnectionState, type Doc } from 'sharedb/lib/client';
import { afterEach, describe, expect, it } from 'vitest';
import { HoldfastWebSocket } from '../../../src/websocket/websocket';
import type { WebSocketConstructorLike } from '../../../src/core/transport';
import { sleep, waitFor } from '../../helpers/client-wait';

/** sharedb's backend reads and writes JSON messages on an object-mode stream: one per WebSocket. */
function jsonStream(ws: WebSocket): Duplex {
  const stream = new Duplex({
    objectMode: true,
    read() {},
    write(message: unknown, _encoding, done) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      done();
    },
  });
  ws.on('message', (data) => {
    try {
      stream.push(JSON.parse(String(data)));
    } catch {
      ws.close(1007, 'not JSON');
    }
  });
  ws.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  return stream;
}

/** A WebSocket server in front of `backend` on 127.0.0.1; `stop()` drops every client, as a restart does. */
async function serve(backend: Backend, port = 0): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const http: Server = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => backend.listen(jsonStream(ws)));
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;
  const stop = async () => {
    for (const client of wss.clients) client.close(1012, 'restart');
    await new Promise((resolve) => wss.close(resolve));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
  stops.push(stop);
  return { port: bound, url: `ws://127.0.0.1:${bound}`, stop };
}

const stops: Array<() => Promise<void>> = [];
const connections: Connection[] = [];

const done =
  (resolve: () => void, reject: (error: unknown) => void) =>
  (error?: unknown): void =>
    error ? reject(error) : resolve();
const call = (fn: (callback: (error?: unknown) => void) => void): Promise<void> => new Promise((resolve, reject) => fn(done(resolve, reject)));

function connectTo(url: string): { connection: Connection; socket: HoldfastWebSocket; states: ConnectionState[] } {
  const socket = new HoldfastWebSocket(url, undefined, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    backoff: { initialDelay: 20, maxDelay: 100 },
  });
  const connection = new Connection(socket);
  connections.push(connection);
  const states: ConnectionState[] = [];
  connection.on('state', (state) => states.push(state));
  connection.on('error', () => {}); // sharedb emits connection errors for failed attempts
  return { connection, socket, states };
}

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  for (const stop of stops.splice(0)) await stop().catch(() => {});
});

describe('sharedb over HoldfastWebSocket', () => {
  it('keeps one Connection working across a server restart: pending ops are sent after the new handshake and remote ops arrive again', async () => {
    const backend = new Backend();
    const first = await serve(backend);
    const { connection, socket, states } = connectTo(first.url);
    const doc: Doc<{ n: number }> = connection.get('counters', 'a');
    await call((cb) => doc.subscribe(cb));
    await call((cb) => doc.create({ n: 0 }, cb));
    await call((cb) => doc.submitOp([{ p: ['n'], na: 1 }], cb));
    expect(connection.state).toBe('connected');

    await first.stop();
    await waitFor(() => connection.state === 'disconnected', 5000, 'sharedb to see the link go');
    // Edits while the server is down stay pending in sharedb and are sent after the next handshake.
    const acked = call((cb) => doc.submitOp([{ p: ['n'], na: 2 }], cb));
    await sleep(200); // several attempts against the closed port
    expect(connection.state).toBe('disconnected');
    expect(socket.readyState).not.toBe(WebSocket.OPEN);

    const second = await serve(backend, first.port);
    await acked;
    expect(connection.state).toBe('connected');
    expect(doc.data.n).toBe(3);

    // A second client's edit reaches the first one's subscription on the new link.
    const other = connectTo(second.url);
    const otherDoc: Doc<{ n: number }> = other.connection.get('counters', 'a');
    await call((cb) => otherDoc.subscribe(cb));
    expect(otherDoc.data.n).toBe(3);
    await call((cb) => otherDoc.submitOp([{ p: ['n'], na: 10 }], cb));
    await waitFor(() => doc.data.n === 13, 5000, 'the remote op on the reconnected subscription');

    // One object all along: closed, connecting, connected again (sharedb's own state machine).
    const afterFirstConnect = states.slice(states.indexOf('connected'));
    expect(afterFirstConnect).toEqual(expect.arrayContaining(['connected', 'disconnected', 'connecting']));
    expect(afterFirstConnect.at(-1)).toBe('connected');

    connection.close();
    await waitFor(() => socket.readyState === WebSocket.CLOSED, 5000, 'the socket to close');
    await sleep(100);
    expect(socket.socket.state).toBe('closed'); // no reconnect after sharedb closed it
  });
});
