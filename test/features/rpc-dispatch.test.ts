import { afterEach, describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/codecs/json';
import { Dispatcher, type DispatchHost } from '../../src/features/rpc/dispatch';
import { ClosedError, HoldfastError, ProtocolError } from '../../src/protocol/errors';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import { PendingRequests } from '../../src/protocol/pending';
import type { Codec } from '../../src/codecs/json';

/** A host that records what the dispatcher hands back, with a generation the test can bump. */
function setup(codec: Codec = jsonCodec) {
  const record = {
    generation: 1,
    sent: [] as Array<string | Uint8Array>,
    errors: [] as HoldfastError[],
    heartbeats: [] as unknown[],
    data: [] as Array<string | ArrayBuffer>,
  };
  const host: DispatchHost = {
    generation: () => record.generation,
    send: (frame) => void record.sent.push(frame),
    error: (error) => void record.errors.push(error),
    heartbeat: (message) => void record.heartbeats.push(message),
    data: (data) => void record.data.push(data),
  };
  const pending = new PendingRequests();
  tables.push(pending);
  return { record, pending, dispatcher: new Dispatcher(codec, pending, host) };
}

const tables: PendingRequests[] = [];
afterEach(() => {
  for (const table of tables.splice(0)) table.rejectAll(new ClosedError('CLOSED', 'test over'));
});

const sentJson = (sent: Array<string | Uint8Array>): unknown[] => sent.map((frame) => JSON.parse(frame as string) as unknown);

describe('Dispatcher.receive', () => {
  it('settles the pending request a response answers and reports a response nobody waits for', async () => {
    const { record, pending, dispatcher } = setup();
    const { id, promise } = pending.add('echo');
    dispatcher.receive(JSON.stringify({ type: 'response', id, result: 'ok' }));
    await expect(promise).resolves.toBe('ok');
    dispatcher.receive(JSON.stringify({ type: 'response', id, result: 'late' }));
    expect(record.errors).toHaveLength(1);
    expect(record.errors[0]).toBeInstanceOf(ProtocolError);
    expect(record.errors[0]?.message).toContain(`request id ${id}`);
  });

  it('hands heartbeats and application data back to the host, and reports invalid protocol messages', () => {
    const { record, dispatcher } = setup();
    dispatcher.receive('{"type":"ping","ts":5}');
    dispatcher.receive('{"type":"pong","ts":6}');
    dispatcher.receive('plain text');
    dispatcher.receive(new Uint8Array([9, 1, 2, 9]).subarray(1, 3));
    dispatcher.receive('{"type":"request","method":"x"}');
    expect(record.heartbeats).toEqual([
      { type: 'ping', ts: 5 },
      { type: 'pong', ts: 6 },
    ]);
    expect(record.data[0]).toBe('plain text');
    expect([...new Uint8Array(record.data[1] as ArrayBuffer)]).toEqual([1, 2]);
    expect(record.errors.map((e) => e.message)).toEqual(['invalid {"type":"request","method":"x"}: request: bad id']);
  });

  it('reports a codec that throws while decoding instead of throwing', () => {
    const broken: Codec = { name: 'broken', encode: () => '', decode: () => { throw new Error('boom'); } };
    const { record, dispatcher } = setup(broken);
    expect(() => dispatcher.receive('x')).not.toThrow();
    expect(record.errors[0]).toBeInstanceOf(ProtocolError);
    expect(record.errors[0]?.message).toBe('the broken codec failed to decode a message');
  });

  it('delivers events to onEvent listeners by name until they unsubscribe', () => {
    const { dispatcher } = setup();
    const got: unknown[] = [];
    const off = dispatcher.onEvent('chat', (data) => got.push(data));
    dispatcher.receive('{"type":"event","event":"chat","data":1}');
    dispatcher.receive('{"type":"event","event":"other","data":2}');
    off();
    dispatcher.receive('{"type":"event","event":"chat","data":3}');
    expect(got).toEqual([1]);
  });

  it('stops a batch at the item after which the link changed', () => {
    const { record, dispatcher } = setup(jsonRpcCodec());
    const got: unknown[] = [];
    dispatcher.onEvent('tick', (data) => {
      got.push(data);
      record.generation++; // e.g. a listener that reconnects
    });
    dispatcher.receive(JSON.stringify([1, 2, 3].map((n) => ({ jsonrpc: '2.0', method: 'tick', params: [n] }))));
    expect(got).toEqual([[1]]);
  });
});

describe('Dispatcher answers server requests', () => {
  it('answers with the handler result, sync or async, and METHOD_NOT_FOUND without a handler', async () => {
    const { record, dispatcher } = setup();
    dispatcher.handle('add', (params) => (params as number[]).reduce((a, b) => a + b, 0));
    dispatcher.handle('later', async () => 'done');
    dispatcher.receive('{"type":"request","id":1,"method":"add","params":[1,2]}');
    dispatcher.receive('{"type":"request","id":2,"method":"later"}');
    dispatcher.receive('{"type":"request","id":3,"method":"nope"}');
    await Promise.resolve();
    expect(sentJson(record.sent)).toEqual([
      { type: 'response', id: 1, result: 3 },
      { type: 'response', id: 3, error: { code: 'METHOD_NOT_FOUND', message: 'no handler for method "nope"' } },
      { type: 'response', id: 2, result: 'done' },
    ]);
  });

  it('drops the answer of a request whose link went away, and aborts its handler signal', async () => {
    const { record, dispatcher } = setup();
    let signal: AbortSignal | undefined;
    let finish: (value: string) => void = () => {};
    dispatcher.handle('slow', (_params, context) => {
      signal = context.signal;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    dispatcher.receive('{"type":"request","id":7,"method":"slow"}');
    const reason = new ClosedError('DISCONNECTED', 'link lost');
    dispatcher.abortHandlers(reason);
    record.generation++;
    finish('too late');
    await Promise.resolve();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(reason);
    expect(record.sent).toEqual([]);
  });

  it('falls back to an integer error code when the codec refuses the string one', async () => {
    const { record, dispatcher } = setup(jsonRpcCodec());
    dispatcher.receive('{"jsonrpc":"2.0","id":4,"method":"missing","params":[]}');
    await Promise.resolve();
    expect(sentJson(record.sent)).toEqual([{ jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'no handler for method "missing"' } }]);
  });

  it('refuses an empty method name or a handler that is not a function', () => {
    const { dispatcher } = setup();
    expect(() => dispatcher.handle('', () => 1)).toThrow(TypeError);
    expect(() => dispatcher.handle('x', 'nope' as unknown as () => unknown)).toThrow(TypeError);
  });
});
