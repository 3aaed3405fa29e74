import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, type JSONRPCRequest } from 'json-rpc-2.0';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Incoming, OutgoingMessage } from '../../src/codecs/json';
import { jsonRpcCodec } from '../../src/codecs/json-rpc';
import { createPending, type PendingRequests } from '../../src/protocol/pending';

const codec = jsonRpcCodec();

function single(incoming: Incoming): unknown {
  expect(incoming.kind).toBe('protocol');
  return incoming.kind === 'protocol' ? incoming.message : undefined;
}

const encodeText = (message: OutgoingMessage): string => {
  const frame = codec.encode(message);
  expect(typeof frame).toBe('string');
  return frame as string;
};

describe('jsonRpcCodec.encode', () => {
  it('writes requests, notifications and responses as JSON-RPC 2.0 objects', () => {
    expect(encodeText({ type: 'request', id: 1, method: 'sum', params: [1, 2] })).toBe('{"jsonrpc":"2.0","id":1,"method":"sum","params":[1,2]}');
    expect(encodeText({ type: 'request', id: 'a', method: 'now' })).toBe('{"jsonrpc":"2.0","id":"a","method":"now"}');
    expect(encodeText({ type: 'event', event: 'typing', data: { from: 'x' } })).toBe('{"jsonrpc":"2.0","method":"typing","params":{"from":"x"}}');
    expect(encodeText({ type: 'response', id: 4, result: undefined })).toBe('{"jsonrpc":"2.0","id":4,"result":null}');
    expect(encodeText({ type: 'response', id: 5, error: { code: -32000, message: 'busy', data: [1] } })).toBe(
      '{"jsonrpc":"2.0","id":5,"error":{"code":-32000,"message":"busy","data":[1]}}',
    );
  });

  it('throws a TypeError for what JSON-RPC 2.0 cannot express', () => {
    expect(() => codec.encode({ type: 'request', id: 1, method: 'm', params: 3 })).toThrow(/params must be an object or an array/);
    expect(() => codec.encode({ type: 'event', event: 'e', data: 'text' })).toThrow(TypeError);
    expect(() => codec.encode({ type: 'response', id: 1, error: { code: 'E_BUSY', message: 'x' } })).toThrow(/integer/);
    expect(() => codec.encode({ type: 'response', id: 1, error: { code: 1.5, message: 'x' } })).toThrow(TypeError);
    expect(() => codec.encode({ type: 'request', id: 1, method: 'm', params: { file: new Uint8Array(1) } })).toThrow(/binary/);
    expect(() => codec.encode({ type: 'pong', ts: 1 } as unknown as OutgoingMessage)).toThrow(TypeError);
  });
});

describe('jsonRpcCodec against the json-rpc-2.0 package', () => {
  let server: JSONRPCServer;
  let notified: unknown[];

  beforeEach(() => {
    notified = [];
    server = new JSONRPCServer({ errorListener: () => {} });
    server.addMethod('echo', (params: unknown) => params);
    server.addMethod('sum', (params: number[]) => params.reduce((a, b) => a + b, 0));
    server.addMethod('fail', () => {
      throw new JSONRPCErrorException('not allowed', 4003, { need: 'admin' });
    });
    server.addMethod('log', (params: unknown) => {
      notified.push(params);
    });
  });

  /** Sends our encoded frame through the independent server and decodes its answer with our codec. */
  async function roundTrip(message: OutgoingMessage): Promise<Incoming | null> {
    const response = await server.receive(JSON.parse(encodeText(message)) as JSONRPCRequest);
    return response === null ? null : codec.decode(JSON.stringify(response));
  }

  async function answer(message: OutgoingMessage): Promise<unknown> {
    const incoming = await roundTrip(message);
    expect(incoming).not.toBeNull();
    return single(incoming ?? { kind: 'data' });
  }

  it('gets results back for our requests, with ids matched', async () => {
    expect(await answer({ type: 'request', id: 1, method: 'echo', params: { a: [1, 'x'] } })).toEqual({
      type: 'response',
      id: 1,
      result: { a: [1, 'x'] },
    });
    expect(await answer({ type: 'request', id: 'two', method: 'sum', params: [2, 3] })).toEqual({
      type: 'response',
      id: 'two',
      result: 5,
    });
  });

  it('gets remote errors back with their numeric code, message and data', async () => {
    expect(await answer({ type: 'request', id: 3, method: 'fail', params: {} })).toEqual({
      type: 'response',
      id: 3,
      error: { code: 4003, message: 'not allowed', data: { need: 'admin' } },
    });
  });

  it('gets -32601 for an unknown method, which the pending table turns into a RemoteError', async () => {
    const pending = createPending();
    const { id, promise } = pending.add('nope');
    const message = (await answer({ type: 'request', id, method: 'nope', params: [] })) as Parameters<PendingRequests['resolve']>[0];
    expect(pending.resolve(message)).toBe(true);
    await expect(promise).rejects.toMatchObject({ name: 'RemoteError', code: 'REMOTE', remoteCode: -32601, method: 'nope', id });
  });

  it('delivers our events as notifications, which get no response', async () => {
    expect(await roundTrip({ type: 'event', event: 'log', data: { line: 'hi' } })).toBeNull();
    expect(notified).toEqual([{ line: 'hi' }]);
  });

  it('decodes a batch response into one item per response, in order', async () => {
    const batch = [1, 2].map((id) => JSON.parse(encodeText({ type: 'request', id, method: 'sum', params: [id, 10] })) as JSONRPCRequest);
    const responses = await server.receive(batch);
    const incoming = codec.decode(JSON.stringify(responses));
    expect(incoming).toEqual({
      kind: 'batch',
      items: [
        { kind: 'protocol', message: { type: 'response', id: 1, result: 11 } },
        { kind: 'protocol', message: { type: 'response', id: 2, result: 12 } },
      ],
    });
  });

  it('reads the package client requests and notifications, and answers them so its client resolves', async () => {
    const sent: string[] = [];
    const client = new JSONRPCClient((payload: unknown) => {
      sent.push(JSON.stringify(payload));
    });
    const answer = client.request('client.version', { verbose: true });
    const failing = client.request('client.fail', []);
    client.notify('status', { online: true });

    const [request, failRequest, notification] = sent.map((text) => single(codec.decode(text)));
    expect(request).toMatchObject({ type: 'request', method: 'client.version', params: { verbose: true } });
    expect(notification).toEqual({ type: 'event', event: 'status', data: { online: true } });

    const id = (request as { id: number }).id;
    const failId = (failRequest as { id: number }).id;
    client.receive(JSON.parse(encodeText({ type: 'response', id, result: '1.2.3' })));
    client.receive(JSON.parse(encodeText({ type: 'response', id: failId, error: { code: -32000, message: 'nope' } })));
    await expect(answer).resolves.toBe('1.2.3');
    await expect(failing).rejects.toMatchObject({ code: -32000, message: 'nope' });
  });
});

describe('jsonRpcCodec.decode', () => {
  it('passes text that is not JSON-RPC through as data', () => {
    for (const text of ['hello', '42', '{"type":"custom"}', '[1,2,3]', '[]', '{broken', '{"type":"request","id":1,"method":"m"}']) {
      expect(codec.decode(text)).toEqual({ kind: 'data' });
    }
  });

  it('passes binary frames through as data', () => {
    expect(codec.decode(new Uint8Array([0x48, 0x46, 0x42, 0x31]).buffer)).toEqual({ kind: 'data' });
  });

  it('still recognises the CONTRACT heartbeat shapes', () => {
    expect(single(codec.decode('{"type":"pong","ts":12}'))).toEqual({ type: 'pong', ts: 12 });
    expect(single(codec.decode(' {"type":"ping","ts":3}'))).toEqual({ type: 'ping', ts: 3 });
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['another version', '{"jsonrpc":"1.0","id":1,"result":1}', /version/],
    ['a request with a null id', '{"jsonrpc":"2.0","id":null,"method":"m"}', /request: bad id/],
    ['an empty method name', '{"jsonrpc":"2.0","id":1,"method":""}', /method/],
    ['primitive params', '{"jsonrpc":"2.0","method":"m","params":1}', /params/],
    ['both result and error', '{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"x"}}', /one of result, error/],
    ['neither result nor error', '{"jsonrpc":"2.0","id":1}', /one of result, error/],
    ['a malformed error object', '{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"y"}}', /response: bad error/],
    ['a result without an id', '{"jsonrpc":"2.0","result":1}', /response: bad id/],
    ['an error with a null id (parse error)', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}', /-32700.*Parse error/],
  ];
  for (const [what, text, reason] of invalid) {
    it(`reports ${what} as invalid, with a reason`, () => {
      const incoming = codec.decode(text);
      expect(incoming.kind).toBe('invalid');
      expect(incoming.kind === 'invalid' && incoming.reason).toMatch(reason);
    });
  }

  it('marks batch items that are not JSON-RPC as invalid and keeps the others', () => {
    const incoming = codec.decode('[{"jsonrpc":"2.0","method":"tick"},7]');
    expect(incoming).toEqual({
      kind: 'batch',
      items: [{ kind: 'protocol', message: { type: 'event', event: 'tick', data: undefined } }, { kind: 'invalid', reason: 'batch item not JSON-RPC' }],
    });
  });

  it('never lets hostile keys reach a prototype', () => {
    const message = single(codec.decode('{"jsonrpc":"2.0","id":1,"result":{"__proto__":{"admin":true},"prototype":{"x":1},"ok":true}}'));
    const result = (message as { result: Record<string, unknown> }).result;
    expect(Object.keys(result)).toEqual(['ok']);
    expect((result as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });
});
