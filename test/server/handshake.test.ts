import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../src/server/errors.js';
import {
  acceptKey,
  checkUpgrade,
  rejectResponse,
  switchingProtocolsResponse,
  type HandshakeOptions,
  type UpgradeDecision,
  type UpgradeRequestLike,
} from '../../src/server/handshake.js';

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function request(headers: Record<string, string | string[] | undefined> = {}, overrides: Partial<UpgradeRequestLike> = {}): UpgradeRequestLike {
  return {
    method: 'GET',
    httpVersion: '1.1',
    headers: {
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': SAMPLE_KEY,
      'sec-websocket-version': '13',
      ...headers,
    },
    ...overrides,
  };
}

function expectRejected(decision: UpgradeDecision, status: number, headers: Record<string, string> = {}): HandshakeError {
  expect(decision.ok).toBe(false);
  if (decision.ok) throw new Error('unreachable');
  expect(decision.error).toBeInstanceOf(HandshakeError);
  expect(decision.error.status).toBe(status);
  expect(decision.error.headers).toEqual(headers);
  return decision.error;
}

describe('acceptKey', () => {
  it('computes the RFC 6455 §1.3 sample accept value', () => {
    expect(acceptKey(SAMPLE_KEY)).toBe(SAMPLE_ACCEPT);
  });
});

describe('checkUpgrade', () => {
  it('accepts the RFC 6455 sample request', () => {
    expect(checkUpgrade(request())).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
  });

  it('accepts header tokens in any case and inside lists', () => {
    const decision = checkUpgrade(request({ upgrade: 'h2c, WebSocket', connection: 'keep-alive, Upgrade' }));
    expect(decision).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
    expect(checkUpgrade(request({ upgrade: 'WEBSOCKET', connection: 'upgrade' })).ok).toBe(true);
  });

  it('accepts HTTP versions later than 1.1', () => {
    expect(checkUpgrade(request({}, { httpVersion: '2.0' })).ok).toBe(true);
    expect(checkUpgrade(request({}, { httpVersion: '1.2' })).ok).toBe(true);
    expect(checkUpgrade(request({}, { httpVersion: '10.0' })).ok).toBe(true);
    expect(checkUpgrade(request({}, { httpVersion: '1.10' })).ok).toBe(true);
  });

  it('accepts headers node:http hands over as arrays (repeated headers), joined as one list', () => {
    const decision = checkUpgrade(request({ connection: ['keep-alive', 'Upgrade'], upgrade: ['h2c', 'websocket'] }));
    expect(decision).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
  });

  it('accepts a key and version with surrounding whitespace', () => {
    expect(checkUpgrade(request({ 'sec-websocket-key': ` ${SAMPLE_KEY} `, 'sec-websocket-version': ' 13 ' }))).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
  });

  it.each(['POST', 'get', undefined])('rejects method %s with 405 and Allow: GET', (method) => {
    expectRejected(checkUpgrade(request({}, { method })), 405, { Allow: 'GET' });
  });

  it.each(['1.0', '0.9', '0.11', 'garbage', '', 'x1.1', '1.1x', '1', '1.', '.1'])('rejects HTTP version %j with 400', (httpVersion) => {
    expectRejected(checkUpgrade(request({}, { httpVersion })), 400);
  });

  it.each([undefined, '', '  '])('rejects a Host header of %j with 400', (host) => {
    expectRejected(checkUpgrade(request({ host })), 400);
  });

  it.each([undefined, 'h2c', 'websockets', ''])('rejects Upgrade %j with 400', (upgrade) => {
    expectRejected(checkUpgrade(request({ upgrade })), 400);
  });

  it.each([undefined, 'keep-alive', 'upgraded', ''])('rejects Connection %j with 400', (connection) => {
    expectRejected(checkUpgrade(request({ connection })), 400);
  });

  it.each([
    ['missing', undefined],
    ['15 bytes', Buffer.alloc(15, 1).toString('base64')],
    ['17 bytes', Buffer.alloc(17, 1).toString('base64')],
    ['not base64', 'dGhlIHNhbXBsZSBub25jZ!=='],
    ['unpadded', 'dGhlIHNhbXBsZSBub25jZQ'],
    ['repeated', [SAMPLE_KEY, SAMPLE_KEY]],
    ['a valid key with a character before it', `x${SAMPLE_KEY}`],
    ['a valid key with a character after it', `${SAMPLE_KEY}x`],
    ['a valid key with extra padding', `${SAMPLE_KEY}==`],
  ])('rejects a Sec-WebSocket-Key that is %s with 400', (_name, key) => {
    expectRejected(checkUpgrade(request({ 'sec-websocket-key': key })), 400);
  });

  it('accepts any 16-byte base64 key', () => {
    const key = Buffer.alloc(16, 0xab).toString('base64');
    expect(checkUpgrade(request({ 'sec-websocket-key': key }))).toEqual({ ok: true, accept: acceptKey(key) });
  });

  it.each([undefined, '8', '12', '14', '13, 8'])('rejects Sec-WebSocket-Version %j with 426 and Sec-WebSocket-Version: 13', (version) => {
    expectRejected(checkUpgrade(request({ 'sec-websocket-version': version })), 426, { 'Sec-WebSocket-Version': '13' });
  });

  it('checks the cheapest things first: a bad method wins over every other fault', () => {
    const decision = checkUpgrade({ method: 'PUT', httpVersion: '1.0', headers: {} });
    expectRejected(decision, 405, { Allow: 'GET' });
  });

  it('checks the key before the version', () => {
    expectRejected(checkUpgrade(request({ 'sec-websocket-key': 'short', 'sec-websocket-version': '8' })), 400);
  });

  describe('origins', () => {
    const allowList: HandshakeOptions = { origins: ['https://app.example.com'] };

    it('accepts an origin on the allow-list, ignoring case', () => {
      expect(checkUpgrade(request({ origin: 'https://app.example.com' }), allowList).ok).toBe(true);
      expect(checkUpgrade(request({ origin: 'HTTPS://APP.example.com' }), allowList).ok).toBe(true);
    });

    it('accepts an origin that is any one entry of a longer allow-list', () => {
      const two: HandshakeOptions = { origins: ['https://a.example.com', 'https://b.example.com'] };
      expect(checkUpgrade(request({ origin: 'https://a.example.com' }), two).ok).toBe(true);
      expect(checkUpgrade(request({ origin: 'https://b.example.com' }), two).ok).toBe(true);
      expectRejected(checkUpgrade(request({ origin: 'https://c.example.com' }), two), 403);
    });

    it('rejects an origin missing from the allow-list with 403', () => {
      expectRejected(checkUpgrade(request({ origin: 'https://evil.example.com' }), allowList), 403);
    });

    it('allows every origin when no allow-list is given', () => {
      expect(checkUpgrade(request({ origin: 'https://anywhere.example' }))).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
    });

    it('allows a request without an Origin header (non-browser client)', () => {
      expect(checkUpgrade(request(), allowList).ok).toBe(true);
    });

    it('asks a predicate and follows its answer', () => {
      const seen: string[] = [];
      const options: HandshakeOptions = { origins: (origin) => (seen.push(origin), origin.endsWith('.trusted.test')) };
      expect(checkUpgrade(request({ origin: 'https://a.trusted.test' }), options).ok).toBe(true);
      expectRejected(checkUpgrade(request({ origin: 'https://a.other.test' }), options), 403);
      expect(seen).toEqual(['https://a.trusted.test', 'https://a.other.test']);
    });

    it('answers 500 when the predicate throws', () => {
      const options: HandshakeOptions = { origins: () => { throw new Error('boom'); } };
      expectRejected(checkUpgrade(request({ origin: 'https://x.test' }), options), 500);
    });

    it('checks the version before the origin', () => {
      const decision = checkUpgrade(request({ origin: 'https://evil.example.com', 'sec-websocket-version': '8' }), allowList);
      expectRejected(decision, 426, { 'Sec-WebSocket-Version': '13' });
    });
  });

  describe('subprotocols', () => {
    const prefer = (wanted: string): HandshakeOptions => ({ selectProtocol: (offered) => offered.find((p) => p === wanted) });

    it('selects none by default, even when the client offers some', () => {
      expect(checkUpgrade(request({ 'sec-websocket-protocol': 'chat, superchat' }))).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
    });

    it('passes the offered list, trimmed and in order, and returns the choice', () => {
      let offeredSeen: string[] = [];
      const options: HandshakeOptions = { selectProtocol: (offered) => ((offeredSeen = offered), 'superchat') };
      const decision = checkUpgrade(request({ 'sec-websocket-protocol': 'chat,  superchat ' }), options);
      expect(offeredSeen).toEqual(['chat', 'superchat']);
      expect(decision).toEqual({ ok: true, accept: SAMPLE_ACCEPT, protocol: 'superchat' });
    });

    it('selects none when the selector returns undefined', () => {
      expect(checkUpgrade(request({ 'sec-websocket-protocol': 'chat' }), prefer('mqtt'))).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
    });

    it('does not call the selector when nothing is offered', () => {
      let calls = 0;
      const decision = checkUpgrade(request(), { selectProtocol: () => (calls++, 'chat') });
      expect(decision).toEqual({ ok: true, accept: SAMPLE_ACCEPT });
      expect(calls).toBe(0);
    });

    it('drops empty elements of the offered list', () => {
      let offeredSeen: string[] = [];
      const options: HandshakeOptions = { selectProtocol: (offered) => ((offeredSeen = offered), undefined) };
      checkUpgrade(request({ 'sec-websocket-protocol': ', chat,, superchat,' }), options);
      expect(offeredSeen).toEqual(['chat', 'superchat']);
    });

    it('does not call the selector for a header of only commas and spaces', () => {
      let calls = 0;
      expect(checkUpgrade(request({ 'sec-websocket-protocol': ' , ,' }), { selectProtocol: () => (calls++, undefined) }).ok).toBe(true);
      expect(calls).toBe(0);
    });

    it('hands the selector a copy: adding to it cannot make a protocol count as offered', () => {
      const options: HandshakeOptions = { selectProtocol: (offered) => (offered.push('evil'), 'evil') };
      expectRejected(checkUpgrade(request({ 'sec-websocket-protocol': 'chat' }), options), 500);
    });

    it.each(['chat, chat', 'ch at', 'chat, {bad}', 'chat, ch:at'])('rejects the protocol list %j with 400', (header) => {
      expectRejected(checkUpgrade(request({ 'sec-websocket-protocol': header }), prefer('chat')), 400);
    });

    it('answers 500 when the selector picks a protocol that was not offered', () => {
      expectRejected(checkUpgrade(request({ 'sec-websocket-protocol': 'chat' }), { selectProtocol: () => 'other' }), 500);
    });

    it('answers 500 when the selector throws', () => {
      const options: HandshakeOptions = { selectProtocol: () => { throw new Error('boom'); } };
      expectRejected(checkUpgrade(request({ 'sec-websocket-protocol': 'chat' }), options), 500);
    });
  });
});

describe('checkUpgrade: what each refusal says', () => {
  const throwing = (): never => {
    throw new Error('boom');
  };
  it.each([
    ['a POST', request({}, { method: 'POST' }), {}, 'Method Not Allowed: WebSocket upgrades use GET'],
    ['HTTP/1.0', request({}, { httpVersion: '1.0' }), {}, 'WebSocket upgrades need HTTP/1.1 or later'],
    ['no Host', request({ host: undefined }), {}, 'Missing Host header'],
    ['no Upgrade', request({ upgrade: undefined }), {}, 'Upgrade header must name "websocket"'],
    ['no Connection', request({ connection: undefined }), {}, 'Connection header must contain "Upgrade"'],
    ['a bad key', request({ 'sec-websocket-key': 'x' }), {}, 'Sec-WebSocket-Key must be the base64 encoding of 16 bytes'],
    ['version 8', request({ 'sec-websocket-version': '8' }), {}, 'Unsupported WebSocket version; this server speaks version 13'],
    ['a throwing origin check', request({ origin: 'https://x.test' }), { origins: throwing }, 'Origin check failed'],
    ['a foreign origin', request({ origin: 'https://x.test' }), { origins: ['https://y.test'] }, 'Origin not allowed'],
    ['a repeated protocol', request({ 'sec-websocket-protocol': 'a, a' }), { selectProtocol: () => 'a' }, 'Sec-WebSocket-Protocol must be a list of distinct tokens'],
    ['a throwing selector', request({ 'sec-websocket-protocol': 'a' }), { selectProtocol: throwing }, 'Subprotocol selection failed'],
    ['a protocol not offered', request({ 'sec-websocket-protocol': 'a' }), { selectProtocol: () => 'b' }, 'Selected subprotocol was not offered by the client'],
  ] as Array<[string, UpgradeRequestLike, HandshakeOptions, string]>)('%s', (_name, req, options, message) => {
    const decision = checkUpgrade(req, options);
    if (decision.ok) throw new Error('expected a refusal');
    expect(decision.error.message).toBe(message);
  });
});

describe('switchingProtocolsResponse', () => {
  it('writes the 101 response head ending in CRLF CRLF', () => {
    expect(switchingProtocolsResponse(SAMPLE_ACCEPT)).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    );
  });

  it('includes the selected subprotocol', () => {
    const head = switchingProtocolsResponse(SAMPLE_ACCEPT, 'chat');
    expect(head).toContain('\r\nSec-WebSocket-Protocol: chat\r\n');
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect(head.indexOf('\r\n\r\n')).toBe(head.length - 4);
  });

  it('throws RangeError for a protocol that could inject headers', () => {
    expect(() => switchingProtocolsResponse(SAMPLE_ACCEPT, 'chat\r\nSet-Cookie: x=1')).toThrow(RangeError);
    expect(() => switchingProtocolsResponse(SAMPLE_ACCEPT, 'a b')).toThrow('Subprotocol "a b" is not an HTTP token');
    expect(() => switchingProtocolsResponse(SAMPLE_ACCEPT, 'x chat')).toThrow(RangeError);
    expect(() => switchingProtocolsResponse(SAMPLE_ACCEPT, 'chat x')).toThrow(RangeError);
    expect(() => switchingProtocolsResponse(SAMPLE_ACCEPT, '')).toThrow(RangeError);
  });

  it('keeps CR and LF in the accept value from ending the header line', () => {
    expect(switchingProtocolsResponse('a\r\nb')).toContain('\r\nSec-WebSocket-Accept: a b\r\n\r\n');
  });
});

describe('rejectResponse', () => {
  it('writes status line, Connection: close, a text/plain body with its length, and the extra headers', () => {
    const text = rejectResponse(new HandshakeError(426, 'Use version 13', { 'Sec-WebSocket-Version': '13' }));
    const [head, body] = text.split('\r\n\r\n');
    expect(body).toBe('Use version 13');
    expect(head?.split('\r\n')).toEqual([
      'HTTP/1.1 426 Upgrade Required',
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 14',
      'Sec-WebSocket-Version: 13',
    ]);
  });

  it('counts Content-Length in UTF-8 bytes', () => {
    expect(rejectResponse(new HandshakeError(403, 'nié'))).toContain('\r\nContent-Length: 4\r\n');
  });

  it('writes 405 with Allow for the decision checkUpgrade returns', () => {
    const decision = checkUpgrade(request({}, { method: 'POST' }));
    if (decision.ok) throw new Error('expected a rejection');
    const text = rejectResponse(decision.error);
    expect(text.startsWith('HTTP/1.1 405 Method Not Allowed\r\n')).toBe(true);
    expect(text).toContain('\r\nAllow: GET\r\n');
  });

  it('cannot be split by CR or LF in a header value', () => {
    const text = rejectResponse(new HandshakeError(400, 'bad', { 'X-Note': 'a\r\nSet-Cookie: x=1' }));
    const head = text.split('\r\n\r\n')[0] ?? '';
    expect(head.split('\r\n').some((line) => line.startsWith('Set-Cookie'))).toBe(false);
  });

  it('answers 500 for a status that is not an HTTP error', () => {
    expect(rejectResponse(new HandshakeError(200, 'odd')).startsWith('HTTP/1.1 500 Internal Server Error\r\n')).toBe(true);
    expect(rejectResponse(new HandshakeError(399, 'odd')).startsWith('HTTP/1.1 500 ')).toBe(true);
    expect(rejectResponse(new HandshakeError(600, 'odd')).startsWith('HTTP/1.1 500 ')).toBe(true);
    expect(rejectResponse(new HandshakeError(404.5, 'odd')).startsWith('HTTP/1.1 500 ')).toBe(true);
  });

  it.each([
    [400, 'Bad Request'],
    [403, 'Forbidden'],
    [404, 'Not Found'],
    [405, 'Method Not Allowed'],
    [426, 'Upgrade Required'],
    [429, 'Too Many Requests'],
    [500, 'Internal Server Error'],
    [503, 'Service Unavailable'],
    [418, 'Error'],
    [599, 'Error'],
  ])('writes the status line of %i with its reason phrase %j', (status, phrase) => {
    expect(rejectResponse(new HandshakeError(status, 'x')).split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${phrase}`);
  });

  it('drops colons, CR and LF from header names, so a name cannot carry a value or a line of its own', () => {
    const text = rejectResponse(new HandshakeError(400, 'bad', { 'X-A:b\r\nSet-Cookie': 'v' }));
    const head = text.split('\r\n\r\n')[0] ?? '';
    expect(head.split('\r\n').at(-1)).toBe('X-Ab Set-Cookie: v');
  });

  it('replaces a run of CR and LF in a header value with one space', () => {
    const text = rejectResponse(new HandshakeError(400, 'bad', { 'X-Note': 'a\r\n\r\nb' }));
    expect(text).toContain('\r\nX-Note: a b\r\n');
  });
});
