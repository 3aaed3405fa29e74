import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonCodec, type Codec } from '../../src/codecs/json';
import { envelopeCodec } from '../../src/codecs/envelope';
import { connect } from '../../src/core/connect';
import { HoldfastError, ProtocolError } from '../../src/protocol/errors';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import type { HoldfastSocket } from '../../src/core/connect';
import type { CoreOptions } from '../../src/core/options';
import { rpc, type RpcOptions } from '../../src/features/rpc/rpc';
import { decodeEnvelope, encodeEnvelope } from '../../src/protocol/envelope';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

const live: HoldfastSocket[] = [];

/** Records the `message` and `error` events of `socket`, then opens its fake WebSocket. */
async function record<S extends HoldfastSocket>(socket: S, kit: ReturnType<typeof createFakeWebSocket>) {
  live.push(socket);
  const messages: unknown[] = [];
  const errors: HoldfastError[] = [];
  socket.on('message', (data) => messages.push(data));
  socket.on('error', (error) => errors.push(error));
  await vi.advanceTimersByTimeAsync(0);
  const ws = kit.last();
  ws.open();
  return { kit, ws, socket, messages, errors };
}

/** An open socket with the rpc feature on a fake WebSocket, with its `message` and `error` events recorded. */
async function opened(options: CoreOptions = {}, rpcOptions: RpcOptions = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://test.invalid/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, ...options, use: [rpc(rpcOptions)] });
  return record(socket, kit);
}

/** The same socket without any feature. */
async function openedWithoutRpc(options: CoreOptions = {}) {
  const kit = createFakeWebSocket();
  return record(connect('ws://test.invalid/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, ...options }), kit);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const socket of live.splice(0)) socket.close();
  vi.useRealTimers();
});

describe('emit()', () => {
  it('sends the CONTRACT event shape and reports what it did', async () => {
    const { ws, socket } = await opened();
    expect(socket.emit('chat', { text: 'hi' })).toBe('sent');
    expect(socket.emit('leave')).toBe('sent');
    expect(ws.sent).toEqual(['{"type":"event","event":"chat","data":{"text":"hi"}}', '{"type":"event","event":"leave"}']);
  });

  it('queues events while offline and sends them in order with other messages', async () => {
    const { kit, ws, socket } = await opened({ backoff: { initialDelay: 10 }, random: () => 1 });
    ws.closed(1006);
    expect(socket.emit('a', 1)).toBe('queued');
    socket.send('raw');
    socket.emit('b', 2);
    await vi.advanceTimersByTimeAsync(10);
    kit.last().open();
    expect(kit.last().sent).toEqual(['{"type":"event","event":"a","data":1}', 'raw', '{"type":"event","event":"b","data":2}']);
  });

  it('throws a TypeError for a missing name or data the codec cannot encode, sending nothing', async () => {
    const { ws, socket } = await opened();
    expect(() => socket.emit('')).toThrow(TypeError);
    expect(() => socket.emit('x', { n: 1n })).toThrow(TypeError);
    expect(ws.sent).toEqual([]);
  });
});

describe('onEvent()', () => {
  it('delivers server events by name, apart from lifecycle events and message listeners', async () => {
    const { ws, socket, messages } = await opened();
    const chat: unknown[] = [];
    const open: unknown[] = [];
    const lifecycleOpen: unknown[] = [];
    socket.onEvent('chat', (data) => chat.push(data));
    socket.onEvent('open', (data) => open.push(data));
    socket.on('open', (payload) => lifecycleOpen.push(payload));
    ws.receive('{"type":"event","event":"chat","data":{"text":"hi"}}');
    ws.receive('{"type":"event","event":"open","data":1}');
    ws.receive('{"type":"event","event":"other","data":2}');
    expect(chat).toEqual([{ text: 'hi' }]);
    expect(open).toEqual([1]);
    expect(lifecycleOpen).toEqual([]);
    expect(messages).toEqual([]);
  });

  it('stops delivering after unsubscribe', async () => {
    const { ws, socket } = await opened();
    const seen: unknown[] = [];
    const off = socket.onEvent('tick', (n) => seen.push(n));
    ws.receive('{"type":"event","event":"tick","data":1}');
    off();
    ws.receive('{"type":"event","event":"tick","data":2}');
    expect(seen).toEqual([1]);
  });

  it('reports a throwing listener as a LISTENER error and still calls the others', async () => {
    const { ws, socket, errors } = await opened();
    const seen: unknown[] = [];
    socket.onEvent('tick', () => {
      throw new Error('bad listener');
    });
    socket.onEvent('tick', (n) => seen.push(n));
    ws.receive('{"type":"event","event":"tick","data":1}');
    expect(seen).toEqual([1]);
    expect(errors.map((e) => e.code)).toEqual(['LISTENER']);
  });
});

describe('frames rpc does not take', () => {
  const protocolFrames = [
    '{"type":"request","id":1,"method":"x","params":2}',
    '{"type":"response","id":1,"result":3}',
    '{"type":"event","event":"chat","data":4}',
  ];

  it('are all application data without rpc(), which adds nothing to the socket', async () => {
    const { ws, socket, messages, errors } = await openedWithoutRpc();
    for (const frame of protocolFrames) ws.receive(frame);
    expect(messages).toEqual(protocolFrames);
    expect(errors).toEqual([]);
    expect(ws.sent).toEqual([]);
    for (const name of ['request', 'handle', 'emit', 'onEvent']) expect(name in socket, name).toBe(false);
  });

  it('include frames whose type is a protocol name but whose shape does not fit: they reach message listeners, with no error', async () => {
    const { ws, socket, messages, errors } = await opened();
    const seen: unknown[] = [];
    socket.onEvent('x', (data) => seen.push(data));
    const misfits = [
      '{"type":"request","method":"x"}',
      '{"type":"request","id":1}',
      '{"type":"response","result":1}',
      '{"type":"response","id":1}',
      '{"type":"response","id":1,"error":"bad"}',
      '{"type":"event","name":"x"}',
      '{"type":"event","event":""}',
    ];
    for (const frame of misfits) ws.receive(frame);
    expect(messages).toEqual(misfits);
    expect(errors).toEqual([]);
    expect(seen).toEqual([]);
    expect(ws.sent).toEqual([]);
    expect(socket.state).toBe('open');
  });

  it('leave heartbeats to the core: a ping is answered with a pong, a malformed one is application data', async () => {
    const { ws, messages, errors } = await opened();
    ws.receive('{"type":"ping","ts":5}');
    ws.receive('{"type":"ping"}');
    ws.receive('{"type":"ping","ts":"5"}');
    expect(ws.sent).toEqual(['{"type":"pong","ts":5}']);
    expect(messages).toEqual(['{"type":"ping"}', '{"type":"ping","ts":"5"}']);
    expect(errors).toEqual([]);
  });
});

describe('codecs and binary', () => {
  it('sends a request holding binary as one envelope frame', async () => {
    const { ws, socket } = await opened({}, { codec: envelopeCodec });
    void socket.request('upload', { name: 'a.bin', body: new Uint8Array([1, 2, 3]) }).catch(() => undefined);
    const frame = ws.sent[0];
    expect(frame).toBeInstanceOf(Uint8Array);
    const envelope = decodeEnvelope(frame as Uint8Array);
    expect(envelope?.message).toEqual({ type: 'request', id: 1, method: 'upload', params: { name: 'a.bin', body: { $binary: 0 } } });
    expect(envelope?.attachments.map((a) => [...a])).toEqual([[1, 2, 3]]);
  });

  it('resolves a request with binary restored in place from an envelope response', async () => {
    const { ws, socket } = await opened({}, { codec: envelopeCodec });
    const call = socket.request('download');
    ws.receive(encodeEnvelope({ type: 'response', id: 1, result: { body: { $binary: 0 } } }, [new Uint8Array([9, 8])]).buffer);
    const result = (await call) as { body: Uint8Array };
    expect(result.body).toBeInstanceOf(Uint8Array);
    expect([...result.body]).toEqual([9, 8]);
  });

  it('delivers an envelope event to onEvent with Uint8Arrays, not to message listeners', async () => {
    const { ws, socket, messages } = await opened({}, { codec: envelopeCodec });
    const seen: unknown[] = [];
    socket.onEvent('img', (data) => seen.push(data));
    ws.receive(encodeEnvelope({ type: 'event', event: 'img', data: [{ $binary: 0 }] }, [new Uint8Array([7])]));
    expect(seen).toEqual([[new Uint8Array([7])]]);
    expect(messages).toEqual([]);
  });

  it('passes binary that is not an envelope to message listeners as an ArrayBuffer', async () => {
    const { ws, messages } = await opened();
    ws.receive(new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3));
    expect(messages).toHaveLength(1);
    expect([...new Uint8Array(messages[0] as ArrayBuffer)]).toEqual([2, 3]);
  });

  it('reports a malformed envelope as a ProtocolError and keeps the link up', async () => {
    const { ws, socket, messages, errors } = await opened({}, { codec: envelopeCodec });
    ws.receive(new Uint8Array([0x48, 0x46, 0x42, 0x31, 0, 0, 0, 99]).buffer);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(messages).toEqual([]);
    expect(socket.state).toBe('open');
  });

  it('treats every binary frame as data when the envelope is off', async () => {
    // The envelope turned off: what the lean jsonCodec does.
    const { ws, messages, errors } = await opened({}, { codec: jsonCodec });
    ws.receive(encodeEnvelope({ type: 'event', event: 'x' }, []));
    expect(messages).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('handles every item of a JSON-RPC batch', async () => {
    const { ws, socket } = await opened({}, { codec: jsonRpcCodec() });
    const a = socket.request('a', [1]);
    const b = socket.request('b', [2]);
    expect(ws.sent).toEqual(['{"jsonrpc":"2.0","id":1,"method":"a","params":[1]}', '{"jsonrpc":"2.0","id":2,"method":"b","params":[2]}']);
    const notified: unknown[] = [];
    socket.onEvent('note', (data) => notified.push(data));
    ws.receive(
      JSON.stringify([
        { jsonrpc: '2.0', id: 2, result: 'B' },
        { jsonrpc: '2.0', method: 'note', params: { x: 1 } },
        { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'A failed' } },
      ]),
    );
    await expect(b).resolves.toBe('B');
    await expect(a).rejects.toMatchObject({ name: 'RemoteError', remoteCode: -32000 });
    expect(notified).toEqual([{ x: 1 }]);
  });

  it('reports a codec that throws while decoding as a ProtocolError', async () => {
    const broken: Codec = { name: 'broken', encode: jsonCodec.encode, decode: () => { throw new Error('decoder bug'); } };
    const { ws, socket, errors } = await opened({}, { codec: broken });
    ws.receive('hello');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(socket.state).toBe('open');
  });

  it('still answers heartbeats under another codec', async () => {
    const { ws } = await opened({}, { codec: jsonRpcCodec() });
    ws.receive('{"type":"ping","ts":5}');
    expect(ws.sent).toEqual(['{"type":"pong","ts":5}']);
  });

  it('refuses a codec option without encode and decode, and a bad timeout', () => {
    expect(() => rpc({ codec: {} as Codec })).toThrow(expect.objectContaining({ code: 'OPTIONS' }));
    expect(() => rpc({ codec: { name: 'half', encode: jsonCodec.encode } as unknown as Codec })).toThrow(expect.objectContaining({ code: 'OPTIONS' }));
    expect(() => rpc({ timeout: -1 })).toThrow(expect.objectContaining({ code: 'OPTIONS' }));
  });
});
