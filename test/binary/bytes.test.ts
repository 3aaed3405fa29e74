// @vitest-environment jsdom
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as binary from '../../src/binary/bytes';
import {
  blobToArrayBuffer,
  byteLength,
  concatBytes,
  isArrayBuffer,
  isBlob,
  toArrayBuffer,
  toUint8Array,
} from '../../src/binary/bytes';
import * as bytes from '../../src/protocol/bytes';
import * as utf8 from '../../src/protocol/utf8';
import { utf8Decode, utf8Encode } from '../../src/protocol/utf8';
import { createPrng } from '../helpers/prng';

const RealTextEncoder = globalThis.TextEncoder;
const RealTextDecoder = globalThis.TextDecoder;
const bytesOf = (view: Uint8Array): number[] => Array.from(view);

/** Strings mixing ASCII, 2- and 3-byte characters, surrogate pairs and lone surrogates. */
function randomStrings(count: number, seed: number): string[] {
  const random = createPrng(seed).next;
  const pools = [
    [0x20, 0x7f],
    [0x80, 0x7ff],
    [0x800, 0xd7ff],
    [0xd800, 0xdfff],
    [0xe000, 0xffff],
  ] as const;
  return Array.from({ length: count }, () => {
    let s = '';
    const length = Math.floor(random() * 24);
    for (let i = 0; i < length; i++) {
      const [lo, hi] = pools[Math.floor(random() * pools.length)] ?? pools[0];
      s += String.fromCharCode(lo + Math.floor(random() * (hi - lo + 1)));
    }
    return s;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('public home of the byte primitives and the UTF-8 codec', () => {
  it('re-exports the protocol layer functions from client/binary, so the public API is unchanged', () => {
    expect(binary.utf8Encode).toBe(utf8.utf8Encode);
    expect(binary.utf8Decode).toBe(utf8.utf8Decode);
    expect(binary.isArrayBuffer).toBe(bytes.isArrayBuffer);
    expect(binary.toUint8Array).toBe(bytes.toUint8Array);
  });
});

describe('isArrayBuffer', () => {
  it('recognises ArrayBuffers from this realm and from another one', () => {
    const foreign: unknown = runInNewContext('new ArrayBuffer(4)');
    expect(foreign instanceof ArrayBuffer).toBe(false);
    expect(isArrayBuffer(foreign)).toBe(true);
    expect(isArrayBuffer(new ArrayBuffer(0))).toBe(true);
  });

  it('rejects views, array-likes and primitives', () => {
    for (const value of [new Uint8Array(2), new DataView(new ArrayBuffer(2)), { byteLength: 2 }, [1, 2], 'ab', null, undefined]) {
      expect(isArrayBuffer(value)).toBe(false);
    }
  });
});

describe('isBlob', () => {
  it('is true for a Blob and false for buffers and plain objects', () => {
    expect(isBlob(new Blob(['x']))).toBe(true);
    expect(isBlob(new ArrayBuffer(1))).toBe(false);
    expect(isBlob({ size: 1 })).toBe(false);
  });
});

describe('toUint8Array', () => {
  it('returns a view over the same memory that covers exactly the input view', () => {
    const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    const view = toUint8Array(new DataView(buffer, 2, 3));
    expect(bytesOf(view)).toEqual([2, 3, 4]);
    view[0] = 99;
    expect(new Uint8Array(buffer)[2]).toBe(99);
  });

  it('wraps a whole ArrayBuffer, also one from another realm, without copying', () => {
    const buffer = new ArrayBuffer(3);
    const view = toUint8Array(buffer);
    view[1] = 7;
    expect(new Uint8Array(buffer)[1]).toBe(7);
    const foreign = runInNewContext('new Uint8Array([9, 8]).buffer') as ArrayBuffer;
    expect(bytesOf(toUint8Array(foreign))).toEqual([9, 8]);
  });

  it('returns a Uint8Array input unchanged', () => {
    const bytes = new Uint8Array([1]);
    expect(toUint8Array(bytes)).toBe(bytes);
  });

  it('reinterprets wider typed arrays byte by byte', () => {
    const words = new Uint16Array([0x0102, 0x0304]);
    expect(toUint8Array(words).byteLength).toBe(4);
  });

  it('throws a TypeError for values that hold no bytes', () => {
    expect(() => toUint8Array('abc' as unknown as ArrayBuffer)).toThrow(TypeError);
    expect(() => toUint8Array({} as ArrayBuffer)).toThrow(/ArrayBuffer/);
  });
});

describe('toArrayBuffer', () => {
  it('copies exactly the bytes of a view with an offset, not the rest of its buffer', () => {
    const backing = new Uint8Array([10, 11, 12, 13, 14, 15]);
    const view = backing.subarray(2, 4);
    const result = toArrayBuffer(view);
    expect(result.byteLength).toBe(2);
    expect(bytesOf(new Uint8Array(result))).toEqual([12, 13]);
    backing[2] = 0;
    expect(new Uint8Array(result)[0]).toBe(12);
  });

  it('returns an ArrayBuffer input as is', () => {
    const buffer = new ArrayBuffer(2);
    expect(toArrayBuffer(buffer)).toBe(buffer);
  });

  it('throws a TypeError for non-binary input', () => {
    expect(() => toArrayBuffer(42 as unknown as ArrayBuffer)).toThrow(TypeError);
  });
});

describe('blobToArrayBuffer', () => {
  it('reads a Blob with blob.arrayBuffer()', async () => {
    const result = await blobToArrayBuffer(new Blob([new Uint8Array([1, 2, 3])]));
    expect(isArrayBuffer(result)).toBe(true);
    expect(bytesOf(new Uint8Array(result))).toEqual([1, 2, 3]);
  });

  it('falls back to FileReader when the Blob has no arrayBuffer method', async () => {
    const blob = new Blob(['hé']);
    Object.defineProperty(blob, 'arrayBuffer', { value: undefined });
    const spy = vi.spyOn(FileReader.prototype, 'readAsArrayBuffer');
    const result = await blobToArrayBuffer(blob);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(bytesOf(new Uint8Array(result))).toEqual([0x68, 0xc3, 0xa9]);
    spy.mockRestore();
  });
});

describe('byteLength', () => {
  it('counts UTF-8 bytes of strings: 1 to 4 per character, 3 for a lone surrogate', () => {
    expect(byteLength('')).toBe(0);
    expect(byteLength('abc')).toBe(3);
    expect(byteLength('é')).toBe(2);
    expect(byteLength('€')).toBe(3);
    expect(byteLength('😀')).toBe(4);
    expect(byteLength('\ud800')).toBe(3);
    expect(byteLength('\udc00\ud800')).toBe(6);
  });

  it('agrees with TextEncoder on random strings', () => {
    for (const s of randomStrings(300, 1)) expect(byteLength(s)).toBe(new RealTextEncoder().encode(s).length);
  });

  it('uses byteLength for buffers and views and size for blobs', () => {
    expect(byteLength(new ArrayBuffer(5))).toBe(5);
    expect(byteLength(new Uint32Array(3))).toBe(12);
    expect(byteLength(new Uint8Array(10).subarray(2, 5))).toBe(3);
    expect(byteLength(new Blob(['abcd']))).toBe(4);
  });

  it('throws a TypeError for values it cannot measure', () => {
    expect(() => byteLength(12 as unknown as string)).toThrow(TypeError);
  });
});

describe('utf8Encode', () => {
  it('encodes known characters and turns lone surrogates into U+FFFD', () => {
    expect(bytesOf(utf8Encode('a€😀'))).toEqual([0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect(bytesOf(utf8Encode('\ud800x'))).toEqual([0xef, 0xbf, 0xbd, 0x78]);
  });

  it('gives the same bytes as TextEncoder when the platform has none (pure fallback)', () => {
    const strings = randomStrings(300, 2);
    vi.stubGlobal('TextEncoder', undefined);
    for (const s of strings) expect(bytesOf(utf8Encode(s))).toEqual(Array.from(new RealTextEncoder().encode(s)));
  });
});

describe('utf8Decode', () => {
  const cases: Array<[string, number[], string]> = [
    ['multi-byte characters', [0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], 'aé€😀'],
    ['an overlong two-byte sequence', [0xc0, 0x80], '\ufffd\ufffd'],
    ['an overlong three-byte sequence', [0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
    ['a truncated sequence at the end', [0x61, 0xe2, 0x82], 'a\ufffd'],
    ['a truncated sequence before ASCII', [0xf0, 0x9f, 0x41], '\ufffdA'],
    ['a stray continuation byte', [0x80, 0x41], '\ufffdA'],
    ['a byte order mark, which is kept', [0xef, 0xbb, 0xbf, 0x41], '\ufeffA'],
  ];

  for (const [what, input, expected] of cases) {
    it(`decodes ${what} like a non-fatal TextDecoder, with and without one`, () => {
      expect(utf8Decode(new Uint8Array(input))).toBe(expected);
      vi.stubGlobal('TextDecoder', undefined);
      expect(utf8Decode(new Uint8Array(input))).toBe(expected);
    });
  }

  it('matches TextDecoder on random bytes when falling back to the pure decoder', () => {
    const random = createPrng(3).next;
    const inputs = Array.from({ length: 400 }, () =>
      // Bias towards bytes that start or continue multi-byte sequences.
      Uint8Array.from({ length: Math.floor(random() * 16) }, () => (random() < 0.5 ? 0x80 + Math.floor(random() * 0x80) : Math.floor(random() * 256))),
    );
    const expected = inputs.map((b) => new RealTextDecoder('utf-8', { ignoreBOM: true }).decode(b));
    vi.stubGlobal('TextDecoder', undefined);
    inputs.forEach((b, i) => expect(utf8Decode(b), `input ${bytesOf(b).join(',')}`).toBe(expected[i]));
  });

  it('decodes long input and input given as an ArrayBuffer or an offset view', () => {
    const text = 'é'.repeat(20_000) + '😀';
    const encoded = new RealTextEncoder().encode(text);
    vi.stubGlobal('TextDecoder', undefined);
    expect(utf8Decode(encoded.buffer)).toBe(text);
    expect(utf8Decode(new Uint8Array([0x20, 0x61, 0x62, 0x20]).subarray(1, 3))).toBe('ab');
  });
});

describe('concatBytes', () => {
  it('joins parts of any binary kind into one new array, in order', () => {
    const first = new Uint8Array([1, 2]);
    const joined = concatBytes(first, new Uint8Array([0, 3, 4]).subarray(1), new Uint8Array([5]).buffer);
    expect(bytesOf(joined)).toEqual([1, 2, 3, 4, 5]);
    joined[0] = 9;
    expect(first[0]).toBe(1);
  });

  it('returns an empty array for no parts', () => {
    expect(concatBytes().byteLength).toBe(0);
  });
});
