import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../src/server/frame-parser.js';
import { applyMask, encodeClosePayload, encodeFrame, encodeMessage } from '../../src/server/frame-writer.js';
import { clientFrame, hex, toHex } from '../helpers/frames.js';

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

function frameBytes(...args: Parameters<typeof encodeFrame>): Buffer {
  return Buffer.concat(encodeFrame(...args));
}

describe('encodeFrame', () => {
  it('encodes the RFC 6455 §5.7 unmasked "Hello" frame', () => {
    expect(toHex(frameBytes(1, Buffer.from('Hello')))).toBe('810548656c6c6f');
  });

  it('encodes the RFC 6455 §5.7 masked "Hello" frame with an injected key', () => {
    expect(toHex(frameBytes(1, Buffer.from('Hello'), { mask: true, maskKey: KEY }))).toBe('818537fa213d7f9f4d5158');
  });

  it('uses the 7-bit length up to 125 bytes', () => {
    const [header] = encodeFrame(2, Buffer.alloc(125));
    expect(toHex(header)).toBe('827d');
    expect(toHex(encodeFrame(2, Buffer.alloc(0))[0])).toBe('8200');
  });

  it('uses the 16-bit length from 126 to 65535 bytes', () => {
    expect(toHex(encodeFrame(2, Buffer.alloc(126))[0])).toBe('827e007e');
    expect(toHex(encodeFrame(2, Buffer.alloc(65535))[0])).toBe('827effff');
  });

  it('uses the 64-bit length from 65536 bytes', () => {
    expect(toHex(encodeFrame(2, Buffer.alloc(65536))[0])).toBe('827f0000000000010000');
    expect(toHex(encodeFrame(2, Buffer.alloc(5 * 1024 * 1024 + 3))[0])).toBe('827f0000000000500003');
  });

  it('sets FIN, RSV1 and the mask bit as asked', () => {
    expect(toHex(encodeFrame(1, Buffer.alloc(0), { fin: false })[0])).toBe('0100');
    expect(toHex(encodeFrame(1, Buffer.alloc(0), { rsv1: true })[0])).toBe('c100');
    expect(toHex(encodeFrame(0, Buffer.alloc(3), { fin: false, mask: true, maskKey: KEY })[0])).toBe('008337fa213d');
  });

  it('returns an unmasked payload without copying it', () => {
    const payload = Buffer.from('shared');
    expect(encodeFrame(1, payload)[1]).toBe(payload);
    const view = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    const [, asBuffer] = encodeFrame(1, view);
    expect(Buffer.isBuffer(asBuffer)).toBe(true);
    expect(asBuffer.buffer).toBe(payload.buffer);
  });

  it.each([0, 3, 31, 32, 33, 1000, 70000])('masks %i bytes deterministically and unmasks back to the input', (size) => {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 7 + 1) & 0xff;
    const once = frameBytes(2, payload, { mask: true, maskKey: KEY });
    const twice = frameBytes(2, payload, { mask: true, maskKey: KEY });
    expect(once.equals(twice)).toBe(true);
    expect(toHex(once)).toBe(toHex(clientFrame(2, payload, { maskKey: KEY })));
    const { frames, error } = new FrameParser().push(once);
    expect(error).toBeUndefined();
    expect(frames[0]?.payload.equals(payload)).toBe(true);
    expect(payload.every((b, i) => b === ((i * 7 + 1) & 0xff))).toBe(true);
  });

  it('masks with a fresh random key when none is injected', () => {
    const payload = Buffer.alloc(64, 0);
    const keys = new Set(Array.from({ length: 8 }, () => toHex(encodeFrame(2, payload, { mask: true })[0].subarray(2, 6))));
    expect(keys.size).toBeGreaterThan(1);
  });

  it('produces unmasked frames that a client-side parser reads back', () => {
    const { frames } = new FrameParser({ requireMask: false }).push(frameBytes(1, Buffer.from('server says hi')));
    expect(frames[0]).toMatchObject({ fin: true, opcode: 1, masked: false });
    expect(frames[0]?.payload.toString()).toBe('server says hi');
  });

  it.each([
    ['opcode 16', () => encodeFrame(16, Buffer.alloc(0))],
    ['opcode -1', () => encodeFrame(-1, Buffer.alloc(0))],
    ['a 126-byte ping', () => encodeFrame(9, Buffer.alloc(126))],
    ['a non-final close', () => encodeFrame(8, Buffer.alloc(0), { fin: false })],
    ['a 3-byte mask key', () => encodeFrame(1, Buffer.alloc(1), { mask: true, maskKey: Uint8Array.of(1, 2, 3) })],
  ])('throws RangeError for %s', (_name, call) => {
    expect(call).toThrow(RangeError);
  });
});

describe('applyMask', () => {
  it('gives the same result on aligned and unaligned buffers, in place or not', () => {
    const source = Buffer.alloc(101);
    for (let i = 0; i < source.length; i++) source[i] = (i * 13) & 0xff;
    const expected = Buffer.from(source.map((b, i) => b ^ (KEY[i % 4] as number)));

    const aligned = new Uint8Array(new ArrayBuffer(104), 0, 101);
    applyMask(source, KEY, aligned);
    const unaligned = new Uint8Array(new ArrayBuffer(104), 1, 101);
    applyMask(source, KEY, unaligned);
    const inPlace = Buffer.from(source);
    applyMask(inPlace, KEY, inPlace);

    expect(Buffer.from(aligned).equals(expected)).toBe(true);
    expect(Buffer.from(unaligned).equals(expected)).toBe(true);
    expect(inPlace.equals(expected)).toBe(true);
  });
});

describe('encodeMessage', () => {
  it('encodes a message as one final frame by default', () => {
    const frames = encodeMessage(1, Buffer.from('Hello'));
    expect(frames.map(toHex)).toEqual(['810548656c6c6f']);
  });

  it('splits into the RFC 6455 §5.7 "Hel" + "lo" fragments', () => {
    expect(encodeMessage(1, Buffer.from('Hello'), 3).map(toHex)).toEqual(['010348656c', '80026c6f']);
  });

  it('puts the opcode on the first frame, continuations after, and FIN only on the last', () => {
    const payload = Buffer.from('0123456789');
    const { frames, error } = new FrameParser({ requireMask: false }).push(Buffer.concat(encodeMessage(2, payload, 4)));
    expect(error).toBeUndefined();
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [2, false, '0123'],
      [0, false, '4567'],
      [0, true, '89'],
    ]);
  });

  it('does not emit an empty trailing frame when the size divides evenly', () => {
    expect(encodeMessage(2, Buffer.alloc(8), 4)).toHaveLength(2);
  });

  it('encodes an empty message as one empty final frame', () => {
    expect(encodeMessage(1, Buffer.alloc(0), 4).map(toHex)).toEqual(['8100']);
  });

  it.each([0, -1, 1.5, Number.NaN])('throws RangeError for fragmentSize %s', (size) => {
    expect(() => encodeMessage(1, Buffer.from('x'), size)).toThrow(RangeError);
  });

  it('throws RangeError for a non-data opcode', () => {
    expect(() => encodeMessage(9 as 1, Buffer.from('x'))).toThrow(RangeError);
  });
});

describe('encodeClosePayload', () => {
  it('is empty without a code', () => {
    expect(encodeClosePayload().length).toBe(0);
  });

  it('writes the code big-endian followed by the UTF-8 reason', () => {
    expect(toHex(encodeClosePayload(1000))).toBe('03e8');
    expect(encodeClosePayload(4001, 'bye é').equals(Buffer.concat([hex('0fa1'), Buffer.from('bye é')]))).toBe(true);
  });

  it('accepts a reason of exactly 123 bytes', () => {
    expect(encodeClosePayload(1000, 'a'.repeat(123)).length).toBe(125);
  });

  it('throws RangeError for a reason over 123 bytes (counted in UTF-8 bytes)', () => {
    expect(() => encodeClosePayload(1000, 'a'.repeat(124))).toThrow(RangeError);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
  });

  it.each([1005, 1006, 1015, 999, 5000])('throws RangeError for code %i, which may not be sent', (code) => {
    expect(() => encodeClosePayload(code)).toThrow(RangeError);
  });

  it('throws RangeError for a reason without a code', () => {
    expect(() => encodeClosePayload(undefined, 'why')).toThrow(RangeError);
  });
});
