// The rpc feature on its own, on a fake FeatureHost: what it does with inbound frames, how it
// answers server requests, and what becomes of a request whose frame the core loses. The same
// feature on a real socket is covered by rpc-socket.test.ts and rpc-events.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonCodec, type Codec } from '../../src/codecs/json';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import { envelopeCodec } from '../../src/codecs/envelope';
import { rpc, type RpcOptions } from '../../src/features/rpc/rpc';
import { encodeEnvelope, type EnvelopeMessage } from '../../src/protocol/envelope';
import { ClosedError, HoldfastError, ProtocolError, QueueFullError, TimeoutError } from '../../src/protocol/errors';
import { createFakeHost, type FakeHost } from '../helpers/fake-host';

const hosts: FakeHost[] = [];

/** The rpc feature installed on a fresh fake host. */
function setup(options: RpcOptions = {}) {
  const fake = createFakeHost();
  hosts.push(fake);
  const socket = fake.install(rpc(options));
  return { fake, socket };
}

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
  // The socket ending rejects what is still pending and clears the shared timeout.
  for (const fake of hosts.splice(0)) fake.end();
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('rpc feature: inbound frames', () => {
  it('settles the pending request a response answers and reports a response nobody waits for', async () => {
    const { fake, socket } = setup();
    const call = socket.request('echo', 'hi');
    expect(fake.sentJson()).toEqual([{ type: 'request', id: 1, method: 'echo', params: 'hi' }]);
    expect(fake.receive(JSON.stringify({ type: 'response', id: 1, result: 'ok' }))).toBe(true);
    await expect(call).resolves.toBe('ok');
    expect(fake.receive(JSON.stringify({ type: 'response', id: 1, result: 'late' }))).toBe(true);
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0]).toBeInstanceOf(ProtocolError);
    expect(fake.errors[0]?.message).toContain('request id 1');
  });

  it('leaves heartbeats, application data and malformed protocol shapes to message listeners, reporting nothing', () => {
    const { fake } = setup();
    const passed = [
      '{"type":"ping","ts":5}',
      '{"type":"pong","ts":6}',
      'plain text',
      '{"type":"request","method":"x"}',
      '{"type":"response","result":1}',
      '{"type":"event","name":"x"}',
      new Uint8Array([9, 1, 2, 9]).buffer,
      new Blob(['blob']),
    ].map((frame) => fake.receive(frame));
    expect(passed).toEqual([false, false, false, false, false, false, false, false]);
    expect(fake.errors).toEqual([]);
    expect(fake.sent).toEqual([]);
  });

  it('reports a codec that throws while decoding instead of throwing, and consumes the frame', () => {
    const broken: Codec = { name: 'broken', encode: () => '', decode: () => { throw new Error('boom'); } };
    const { fake } = setup({ codec: broken });
    let consumed: boolean | undefined;
    expect(() => (consumed = fake.receive('x'))).not.toThrow();
    expect(consumed).toBe(true);
    expect(fake.errors[0]).toBeInstanceOf(ProtocolError);
    expect(fake.errors[0]?.message).toBe('the broken codec failed to decode a message');
    expect((fake.errors[0]?.cause as Error).message).toBe('boom');
  });

  it('delivers events to onEvent listeners by name until they unsubscribe', () => {
    const { fake, socket } = setup();
    const got: unknown[] = [];
    const off = socket.onEvent('chat', (data) => got.push(data));
    expect(fake.receive('{"type":"event","event":"chat","data":1}')).toBe(true);
    expect(fake.receive('{"type":"event","event":"other","data":2}')).toBe(true);
    off();
    fake.receive('{"type":"event","event":"chat","data":3}');
    expect(got).toEqual([1]);
  });

  it('stops a batch at the item after which the link changed', () => {
    const { fake, socket } = setup({ codec: jsonRpcCodec() });
    const got: unknown[] = [];
    socket.onEvent('tick', (data) => {
      got.push(data);
      fake.down(); // e.g. a listener that reconnects
    });
    expect(fake.receive(JSON.stringify([1, 2, 3].map((n) => ({ jsonrpc: '2.0', method: 'tick', params: [n] }))))).toBe(true);
    expect(got).toEqual([[1]]);
    expect(fake.errors).toEqual([]);
  });

  it('reports each batch item that is not a protocol message as a ProtocolError and handles the others', () => {
    const { fake, socket } = setup({ codec: jsonRpcCodec() });
    const got: unknown[] = [];
    socket.onEvent('tick', (data) => got.push(data));
    fake.receive(JSON.stringify([{ jsonrpc: '2.0', method: 'tick', params: [1] }, 5, { jsonrpc: '1.0', method: 'tick' }, { jsonrpc: '2.0', method: 'tick', params: [2] }]));
    expect(got).toEqual([[1], [2]]);
    expect(fake.errors.map((e) => [e.name, e.code])).toEqual([
      ['ProtocolError', 'PROTOCOL'],
      ['ProtocolError', 'PROTOCOL'],
    ]);
  });
});

describe('rpc feature: server requests', () => {
  it('answers with the handler result, sync or async, and METHOD_NOT_FOUND without a handler', async () => {
    const { fake, socket } = setup();
    socket.handle('add', (params) => (params as number[]).reduce((a, b) => a + b, 0));
    socket.handle('later', async () => 'done');
    fake.receive('{"type":"request","id":1,"method":"add","params":[1,2]}');
    fake.receive('{"type":"request","id":2,"method":"later"}');
    fake.receive('{"type":"request","id":3,"method":"nope"}');
    await Promise.resolve();
    expect(fake.sentJson()).toEqual([
      { type: 'response', id: 1, result: 3 },
      { type: 'response', id: 3, error: { code: 'METHOD_NOT_FOUND', message: 'no handler for "nope"' } },
      { type: 'response', id: 2, result: 'done' },
    ]);
    expect(fake.sent.map((frame) => frame.fate)).toEqual([undefined, undefined, undefined]);
  });

  it('drops the answer of a request whose link went away, and aborts its handler signal', async () => {
    const { fake, socket } = setup();
    let signal: AbortSignal | undefined;
    let finish: (value: string) => void = () => {};
    socket.handle('slow', (_params, context) => {
      signal = context.signal;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    fake.receive('{"type":"request","id":7,"method":"slow"}');
    expect(signal?.aborted).toBe(false);
    fake.down({ code: 1006, reason: '', wasClean: false });
    fake.up();
    finish('too late');
    await Promise.resolve();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ClosedError);
    expect(signal?.reason).toMatchObject({ code: 'DISCONNECTED', closeCode: 1006 });
    expect(fake.sent).toEqual([]);
  });

  it('aborts running handlers with CLOSED when the socket ends', () => {
    const { fake, socket } = setup();
    let signal: AbortSignal | undefined;
    socket.handle('slow', (_params, context) => {
      signal = context.signal;
      return new Promise<never>(() => undefined);
    });
    fake.receive('{"type":"request","id":1,"method":"slow"}');
    fake.end(1001);
    expect(signal?.reason).toMatchObject({ name: 'ClosedError', code: 'CLOSED', closeCode: 1001 });
  });

  it('falls back to an integer error code when the codec refuses the string one', async () => {
    const { fake } = setup({ codec: jsonRpcCodec() });
    fake.receive('{"jsonrpc":"2.0","id":4,"method":"missing","params":[]}');
    await Promise.resolve();
    expect(fake.sentJson()).toEqual([{ jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'no handler for "missing"' } }]);
    expect(fake.errors).toEqual([]);
  });

  it('reports an answer the codec refuses in every form as ENCODE, sending nothing', () => {
    const picky: Codec = {
      name: 'picky',
      encode: (message) => {
        if (message.type === 'response') throw new TypeError('no responses');
        return jsonCodec.encode(message);
      },
      decode: jsonCodec.decode,
    };
    const { fake, socket } = setup({ codec: picky });
    socket.handle('x', () => 1);
    fake.receive('{"type":"request","id":"r1","method":"x"}');
    expect(fake.sent).toEqual([]);
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0]).toMatchObject({ name: 'HoldfastError', code: 'ENCODE', id: 'r1' });
    expect((fake.errors[0]?.cause as Error).message).toBe('no responses');
  });

  it('reports an answer the socket could not send as SEND', () => {
    const { fake, socket } = setup();
    const refused = new Error('refused');
    fake.onSend = () => {
      throw refused;
    };
    socket.handle('x', () => 1);
    expect(() => fake.receive('{"type":"request","id":9,"method":"x"}')).not.toThrow();
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0]).toMatchObject({ code: 'SEND', id: 9, cause: refused });
  });

  it('refuses an empty method name or a handler that is not a function', () => {
    const { socket } = setup();
    expect(() => socket.handle('', () => 1)).toThrow(TypeError);
    expect(() => socket.handle('x', 'nope' as unknown as () => unknown)).toThrow(TypeError);
  });
});

describe('rpc feature: what the core does with a request frame', () => {
  it('rejects a request whose frame the queue dropped with the matching error, carrying method and id', async () => {
    const { fake, socket } = setup();
    const calls = [track(socket.request('a')), track(socket.request('b')), track(socket.request('c'))];
    const [a, b, c] = fake.sent;
    a?.fate?.('overflow');
    b?.fate?.('expired');
    c?.fate?.('closed');
    await Promise.resolve();
    expect(calls[0]?.error).toBeInstanceOf(QueueFullError);
    expect(calls[1]?.error).toBeInstanceOf(TimeoutError);
    expect(calls[2]?.error).toBeInstanceOf(ClosedError);
    expect(calls.map((call) => call.error)).toMatchObject([
      { code: 'QUEUE_FULL', method: 'a', id: 1 },
      { code: 'TIMEOUT', method: 'b', id: 2 },
      { code: 'CLOSED', method: 'c', id: 3 },
    ]);
  });

  it('withdraws the frame of a request that settled before the core wrote it', async () => {
    const { fake, socket } = setup();
    const controller = new AbortController();
    const call = track(socket.request('x', undefined, { signal: controller.signal }));
    const kept = track(socket.request('y'));
    controller.abort();
    await Promise.resolve();
    expect(call.error).toMatchObject({ name: 'AbortError', method: 'x', id: 1 });
    expect(fake.sent[0]?.fate?.('sent')).toBe(false);
    expect(fake.sent[1]?.fate?.('sent')).toBe(true);
    expect(kept.settled).toBe(false);
  });

  it('rejects a request whose send throws with that error', async () => {
    const { fake, socket } = setup();
    const tooBig = new HoldfastError('MESSAGE_TOO_BIG', 'too big');
    fake.onSend = () => {
      throw tooBig;
    };
    await expect(socket.request('x')).rejects.toBe(tooBig);
  });

  it('rejects every pending request with CLOSED when the socket ends, and refuses new ones while closed', async () => {
    const { fake, socket } = setup();
    const call = track(socket.request('x'));
    fake.end(1000);
    await Promise.resolve();
    expect(call.error).toMatchObject({ name: 'ClosedError', code: 'CLOSED', closeCode: 1000 });
    fake.state = 'closed';
    await expect(socket.request('y')).rejects.toMatchObject({ name: 'ClosedError', code: 'CLOSED', method: 'y' });
    expect(fake.sent).toHaveLength(1);
    expect(call.error).toMatchObject({ method: 'x', id: 1 });
  });
});

describe('rpc feature: options and arguments', () => {
  it('takes timeout 0 and Infinity as no timeout, and names the option it refuses', async () => {
    for (const timeout of [0, Infinity]) {
      const { fake, socket } = setup({ timeout });
      const call = track(socket.request('x'));
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(call.settled).toBe(false);
      fake.end();
    }
    expect(() => rpc({ timeout: -1 })).toThrow(expect.objectContaining({ code: 'OPTIONS', message: 'rpc.timeout' }));
    expect(() => rpc({ timeout: '5' as unknown as number })).toThrow(expect.objectContaining({ code: 'OPTIONS', message: 'rpc.timeout' }));
    const decodeOnly = { name: 'half', decode: jsonCodec.decode } as unknown as Codec;
    expect(() => rpc({ codec: decodeOnly })).toThrow(expect.objectContaining({ code: 'OPTIONS', message: expect.stringContaining('rpc.codec') }));
  });

  it('refuses a method or event name that is not a string', async () => {
    const { fake, socket } = setup();
    const request = socket.request as unknown as (method: unknown) => Promise<unknown>;
    await expect(request(42)).rejects.toThrow(TypeError);
    expect(() => (socket.handle as unknown as (m: unknown, h: () => void) => void)(42, () => {})).toThrow(TypeError);
    expect(() => (socket.emit as unknown as (e: unknown) => void)(42)).toThrow(TypeError);
    expect(fake.sent).toEqual([]);
  });

  it('refuses a request while the socket is closing without handing anything to the core', async () => {
    const { fake, socket } = setup();
    fake.state = 'closing';
    await expect(socket.request('late')).rejects.toMatchObject({ name: 'ClosedError', code: 'CLOSED', method: 'late', message: 'request "late" not sent: the socket is closing' });
    expect(fake.sent).toEqual([]);
  });

  it('hands nothing to the core for a request whose signal is already aborted', async () => {
    const { fake, socket } = setup();
    await expect(socket.request('x', undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(fake.sent).toEqual([]);
  });

  it('keeps a newer handler when the remover of the one it replaced is called', async () => {
    const { fake, socket } = setup();
    const offOld = socket.handle('m', () => 'old');
    socket.handle('m', () => 'new');
    offOld();
    fake.receive('{"type":"request","id":1,"method":"m"}');
    expect(fake.sentJson()).toEqual([{ type: 'response', id: 1, result: 'new' }]);
  });
});

describe('rpc feature: what errors carry', () => {
  it('names the request in the error of a dropped frame', async () => {
    const { fake, socket } = setup();
    const calls = [track(socket.request('a')), track(socket.request('b')), track(socket.request('c'))];
    fake.sent[0]?.fate?.('overflow');
    fake.sent[1]?.fate?.('expired');
    fake.sent[2]?.fate?.('closed');
    await Promise.resolve();
    expect(calls.map((call) => (call.error as Error).message)).toEqual([
      'request "a" (id 1) was dropped: queue full',
      'request "b" (id 2) was dropped: it waited longer than queue.ttl',
      'request "c" (id 3) was dropped: the socket closed',
    ]);
  });

  it('rejects with a TypeError when the codec throws something that is not an Error', async () => {
    const odd: Codec = {
      name: 'odd',
      encode: () => {
        throw 'cannot encode'; // eslint-disable-line no-throw-literal
      },
      decode: jsonCodec.decode,
    };
    const { socket } = setup({ codec: odd });
    const call = track(socket.request('x'));
    await Promise.resolve();
    expect(call.error).toBeInstanceOf(TypeError);
    expect((call.error as Error).message).toBe('cannot encode');
  });

  it('keeps the method and id an error from the core already names', async () => {
    const { fake, socket } = setup();
    const named = new QueueFullError('full', { method: 'other', id: 99 });
    fake.onSend = () => {
      throw named;
    };
    await expect(socket.request('x')).rejects.toMatchObject({ method: 'other', id: 99 });
  });

  it('reports a throwing onEvent listener with the event name and what it threw', () => {
    const { fake, socket } = setup();
    const bug = new Error('listener bug');
    socket.onEvent('news', () => {
      throw bug;
    });
    fake.receive('{"type":"event","event":"news","data":1}');
    expect(fake.errors.map((e) => [e.code, e.message])).toEqual([['LISTENER', 'an onEvent("news") listener threw']]);
    expect(fake.errors[0]?.cause).toBe(bug);
  });

  it('names why a batch item was refused', () => {
    const batching: Codec = {
      name: 'batching',
      encode: jsonCodec.encode,
      decode: () => ({ kind: 'batch', items: [{ kind: 'invalid', reason: 'no id' }, { kind: 'data' }] }),
    };
    const { fake } = setup({ codec: batching });
    expect(fake.receive('[…]')).toBe(true);
    expect(fake.errors.map((e) => e.message)).toEqual(['invalid batch item: no id', 'invalid batch item']);
  });
});

describe('rpc feature: answers in edge cases', () => {
  it('answers INTERNAL with a fixed message when the result cannot be encoded', () => {
    const { fake, socket } = setup();
    socket.handle('big', () => 1n);
    fake.receive('{"type":"request","id":1,"method":"big"}');
    expect(fake.sentJson()).toEqual([{ type: 'response', id: 1, error: { code: 'INTERNAL', message: 'the result could not be encoded' } }]);
  });

  it('answers JSON-RPC -32603 for a string code other than METHOD_NOT_FOUND and for a code that is not an integer', () => {
    const { fake, socket } = setup({ codec: jsonRpcCodec() });
    socket.handle('fails', () => {
      throw new Error('boom');
    });
    socket.handle('odd', () => {
      throw Object.assign(new Error('odd code'), { code: 1.5 });
    });
    fake.receive('{"jsonrpc":"2.0","id":1,"method":"fails","params":[]}');
    fake.receive('{"jsonrpc":"2.0","id":2,"method":"odd","params":[]}');
    expect(fake.sentJson()).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'boom' } },
      { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'odd code' } },
    ]);
    expect(fake.errors).toEqual([]);
  });

  it('does not abort the signal of a handler that already answered when the link goes away', () => {
    const { fake, socket } = setup();
    let signal: AbortSignal | undefined;
    socket.handle('quick', (_params, context) => {
      signal = context.signal;
      return 'done';
    });
    fake.receive('{"type":"request","id":1,"method":"quick"}');
    fake.down();
    expect(signal?.aborted).toBe(false);
  });

  it('answers without a signal where the engine has no AbortController', () => {
    vi.stubGlobal('AbortController', undefined);
    try {
      const { fake, socket } = setup();
      const contexts: unknown[] = [];
      socket.handle('m', (_params, context) => {
        contexts.push(context);
        return new Promise(() => {});
      });
      socket.handle('now', () => 'ok');
      fake.receive('{"type":"request","id":1,"method":"m"}');
      fake.receive('{"type":"request","id":2,"method":"now"}');
      expect(contexts).toEqual([{ id: 1, method: 'm' }]);
      expect(() => fake.down()).not.toThrow();
      expect(fake.sentJson()).toEqual([{ type: 'response', id: 2, result: 'ok' }]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('leaves a Blob to message listeners: no codec reads one', () => {
    const { fake } = setup();
    expect(fake.receive(new Blob(['{"type":"event","event":"x"}']))).toBe(false);
    expect(fake.errors).toEqual([]);
  });

  it('names what is wrong with a broken binary frame', () => {
    const { fake } = setup({ codec: envelopeCodec });
    fake.receive(new TextEncoder().encode('HFB1 broken').buffer);
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0]?.message).toMatch(/^invalid binary message: .+/);
  });
});

describe("rpc feature: a Blob frame (binaryType 'blob') under a codec that reads binary", () => {
  // A copy: a Blob part must be an ArrayBuffer-backed view.
  const envelope = (message: EnvelopeMessage) => new Blob([new Uint8Array(encodeEnvelope(message, []))]);

  it("reports once per socket, naming binaryType 'arraybuffer', that a protocol message came as a Blob; the Blob stays application data", async () => {
    const { fake, socket } = setup({ codec: envelopeCodec });
    const call = track(socket.request('thumbnail', new Uint8Array([1])));
    expect(fake.receive(envelope({ type: 'response', id: 1, result: 'x' }))).toBe(false);
    await vi.waitFor(() => expect(fake.errors).toHaveLength(1));
    const [error] = fake.errors;
    expect(error).toBeInstanceOf(HoldfastError);
    expect(error?.code).toBe('OPTIONS');
    expect(error?.message).toBe("envelope message in a Blob: use binaryType: 'arraybuffer'");
    // Once per socket: later Blob envelopes are not reported again.
    expect(fake.receive(envelope({ type: 'event', event: 'e', data: 1 }))).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    await new Blob(['x']).arrayBuffer();
    expect(fake.errors).toHaveLength(1);
    expect(call.settled).toBe(false);
  });

  it('reports nothing for a Blob that holds no protocol message, nor under jsonCodec, nor once the socket closed', async () => {
    const plain = setup({ codec: envelopeCodec });
    expect(plain.fake.receive(new Blob([new Uint8Array([1, 2, 3])]))).toBe(false);
    const json = setup();
    const unread = envelope({ type: 'event', event: 'e', data: 1 });
    const read = vi.spyOn(unread, 'arrayBuffer');
    expect(json.fake.receive(unread)).toBe(false);
    expect(read).not.toHaveBeenCalled(); // jsonCodec reads no binary: the Blob is not even read
    const late = setup({ codec: envelopeCodec });
    expect(late.fake.receive(envelope({ type: 'event', event: 'e', data: 1 }))).toBe(false);
    late.fake.state = 'closed';
    const old = setup({ codec: envelopeCodec });
    const unreadable = envelope({ type: 'event', event: 'e', data: 1 });
    Object.defineProperty(unreadable, 'arrayBuffer', { value: undefined }); // an older WebView's Blob
    expect(old.fake.receive(unreadable)).toBe(false);
    const control = setup({ codec: envelopeCodec });
    control.fake.receive(envelope({ type: 'event', event: 'e', data: 1 }));
    await vi.waitFor(() => expect(control.fake.errors).toHaveLength(1));
    for (const { fake } of [plain, json, late, old]) expect(fake.errors).toEqual([]);
  });
});

describe('rpc feature: what reaches the codec', () => {
  it('never hands a Blob to the codec', () => {
    const asked: unknown[] = [];
    const recording: Codec = {
      name: 'recording',
      encode: jsonCodec.encode,
      decode: (data) => (asked.push(data), jsonCodec.decode(data)),
    };
    const { fake } = setup({ codec: recording });
    expect(fake.receive(new Blob(['{"type":"event","event":"x"}']))).toBe(false);
    fake.receive('text');
    expect(asked).toEqual(['text']);
  });
});
