import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64Decode, base64Encode } from '../../src/binary/base64';

const bytesOf = (view: Uint8Array): number[] => Array.from(view);
/** A deterministic byte pattern that walks through all 256 values. */
const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 255);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('base64Encode', () => {
  // RFC 4648 §10 test vectors.
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of vectors) {
    it(`encodes ${JSON.stringify(plain)} as ${JSON.stringify(encoded)} (RFC 4648 §10)`, () => {
      expect(base64Encode(new TextEncoder().encode(plain))).toBe(encoded);
      expect(bytesOf(base64Decode(encoded))).toEqual(Array.from(new TextEncoder().encode(plain)));
    });
  }

  it('matches Node Buffer output for every length from 0 to 70, in both alphabets', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = pattern(length);
      expect(base64Encode(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64Encode(bytes, { url: true })).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });

  it('works without btoa, which mini-programs lack', () => {
    vi.stubGlobal('btoa', undefined);
    vi.stubGlobal('atob', undefined);
    expect(base64Encode(new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
    expect(bytesOf(base64Decode('+/8='))).toEqual([0xfb, 0xff]);
  });

  it('encodes only the bytes a view covers', () => {
    const view = new Uint8Array([0, 0x66, 0x6f, 0]).subarray(1, 3);
    expect(base64Encode(view)).toBe('Zm8=');
    expect(base64Encode(view.buffer)).toBe('AGZvAA==');
  });
});

describe('base64Decode', () => {
  it('round-trips every length from 0 to 70', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = pattern(length);
      expect(bytesOf(base64Decode(base64Encode(bytes)))).toEqual(bytesOf(bytes));
      expect(bytesOf(base64Decode(base64Encode(bytes, { url: true })))).toEqual(bytesOf(bytes));
    }
  });

  it('accepts input without padding and the base64url alphabet', () => {
    expect(bytesOf(base64Decode('Zg'))).toEqual([0x66]);
    expect(bytesOf(base64Decode('Zm8'))).toEqual([0x66, 0x6f]);
    expect(bytesOf(base64Decode('-_8'))).toEqual([0xfb, 0xff]);
  });

  it('ignores the unused low bits of the last character, as atob does', () => {
    expect(bytesOf(base64Decode('Zh=='))).toEqual([0x66]);
    expect(bytesOf(base64Decode('Zm9'))).toEqual([0x66, 0x6f]);
  });

  it('returns an array that owns exactly its buffer, also when padding or whitespace shortened it', () => {
    for (const text of ['Zm9vYmFy', 'Zg==', 'Zm8=', ' Zm9v\r\nYmE= ', '']) {
      const decoded = base64Decode(text);
      expect(decoded.byteOffset).toBe(0);
      expect(decoded.buffer.byteLength).toBe(decoded.byteLength);
    }
  });

  it('ignores ASCII whitespace such as MIME line breaks', () => {
    expect(bytesOf(base64Decode(' Zm9v\r\nYmFy\t'))).toEqual(Array.from(new TextEncoder().encode('foobar')));
  });

  it('throws a TypeError naming an invalid character and its position', () => {
    expect(() => base64Decode('Zm9v!mFy')).toThrow(new TypeError('base64: "!" at 4'));
    expect(() => base64Decode('Zm9vé')).toThrow(TypeError);
  });

  it('throws a TypeError for data after padding, a wrong amount of padding, or an impossible length', () => {
    // The first character after the padding is named like an invalid one.
    expect(() => base64Decode('Zg==Zg==')).toThrow(new TypeError('base64: "Z" at 4'));
    expect(() => base64Decode('Zg=')).toThrow(/padding/);
    expect(() => base64Decode('Zm9v=')).toThrow(/padding/);
    expect(() => base64Decode('Zm9v====')).toThrow(/padding/);
    expect(() => base64Decode('Zm9vY')).toThrow(/length/);
  });
});
