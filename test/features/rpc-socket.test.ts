import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { AbortError, ClosedError, MessageTooBigError, ProtocolError, QueueFullError, RemoteError, TimeoutError } from '../../src/protocol/errors';
import type { HoldfastError } from '../../src/protocol/errors';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import { envelopeCodec } from '../../src/codecs/envelope';
import { encodeEnvelope } from '../../src/protocol/envelope';
import type { HoldfastSocket } from '../../src/core/connect';
import type { CoreOptions } from '../../src/core/options';
import type { Feature } from '../../src/core/feature';
import { maxMessageSize } from '../../src/features/limit/limit';
import { rpc, type RpcOptions } from '../../src/features/rpc/rpc';
import { createFakeWebSocket, type FakeWebSocket } from '../helpers/client-fake-ws';

const live: HoldfastSocket[] = [];

/** A socket with the rpc feature on a fake WebSocket, its `error` events recorded. */
function setup(options: CoreOptions & { use?: Feature[] } = {}, rpcOptions: RpcOptions = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://test.invalid/', {
    WebSocket: kit.WebSocket,
    environment: false,
    random: () => 1,
    heartbeat: false,
    backoff: { initialDelay: 100 },
    ...options,
    use: [...(options.use ?? []), rpc(rpcOptions)],
  });
  live.push(socket);
  const errors: HoldfastError[] = [];
  socket.on('error', (error) => errors.push(error));
  return { kit, socket, errors };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

async function opened(options: CoreOptions & { use?: Feature[] } = {}, rpcOptions: RpcOptions = {}) {
  const ctx = setup(options, rpcOptions);
  await tick();
  ctx.kit.last().open();
  return ctx;
}

/** The text frames `ws` was given, parsed. */
const frames = (ws: FakeWebSocket): unknown[] => ws.sent.map((data) => JSON.parse(data as string) as unknown);
const reply = (ws: FakeWebSocket, message: object) => ws.receive(JSON.stringify({ type: 'response', ...message }));

/** Records how a promise settled, without leaving it unhandled. */
function track<T>(promise: Promise<T>) {
  const outcome: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { value, settled: true }),
    (error: unknown) => Object.assign(outcome, { error, settled: true }),
  );
  return outcome;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const socket of live.splice(0)) socket.close();
  vi.useRealTimers();
});

describe('request()', () => {
  it('sends the CONTRACT request shape with ids 1, 2, … and resolves each with its own result', async () => {
    const { kit, socket } = await opened();
    const a = socket.request('sum', [1, 2]);
    const b = socket.request('ping');
    expect(frames(kit.last())).toEqual([
      { type: 'request', id: 1, method: 'sum', params: [1, 2] },
      { type: 'request', id: 2, method: 'ping' },
    ]);
    reply(kit.last(), { id: 2, result: 'pong' });
    reply(kit.last(), { id: 1, result: 3 });
    await expect(a).resolves.toBe(3);
    await expect(b).resolves.toBe('pong');
  });

  it('rejects with RemoteError carrying the remote code, message and data', async () => {
    const { kit, socket } = await opened();
    const call = socket.request('room.join', { room: 'x' });
    reply(kit.last(), { id: 1, error: { code: 'FORBIDDEN', message: 'no entry', data: { room: 'x' } } });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'REMOTE', remoteCode: 'FORBIDDEN', message: 'no entry', data: { room: 'x' }, method: 'room.join', id: 1 });
  });

  it('queues a request made while offline and sends it once open', async () => {
    const { kit, socket } = setup();
    const call = socket.request('echo', 'hi');
    expect(socket.queue.length).toBe(1);
    await tick();
    kit.last().open();
    expect(frames(kit.last())).toEqual([{ type: 'request', id: 1, method: 'echo', params: 'hi' }]);
    reply(kit.last(), { id: 1, result: 'hi' });
    await expect(call).resolves.toBe('hi');
  });

  it('counts the timeout from the call, also while the request waits offline', async () => {
    const { kit, socket } = setup();
    const call = track(socket.request('slow', undefined, { timeout: 1000 }));
    await tick(600);
    kit.last().open();
    expect(frames(kit.last())).toHaveLength(1);
    await tick(399);
    expect(call.settled).toBe(false);
    await tick(1);
    expect(call.error).toBeInstanceOf(TimeoutError);
    expect(call.error).toMatchObject({ method: 'slow', id: 1 });
  });

  it("uses rpc's timeout option by default", async () => {
    const { socket } = await opened({}, { timeout: 500 });
    const call = track(socket.request('slow'));
    await tick(499);
    expect(call.settled).toBe(false);
    await tick(1);
    expect(call.error).toMatchObject({ code: 'TIMEOUT' });
  });

  it('never sends a request whose timeout ran out while it was queued', async () => {
    const { kit, socket } = setup();
    const call = track(socket.request('slow', undefined, { timeout: 50 }));
    await tick(50);
    expect(call.error).toBeInstanceOf(TimeoutError);
    kit.last().open();
    expect(kit.last().sent).toEqual([]);
  });

  it('rejects at once with AbortError and sends nothing when the signal is already aborted', async () => {
    const { kit, socket } = await opened();
    const controller = new AbortController();
    controller.abort('gone');
    const error = await socket.request('x', 1, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe('gone');
    expect(error).toMatchObject({ method: 'x', id: 1 });
    expect(kit.last().sent).toEqual([]);
    expect(socket.queue.length).toBe(0);
  });

  it('rejects with AbortError when aborted after sending, and reports the late response as a ProtocolError', async () => {
    const { kit, socket, errors } = await opened();
    const controller = new AbortController();
    const call = track(socket.request('x', 1, { signal: controller.signal }));
    expect(frames(kit.last())).toHaveLength(1);
    controller.abort();
    await tick();
    expect(call.error).toBeInstanceOf(AbortError);
    expect(call.error).toMatchObject({ method: 'x', id: 1 });
    reply(kit.last(), { id: 1, result: 'late' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(socket.state).toBe('open');
  });

  it('does not send a request aborted while it waited in the queue', async () => {
    const { kit, socket } = setup();
    const controller = new AbortController();
    const call = track(socket.request('x', 1, { signal: controller.signal }));
    controller.abort();
    await tick();
    kit.last().open();
    expect(call.error).toBeInstanceOf(AbortError);
    expect(kit.last().sent).toEqual([]);
  });

  // The frame request #1 will be given, sent beforehand by the application itself.
  const lookalike = JSON.stringify({ type: 'request', id: 1, method: 'echo', params: 'x' });

  it('does not take a queued send() with the same text as a request frame for that request when it is dropped', async () => {
    const { kit, socket } = setup({ queue: { maxMessages: 2 } });
    const drops: unknown[] = [];
    socket.on('drop', ({ data, reason }) => drops.push([data, reason]));
    socket.send(lookalike);
    const call = track(socket.request('echo', 'x'));
    socket.send('z'); // drop-oldest evicts the application's copy, not the request frame
    await tick();
    expect(drops).toEqual([[lookalike, 'overflow']]);
    expect(call.settled).toBe(false);
    kit.last().open();
    expect(kit.last().sent).toEqual([lookalike, 'z']);
    reply(kit.last(), { id: 1, result: 'x' });
    await tick();
    expect(call.value).toBe('x');
  });

  it('sends a queued send() with the same text as an aborted queued request in its own place', async () => {
    const { kit, socket } = setup();
    const controller = new AbortController();
    socket.send(lookalike);
    socket.send('mid');
    const call = track(socket.request('echo', 'x', { signal: controller.signal }));
    controller.abort();
    await tick();
    kit.last().open();
    expect(call.error).toBeInstanceOf(AbortError);
    expect(kit.last().sent).toEqual([lookalike, 'mid']);
  });

  it('reports a response to an id it never sent as a ProtocolError and stays open', async () => {
    const { kit, socket, errors } = await opened();
    reply(kit.last(), { id: 99, result: 1 });
    reply(kit.last(), { id: 'abc', result: 1 });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL', 'PROTOCOL']);
    expect(socket.state).toBe('open');
  });

  it('rejects in-flight requests with ClosedError DISCONNECTED when the link drops', async () => {
    const { kit, socket } = await opened();
    const call = socket.request('x');
    kit.last().closed(1006);
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ code: 'DISCONNECTED', closeCode: 1006, method: 'x', id: 1 });
  });

  it('re-sends retry requests with the same id after reconnecting, and resolves them', async () => {
    const { kit, socket } = await opened();
    const plain = track(socket.request('plain'));
    const kept = track(socket.request('idempotent', { n: 1 }, { retry: true }));
    const first = kit.last();
    first.closed(1006);
    await tick(100);
    expect(kit.instances).toHaveLength(2);
    expect((plain.error as ClosedError).code).toBe('DISCONNECTED');
    expect(kept.settled).toBe(false);
    kit.last().open();
    expect(frames(kit.last())).toEqual([{ type: 'request', id: 2, method: 'idempotent', params: { n: 1 } }]);
    reply(kit.last(), { id: 2, result: 'ok' });
    await tick();
    expect(kept.value).toBe('ok');
  });

  it('keeps the timeout of a retry request running across the reconnect', async () => {
    const { kit, socket } = await opened();
    const kept = track(socket.request('idempotent', undefined, { retry: true, timeout: 300 }));
    kit.last().closed(1006);
    await tick(299);
    expect(kept.settled).toBe(false);
    await tick(1);
    expect(kept.error).toBeInstanceOf(TimeoutError);
    kit.last().open();
    expect(kit.last().sent).toEqual([]);
  });

  it('rejects in-flight requests with DISCONNECTED on reconnect(), re-sending retry ones', async () => {
    const { kit, socket } = await opened();
    const plain = track(socket.request('plain'));
    socket.request('again', undefined, { retry: true }).catch(() => undefined);
    socket.reconnect();
    await tick();
    expect((plain.error as ClosedError).code).toBe('DISCONNECTED');
    kit.last().open();
    expect(frames(kit.last())).toEqual([{ type: 'request', id: 2, method: 'again' }]);
  });

  it('rejects retry requests with CLOSED when the server ends the socket for good', async () => {
    const { kit, socket } = await opened();
    const plain = track(socket.request('plain'));
    const kept = track(socket.request('kept', undefined, { retry: true }));
    kit.last().closed(1008, 'policy', true);
    await tick();
    expect(socket.state).toBe('closed');
    expect(plain.error).toMatchObject({ code: 'DISCONNECTED', closeCode: 1008, method: 'plain', id: 1 });
    expect(kept.error).toMatchObject({ code: 'CLOSED', closeCode: 1008, method: 'kept', id: 2 });
  });

  it('close() rejects every pending request with CLOSED and leaves no timer or abort listener', async () => {
    const { kit, socket } = setup();
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const queued = track(socket.request('queued', undefined, { signal: controller.signal }));
    await tick();
    kit.last().open();
    const inFlight = track(socket.request('inflight', undefined, { timeout: 5000 }));
    socket.close();
    await tick();
    for (const call of [queued, inFlight]) {
      expect(call.error).toBeInstanceOf(ClosedError);
      expect((call.error as ClosedError).code).toBe('CLOSED');
    }
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    kit.last().closed(1000, '', true);
    expect(vi.getTimerCount()).toBe(0);
    expect([queued.error, inFlight.error]).toMatchObject([
      { method: 'queued', id: 1 },
      { method: 'inflight', id: 2 },
    ]);
  });

  it('close() while the request is still queued rejects it with CLOSED and sends nothing', async () => {
    const { kit, socket } = setup();
    const call = socket.request('x');
    socket.close();
    const error = await call.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ClosedError', code: 'CLOSED' });
    expect(kit.instances).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(error).toMatchObject({ method: 'x', id: 1 });
  });

  it('rejects requests made after close() with CLOSED', async () => {
    const { socket } = await opened();
    socket.close();
    await expect(socket.request('x')).rejects.toMatchObject({ code: 'CLOSED', method: 'x' });
  });

  it('rejects with QueueFullError when the queue drops the request frame (drop-oldest)', async () => {
    const { socket } = setup({ queue: { maxMessages: 1 } });
    const call = track(socket.request('x'));
    socket.send('newer');
    await tick();
    expect(call.error).toBeInstanceOf(QueueFullError);
    expect(call.error).toMatchObject({ method: 'x', id: 1 });
  });

  it('rejects with QueueFullError when the queue refuses the frame (drop-newest and throw)', async () => {
    const outcomes: unknown[] = [];
    for (const overflow of ['drop-newest', 'throw'] as const) {
      const { socket } = setup({ queue: { maxMessages: 1, overflow } });
      socket.send('first');
      const call = track(socket.request('x'));
      await tick();
      expect(call.error, overflow).toBeInstanceOf(QueueFullError);
      outcomes.push(call.error);
    }
    expect(outcomes).toMatchObject([
      { method: 'x', id: 1 },
      { method: 'x', id: 1 },
    ]);
  });

  it('rejects with TimeoutError when the frame outlives queue.ttl', async () => {
    const { kit, socket } = setup({ queue: { ttl: 100 } }, { timeout: 0 });
    const call = track(socket.request('x'));
    await tick(150);
    kit.last().open();
    await tick();
    expect(call.error).toBeInstanceOf(TimeoutError);
    expect(call.error).toMatchObject({ method: 'x', id: 1 });
    expect(kit.last().sent).toEqual([]);
  });

  it('rejects with MessageTooBigError above maxMessageSize', async () => {
    const { socket } = await opened({ use: [maxMessageSize(40)] });
    const error = await socket.request('x', 'y'.repeat(100)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooBigError);
    expect(error).toMatchObject({ method: 'x', id: 1 });
  });

  it("rejects with the codec's TypeError for params it cannot encode, and sends nothing", async () => {
    const { kit, socket } = await opened();
    await expect(socket.request('x', { n: 1n })).rejects.toBeInstanceOf(TypeError);
    expect(kit.last().sent).toEqual([]);
  });

  it('rejects a bad method name or timeout without sending', async () => {
    const { kit, socket } = await opened();
    await expect(socket.request('')).rejects.toBeInstanceOf(TypeError);
    await expect(socket.request('x', undefined, { timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    expect(kit.last().sent).toEqual([]);
  });
});

describe('handle()', () => {
  it('answers a server request with what the handler returns, sync or async', async () => {
    const { kit, socket } = await opened();
    socket.handle('add', (params) => (params as number[]).reduce((a, b) => a + b, 0));
    socket.handle('later', async () => 'done');
    kit.last().receive('{"type":"request","id":"s1","method":"add","params":[1,2,3]}');
    kit.last().receive('{"type":"request","id":7,"method":"later"}');
    await tick();
    expect(frames(kit.last())).toEqual([
      { type: 'response', id: 's1', result: 6 },
      { type: 'response', id: 7, result: 'done' },
    ]);
  });

  it('passes the id, the method and an abort signal to the handler', async () => {
    const { kit, socket } = await opened();
    const seen: unknown[] = [];
    socket.handle('who', (params, ctx) => {
      seen.push(params, ctx.id, ctx.method, ctx.signal?.aborted);
      return null;
    });
    kit.last().receive('{"type":"request","id":3,"method":"who","params":{"a":1}}');
    expect(seen).toEqual([{ a: 1 }, 3, 'who', false]);
  });

  it('answers thrown errors with their code (string or number), message and data, else INTERNAL', async () => {
    const { kit, socket } = await opened();
    socket.handle('denied', () => {
      throw Object.assign(new Error('nope'), { code: 'DENIED', data: { why: 1 } });
    });
    socket.handle('numeric', () => Promise.reject(Object.assign(new Error('bad'), { code: 42 })));
    socket.handle('plain', () => {
      throw new Error('boom');
    });
    for (const [id, method] of [[1, 'denied'], [2, 'numeric'], [3, 'plain']] as const) {
      kit.last().receive(JSON.stringify({ type: 'request', id, method }));
    }
    await tick();
    expect(frames(kit.last())).toEqual([
      { type: 'response', id: 1, error: { code: 'DENIED', message: 'nope', data: { why: 1 } } },
      { type: 'response', id: 3, error: { code: 'INTERNAL', message: 'boom' } },
      { type: 'response', id: 2, error: { code: 42, message: 'bad' } },
    ]);
  });

  it('answers METHOD_NOT_FOUND for a method without a handler, also after unregistering', async () => {
    const { kit, socket } = await opened();
    const off = socket.handle('gone', () => 1);
    off();
    kit.last().receive('{"type":"request","id":1,"method":"gone"}');
    kit.last().receive('{"type":"request","id":2,"method":"never"}');
    expect(frames(kit.last())).toMatchObject([
      { type: 'response', id: 1, error: { code: 'METHOD_NOT_FOUND' } },
      { type: 'response', id: 2, error: { code: 'METHOD_NOT_FOUND' } },
    ]);
  });

  it('answers INTERNAL when the result cannot be encoded', async () => {
    const { kit, socket } = await opened();
    socket.handle('big', () => 10n);
    kit.last().receive('{"type":"request","id":1,"method":"big"}');
    expect(frames(kit.last())).toMatchObject([{ type: 'response', id: 1, error: { code: 'INTERNAL' } }]);
  });

  it('aborts the handler signal when the link drops, and never sends its answer on the next link', async () => {
    const { kit, socket } = await opened();
    let signal: AbortSignal | undefined;
    let finish: (value: string) => void = () => undefined;
    socket.handle('slow', (_params, ctx) => {
      signal = ctx.signal;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    kit.last().receive('{"type":"request","id":1,"method":"slow"}');
    kit.last().closed(1006);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ClosedError);
    await tick(100);
    kit.last().open();
    finish('late');
    await tick();
    expect(kit.last().sent).toEqual([]);
  });

  it('answers with JSON-RPC integer codes when the codec refuses string codes', async () => {
    const { kit } = await opened({}, { codec: jsonRpcCodec() });
    kit.last().receive('{"jsonrpc":"2.0","id":5,"method":"missing"}');
    expect(frames(kit.last())).toEqual([{ jsonrpc: '2.0', id: 5, error: { code: -32601, message: 'no handler for "missing"' } }]);
  });

  it('reports an answer larger than maxMessageSize as a SEND error naming the request, and stays open', async () => {
    const { kit, socket, errors } = await opened({ use: [maxMessageSize(100)] });
    socket.handle('big', () => 'y'.repeat(200));
    kit.last().receive('{"type":"request","id":"b1","method":"big"}');
    await tick();
    expect(kit.last().sent).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SEND', id: 'b1' });
    expect(errors[0]?.cause).toBeInstanceOf(MessageTooBigError);
    expect(socket.state).toBe('open');
  });

  it('reports an answer the WebSocket refuses as a SEND error, and stays open', async () => {
    const { kit, socket, errors } = await opened();
    const refused = new Error('refused');
    kit.last().send = () => {
      throw refused;
    };
    socket.handle('x', () => 1);
    kit.last().receive('{"type":"request","id":1,"method":"x"}');
    expect(errors.map((e) => [e.code, e.cause])).toEqual([['SEND', refused]]);
    expect(socket.state).toBe('open');
  });

  it('refuses a bad method name or handler', async () => {
    const { socket } = await opened();
    expect(() => socket.handle('', () => 1)).toThrow(TypeError);
    expect(() => socket.handle('x', 'nope' as unknown as () => unknown)).toThrow(TypeError);
  });
});

describe("binaryType 'blob' with envelopeCodec", () => {
  it("delivers the Blob to message listeners and reports once, on the socket, that binaryType must be 'arraybuffer'", async () => {
    const { kit, socket, errors } = await opened({ binaryType: 'blob' }, { codec: envelopeCodec });
    expect(kit.last().binaryType).toBe('blob');
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(data));
    const call = track(socket.request('thumbnail', new Uint8Array([1]), { timeout: 1000 }));
    const frame = new Blob([new Uint8Array(encodeEnvelope({ type: 'response', id: 1, result: 2 }, []))]);
    kit.last().receive(frame);
    expect(messages).toEqual([frame]);
    await vi.waitFor(() => expect(errors.map((e) => [e.code, e.message])).toEqual([['OPTIONS', "envelope message in a Blob: use binaryType: 'arraybuffer'"]]));
    // The response stays unread: the request times out, as documented.
    await tick(1000);
    expect(call.error).toBeInstanceOf(TimeoutError);
  });
});
