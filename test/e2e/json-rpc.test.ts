// @vitest-environment node
// The client with jsonRpcCodec() against an independent JSON-RPC 2.0 peer: the `json-rpc-2.0`
// package's server and client, wired to a `ws` WebSocketServer on 127.0.0.1, port 0.
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import { rpc } from '../../src/features/rpc/rpc';
import { RemoteError } from '../../src/protocol/errors';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { waitFor } from '../helpers/client-wait';
import { recordUntilOpen } from '../helpers/client-record';

const servers: WebSocketServer[] = [];
const sockets: HoldfastSocket[] = [];

/** A JSON-RPC peer per connection: it answers our requests and can call and notify us. */
async function startPeer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const notes: unknown[] = [];
  const peers: JSONRPCServerAndClient[] = [];
  const raw: WebSocket[] = [];
  wss.on('connection', (ws) => {
    const peer = new JSONRPCServerAndClient(
      // The package logs handler exceptions by default; `deny` throws on purpose.
      new JSONRPCServer({ errorListener: () => undefined }),
      new JSONRPCClient((request) => {
        ws.send(JSON.stringify(request));
      }),
    );
    peer.addMethod('sum', (params: number[]) => params.reduce((a, b) => a + b, 0));
    peer.addMethod('greet', ({ name }: { name: string }) => `hello ${name}`);
    peer.addMethod('deny', () => {
      throw new JSONRPCErrorException('denied', 4001, { reason: 'test' });
    });
    peer.addMethod('log', (params: unknown) => {
      notes.push(params);
    });
    ws.on('message', (data) => void peer.receiveAndSend(JSON.parse(String(data)) as unknown));
    ws.on('close', () => peer.rejectAllPendingRequests('connection closed'));
    peers.push(peer);
    raw.push(ws);
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, notes, peers, raw };
}

async function open(url: string) {
  const socket = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    heartbeat: false,
    environment: false,
    use: [rpc({ codec: jsonRpcCodec() })],
  });
  sockets.push(socket);
  const { errors } = await recordUntilOpen(socket);
  return { socket, errors };
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
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

describe('jsonRpcCodec() against json-rpc-2.0', () => {
  it('resolves requests with array and object params', async () => {
    const { url } = await startPeer();
    const { socket, errors } = await open(url);
    await expect(socket.request('sum', [1, 2, 3])).resolves.toBe(6);
    await expect(socket.request('greet', { name: 'ada' })).resolves.toBe('hello ada');
    expect(errors).toEqual([]);
  });

  it('rejects with RemoteError carrying the integer code and data', async () => {
    const { url } = await startPeer();
    const { socket } = await open(url);
    const denied = await socket.request('deny', []).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(RemoteError);
    expect(denied).toMatchObject({ remoteCode: 4001, message: 'denied', data: { reason: 'test' }, method: 'deny', id: 1 });
    await expect(socket.request('missing', [])).rejects.toMatchObject({ remoteCode: -32601 });
  });

  it('sends emit() as a notification and receives notifications with onEvent()', async () => {
    const { url, notes, peers } = await startPeer();
    const { socket } = await open(url);
    const ticks: unknown[] = [];
    socket.onEvent('tick', (data) => ticks.push(data));
    socket.emit('log', { line: 'one' });
    await waitFor(() => notes.length === 1 && peers.length === 1, 5000, 'the notification to arrive');
    expect(notes).toEqual([{ line: 'one' }]);
    peers[0]?.notify('tick', [42], undefined);
    await waitFor(() => ticks.length === 1, 5000, 'the tick notification');
    expect(ticks).toEqual([[42]]);
  });

  it('answers the peer’s requests through handle(), with -32601 for unknown methods', async () => {
    const { url, peers } = await startPeer();
    const { socket } = await open(url);
    socket.handle('client.sum', (params) => (params as number[]).reduce((a, b) => a + b, 0));
    await waitFor(() => peers.length === 1, 5000, 'the peer');
    const peer = peers[0] as JSONRPCServerAndClient;
    await expect(peer.request('client.sum', [4, 5], undefined)).resolves.toBe(9);
    await expect(peer.request('client.none', [], undefined)).rejects.toMatchObject({ code: -32601 });
  });

  it('handles every message of a batch the peer sends', async () => {
    const { url, raw } = await startPeer();
    const { socket, errors } = await open(url);
    const seen: unknown[] = [];
    socket.onEvent('a', (data) => seen.push(['a', data]));
    socket.onEvent('b', (data) => seen.push(['b', data]));
    await waitFor(() => raw.length === 1, 5000, 'the peer');
    raw[0]?.send(JSON.stringify([{ jsonrpc: '2.0', method: 'a', params: [1] }, { jsonrpc: '2.0', method: 'b', params: { x: 2 } }]));
    await waitFor(() => seen.length === 2, 5000, 'both batch items');
    expect(seen).toEqual([['a', [1]], ['b', { x: 2 }]]);
    expect(errors).toEqual([]);
  });
});
