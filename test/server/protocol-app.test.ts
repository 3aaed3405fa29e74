// @vitest-environment node
// The application half on its own, over fake sockets shaped like the `ws` package's (an
// EventEmitter with send/close/readyState/bufferedAmount) and over a custom channel (`open`).
// The real `ws` server with the real client is in test/e2e/ws-server.test.ts.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeEnvelope, encodeEnvelope, restoreBinary } from '../../src/protocol/envelope.js';
import { ClosedError } from '../../src/protocol/errors.js';
import { createApp, type Channel, type DefaultApi } from '../../src/server/index.js';

/** A stand-in for a `ws` WebSocket on the server side: records what is sent and closed. */
class FakeWs extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: Array<{ data: string | Uint8Array; binary: boolean }> = [];
  readonly closes: Array<[number | undefined, string | undefined]> = [];

  send(data: string | Uint8Array, options: { binary: boolean }): void {
    this.sent.push({ data, binary: options.binary });
  }

  close(code?: number, reason?: string): void {
    this.closes.push([code, reason]);
  }

  /** What arrives from the client, as ws 8 delivers it. */
  receive(data: string | Buffer | ArrayBuffer | Buffer[], isBinary?: boolean): void {
    this.emit('message', data, isBinary);
  }

  /** The socket closed, as ws reports it. */
  closed(code: number, reason = ''): void {
    this.readyState = 3;
    this.emit('close', code, Buffer.from(reason));
  }

  texts(): unknown[] {
    return this.sent.map(({ data }) => (typeof data === 'string' ? JSON.parse(data) : JSON.parse(Buffer.from(data).toString('utf8'))));
  }
}

afterEach(() => {
  vi.useRealTimers();
});

const request = (id: number | string, method: string, params?: unknown): string => JSON.stringify({ type: 'request', id, method, params });

describe('serve(): a ws-like socket', () => {
  it('answers heartbeats and requests, text frames as text', async () => {
    const app = createApp();
    app.handle('add', (params) => (params as number[]).reduce((a, b) => a + b, 0));
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive(Buffer.from('{"type":"ping","ts":42}'), false);
    ws.receive(Buffer.from(request(1, 'add', [1, 2, 3])), false);
    expect(ws.texts()).toEqual([
      { type: 'pong', ts: 42 },
      { type: 'response', id: 1, result: 6 },
    ]);
    expect(ws.sent.every(({ binary }) => !binary)).toBe(true);
  });

  it('reads what ws delivers: a Buffer, an ArrayBuffer, fragments, or a string without isBinary', () => {
    const app = createApp();
    app.handle('echo', (params) => params);
    const ws = new FakeWs();
    app.serve(ws);
    const bytes = Buffer.from(request('ab', 'echo', 'array buffer'));
    ws.receive(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, false);
    const whole = Buffer.from(request('fr', 'echo', 'fragments'));
    ws.receive([whole.subarray(0, 10), whole.subarray(10)], false);
    ws.receive(request('st', 'echo', 'string'));
    expect(ws.texts()).toEqual([
      { type: 'response', id: 'ab', result: 'array buffer' },
      { type: 'response', id: 'fr', result: 'fragments' },
      { type: 'response', id: 'st', result: 'string' },
    ]);
  });

  it('serving a socket twice returns the same peer and answers each request once', () => {
    const app = createApp();
    app.handle('one', () => 1);
    const ws = new FakeWs();
    expect(app.serve(ws)).toBe(app.serve(ws));
    ws.receive(Buffer.from(request(1, 'one')), false);
    expect(ws.sent).toHaveLength(1);
    expect(app.peers.size).toBe(1);
  });

  it('closes a slow consumer with 1013 instead of queueing more, and send() says false', () => {
    const app = createApp({ maxBufferedBytes: 1000 });
    const ws = new FakeWs();
    const peer = app.serve(ws);
    expect(peer.send('fits')).toBe(true);
    ws.bufferedAmount = 1001;
    expect(peer.send('one too many')).toBe(false);
    expect(peer.emit('news', 1)).toBe(false);
    expect(ws.closes[0]).toEqual([1013, 'slow consumer: send buffer full']);
    expect(ws.sent.map(({ data }) => data)).toEqual(['fits']);
    ws.bufferedAmount = 0;
    ws.readyState = 2; // closing: nothing more is sent
    expect(peer.send('late')).toBe(false);
  });

  it('rejects pending requests with ClosedError carrying the close code, removes its listeners and forgets the peer', async () => {
    const app = createApp();
    const ws = new FakeWs();
    const peer = app.serve(ws);
    const closes: Array<[number, string]> = [];
    app.on('close', (_peer, code, reason) => closes.push([code, reason]));
    const pending = peer.request('client.version').catch((e: unknown) => e);
    expect(ws.texts()).toEqual([{ type: 'request', id: 1, method: 'client.version' }]);
    ws.closed(4001, 'gone');
    const error = await pending;
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ code: 'CLOSED', closeCode: 4001, method: 'client.version', id: 1 });
    expect(closes).toEqual([[4001, 'gone']]);
    expect(app.peers.size).toBe(0);
    expect(ws.listenerCount('message') + ws.listenerCount('close')).toBe(0);
  });

  it('settles server-to-client requests with the client response, and times them out', async () => {
    vi.useFakeTimers();
    const app = createApp({ requestTimeout: 500 });
    const ws = new FakeWs();
    const peer = app.serve(ws);
    const answered = peer.request('client.version');
    ws.receive(Buffer.from('{"type":"response","id":1,"result":"1.0"}'), false);
    await expect(answered).resolves.toBe('1.0');
    const late = peer.request('client.version').catch((e: unknown) => e);
    vi.advanceTimersByTime(500);
    expect(await late).toMatchObject({ name: 'TimeoutError', code: 'TIMEOUT' });
  });

  it('a socket that is already closed is not served: its requests reject at once', async () => {
    const app = createApp();
    const ws = new FakeWs();
    ws.readyState = 3;
    const peer = app.serve(ws);
    expect(app.peers.size).toBe(0);
    await expect(peer.request('x')).rejects.toBeInstanceOf(ClosedError);
    expect(ws.sent).toEqual([]);
  });

  it('answers a binary envelope request in kind, with the bytes in place', () => {
    const app = createApp();
    app.handle('reverse', (params) => Uint8Array.from(params as Uint8Array).reverse());
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive(Buffer.from(encodeEnvelope({ type: 'request', id: 1, method: 'reverse', params: { $binary: 0 } }, [Uint8Array.of(1, 2, 3)])), true);
    const [reply] = ws.sent;
    expect(reply?.binary).toBe(true);
    const envelope = decodeEnvelope(reply?.data as Uint8Array);
    expect(envelope && restoreBinary(envelope.message, envelope.attachments)).toEqual({ type: 'response', id: 1, result: Uint8Array.of(3, 2, 1) });
  });
});

describe('application data', () => {
  it('goes to message listeners and is not echoed by default; misfit protocol shapes are data too', () => {
    const app = createApp();
    const seen: unknown[] = [];
    app.on('message', (data, isBinary) => seen.push([data, isBinary]));
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive(Buffer.from('hello'), false);
    ws.receive(Buffer.from('{"type":"event","name":"x"}'), false);
    ws.receive(Buffer.from([0, 1]), true);
    expect(seen).toEqual([
      ['hello', false],
      ['{"type":"event","name":"x"}', false],
      [Buffer.from([0, 1]), true],
    ]);
    expect(ws.sent).toEqual([]);
  });

  it('is echoed, text as text and binary as binary, with echo: true', () => {
    const app = createApp({ echo: true });
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive(Buffer.from('hello'), false);
    ws.receive(Buffer.from([7]), true);
    expect(ws.sent.map(({ data, binary }) => [Buffer.from(data).toString('hex'), binary])).toEqual([
      [Buffer.from('hello').toString('hex'), false],
      ['07', true],
    ]);
  });
});

describe('open(): a transport of your own', () => {
  function channel(): Channel & { sent: Array<[string | Uint8Array, boolean]>; closed: unknown[] } {
    const sent: Array<[string | Uint8Array, boolean]> = [];
    const closed: unknown[] = [];
    return { sent, closed, send: (data, binary) => (sent.push([data, binary]), true), close: (code, reason) => void closed.push([code, reason]) };
  }

  it('takes strings and bytes, fires connection and close once, and sends nothing after end()', async () => {
    const app = createApp<{ methods: { slow: { result: string } } }, string>();
    let finish: (value: string) => void = () => undefined;
    app.handle('slow', () => new Promise<string>((resolve) => (finish = resolve)));
    const events: string[] = [];
    app.on('connection', (_peer, socket) => events.push(`connection ${socket}`));
    app.on('close', (_peer, code, _reason, socket) => events.push(`close ${code} ${socket}`));
    const out = channel();
    const link = app.open(out, 'my-socket');
    link.receive('{"type":"ping","ts":1}');
    link.receive(Buffer.from(request(1, 'slow')), false);
    expect(out.sent).toEqual([['{"type":"pong","ts":1}', false]]);
    link.end(1001, 'away');
    link.end(1000);
    finish('too late');
    await Promise.resolve();
    link.receive('{"type":"ping","ts":2}');
    expect(out.sent).toHaveLength(1);
    expect(events).toEqual(['connection my-socket', 'close 1001 my-socket']);
    link.peer.close(1000, 'bye');
    expect(out.closed).toEqual([[1000, 'bye']]);
  });

  it('broadcast() and emit() reach every open peer, encoded once, and count them', () => {
    const app = createApp<DefaultApi, string>();
    const a = channel();
    const b = channel();
    app.open(a, 'a');
    const second = app.open(b, 'b');
    expect(app.emit('news', { n: 1 })).toBe(2);
    second.end();
    expect(app.broadcast(Uint8Array.of(5))).toBe(1);
    expect(a.sent.map(([data, binary]) => [Buffer.from(data).toString(), binary])).toEqual([
      ['{"type":"event","event":"news","data":{"n":1}}', false],
      ['\u0005', true],
    ]);
    expect(a.sent[0]?.[0]).toBe(b.sent[0]?.[0]);
  });
});

describe('registrations and options', () => {
  it('rejects bad handlers, event names and options', () => {
    const app = createApp();
    expect(() => app.handle('', () => 1)).toThrow(TypeError);
    expect(() => app.handle('x', 'no' as unknown as () => unknown)).toThrow(TypeError);
    expect(() => app.onEvent('', () => undefined)).toThrow(TypeError);
    expect(() => createApp({ requestTimeout: -1 })).toThrow(RangeError);
    expect(() => createApp({ maxBufferedBytes: Number.NaN })).toThrow(RangeError);
  });

  it('onEvent() listeners get data and sender until they unsubscribe; unregistered methods are METHOD_NOT_FOUND', () => {
    const app = createApp();
    const got: unknown[] = [];
    const off = app.onEvent('typing', (data, peer) => got.push([data, app.peers.has(peer)]));
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive('{"type":"event","event":"typing","data":"ann"}');
    off();
    ws.receive('{"type":"event","event":"typing","data":"bob"}');
    expect(got).toEqual([['ann', true]]);
    const remove = app.handle('gone', () => 1);
    remove();
    ws.receive(request(9, 'gone'));
    expect(ws.texts()).toEqual([{ type: 'response', id: 9, error: { code: 'METHOD_NOT_FOUND', message: 'no handler for method "gone"' } }]);
  });

  it('reports a throwing listener as an error event with its peer and socket, and answers the frames after it', () => {
    const app = createApp();
    const errors: unknown[] = [];
    app.on('error', (error, peer, socket) => errors.push([(error as { code?: string }).code, (error as Error).message, app.peers.has(peer), socket === ws]));
    app.on('connection', () => {
      throw new Error('bug');
    });
    app.on('message', () => {
      throw new Error('bug');
    });
    app.onEvent('typing', () => {
      throw new Error('bug');
    });
    app.handle('add', (params) => (params as number[])[0]! + (params as number[])[1]!);
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive('{"type":"event","event":"typing","data":"ann"}');
    ws.receive('plain text');
    ws.receive(request(1, 'add', [2, 3]));
    expect(ws.texts()).toEqual([{ type: 'response', id: 1, result: 5 }]);
    expect(errors).toEqual([
      ['LISTENER', 'a "connection" listener threw', true, true],
      ['LISTENER', 'an onEvent("typing") listener threw', true, true],
      ['LISTENER', 'a "message" listener threw', true, true],
    ]);
    app.on('close', () => {
      throw new Error('bug');
    });
    ws.closed(1000);
    // The peer is gone by then; the socket is still named.
    expect(errors.at(-1)).toEqual(['LISTENER', 'a "close" listener threw', false, true]);
  });

  it('re-raises what a throwing error listener throws in a microtask, after the other listeners ran', async () => {
    const app = createApp();
    const raised: unknown[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      try {
        task();
      } catch (error) {
        raised.push(error);
      }
    });
    const seen: string[] = [];
    const bug = new Error('bug in an error listener');
    app.on('error', () => {
      throw bug;
    });
    app.on('error', (error) => seen.push((error as Error).message));
    app.onEvent('typing', () => {
      throw new Error('first');
    });
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive('{"type":"event","event":"typing"}');
    ws.receive('{"type":"ping","ts":1}');
    spy.mockRestore();
    expect(seen).toEqual(['an onEvent("typing") listener threw']);
    expect(raised).toEqual([bug]);
    expect(ws.texts()).toEqual([{ type: 'pong', ts: 1 }]);
  });

  it('answers a result it cannot encode with INTERNAL and reports it', () => {
    const app = createApp();
    const errors: Error[] = [];
    app.on('error', (error) => errors.push(error));
    app.handle('big', () => 10n);
    const ws = new FakeWs();
    app.serve(ws);
    ws.receive(request(1, 'big'));
    expect(ws.texts()).toEqual([{ type: 'response', id: 1, error: { code: 'INTERNAL', message: 'internal error' } }]);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });
});

describe('sessions on an app (the same layer as createServer)', () => {
  const hello = (id: string | null, ack: number) => JSON.stringify({ type: 'session', id, ack });
  const frames = (ws: FakeWs) => ws.sent.map(({ data, binary }) => (binary ? [...(data as Uint8Array)] : Buffer.from(data as string).toString('utf8')));

  it('is off for a client without session(): nothing counted, no layer, sessionId undefined', () => {
    const app = createApp({ echo: true });
    const ws = new FakeWs();
    const peer = app.serve(ws);
    ws.receive(Buffer.from('plain'), false);
    expect(frames(ws)).toEqual(['plain']);
    expect(app.sessionId(peer)).toBeUndefined();
    expect(app.sessions?.attached).toBe(0);
    app.sessions?.close();
  });

  it('answers a hello with a welcome, numbers what it sends, drops a re-sent frame and replays on the next link', () => {
    vi.useFakeTimers();
    const app = createApp({ echo: true, sessions: { ackEvery: 2 } });
    const seen: string[] = [];
    app.on('message', (data) => void seen.push(String(data)));
    const a = new FakeWs();
    const peerA = app.serve(a);
    a.receive(Buffer.from(hello(null, 0)), false);
    const welcome = JSON.parse(frames(a)[0] as string) as { id: string; resumed: boolean; reason: string };
    expect(welcome).toMatchObject({ type: 'session', resumed: false, reason: 'new', ack: 0, seq: 0 });
    expect(app.sessionId(peerA)).toBe(welcome.id);
    a.receive(Buffer.from('c1'), false);
    a.receive(Buffer.from('{"type":"ping","ts":5}'), false); // a heartbeat: answered, never counted
    a.receive(Buffer.from('c2'), false);
    expect(frames(a).slice(1)).toEqual(['c1', '{"type":"pong","ts":5}', '{"type":"session","ack":2}', 'c2']); // the ack batch is due with c2
    a.closed(1006);
    // Sent while the client is away: kept by the session, not lost with the peer.
    expect(app.sessions?.send(welcome.id, 's-away')).toBe(true);
    const b = new FakeWs();
    const peerB = app.serve(b);
    b.receive(Buffer.from(hello(welcome.id, 1)), false); // it got the echo of c1 only
    expect(frames(b)).toEqual([JSON.stringify({ type: 'session', id: welcome.id, resumed: true, ack: 2, seq: 1 }), 'c2', 's-away']);
    b.receive(Buffer.from('c3'), false);
    expect(seen).toEqual(['c1', 'c2', 'c3']);
    expect(app.sessionId(peerB)).toBe(welcome.id);
    expect(app.sessions?.attached).toBe(1);
    app.sessions?.close();
  });

  it('closes the old link with 1001 when another one resumes its session, and a late answer on it reaches the new link', async () => {
    const app = createApp({ sessions: {} });
    let finish: (value: string) => void = () => undefined;
    app.handle('slow', () => new Promise<string>((resolve) => (finish = resolve)));
    const a = new FakeWs();
    app.serve(a);
    a.receive(Buffer.from(hello(null, 0)), false);
    const { id } = JSON.parse(frames(a)[0] as string) as { id: string };
    a.receive(Buffer.from(request(1, 'slow')), false);
    const b = new FakeWs();
    app.serve(b);
    b.receive(Buffer.from(hello(id, 0)), false);
    expect(a.closes).toEqual([[1001, 'session resumed on another link']]);
    a.receive(Buffer.from(request(2, 'slow')), false); // not the session's any more: dropped
    a.closed(1001);
    finish('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames(b).slice(1)).toEqual([JSON.stringify({ type: 'response', id: 1, result: 'done' })]);
    expect(frames(a)).toHaveLength(1);
    app.sessions?.close();
  });

  it('works over open() with string frames too, and with sessions: false a hello is application data', () => {
    const app = createApp<DefaultApi, object>({ echo: true });
    const sent: Array<string | Uint8Array> = [];
    const link = app.open({ send: (data) => sent.push(data) > 0, close: () => undefined }, {});
    link.receive(hello(null, 0));
    link.receive('x');
    expect(JSON.parse(Buffer.from(sent[0] as Uint8Array).toString('utf8'))).toMatchObject({ type: 'session', resumed: false });
    expect(Buffer.from(sent[1] as Uint8Array).toString('utf8')).toBe('x');
    link.end();
    expect(app.sessions?.attached).toBe(0);
    app.sessions?.close();

    const off = createApp<DefaultApi, object>({ echo: true, sessions: false });
    const echoed: Array<string | Uint8Array> = [];
    off.open({ send: (data) => echoed.push(data) > 0, close: () => undefined }, {}).receive(hello(null, 0));
    expect(echoed).toEqual([hello(null, 0)]);
    expect(off.sessions).toBeUndefined();
  });

  it('throws RangeError for a bad sessions limit', () => {
    expect(() => createApp({ sessions: { ttl: -1 } })).toThrow(RangeError);
  });
});
