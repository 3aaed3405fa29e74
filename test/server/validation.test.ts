import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/server/errors.js';
import { Utf8Validator, isValidCloseCode, isValidUtf8, parseClosePayload, validateUtf8 } from '../../src/server/validation.js';
import { hex } from '../helpers/frames.js';

describe('isValidCloseCode', () => {
  it.each([
    [0, false],
    [999, false],
    [1000, true],
    [1001, true],
    [1003, true],
    [1004, false],
    [1005, false],
    [1006, false],
    [1007, true],
    [1011, true],
    [1014, true],
    [1015, false],
    [1016, false],
    [2999, false],
    [3000, true],
    [4000, true],
    [4999, true],
    [5000, false],
    [65535, false],
  ])('classifies %i as valid=%s', (code, valid) => {
    expect(isValidCloseCode(code)).toBe(valid);
  });

  it('rejects non-integers and NaN', () => {
    expect(isValidCloseCode(1000.5)).toBe(false);
    expect(isValidCloseCode(Number.NaN)).toBe(false);
  });
});

const utf8Cases: Array<[string, string, boolean]> = [
  ['empty', '', true],
  ['ASCII', '48656c6c6f', true],
  ['2-byte é', 'c3a9', true],
  ['3-byte €', 'e282ac', true],
  ['4-byte 😀', 'f09f9880', true],
  ['U+10FFFF, the last code point', 'f48fbfbf', true],
  ['U+D7FF just below the surrogates', 'ed9fbf', true],
  ['U+E000 just above the surrogates', 'ee8080', true],
  ['mixed text', '68c3a9e282acf09f988021', true],
  ['overlong 2-byte NUL (C0 80)', 'c080', false],
  ['overlong 2-byte (C1 BF)', 'c1bf', false],
  ['overlong 3-byte (E0 80 80)', 'e08080', false],
  ['overlong 3-byte (E0 9F BF)', 'e09fbf', false],
  ['overlong 4-byte (F0 8F BF BF)', 'f08fbfbf', false],
  ['surrogate U+D800 (ED A0 80)', 'eda080', false],
  ['surrogate U+DFFF (ED BF BF)', 'edbfbf', false],
  ['above U+10FFFF (F4 90 80 80)', 'f4908080', false],
  ['lead byte F5', 'f5808080', false],
  ['byte FF', 'ff', false],
  ['stray continuation byte', '80', false],
  ['truncated 2-byte', 'c3', false],
  ['truncated 3-byte', 'e282', false],
  ['truncated 4-byte', 'f09f98', false],
  ['lead byte followed by ASCII', 'c341', false],
  // The edges of each lead-byte range, and the second-byte ranges that differ per lead byte.
  ['U+0080, the first 2-byte code point (C2 80)', 'c280', true],
  ['U+07FF, the last 2-byte code point (DF BF)', 'dfbf', true],
  ['U+0800, the first 3-byte code point (E0 A0 80)', 'e0a080', true],
  ['U+1800: E1 lead with a second byte of A0', 'e1a080', true],
  ['U+CFFF: EC lead with a second byte of BF', 'ecbfbf', true],
  ['U+D000: ED lead with a second byte of 80', 'ed8080', true],
  ['U+FFFF, the last 3-byte code point (EF BF BF)', 'efbfbf', true],
  ['U+10000, the first 4-byte code point (F0 90 80 80)', 'f0908080', true],
  ['U+40000: F1 lead with a second byte of 80', 'f1808080', true],
  ['U+FFFFF: F3 lead with a second byte of BF', 'f3bfbfbf', true],
  ['U+100000: F4 lead with a second byte of 80', 'f4808080', true],
  ['three stray continuation bytes (80 80 80)', '808080', false],
  ['four stray continuation bytes (80 80 80 80)', '80808080', false],
  ['an overlong 2-byte lead followed by three continuations (C1 80 80 80)', 'c1808080', false],
  ['a continuation byte above BF after a 2-byte lead (DF C0)', 'dfc0', false],
  ['a continuation byte above BF after E1 (E1 C0 80)', 'e1c080', false],
  ['a third byte above BF after E0 A0 (E0 A0 C0)', 'e0a0c0', false],
  ['a third byte below 80 after E0 A0 (E0 A0 7F)', 'e0a07f', false],
  ['a third byte below 80 after F0 90 (F0 90 7F 80)', 'f0907f80', false],
  ['a fourth byte above BF after F4 8F BF (F4 8F BF C0)', 'f48fbfc0', false],
  ['a lead byte where a continuation is due (C2 C2 80)', 'c2c280', false],
  ['a valid code point after a 3-byte one with a narrow range (E0 A0 80 E1 80 80)', 'e0a080e18080', true],
];

describe('isValidUtf8', () => {
  it.each(utf8Cases)('%s -> %s', (_name, bytes, valid) => {
    expect(isValidUtf8(hex(bytes))).toBe(valid);
  });
});

describe('validateUtf8 (the fallback without node:buffer isUtf8)', () => {
  it.each(utf8Cases)('%s -> %s', (_name, bytes, valid) => {
    expect(validateUtf8(hex(bytes))).toBe(valid);
  });
});

describe('Utf8Validator', () => {
  it.each(utf8Cases)('agrees with the table in one push: %s -> %s', (_name, bytes, valid) => {
    const v = new Utf8Validator();
    expect(v.push(hex(bytes)) && v.end()).toBe(valid);
  });

  it.each(utf8Cases)('agrees with the table byte by byte: %s -> %s', (_name, bytes, valid) => {
    const v = new Utf8Validator();
    let ok = true;
    for (const b of hex(bytes)) ok = v.push(Uint8Array.of(b)) && ok;
    expect(ok && v.end()).toBe(valid);
  });

  it.each([
    ['2 pushes', [[0xf0, 0x9f], [0x98, 0x80]]],
    ['3 pushes', [[0xf0], [0x9f, 0x98], [0x80]]],
    ['4 pushes', [[0xf0], [0x9f], [0x98], [0x80]]],
  ])('accepts a 4-byte code point split across %s', (_name, parts) => {
    const v = new Utf8Validator();
    for (const part of parts) expect(v.push(Uint8Array.from(part))).toBe(true);
    expect(v.end()).toBe(true);
  });

  it('reports end() false while a split code point is unfinished', () => {
    const v = new Utf8Validator();
    expect(v.push(Uint8Array.of(0x61, 0xf0, 0x9f))).toBe(true);
    expect(v.end()).toBe(false);
    expect(v.push(Uint8Array.of(0x98, 0x80))).toBe(true);
    expect(v.end()).toBe(true);
  });

  it('fails in the push where the invalid byte appears, not later', () => {
    const v = new Utf8Validator();
    expect(v.push(Buffer.from('valid text '))).toBe(true);
    expect(v.push(Uint8Array.of(0xed))).toBe(true);
    // ED A0 is the start of a UTF-16 surrogate: wrong as soon as A0 arrives.
    expect(v.push(Uint8Array.of(0xa0, 0x80))).toBe(false);
  });

  it('detects an overlong split right after its lead byte', () => {
    const v = new Utf8Validator();
    expect(v.push(Uint8Array.of(0xe0))).toBe(true);
    expect(v.push(Uint8Array.of(0x80))).toBe(false);
  });

  it('stays failed after an invalid push until reset()', () => {
    const v = new Utf8Validator();
    expect(v.push(Uint8Array.of(0xff))).toBe(false);
    expect(v.push(Buffer.from('ok'))).toBe(false);
    expect(v.end()).toBe(false);
    v.reset();
    expect(v.push(Buffer.from('ok'))).toBe(true);
    expect(v.end()).toBe(true);
  });

  it('forgets an unfinished sequence on reset()', () => {
    const v = new Utf8Validator();
    v.push(Uint8Array.of(0xe2, 0x82));
    v.reset();
    expect(v.push(Buffer.from('a'))).toBe(true);
    expect(v.end()).toBe(true);
  });
});

describe('parseClosePayload', () => {
  it('reads an empty payload as 1005 (no status) with an empty reason', () => {
    expect(parseClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: '' });
  });

  it('reads the code and the UTF-8 reason', () => {
    expect(parseClosePayload(Buffer.concat([hex('03e8'), Buffer.from('bye 👋')]))).toEqual({ code: 1000, reason: 'bye 👋' });
    expect(parseClosePayload(hex('0fa0'))).toEqual({ code: 4000, reason: '' });
  });

  it('reads a payload that is a view into a larger buffer', () => {
    const backing = hex('ff ff 0bb8 6f6b ff');
    expect(parseClosePayload(backing.subarray(2, 6))).toEqual({ code: 3000, reason: 'ok' });
  });

  it.each([
    ['a 1-byte payload', '03', 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002, 'Close frame payload of 1 byte has no room for a status code'],
    ['code 1005', '03ed', 'WS_ERR_INVALID_CLOSE_CODE', 1002, 'Invalid close code 1005'],
    ['code 1006', '03ee', 'WS_ERR_INVALID_CLOSE_CODE', 1002, 'Invalid close code 1006'],
    ['code 999', '03e7', 'WS_ERR_INVALID_CLOSE_CODE', 1002, 'Invalid close code 999'],
    ['code 5000', '1388', 'WS_ERR_INVALID_CLOSE_CODE', 1002, 'Invalid close code 5000'],
    ['a reason that is not UTF-8', '03e8 c3', 'WS_ERR_INVALID_UTF8', 1007, 'Close reason is not valid UTF-8'],
    ['a surrogate in the reason', '03e8 eda080', 'WS_ERR_INVALID_UTF8', 1007, 'Close reason is not valid UTF-8'],
  ])('returns a ProtocolError for %s', (_name, bytes, code, closeCode, message) => {
    const result = parseClosePayload(hex(bytes));
    expect(result).toBeInstanceOf(ProtocolError);
    expect(result).toMatchObject({ code, closeCode, message });
  });
});
