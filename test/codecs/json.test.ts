import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import { jsonCodec, type Incoming, type OutgoingMessage } from '../../src/codecs/json';
import { envelopeCodec } from '../../src/codecs/envelope';
import { encodeEnvelope } from '../../src/protocol/envelope';

function protocolMessage(incoming: Incoming): unknown {
  expect(incoming.kind).toBe('protocol');
  return incoming.kind === 'protocol' ? incoming.message : undefined;
}

describe('jsonCodec.encode', () => {
  it('writes requests, responses and events as the CONTRACT JSON text shapes', () => {
    expect(jsonCodec.encode({ type: 'request', id: 1, method: 'echo', params: { a: 1 } })).toBe(
      '{"type":"request","id":1,"method":"echo","params":{"a":1}}',
    );
    expect(jsonCodec.encode({ type: 'response', id: 'x', result: [1] })).toBe('{"type":"response","id":"x","result":[1]}');
    expect(jsonCodec.encode({ type: 'response', id: 2, error: { code: 'E', message: 'no' } })).toBe(
      '{"type":"response","id":2,"error":{"code":"E","message":"no"}}',
    );
    expect(jsonCodec.encode({ type: 'event', event: 'chat', data: 'hi' })).toBe('{"type":"event","event":"chat","data":"hi"}');
  });

  it('sends an undefined result as null, so the response still has a result', () => {
    const text = jsonCodec.encode({ type: 'response', id: 3, result: undefined });
    expect(text).toBe('{"type":"response","id":3,"result":null}');
    expect(protocolMessage(jsonCodec.decode(text as string))).toEqual({ type: 'response', id: 3, result: null });
  });

  it('drops keys that are not part of the CONTRACT shape', () => {
    const message = { type: 'event', event: 'e', data: 1, secret: 'x' } as OutgoingMessage;
    expect(jsonCodec.encode(message)).toBe('{"type":"event","event":"e","data":1}');
  });

  it('throws a TypeError for messages it cannot represent', () => {
    expect(() => jsonCodec.encode({ type: 'ping', ts: 1 } as unknown as OutgoingMessage)).toThrow(TypeError);
    expect(() => jsonCodec.encode(null as unknown as OutgoingMessage)).toThrow(TypeError);
    expect(() => jsonCodec.encode({ type: 'event', event: 'e', data: 10n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonCodec.encode({ type: 'event', event: 'e', data: cyclic })).toThrow(TypeError);
  });
});

describe('jsonCodec and binary', () => {
  it('refuses a message holding binary with a TypeError naming envelopeCodec, wherever the binary sits', () => {
    const foreign = runInNewContext('new Uint8Array([1]).buffer') as ArrayBuffer;
    for (const data of [new Uint8Array([1]), { deep: [new DataView(new ArrayBuffer(1))] }, foreign]) {
      expect(() => jsonCodec.encode({ type: 'event', event: 'e', data })).toThrow(new TypeError('binary needs envelopeCodec'));
    }
    expect(() => jsonCodec.encode({ type: 'response', id: 1, result: new Uint8Array(1) })).toThrow(TypeError);
  });

  it('treats every binary frame as application data, also an envelope', () => {
    const frame = envelopeCodec.encode({ type: 'event', event: 'e', data: new Uint8Array([1]) }) as Uint8Array;
    expect(jsonCodec.decode(frame)).toEqual({ kind: 'data' });
    expect(jsonCodec.decode(frame.slice().buffer)).toEqual({ kind: 'data' });
    expect(jsonCodec.encode({ type: 'event', event: 'e', data: 1 })).toBe('{"type":"event","event":"e","data":1}');
  });


});

describe('envelopeCodec', () => {
  it('encodes messages without binary exactly like jsonCodec', () => {
    const messages: OutgoingMessage[] = [
      { type: 'request', id: 1, method: 'echo', params: { a: [1, { b: 'x' }] } },
      { type: 'response', id: 3, result: undefined },
      { type: 'response', id: 2, error: { code: 'E', message: 'no' } },
      { type: 'event', event: 'e', data: 1, secret: 'x' } as OutgoingMessage,
    ];
    for (const message of messages) expect(envelopeCodec.encode(message)).toBe(jsonCodec.encode(message));
    expect(() => envelopeCodec.encode({ type: 'ping', ts: 1 } as unknown as OutgoingMessage)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => envelopeCodec.encode({ type: 'event', event: 'e', data: cyclic })).toThrow(TypeError);
  });

  it('sends a message holding binary as one envelope frame and restores the binary in place', () => {
    const image = new Uint8Array([0xca, 0xfe, 0xba, 0xbe]);
    const frame = envelopeCodec.encode({ type: 'request', id: 7, method: 'upload', params: { name: 'a.png', image, thumbs: [image.subarray(0, 1)] } });
    expect(frame).toBeInstanceOf(Uint8Array);
    const bytes = frame as Uint8Array;
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x48, 0x46, 0x42, 0x31]);

    // The platform hands binary over as an ArrayBuffer.
    const incoming = envelopeCodec.decode(bytes.slice().buffer);
    const message = protocolMessage(incoming) as { params: { name: string; image: Uint8Array; thumbs: Uint8Array[] } };
    expect(message.params.name).toBe('a.png');
    expect(Array.from(message.params.image)).toEqual([0xca, 0xfe, 0xba, 0xbe]);
    expect(Array.from(message.params.thumbs[0] ?? [])).toEqual([0xca]);
    expect(incoming.kind === 'protocol' && incoming.attachments?.length).toBe(2);
  });

  it('decodes an envelope delivered as a view, such as a Node Buffer', () => {
    const frame = envelopeCodec.encode({ type: 'response', id: 1, result: new Uint8Array([5]) }) as Uint8Array;
    const message = protocolMessage(envelopeCodec.decode(Buffer.from(frame))) as { result: Uint8Array };
    expect(Array.from(message.result)).toEqual([5]);
  });

  it('passes binary without the magic through as application data', () => {
    expect(envelopeCodec.decode(new Uint8Array([1, 2, 3]).buffer)).toEqual({ kind: 'data' });
    expect(envelopeCodec.decode(new ArrayBuffer(0))).toEqual({ kind: 'data' });
  });

  it('reports a broken envelope as invalid, with a reason, instead of throwing', () => {
    const frame = envelopeCodec.encode({ type: 'event', event: 'e', data: new Uint8Array([1, 2]) }) as Uint8Array;
    const truncated = envelopeCodec.decode(frame.slice(0, frame.length - 1).buffer);
    expect(truncated.kind).toBe('invalid');
    expect(truncated.kind === 'invalid' && truncated.reason).toBe('envelope LENGTH_MISMATCH: 2 declared, 1 present');

    const badPlaceholder = encodeEnvelope({ type: 'event', event: 'e', data: { $binary: 3 } }, []);
    expect(envelopeCodec.decode(badPlaceholder)).toEqual({ kind: 'invalid', reason: 'envelope BAD_PLACEHOLDER: 3' });
  });

  it('treats other binary containers, such as a Blob, as application data', () => {
    expect(envelopeCodec.decode(new Blob(['x']) as unknown as ArrayBuffer)).toEqual({ kind: 'data' });
  });

  it('decodes text like jsonCodec', () => {
    for (const text of ['{"type":"pong","ts":5}', '{"type":"response","result":1}', '{"type":"custom"}', 'hello']) {
      expect(envelopeCodec.decode(text)).toEqual(jsonCodec.decode(text));
    }
  });
});

describe('jsonCodec.decode (text)', () => {
  it('recognises protocol messages, including heartbeats', () => {
    expect(protocolMessage(jsonCodec.decode('{"type":"pong","ts":5}'))).toEqual({ type: 'pong', ts: 5 });
    expect(protocolMessage(jsonCodec.decode('{"type":"event","event":"chat","data":{"t":1}}'))).toEqual({
      type: 'event',
      event: 'chat',
      data: { t: 1 },
    });
  });

  it('passes application text through as data', () => {
    for (const text of ['hello', '{"kind":"mine"}', '[1,2]', '{"type":"custom"}', '{not json "type"']) {
      expect(jsonCodec.decode(text)).toEqual({ kind: 'data' });
    }
  });

  it('reports a malformed protocol message as invalid', () => {
    expect(jsonCodec.decode('{"type":"response","result":1}')).toEqual({ kind: 'invalid', reason: 'response: bad id' });
  });

  it('never lets hostile keys reach a prototype', () => {
    const incoming = jsonCodec.decode(
      '{"type":"event","event":"e","data":{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"ok":1}}',
    );
    const data = (protocolMessage(incoming) as { data: Record<string, unknown> }).data;
    expect(data).toEqual({ ok: 1 });
    expect(Object.keys(data)).toEqual(['ok']);
    expect((data as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it('also strips hostile keys spelled with \\u escapes', () => {
    const text = String.raw`{"type":"event","event":"e","data":{"\u005f_proto__":{"admin":true},"\u0063onstructor":1,"proto\u0074ype":2,"ok":1}}`;
    const data = (protocolMessage(jsonCodec.decode(text)) as { data: Record<string, unknown> }).data;
    expect(Object.keys(data)).toEqual(['ok']);
    expect(Object.hasOwn(data, '__proto__')).toBe(false);
  });

  it('keeps every ordinary key and value, also with escaped non-ASCII text and the names inside values', () => {
    const text = String.raw`{"type":"event","event":"e","data":{"name":"Jos\u00e9","note":"constructor of the prototype","tab":"\t"}}`;
    expect(protocolMessage(jsonCodec.decode(text))).toEqual({
      type: 'event',
      event: 'e',
      data: { name: 'José', note: 'constructor of the prototype', tab: '\t' },
    });
  });
});
