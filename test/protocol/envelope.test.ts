import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  encodeEnvelope,
  EnvelopeError,
  extractBinary,
  isEnvelope,
  MAX_DEPTH,
  restoreBinary,
  type EnvelopeErrorReason,
  type EnvelopeMessage,
} from '../../src/protocol/envelope';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const ascii = (text: string): number[] => Array.from(new TextEncoder().encode(text));

/** Builds raw envelope bytes by hand: magic, a big-endian header length, header, body. */
function rawEnvelope(header: string, body: number[] = [], declaredLength?: number): Uint8Array {
  const json = ascii(header);
  const n = declaredLength ?? json.length;
  return Uint8Array.from([0x48, 0x46, 0x42, 0x31, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...json, ...body]);
}

function expectEnvelopeError(bytes: Uint8Array, reason: EnvelopeErrorReason): void {
  let caught: unknown;
  try {
    decodeEnvelope(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EnvelopeError);
  expect((caught as EnvelopeError).reason).toBe(reason);
}

// The worked example of docs/protocol.md, byte for byte.
const EXAMPLE_HEX =
  '48 46 42 31 00 00 00 5e 7b 22 74 79 70 65 22 3a 22 65 76 65 6e 74 22 2c 22 65 76 65 6e 74 22 3a 22 69 6d 67 22 2c ' +
  '22 64 61 74 61 22 3a 7b 22 6e 61 6d 65 22 3a 22 61 2e 70 6e 67 22 2c 22 62 79 74 65 73 22 3a 7b 22 24 62 69 6e 61 ' +
  '72 79 22 3a 30 7d 7d 2c 22 61 74 74 61 63 68 6d 65 6e 74 73 22 3a 5b 32 5d 7d ca fe';

describe('encodeEnvelope', () => {
  it('writes the worked example of docs/protocol.md byte for byte', () => {
    const message: EnvelopeMessage = { type: 'event', event: 'img', data: { name: 'a.png', bytes: { $binary: 0 } } };
    expect(hex(encodeEnvelope(message, [new Uint8Array([0xca, 0xfe])]))).toBe(EXAMPLE_HEX);
  });

  it('writes the magic, the header length big-endian, the header, then each attachment in order', () => {
    const bytes = encodeEnvelope({ type: 'request', id: 1, method: 'up' }, [new Uint8Array([1, 2]), new Uint8Array([3])]);
    const header = '{"type":"request","id":1,"method":"up","attachments":[2,1]}';
    expect(Array.from(bytes)).toEqual(Array.from(rawEnvelope(header, [1, 2, 3])));
  });

  it('accepts ArrayBuffers and offset views as attachments, writing only their bytes', () => {
    const view = new Uint8Array([9, 7, 8, 9]).subarray(1, 3);
    const decoded = decodeEnvelope(encodeEnvelope({ type: 'event', event: 'e' }, [view, new Uint8Array([5]).buffer]));
    expect(decoded?.attachments.map((a) => Array.from(a))).toEqual([[7, 8], [5]]);
  });

  it('writes an envelope without attachments when given none', () => {
    const decoded = decodeEnvelope(encodeEnvelope({ type: 'response', id: 'a', result: 1 }, []));
    expect(decoded).toEqual({ message: { type: 'response', id: 'a', result: 1 }, attachments: [] });
  });
});

describe('decodeEnvelope', () => {
  it('reads the worked example back, with attachments as views into the input (no copy)', () => {
    const bytes = Uint8Array.from(EXAMPLE_HEX.split(' '), (h) => parseInt(h, 16));
    const decoded = decodeEnvelope(bytes);
    expect(decoded?.message).toEqual({ type: 'event', event: 'img', data: { name: 'a.png', bytes: { $binary: 0 } } });
    expect(decoded?.attachments).toHaveLength(1);
    const attachment = decoded?.attachments[0];
    expect(attachment?.buffer).toBe(bytes.buffer);
    expect(attachment?.byteOffset).toBe(102);
    expect(Array.from(attachment ?? [])).toEqual([0xca, 0xfe]);
  });

  it('decodes an envelope that sits at an offset inside a larger buffer', () => {
    const inner = encodeEnvelope({ type: 'event', event: 'e', data: 1 }, [new Uint8Array([4, 2])]);
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 3);
    const decoded = decodeEnvelope(outer.subarray(3, 3 + inner.length));
    expect(decoded?.message).toEqual({ type: 'event', event: 'e', data: 1 });
    expect(Array.from(decoded?.attachments[0] ?? [])).toEqual([4, 2]);
  });

  it('returns undefined for binary that does not start with the magic (application data)', () => {
    expect(decodeEnvelope(new Uint8Array([]))).toBeUndefined();
    expect(decodeEnvelope(new Uint8Array([0x48, 0x46, 0x42]))).toBeUndefined();
    expect(decodeEnvelope(new Uint8Array([0x48, 0x46, 0x42, 0x32, 0, 0, 0, 0]))).toBeUndefined();
    expect(isEnvelope(new Uint8Array([0x48, 0x46, 0x42, 0x31]))).toBe(true);
  });

  it('rejects a frame too short for the header length as TRUNCATED', () => {
    expectEnvelopeError(new Uint8Array([0x48, 0x46, 0x42, 0x31, 0, 0]), 'TRUNCATED');
  });

  it('rejects a header length beyond the end of the frame as TRUNCATED', () => {
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":[]}', [], 200), 'TRUNCATED');
    expectEnvelopeError(rawEnvelope('', [], 0xffffffff), 'TRUNCATED');
  });

  it('rejects attachment lengths that do not add up to the remaining bytes as LENGTH_MISMATCH', () => {
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":[2]}', [1]), 'LENGTH_MISMATCH');
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":[1]}', [1, 2]), 'LENGTH_MISMATCH');
  });

  it('rejects a header that is not a JSON object with valid attachment lengths as BAD_HEADER', () => {
    expectEnvelopeError(rawEnvelope('not json'), 'BAD_HEADER');
    expectEnvelopeError(rawEnvelope('[1,2]'), 'BAD_HEADER');
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e"}'), 'BAD_HEADER');
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":[-1]}'), 'BAD_HEADER');
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":[0.5]}'), 'BAD_HEADER');
    expectEnvelopeError(rawEnvelope('{"type":"event","event":"e","attachments":"2"}'), 'BAD_HEADER');
  });

  it('rejects a header that is not a request, response or event as NOT_A_MESSAGE', () => {
    expectEnvelopeError(rawEnvelope('{"type":"ping","ts":1,"attachments":[]}'), 'NOT_A_MESSAGE');
    expectEnvelopeError(rawEnvelope('{"type":"response","result":1,"attachments":[]}'), 'NOT_A_MESSAGE');
    expectEnvelopeError(rawEnvelope('{"hello":"world","attachments":[]}'), 'NOT_A_MESSAGE');
  });

  it('never lets __proto__ from the header reach the decoded message', () => {
    const decoded = decodeEnvelope(rawEnvelope('{"type":"event","event":"e","data":{"__proto__":{"polluted":true},"ok":1},"attachments":[]}'));
    const data = decoded?.message.type === 'event' ? decoded.message.data : undefined;
    expect(data).toEqual({ ok: 1 });
    expect(Object.prototype.hasOwnProperty.call(data, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('extractBinary', () => {
  it('replaces nested binary values with numbered placeholders, in walk order', () => {
    const a = new Uint8Array([1]);
    const b = new Uint16Array([0x0203]);
    const c = new Uint8Array([4, 5]).buffer;
    const { value, attachments } = extractBinary({ list: [a, { deep: b }], c, n: 1 });
    expect(value).toEqual({ list: [{ $binary: 0 }, { deep: { $binary: 1 } }], c: { $binary: 2 }, n: 1 });
    expect(attachments.map((x) => x.byteLength)).toEqual([1, 2, 2]);
    expect(attachments[0]).toBe(a);
  });

  it('finds DataViews and ArrayBuffers from another realm', () => {
    const foreign = runInNewContext('new Uint8Array([7]).buffer') as ArrayBuffer;
    const { value, attachments } = extractBinary([new DataView(new ArrayBuffer(3)), foreign]);
    expect(value).toEqual([{ $binary: 0 }, { $binary: 1 }]);
    expect(Array.from(attachments[1] ?? [])).toEqual([7]);
  });

  it('leaves the input untouched and returns the same object when there is no binary', () => {
    const input = { a: [1, { b: 'x' }], when: new Date(0) };
    const bytes = new Uint8Array([1]);
    const withBinary = { keep: input, bytes };
    const result = extractBinary(withBinary);
    expect(withBinary.bytes).toBe(bytes);
    expect(result.value.keep).toBe(input);
    expect(extractBinary(input)).toEqual({ value: input, attachments: [] });
    expect(extractBinary(input).value).toBe(input);
  });

  it('refuses to send binary next to an object that already looks like a placeholder', () => {
    expect(() => extractBinary({ fake: { $binary: 0 }, real: new Uint8Array(1) })).toThrow(TypeError);
    expect(extractBinary({ fake: { $binary: 0 } }).attachments).toEqual([]);
  });

  it('throws a TypeError for a cycle instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => extractBinary(cyclic)).toThrow(TypeError);
  });
});

describe('restoreBinary', () => {
  it('puts each attachment back where its placeholder was, without modifying the input', () => {
    const attachments = [new Uint8Array([1]), new Uint8Array([2])];
    const input = { a: { $binary: 1 }, b: [{ $binary: 0 }, { $binary: 0, other: 1 }] };
    const result = restoreBinary(input, attachments);
    expect(result.a).toBe(attachments[1]);
    expect(result.b[0]).toBe(attachments[0]);
    expect(result.b[1]).toEqual({ $binary: 0, other: 1 });
    expect(input.a).toEqual({ $binary: 1 });
  });

  it('round-trips with extractBinary', () => {
    const original = { file: new Uint8Array([1, 2, 3]), meta: { parts: [new Uint8Array([4])] } };
    const { value, attachments } = extractBinary(original);
    expect(restoreBinary(value, attachments)).toEqual(original);
  });

  it('rejects a placeholder that names no attachment as BAD_PLACEHOLDER', () => {
    for (const index of [1, -1, 0.5, '0', null]) {
      expect(() => restoreBinary({ x: { $binary: index } }, [new Uint8Array(1)])).toThrow(
        expect.objectContaining({ name: 'EnvelopeError', reason: 'BAD_PLACEHOLDER' }),
      );
    }
  });

  it('rejects nesting deeper than MAX_DEPTH as TOO_DEEP', () => {
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH; i++) deep = [deep];
    expect(() => restoreBinary(deep, [])).toThrow(expect.objectContaining({ reason: 'TOO_DEEP' }));
    let shallow: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) shallow = [shallow];
    expect(restoreBinary(shallow, [])).toBe(shallow);
  });
});
