import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/server/errors.js';
import { FrameParser, KEPT_CHUNK, type Frame, type ParseResult } from '../../src/server/frame-parser.js';
import { byteByByte, clientFrame, hex, splitAt } from '../helpers/frames.js';
import { createPrng, fuzzSeed } from '../helpers/prng.js';

/** Pushes every chunk and gathers the frames; stops at (and returns) the first error. */
function feed(parser: FrameParser, chunks: readonly Buffer[]): ParseResult {
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    const result = parser.push(chunk);
    frames.push(...result.frames);
    if (result.error) return { frames, error: result.error };
  }
  return { frames };
}

function parseAll(bytes: Buffer, options?: ConstructorParameters<typeof FrameParser>[0]): ParseResult {
  return new FrameParser(options).push(bytes);
}

function expectProtocolError(result: ParseResult, code: string, closeCode: number): void {
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error).toMatchObject({ name: 'ProtocolError', code, closeCode });
}

describe('FrameParser: well-formed frames', () => {
  it('parses the RFC 6455 §5.7 masked "Hello" text frame', () => {
    const { frames, error } = parseAll(hex('81 85 37fa213d 7f9f4d5158'));
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual({
      fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 0x1, masked: true, payload: Buffer.from('Hello'),
    });
  });

  it('parses the RFC 6455 §5.7 unmasked "Hello" frame when masking is not required', () => {
    const { frames, error } = parseAll(hex('81 05 48656c6c6f'), { requireMask: false });
    expect(error).toBeUndefined();
    expect(frames[0]?.payload.toString()).toBe('Hello');
    expect(frames[0]?.masked).toBe(false);
  });

  it('parses the RFC 6455 §5.7 fragmented unmasked "Hel" + "lo"', () => {
    const { frames, error } = parseAll(hex('01 03 48656c 80 02 6c6f'), { requireMask: false });
    expect(error).toBeUndefined();
    expect(frames.map((f) => [f.fin, f.opcode, f.payload.toString()])).toEqual([
      [false, 1, 'Hel'],
      [true, 0, 'lo'],
    ]);
  });

  it.each([0, 1, 125, 126, 127, 65535, 65536, 3 * 1024 * 1024 + 7])('round-trips a masked binary payload of %i bytes', (size) => {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
    const bytes = clientFrame(0x2, payload, { maskKey: Uint8Array.of(1, 2, 3, 250) });
    const parser = new FrameParser();
    const { frames, error } = parser.push(bytes);
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(1);
    expect(frames[0]?.opcode).toBe(0x2);
    expect(frames[0]?.payload.equals(payload)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('uses the 16-bit length form at 126 bytes and the 64-bit form at 65536 bytes', () => {
    expect(clientFrame(2, Buffer.alloc(126))[1]).toBe(0x80 | 126);
    expect(clientFrame(2, Buffer.alloc(65536))[1]).toBe(0x80 | 127);
  });

  it('accepts non-minimal length encodings', () => {
    const sixteen = clientFrame(1, 'hi', { lengthForm: 16 });
    const sixtyFour = clientFrame(1, 'hi', { lengthForm: 64 });
    expect(sixteen.length).toBe(2 + 2 + 4 + 2);
    expect(sixtyFour.length).toBe(2 + 8 + 4 + 2);
    const { frames, error } = parseAll(Buffer.concat([sixteen, sixtyFour]));
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.payload.toString())).toEqual(['hi', 'hi']);
  });

  it('parses the same frames byte by byte as in one chunk, holding partial bytes in between', () => {
    const bytes = Buffer.concat([
      clientFrame(1, 'first'),
      clientFrame(2, Buffer.alloc(300, 9)),
      clientFrame(9, 'ping'),
      clientFrame(2, Buffer.alloc(70000, 3)),
    ]);
    const whole = parseAll(bytes);
    const parser = new FrameParser();
    const frames: Frame[] = [];
    const errors: unknown[] = [];
    let maxBuffered = 0;
    for (const chunk of byteByByte(bytes)) {
      const result = parser.push(chunk);
      if (result.error) errors.push(result.error);
      frames.push(...result.frames);
      maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    }
    expect(errors).toEqual([]);
    expect(whole.frames).toHaveLength(4);
    expect(frames).toEqual(whole.frames);
    expect(maxBuffered).toBeGreaterThan(60000);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('returns no frame until the last byte of a frame arrives', () => {
    const bytes = clientFrame(1, 'abc');
    const parser = new FrameParser();
    for (const chunk of byteByByte(bytes.subarray(0, bytes.length - 1))) expect(parser.push(chunk).frames).toEqual([]);
    expect(parser.bufferedBytes).toBe(3 - 1);
    expect(parser.push(bytes.subarray(bytes.length - 1)).frames.map((f) => f.payload.toString())).toEqual(['abc']);
  });

  it('parses a payload split across many chunks at odd offsets', () => {
    const payload = Buffer.from('x'.repeat(1000) + 'é'.repeat(500));
    const bytes = clientFrame(1, payload);
    const { frames, error } = feed(new FrameParser(), splitAt(bytes, [1, 3, 5, 6, 7, 100, 101, 999, 1500, 2000]));
    expect(error).toBeUndefined();
    expect(frames[0]?.payload.equals(payload)).toBe(true);
  });

  it('returns many frames from one chunk in order', () => {
    const messages = Array.from({ length: 50 }, (_, i) => `message ${i}`);
    const { frames, error } = parseAll(Buffer.concat(messages.map((m) => clientFrame(1, m))));
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.payload.toString())).toEqual(messages);
  });

  it('returns control frames between fragments in order', () => {
    const bytes = Buffer.concat([
      clientFrame(1, 'Hel', { fin: false }),
      clientFrame(9, 'are you there'),
      clientFrame(0, 'l', { fin: false }),
      clientFrame(0xa, ''),
      clientFrame(0, 'o', { fin: true }),
      clientFrame(2, 'next'),
    ]);
    const { frames, error } = parseAll(bytes);
    expect(error).toBeUndefined();
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [1, false, 'Hel'],
      [9, true, 'are you there'],
      [0, false, 'l'],
      [0xa, true, ''],
      [0, true, 'o'],
      [2, true, 'next'],
    ]);
  });

  it('does not modify the chunks it is given', () => {
    const bytes = clientFrame(1, 'leave my buffer alone');
    const copy = Buffer.from(bytes);
    parseAll(bytes);
    expect(bytes.equals(copy)).toBe(true);
  });

  it('accepts a plain Uint8Array chunk', () => {
    const bytes = clientFrame(2, Buffer.from([1, 2, 3]));
    const { frames } = new FrameParser().push(new Uint8Array(bytes));
    expect(frames[0]?.payload).toBeInstanceOf(Buffer);
    expect([...(frames[0]?.payload ?? [])]).toEqual([1, 2, 3]);
  });

  it('reports RSV bits on data frames when an extension allowed them', () => {
    const { frames, error } = parseAll(clientFrame(1, 'z', { rsv: 0x4 }), { allowedRsv: 0x4 });
    expect(error).toBeUndefined();
    expect(frames[0]).toMatchObject({ rsv1: true, rsv2: false, rsv3: false });
  });

  it('allows a message exactly at maxPayload, summed over its fragments', () => {
    const bytes = Buffer.concat([clientFrame(2, Buffer.alloc(6), { fin: false }), clientFrame(0, Buffer.alloc(4))]);
    const { frames, error } = parseAll(bytes, { maxPayload: 10 });
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(2);
  });

  it('counts maxPayload per message, starting again after each final fragment', () => {
    const message = Buffer.concat([clientFrame(2, Buffer.alloc(6), { fin: false }), clientFrame(0, Buffer.alloc(4))]);
    const { frames, error } = parseAll(Buffer.concat([message, message, message]), { maxPayload: 10 });
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(6);
  });

  it('allows a message of exactly maxFragments frames, and counts again for each message', () => {
    const message = Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(0, '', { fin: false }), clientFrame(0, 'c')]);
    const { frames, error } = parseAll(Buffer.concat([message, message, clientFrame(2, 'single')]), { maxFragments: 3 });
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(7);
  });

  it('does not count control frames between fragments towards maxFragments', () => {
    const bytes = Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(9, 'p'), clientFrame(9, 'q'), clientFrame(0, 'b')]);
    expect(parseAll(bytes, { maxFragments: 2 }).error).toBeUndefined();
  });

  it('does not count control frames towards maxPayload', () => {
    const bytes = Buffer.concat([clientFrame(1, 'abcd', { fin: false }), clientFrame(9, 'ping-payload'), clientFrame(0, 'ef')]);
    expect(parseAll(bytes, { maxPayload: 6 }).error).toBeUndefined();
  });
});

describe('FrameParser: dripped and tiny chunks', () => {
  /** The documented bound on the buffers held for `bufferedBytes` bytes. */
  const chunkBound = (parser: FrameParser): number => (2 * parser.bufferedBytes) / KEPT_CHUNK + 2;

  it('holds a 64 KiB frame dripped one byte per chunk in a few blocks, not one Buffer per byte', () => {
    const payload = Buffer.alloc(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    const bytes = clientFrame(0x2, payload);
    const parser = new FrameParser();
    let most = 0;
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const result = parser.push(bytes.subarray(i, i + 1));
      if (result.error) throw result.error;
      if (result.frames.length > 0) frames.push(...result.frames);
      if (parser.bufferedChunks > chunkBound(parser)) throw new Error(`${parser.bufferedChunks} buffers for ${parser.bufferedBytes} bytes after byte ${i}`);
      most = Math.max(most, parser.bufferedChunks);
    }
    // Blocks of 1, 1, 2, 4, 8 and then 16 KiB: 9 of them, where one Buffer per byte would be 65,550.
    expect(most).toBeLessThanOrEqual(10);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.payload.equals(payload)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.bufferedChunks).toBe(0);
  });

  it('keeps the bound whatever the mix of chunk sizes, and returns the frames unchanged', () => {
    const seed = fuzzSeed();
    const random = createPrng(seed);
    const sizes = [1, 2, 3, 100, KEPT_CHUNK - 1, KEPT_CHUNK, KEPT_CHUNK + 1, 5000, 20_000];
    const payloads = Array.from({ length: 12 }, () => Buffer.from(random.bytes(random.int(0, 50_000))));
    const stream = Buffer.concat(payloads.map((payload, i) => clientFrame(i % 2 === 0 ? 0x2 : 0x9, i % 2 === 0 ? payload : payload.subarray(0, 125))));
    const parser = new FrameParser();
    const frames: Frame[] = [];
    for (let offset = 0; offset < stream.length; ) {
      const size = random.pick(sizes);
      const result = parser.push(stream.subarray(offset, offset + size));
      offset += size;
      if (result.error) throw new Error(`seed ${seed}: ${result.error.message}`);
      frames.push(...result.frames);
      if (parser.bufferedChunks > chunkBound(parser)) throw new Error(`seed ${seed}: ${parser.bufferedChunks} buffers for ${parser.bufferedBytes} bytes`);
    }
    expect(frames.map((f) => f.payload.toString('hex')), `seed ${seed}`).toEqual(
      payloads.map((payload, i) => (i % 2 === 0 ? payload : payload.subarray(0, 125)).toString('hex')),
    );
    expect(parser.bufferedChunks).toBe(0);
  });

  it('queues a long chunk that does not fit the open block as it is, copies the others, and leaves the pushed chunks untouched', () => {
    const payload = Buffer.alloc(4 * KEPT_CHUNK, 0x41);
    const bytes = clientFrame(0x2, payload);
    const copy = Buffer.from(bytes);
    const parser = new FrameParser();
    const steps: Array<[size: number, chunks: number]> = [
      [10, 1], // nothing waits: queued as it is (its 8 header bytes are read at once)
      [1, 2], // a new 1 KiB block
      [1, 2], // copied into it
      [500, 2],
      [522, 2], // exactly fills it
      [1, 3], // a new block, as large as what waits (1,026 bytes)
      [2, 3], // 1,023 bytes of room left
      [KEPT_CHUNK, 4], // does not fit, and is long: queued as it is, closing the block
      [1, 5], // a new block again
    ];
    let offset = 0;
    const counts: number[] = [];
    for (const [size] of steps) {
      expect(parser.push(bytes.subarray(offset, offset + size)).frames).toEqual([]);
      offset += size;
      counts.push(parser.bufferedChunks);
    }
    expect(counts).toEqual(steps.map(([, chunks]) => chunks));
    expect(parser.bufferedBytes).toBe(offset - 8);
    const { frames } = parser.push(bytes.subarray(offset));
    expect(frames[0]?.payload.equals(payload)).toBe(true);
    expect(bytes.equals(copy)).toBe(true);
    expect(parser.bufferedChunks).toBe(0);
  });

  it('an unmasked payload read from a block is not changed by chunks copied in after it', () => {
    const parser = new FrameParser({ requireMask: false });
    const first = clientFrame(0x2, Buffer.from('abcdef'), { maskKey: null });
    const second = clientFrame(0x2, Buffer.from('uvwxyz'), { maskKey: null });
    const stream = Buffer.concat([first, second]);
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...parser.push(stream.subarray(i, i + 1)).frames);
    expect(frames.map((f) => f.payload.toString())).toEqual(['abcdef', 'uvwxyz']);
  });
});

describe('FrameParser: protocol errors', () => {
  it.each([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])('rejects reserved opcode 0x%s with 1002 WS_ERR_INVALID_OPCODE', (opcode) => {
    expectProtocolError(parseAll(clientFrame(opcode, '')), 'WS_ERR_INVALID_OPCODE', 1002);
  });

  it.each([0x4, 0x2, 0x1])('rejects RSV mask 0x%s without a negotiated extension with 1002 WS_ERR_UNEXPECTED_RSV', (rsv) => {
    expectProtocolError(parseAll(clientFrame(1, 'x', { rsv })), 'WS_ERR_UNEXPECTED_RSV', 1002);
  });

  it('rejects an RSV bit the extension did not negotiate', () => {
    expectProtocolError(parseAll(clientFrame(1, 'x', { rsv: 0x2 }), { allowedRsv: 0x4 }), 'WS_ERR_UNEXPECTED_RSV', 1002);
  });

  it('rejects RSV bits on a control frame even when an extension allows them on data', () => {
    expectProtocolError(parseAll(clientFrame(9, '', { rsv: 0x4 }), { allowedRsv: 0x4 }), 'WS_ERR_UNEXPECTED_RSV', 1002);
  });

  it('rejects an unmasked frame from a client with 1002 WS_ERR_EXPECTED_MASK', () => {
    expectProtocolError(parseAll(hex('81 05 48656c6c6f')), 'WS_ERR_EXPECTED_MASK', 1002);
  });

  it('rejects a masked frame when masking is not required (client side) with 1002 WS_ERR_UNEXPECTED_MASK', () => {
    expectProtocolError(parseAll(clientFrame(1, 'x'), { requireMask: false }), 'WS_ERR_UNEXPECTED_MASK', 1002);
  });

  it.each([
    ['126 bytes', 126, 16],
    ['a 7-bit length of 126 with no bytes behind it', 0, 7],
  ] as const)('rejects a ping claiming %s with 1002 WS_ERR_CONTROL_TOO_BIG', (_name, size, form) => {
    const bytes = form === 7 ? hex('89 fe') : clientFrame(9, Buffer.alloc(size));
    expectProtocolError(parseAll(bytes), 'WS_ERR_CONTROL_TOO_BIG', 1002);
  });

  it('accepts a 125-byte close frame', () => {
    const { frames, error } = parseAll(clientFrame(8, Buffer.alloc(125)));
    expect(error).toBeUndefined();
    expect(frames[0]?.payload.length).toBe(125);
  });

  it('rejects a fragmented control frame with 1002 WS_ERR_FRAGMENTED_CONTROL', () => {
    expectProtocolError(parseAll(clientFrame(9, 'x', { fin: false })), 'WS_ERR_FRAGMENTED_CONTROL', 1002);
  });

  // Close (0x8) is the lowest control opcode: it must be treated as one like ping and pong.
  it.each([8, 9, 0xa])('treats opcode %i as a control frame: no fragments, at most 125 bytes, no RSV bits even when negotiated', (opcode) => {
    expectProtocolError(parseAll(clientFrame(opcode, Buffer.from([3, 0xe8]), { fin: false })), 'WS_ERR_FRAGMENTED_CONTROL', 1002);
    expectProtocolError(parseAll(clientFrame(opcode, Buffer.alloc(126))), 'WS_ERR_CONTROL_TOO_BIG', 1002);
    expectProtocolError(parseAll(clientFrame(opcode, Buffer.from([3, 0xe8]), { rsv: 4 }), { allowedRsv: 4 }), 'WS_ERR_UNEXPECTED_RSV', 1002);
  });

  it('a close frame between fragments neither ends the message nor counts towards its size', () => {
    const parser = new FrameParser({ maxPayload: 4 });
    const { frames, error } = parser.push(
      Buffer.concat([clientFrame(1, 'ab', { fin: false }), clientFrame(8, Buffer.from([3, 0xe8, 0x61, 0x62])), clientFrame(0, 'cd')]),
    );
    expect(error).toBeUndefined();
    expect(frames.map((f) => [f.opcode, f.fin, f.payload.length])).toEqual([
      [1, false, 2],
      [8, true, 4],
      [0, true, 2],
    ]);
  });

  it('rejects a continuation with no message started with 1002 WS_ERR_UNEXPECTED_CONTINUATION', () => {
    expectProtocolError(parseAll(clientFrame(0, 'x')), 'WS_ERR_UNEXPECTED_CONTINUATION', 1002);
  });

  it('rejects a continuation after the final fragment with 1002 WS_ERR_UNEXPECTED_CONTINUATION', () => {
    const bytes = Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(0, 'b'), clientFrame(0, 'c')]);
    const result = parseAll(bytes);
    expect(result.frames).toHaveLength(2);
    expectProtocolError(result, 'WS_ERR_UNEXPECTED_CONTINUATION', 1002);
  });

  it('rejects a new text frame while a fragmented message is open with 1002 WS_ERR_EXPECTED_CONTINUATION', () => {
    const result = parseAll(Buffer.concat([clientFrame(2, 'a', { fin: false }), clientFrame(1, 'b')]));
    expect(result.frames).toHaveLength(1);
    expectProtocolError(result, 'WS_ERR_EXPECTED_CONTINUATION', 1002);
  });

  it('rejects a 64-bit length with its top bit set with 1002 WS_ERR_INVALID_LENGTH', () => {
    const bytes = clientFrame(2, '', { lengthForm: 64, declaredLength: 0x8000000000000000n });
    expectProtocolError(parseAll(bytes), 'WS_ERR_INVALID_LENGTH', 1002);
  });

  it('rejects a 64-bit length above 2^53 - 1 as too big', () => {
    const bytes = clientFrame(2, '', { lengthForm: 64, declaredLength: 0x0020000000000000n });
    expectProtocolError(parseAll(bytes, { maxPayload: Infinity }), 'WS_ERR_TOO_BIG', 1009);
  });

  it('rejects a frame over maxPayload from its length field, before the payload arrives', () => {
    const header = clientFrame(2, Buffer.alloc(1001)).subarray(0, 2 + 2 + 4);
    const parser = new FrameParser({ maxPayload: 1000 });
    const result = parser.push(header);
    expectProtocolError(result, 'WS_ERR_TOO_BIG', 1009);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('rejects a huge declared length at once instead of waiting for the bytes', () => {
    const header = hex('82 ff 00000001 00000000 11223344');
    expectProtocolError(new FrameParser().push(header), 'WS_ERR_TOO_BIG', 1009);
  });

  it('rejects a fragmented message whose running total exceeds maxPayload with 1009 WS_ERR_TOO_BIG', () => {
    const bytes = Buffer.concat([
      clientFrame(1, 'aaaa', { fin: false }),
      clientFrame(0, 'bbbb', { fin: false }),
      clientFrame(0, 'ccc'),
    ]);
    const result = parseAll(bytes, { maxPayload: 10 });
    expect(result.frames.map((f) => f.payload.toString())).toEqual(['aaaa', 'bbbb']);
    expectProtocolError(result, 'WS_ERR_TOO_BIG', 1009);
  });

  it('rejects the frame past maxFragments with 1008 WS_ERR_TOO_MANY_FRAGMENTS, from its header alone', () => {
    const parser = new FrameParser({ maxFragments: 3 });
    const opened = parser.push(Buffer.concat([clientFrame(2, 'x', { fin: false }), clientFrame(0, '', { fin: false }), clientFrame(0, '', { fin: false })]));
    expect(opened.error).toBeUndefined();
    expect(opened.frames).toHaveLength(3);
    // Only the first two bytes of the fourth frame: the count is checked before its mask and payload.
    const result = parser.push(clientFrame(0, 'zz').subarray(0, 2));
    expectProtocolError(result, 'WS_ERR_TOO_MANY_FRAGMENTS', 1008);
    expect(result.frames).toEqual([]);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('closes a flood of empty continuations after the default 16384 frames', () => {
    const empty = clientFrame(0, '', { fin: false });
    const flood = Buffer.concat([clientFrame(2, '', { fin: false }), ...Array.from({ length: 20_000 }, () => empty)]);
    const result = parseAll(flood);
    expect(result.frames).toHaveLength(16 * 1024);
    expectProtocolError(result, 'WS_ERR_TOO_MANY_FRAGMENTS', 1008);
  });

  it('accepts any number of fragments with maxFragments: Infinity', () => {
    const empty = clientFrame(0, '', { fin: false });
    const bytes = Buffer.concat([clientFrame(2, '', { fin: false }), ...Array.from({ length: 20_000 }, () => empty), clientFrame(0, 'end')]);
    const result = parseAll(bytes, { maxFragments: Infinity });
    expect(result.error).toBeUndefined();
    expect(result.frames).toHaveLength(20_002);
  });

  it('returns the frames before an error in the same chunk', () => {
    const result = parseAll(Buffer.concat([clientFrame(1, 'one'), clientFrame(1, 'two'), clientFrame(5, '')]));
    expect(result.frames.map((f) => f.payload.toString())).toEqual(['one', 'two']);
    expectProtocolError(result, 'WS_ERR_INVALID_OPCODE', 1002);
  });

  it('detects an error split across chunks byte by byte', () => {
    const result = feed(new FrameParser(), byteByByte(Buffer.concat([clientFrame(1, 'ok'), clientFrame(9, 'x', { fin: false })])));
    expect(result.frames).toHaveLength(1);
    expectProtocolError(result, 'WS_ERR_FRAGMENTED_CONTROL', 1002);
  });

  it('stays dead after an error: later pushes return no frames and the same error', () => {
    const parser = new FrameParser();
    const first = parser.push(clientFrame(0xf, ''));
    expectProtocolError(first, 'WS_ERR_INVALID_OPCODE', 1002);
    const later = parser.push(clientFrame(1, 'valid'));
    expect(later.frames).toEqual([]);
    expect(later.error).toBe(first.error);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('drops what it held when an error ends the stream', () => {
    const parser = new FrameParser({ maxPayload: 1000 });
    parser.push(clientFrame(2, 'abc').subarray(0, 5));
    for (let i = 0; i < 3; i++) parser.push(Buffer.from([0]));
    expect(parser.bufferedChunks).toBe(2);
    // A second frame of 1001 bytes after the first completes: over maxPayload.
    const result = parser.push(Buffer.concat([clientFrame(2, 'abc').subarray(8), clientFrame(2, Buffer.alloc(1001))]));
    expectProtocolError(result, 'WS_ERR_TOO_BIG', 1009);
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.bufferedChunks).toBe(0);
  });

  // The message travels as the close reason, so it is part of what a peer sees.
  it.each([
    ['a reserved opcode', clientFrame(3, ''), {}, 'Invalid opcode 0x3'],
    ['a reserved opcode above 9', clientFrame(0xb, ''), {}, 'Invalid opcode 0xb'],
    ['RSV1', clientFrame(1, 'x', { rsv: 4 }), {}, 'RSV bits 0x4 set without a negotiated extension'],
    ['RSV2 and RSV3', clientFrame(1, 'x', { rsv: 3 }), { allowedRsv: 4 }, 'RSV bits 0x3 set without a negotiated extension'],
    ['a fragmented ping', clientFrame(9, '', { fin: false }), {}, 'Control frames must not be fragmented'],
    ['a 126-byte ping', clientFrame(9, Buffer.alloc(126)), {}, 'Control frame payload exceeds 125 bytes'],
    ['a lone continuation', clientFrame(0, 'x'), {}, 'Continuation frame without a message to continue'],
    [
      'a third fragment over maxFragments 2',
      Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(0, 'b', { fin: false }), clientFrame(0, 'c')]),
      { maxFragments: 2 },
      'Message spans more than 2 frames',
    ],
    ['a new message inside one', Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(2, 'b')]), {}, 'New data frame while a fragmented message is still open'],
    ['an unmasked client frame', hex('81 01 61'), {}, 'Client frames must be masked'],
    ['a masked server frame', clientFrame(1, 'a'), { requireMask: false }, 'Server frames must not be masked'],
    ['a length with the top bit set', clientFrame(2, '', { lengthForm: 64, declaredLength: 0x8000000000000000n }), {}, 'Payload length has its most significant bit set'],
    ['a length of 2^53', clientFrame(2, '', { lengthForm: 64, declaredLength: 0x0020000000000000n }), { maxPayload: Infinity }, 'Payload length exceeds 2^53 - 1 bytes'],
    ['a frame over maxPayload', clientFrame(2, Buffer.alloc(11)), { maxPayload: 10 }, 'Message payload of at least 11 bytes exceeds the 10-byte limit'],
    [
      'a 64-bit length above 2^32 over maxPayload',
      clientFrame(2, '', { lengthForm: 64, declaredLength: 0x100000005n }),
      { maxPayload: 0x100000004 },
      'Message payload of at least 4294967301 bytes exceeds the 4294967300-byte limit',
    ],
    [
      'fragments that add up over maxPayload',
      Buffer.concat([clientFrame(1, 'aaa', { fin: false }), clientFrame(0, 'bbb')]),
      { maxPayload: 5 },
      'Message payload of at least 6 bytes exceeds the 5-byte limit',
    ],
  ] as Array<[string, Buffer, ConstructorParameters<typeof FrameParser>[0], string]>)('says what was wrong: %s', (_name, bytes, options, message) => {
    expect(parseAll(bytes, options).error?.message).toBe(message);
  });

  it('accepts the largest 64-bit length there is (2^53 - 1) when nothing limits the message', () => {
    const parser = new FrameParser({ maxPayload: Infinity });
    const result = parser.push(clientFrame(2, '', { lengthForm: 64, declaredLength: 0x001fffffffffffffn }));
    expect(result).toEqual({ frames: [] });
  });

  it('counts each message from zero: two messages of maxPayload bytes each are fine', () => {
    const result = parseAll(Buffer.concat([clientFrame(2, 'abcd'), clientFrame(1, 'ef', { fin: false }), clientFrame(0, 'gh')]), { maxPayload: 4 });
    expect(result.error).toBeUndefined();
    expect(result.frames).toHaveLength(3);
  });

  it('allows exactly maxFragments frames, and one frame with maxFragments 1', () => {
    const three = Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(0, 'b', { fin: false }), clientFrame(0, 'c')]);
    expect(parseAll(three, { maxFragments: 3 }).error).toBeUndefined();
    expect(parseAll(Buffer.concat([clientFrame(1, 'a'), clientFrame(2, 'b')]), { maxFragments: 1 }).error).toBeUndefined();
    expectProtocolError(parseAll(Buffer.concat([clientFrame(1, 'a', { fin: false }), clientFrame(0, 'b')]), { maxFragments: 1 }), 'WS_ERR_TOO_MANY_FRAGMENTS', 1008);
  });
});

describe('FrameParser: frame fields', () => {
  it('reports each RSV bit an extension allowed', () => {
    const result = parseAll(Buffer.concat([clientFrame(1, 'a', { rsv: 4 }), clientFrame(1, 'b', { rsv: 2 }), clientFrame(1, 'c', { rsv: 1 })]), { allowedRsv: 7 });
    expect(result.error).toBeUndefined();
    expect(result.frames.map((f) => [f.rsv1, f.rsv2, f.rsv3])).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  it('returns an unmasked payload that fills its chunk without copying it', () => {
    const chunk = hex('82 03 010203');
    const { frames } = new FrameParser({ requireMask: false }).push(chunk);
    expect(frames[0]?.payload.buffer).toBe(chunk.buffer);
    expect(frames[0]?.payload.byteOffset).toBe(chunk.byteOffset + 2);
  });

  it('parses a frame whose 2-byte header alone is a chunk, and one whose header ends a chunk', () => {
    const parser = new FrameParser({ requireMask: false });
    expect(parser.push(hex('82 00')).frames).toHaveLength(1);
    expect(parser.push(hex('82 7e')).frames).toEqual([]);
    expect(parser.push(hex('00 02')).frames).toEqual([]);
    expect(parser.bufferedBytes).toBe(0); // the length is read as soon as its bytes are there
    expect(parser.push(hex('aabb')).frames[0]?.payload.toString('hex')).toBe('aabb');
    expect(parser.push(hex('82 7f')).frames).toEqual([]);
    expect(parser.push(hex('00000000 00000001')).frames).toEqual([]);
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.push(hex('cc')).frames[0]?.payload.toString('hex')).toBe('cc');
    // Non-minimal lengths of 0 complete a frame with their last length byte.
    expect(parser.push(hex('82 7e 0000')).frames).toHaveLength(1);
    expect(parser.push(hex('82 7f 0000000000000000')).frames).toHaveLength(1);
  });

  it('ignores an empty chunk in the middle of a frame', () => {
    const bytes = clientFrame(1, 'hello');
    const result = feed(new FrameParser(), [bytes.subarray(0, 7), Buffer.alloc(0), bytes.subarray(7, 9), Buffer.alloc(0), bytes.subarray(9)]);
    expect(result.error).toBeUndefined();
    expect(result.frames[0]?.payload.toString()).toBe('hello');
  });

  it('ignores an empty chunk between a header byte and a long chunk', () => {
    const payload = Buffer.alloc(2000, 0x61);
    const bytes = clientFrame(2, payload);
    const parser = new FrameParser();
    const result = feed(parser, [bytes.subarray(0, 1), Buffer.alloc(0), bytes.subarray(1)]);
    expect(result.error).toBeUndefined();
    expect(result.frames[0]?.payload.equals(payload)).toBe(true);
    expect(parser.bufferedChunks).toBe(0);
  });
});

describe('FrameParser: bad arguments', () => {
  it('throws TypeError when pushed something that is not bytes', () => {
    expect(() => new FrameParser().push('text' as unknown as Buffer)).toThrow(TypeError);
    expect(() => new FrameParser().push('text' as unknown as Buffer)).toThrow('FrameParser.push expects a Buffer or Uint8Array');
  });

  it('ignores an empty chunk', () => {
    const parser = new FrameParser();
    expect(parser.push(Buffer.alloc(0))).toEqual({ frames: [] });
    expect(parser.bufferedBytes).toBe(0);
  });

  it.each([
    { maxPayload: -1 },
    { maxPayload: Number.NaN },
    { maxPayload: '5' as unknown as number },
    { allowedRsv: 8 },
    { allowedRsv: -1 },
    { allowedRsv: 1.5 },
    { maxFragments: 0 },
    { maxFragments: 2.5 },
    { maxFragments: Number.NaN },
    { maxFragments: -Infinity },
  ])('rejects options %j with RangeError', (options) => {
    expect(() => new FrameParser(options)).toThrow(RangeError);
  });

  it.each([
    [{ maxPayload: -1 }, 'maxPayload must be a non-negative number, got -1'],
    [{ maxFragments: 0 }, 'maxFragments must be an integer >= 1 or Infinity, got 0'],
    [{ allowedRsv: 8 }, 'allowedRsv must be a bitmask from 0 to 7, got 8'],
  ])('says which option is wrong: %j', (options, message) => {
    expect(() => new FrameParser(options)).toThrow(message);
  });

  it.each([{ maxPayload: 0 }, { maxFragments: 1 }, { maxFragments: Infinity }, { allowedRsv: 0 }, { allowedRsv: 7 }])('accepts the edge option %j', (options) => {
    expect(() => new FrameParser(options)).not.toThrow();
  });
});
