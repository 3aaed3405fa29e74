import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify, decodeText, encodeError, encodePing, encodePong, isId, safeJsonParse } from '../../src/protocol/wire';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('decodeText', () => {
  it('recognises every CONTRACT shape, also with JSON whitespace around the type', () => {
    expect(decodeText('{"type":"ping","ts":1}')).toEqual({ kind: 'protocol', message: { type: 'ping', ts: 1 } });
    expect(decodeText('\n {"ts":2, "type" :\t"pong"}')).toEqual({ kind: 'protocol', message: { type: 'pong', ts: 2 } });
    expect(decodeText('{"type":"request","id":"a","method":"m","params":[1]}')).toEqual({
      kind: 'protocol',
      message: { type: 'request', id: 'a', method: 'm', params: [1] },
    });
    expect(decodeText('{"type":"response","id":1,"result":null}')).toEqual({ kind: 'protocol', message: { type: 'response', id: 1, result: null } });
    expect(decodeText('{"type":"event","event":"e"}')).toEqual({ kind: 'protocol', message: { type: 'event', event: 'e', data: undefined } });
  });

  it('still recognises a type spelled with escapes', () => {
    expect(decodeText(String.raw`{"type":"\u0070ing","ts":1}`)).toEqual({ kind: 'protocol', message: { type: 'ping', ts: 1 } });
    expect(decodeText(String.raw`{"type":"ev\u0065nt","event":"e"}`)).toMatchObject({ kind: 'protocol', message: { type: 'event' } });
  });

  it('never parses application JSON whose type is not a protocol type, wherever "type" sits', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const texts = [
      '{"type":"chat.message","text":"hi"}',
      '{"type":"pingpong"}',
      '{"type":"events","list":[{"type":"eventual"}]}',
      '{"kind":"x","type":1}',
      '[{"type":"ping","ts":1}]',
      'plain "type":"ping" text',
      '',
    ];
    for (const text of texts) expect(decodeText(text)).toEqual({ kind: 'data' });
    expect(parse).not.toHaveBeenCalled();
  });

  it('parses, then passes through, JSON that only nests a protocol type or is not JSON', () => {
    for (const text of ['{"kind":"x","data":{"type":"event","event":"e"}}', '{"type":"ping" broken', '{"a":1,"type":"request"']) {
      expect(decodeText(text)).toEqual({ kind: 'data' });
    }
  });

  it('reports a broken protocol shape, naming the type and the first bad member', () => {
    const cases: Array<[string, string]> = [
      ['{"type":"ping"}', 'ping: bad ts'],
      ['{"type":"pong","ts":"1"}', 'pong: bad ts'],
      ['{"type":"request","method":"m"}', 'request: bad id'],
      ['{"type":"request","id":"","method":"m"}', 'request: bad id'],
      ['{"type":"request","id":1,"method":""}', 'request: bad method'],
      ['{"type":"response","id":null,"result":1}', 'response: bad id'],
      ['{"type":"response","id":1}', 'response: bad result'],
      ['{"type":"response","id":1,"error":{"code":true,"message":"x"}}', 'response: bad error'],
      ['{"type":"response","id":1,"error":{"code":1}}', 'response: bad error'],
      ['{"type":"response","id":1,"error":"oops"}', 'response: bad error'],
      ['{"type":"event","data":1}', 'event: bad event'],
    ];
    for (const [text, reason] of cases) expect(decodeText(text), text).toEqual({ kind: 'invalid', reason });
  });
});

describe('classify', () => {
  it('keeps only the CONTRACT members, and error data when sent', () => {
    expect(classify({ type: 'ping', ts: 3, extra: 1 })).toEqual({ kind: 'protocol', message: { type: 'ping', ts: 3 } });
    expect(classify({ type: 'response', id: 2, error: { code: 'E', message: 'm', data: [1], more: 2 }, result: 5 })).toEqual({
      kind: 'protocol',
      message: { type: 'response', id: 2, error: { code: 'E', message: 'm', data: [1] } },
    });
    expect(classify({ type: 'response', id: 2, error: null, result: 5 })).toEqual({ kind: 'protocol', message: { type: 'response', id: 2, result: 5 } });
  });

  it('passes through what is not an object with a protocol type', () => {
    for (const value of [null, 1, 'ping', [], { type: 'other' }, { type: ['ping'] }]) expect(classify(value)).toEqual({ kind: 'data' });
  });
});

describe('isId', () => {
  it('accepts non-empty strings and finite numbers only', () => {
    expect([1, 0, -1.5, 'a'].map(isId)).toEqual([true, true, true, true]);
    expect(['', NaN, Infinity, null, undefined, {}, ['1']].map(isId)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('safeJsonParse', () => {
  it('returns undefined for text that is not JSON instead of throwing', () => {
    expect(safeJsonParse('{')).toBeUndefined();
    expect(safeJsonParse('[1]')).toEqual([1]);
  });

  it('drops __proto__, constructor and prototype keys, also escaped, and keeps everything else', () => {
    const value = safeJsonParse(String.raw`{"\u005f_proto__":{"x":1},"constructor":2,"a":{"prototype":3,"b":"__proto__"}}`) as Record<string, unknown>;
    expect(value).toEqual({ a: { b: '__proto__' } });
    expect(Object.keys(value)).toEqual(['a']);
  });
});

describe('encoders', () => {
  it('write the CONTRACT heartbeat and error shapes', () => {
    expect(encodePing(5)).toBe('{"type":"ping","ts":5}');
    expect(encodePong(5)).toBe('{"type":"pong","ts":5}');
    expect(encodeError('x', { code: 'E', message: 'm' })).toBe('{"type":"response","id":"x","error":{"code":"E","message":"m"}}');
  });
});
