// @vitest-environment node
// Binary attachments end to end: the real client (over `ws`) and the reference server exchange
// binary envelopes on 127.0.0.1, port 0, at 0 B, 1 B, 64 KiB and several MiB.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeCodec } from '../../src/codecs/envelope';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import { rpc, type Rpc } from '../../src/features/rpc/rpc';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { createServer, type HoldfastServer } from '../../src/server/index';
import { waitFor } from '../helpers/client-wait';
import { recordUntilOpen } from '../helpers/client-record';
import { createPrng } from '../helpers/prng';

interface FileApi {
  methods: {
    echo: { params: { name: string; body: Uint8Array }; result: { name: string; body: Uint8Array } };
    describe: { params: { parts: Uint8Array[] }; result: { sizes: number[]; binary: boolean[] } };
    make: { params: { size: number }; result: { body: Uint8Array } };
  };
  events: { error: { message: string }; blob: { body: Uint8Array } };
  emits: { upload: { body: Uint8Array } };
}

const servers: HoldfastServer[] = [];
const sockets: HoldfastSocket<Rpc<FileApi>>[] = [];
const prng = createPrng(0x5eed);

async function setup() {
  const server = createServer({ pingInterval: 0 });
  servers.push(server);
  server.handle('describe', (params) => {
    const { parts } = params as { parts: unknown[] };
    return { sizes: parts.map((p) => (p as Uint8Array).byteLength), binary: parts.map((p) => p instanceof Uint8Array) };
  });
  server.handle('make', (params) => ({ body: new Uint8Array((params as { size: number }).size).fill(7) }));
  const { url } = await server.listen(0, '127.0.0.1');
  const socket = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    heartbeat: false,
    use: [rpc<FileApi>({ codec: envelopeCodec })],
  });
  sockets.push(socket);
  return { server, socket, ...(await recordUntilOpen(socket)) };
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('binary envelopes against the reference server', () => {
  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['64 KiB', 64 * 1024],
    ['6 MiB', 6 * 1024 * 1024],
  ])('echoes %s of binary params byte-exact', async (_label, size) => {
    const { socket, errors } = await setup();
    const body = prng.bytes(size);
    const result = await socket.request('echo', { name: 'file.bin', body }, { timeout: 15_000 });
    expect(result.name).toBe('file.bin');
    expect(result.body).toBeInstanceOf(Uint8Array);
    expect(result.body.byteLength).toBe(size);
    expect(Buffer.from(result.body).equals(Buffer.from(body))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('hands server handlers Uint8Arrays in place, and sends binary results back in kind', async () => {
    const { socket } = await setup();
    const described = await socket.request('describe', { parts: [new Uint8Array(3), new Uint8Array(0), new Uint8Array(70_000)] });
    expect(described).toEqual({ sizes: [3, 0, 70_000], binary: [true, true, true] });
    const made = await socket.request('make', { size: 1000 });
    expect(made.body).toBeInstanceOf(Uint8Array);
    expect([...made.body].every((b) => b === 7)).toBe(true);
  });

  it('delivers a binary event from the client to the server with the bytes restored', async () => {
    const { server, socket } = await setup();
    const seen: unknown[] = [];
    server.on('event', (event, data) => seen.push([event, data]));
    socket.emit('upload', { body: new Uint8Array([1, 2, 3]) });
    await waitFor(() => seen.length === 1, 5000, 'the upload event');
    const [[event, data]] = seen as [[string, { body: Uint8Array }]];
    expect(event).toBe('upload');
    expect([...data.body]).toEqual([1, 2, 3]);
  });

  it('still echoes binary that is not an envelope unchanged, to message listeners', async () => {
    const { socket, messages } = await setup();
    socket.send(new Uint8Array([0, 1, 2, 250]));
    await waitFor(() => messages.length === 1, 5000, 'the echo');
    expect([...new Uint8Array(messages[0] as ArrayBuffer)]).toEqual([0, 1, 2, 250]);
  });

  it('answers a malformed envelope with an error event and keeps the link up', async () => {
    const { socket, messages } = await setup();
    const reported: unknown[] = [];
    socket.onEvent('error', (data) => reported.push(data));
    socket.send(new Uint8Array([0x48, 0x46, 0x42, 0x31, 0, 0, 0, 50, 1, 2]));
    await waitFor(() => reported.length === 1, 5000, 'the error event');
    expect(reported[0]).toMatchObject({ message: expect.stringContaining('envelope') });
    expect(messages).toEqual([]);
    expect(socket.state).toBe('open');
    await expect(socket.request('make', { size: 1 })).resolves.toMatchObject({ body: new Uint8Array([7]) });
  });
});
