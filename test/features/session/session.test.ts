// session(): counting, acks, the outbox and resuming, on the fake WebSocket with fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions } from '../../../src/core/connect';
import type { DropReason } from '../../../src/core/events';
import type { Feature, FeatureHost } from '../../../src/core/feature';
import { rpc } from '../../../src/features/rpc/rpc';
import { session, type SessionEvent, type SessionOptions } from '../../../src/features/session/session';
import type { HoldfastError } from '../../../src/protocol/errors';
import { createFakeWebSocket, type FakeWebSocket } from '../../helpers/client-fake-ws';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

const welcome = (fields: Record<string, unknown>) => JSON.stringify({ type: 'session', id: 's1', resumed: false, ack: 0, seq: 0, reason: 'new', ...fields });
const ack = (n: number) => `{"type":"session","ack":${n}}`;

function setup(options: SessionOptions = {}, core: Omit<ConnectOptions, 'use'> = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, random: () => 0, backoff: { initialDelay: 10 }, ...core, use: [session(options)] });
  const events: SessionEvent[] = [];
  const errors: HoldfastError[] = [];
  const drops: Array<{ data: unknown; reason: DropReason }> = [];
  const messages: unknown[] = [];
  socket.onSession((e) => void events.push(e));
  socket.on('error', (e) => void errors.push(e));
  socket.on('drop', (d) => void drops.push(d));
  socket.on('message', (m) => void messages.push(m));
  /** Opens the next link and answers its hello with `fields`. */
  const link = async (fields?: Record<string, unknown>): Promise<FakeWebSocket> => {
    await tick(10);
    const ws = kit.last();
    ws.open();
    if (fields) ws.receive(welcome(fields));
    return ws;
  };
  return { kit, socket, events, errors, drops, messages, link };
}

describe('session(): the handshake', () => {
  it('writes the hello before anything queued, holds messages until the welcome, then sends them in order', async () => {
    const { socket, events, link } = setup();
    socket.send('a');
    const ws = await link();
    expect(ws.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    expect(socket.session.state).toBe('handshake');
    expect(socket.send('b')).toBe('queued');
    ws.receive(welcome({}));
    expect(ws.sent.slice(1)).toEqual(['a', 'b']);
    expect(events).toEqual([{ id: 's1', resumed: false, reason: 'new', resent: 2 }]);
    expect(socket.send('c')).toBe('sent');
    expect(ws.sent.at(-1)).toBe('c');
    expect(socket.session).toMatchObject({ id: 's1', state: 'active', outbox: { length: 3, bytes: 3 }, acked: 0 });
    socket.close();
  });

  it('counts application frames only (not heartbeats, session frames or frames before the welcome) and acks after ackEvery', async () => {
    const { socket, messages, link } = setup({ ackEvery: 3, ackDelay: 1000 });
    const ws = await link();
    ws.receive('before'); // outside the session
    ws.receive(welcome({}));
    ws.receive('1');
    ws.receive('{"type":"ping","ts":5}'); // answered by the core, not counted
    ws.receive(new Uint8Array([1]).buffer);
    expect(ws.sent.filter((f) => typeof f === 'string' && f.includes('"ack"') && !f.includes('id'))).toEqual([]);
    ws.receive('3');
    expect(ws.sent).toContain(ack(3));
    expect(socket.session.received).toBe(3);
    expect(messages).toEqual(['before', '1', expect.any(ArrayBuffer), '3']);
    socket.close();
  });

  it('acks ackDelay ms after the first unacknowledged frame when fewer than ackEvery arrive', async () => {
    const { socket, link } = setup({ ackEvery: 64, ackDelay: 100 });
    const ws = await link({});
    ws.receive('x');
    await tick(99);
    expect(ws.sent).not.toContain(ack(1));
    await tick(1);
    expect(ws.sent).toContain(ack(1));
    const before = ws.sent.length;
    await tick(500); // nothing new: no more acks
    expect(ws.sent.length).toBe(before);
    socket.close();
  });

  it('drops what the server acknowledges from the outbox and reports a bad ack', async () => {
    const { socket, errors, link } = setup();
    const ws = await link({});
    socket.send('a');
    socket.send('b');
    ws.receive(ack(1));
    expect(socket.session).toMatchObject({ acked: 1, outbox: { length: 1 } });
    ws.receive(ack(5)); // more than we sent
    expect(errors.map((e) => [e.code, e.message])).toEqual([['PROTOCOL', 'bad session ack']]);
    expect(socket.session.outbox.length).toBe(1);
    socket.close();
  });
});

describe('session(): resuming', () => {
  it('resumes with the id and what it received, re-sends what the server did not get, in order, before newer messages', async () => {
    const { socket, events, link, kit } = setup();
    const first = await link({});
    socket.send('a');
    socket.send('b');
    socket.send('c');
    first.receive('s1');
    first.receive('s2');
    first.receive(ack(1));
    first.closed(1006);
    socket.send('d'); // offline
    const second = await link();
    expect(second.sent).toEqual(['{"type":"session","id":"s1","ack":2}']);
    second.receive(welcome({ resumed: true, ack: 2, seq: 2, reason: undefined }));
    expect(second.sent.slice(1)).toEqual(['c', 'd']);
    expect(events.at(-1)).toEqual({ id: 's1', resumed: true, resent: 2 });
    expect(kit.instances).toHaveLength(2);
    second.receive(ack(4));
    expect(socket.session.outbox.length).toBe(0);
    socket.close();
  });

  it('drops frames the server sends again that it had already delivered', async () => {
    const { socket, messages, link } = setup();
    const first = await link({});
    first.receive('s1');
    first.receive('s2');
    first.closed(1006);
    const second = await link({ resumed: true, ack: 0, seq: 1, reason: undefined });
    second.receive('s2'); // a duplicate: the server re-sent from 2
    second.receive('s3');
    expect(messages).toEqual(['s1', 's2', 's3']);
    expect(socket.session.received).toBe(3);
    socket.close();
  });

  it('on resumed: false keeps what the old session did not acknowledge, renumbered from 1 in the new one', async () => {
    const { socket, events, link } = setup({ ackEvery: 1 });
    const first = await link({});
    socket.send('a');
    socket.send('b');
    first.receive('s1');
    first.closed(1006);
    const second = await link({ id: 's2', resumed: false, ack: 0, seq: 0, reason: 'unknown' });
    expect(second.sent).toEqual(['{"type":"session","id":"s1","ack":1}', 'a', 'b']);
    expect(events.at(-1)).toEqual({ id: 's2', resumed: false, reason: 'unknown', resent: 2 });
    expect(socket.session).toMatchObject({ id: 's2', received: 0, acked: 0 });
    second.receive(ack(2)); // numbered 1 and 2 in the new session
    expect(socket.session.outbox.length).toBe(0);
    second.receive('t1');
    expect(second.sent.at(-1)).toBe(ack(1));
    socket.close();
  });

  it('on resumed: false with an ack (overflow) drops what the old session had processed', async () => {
    const { socket, link } = setup();
    const first = await link({});
    socket.send('a');
    socket.send('b');
    first.closed(1006);
    const second = await link({ id: 's2', resumed: false, ack: 1, reason: 'overflow' });
    expect(second.sent.slice(1)).toEqual(['b']);
    socket.close();
  });

  it('starts a new session when a resumed welcome does not fit its counts', async () => {
    const { socket, errors, link } = setup();
    const first = await link({});
    socket.send('a');
    first.closed(1006);
    const second = await link({ resumed: true, ack: 7, seq: 0, reason: undefined });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    expect(second.sent).toEqual(['{"type":"session","id":"s1","ack":0}', '{"type":"session","id":null,"ack":0}']);
    second.receive(welcome({ id: 's3' }));
    expect(second.sent.at(-1)).toBe('a');
    socket.close();
  });

  it('reports a malformed welcome and a frame that is not JSON, and keeps waiting', async () => {
    const { socket, errors, link } = setup();
    const ws = await link();
    ws.receive('{"type":"session","resumed":true,"id":""}');
    ws.receive('{"type":"session"');
    expect(errors.map((e) => e.message)).toEqual(['bad session welcome', 'bad session frame']);
    expect(socket.session.state).toBe('handshake');
    socket.close();
  });
});

describe('session(): a server that does not speak sessions', () => {
  it('falls back at once when the hello comes back (an echo server): SESSION error, plain delivery in order', async () => {
    const { socket, errors, events, messages, link } = setup();
    socket.send('a');
    const ws = await link();
    socket.send('b');
    ws.receive(ws.sent[0]); // the echo of our hello
    expect(errors.map((e) => e.code)).toEqual(['SESSION']);
    expect(events).toEqual([{ id: undefined, resumed: false, reason: 'unsupported', resent: 2 }]);
    expect(ws.sent.slice(1)).toEqual(['a', 'b']);
    expect(socket.session.state).toBe('unsupported');
    ws.receive('{"type":"session","ack":1}'); // application data now
    expect(messages).toEqual(['{"type":"session","ack":1}']);
    ws.closed(1006);
    socket.send('c'); // the core's queue
    const next = await link();
    expect(next.sent).toEqual(['c']); // no hello any more
    socket.close();
  });

  it('falls back after `timeout` ms without an answer, never hanging', async () => {
    const { socket, errors, link } = setup({ timeout: 300 });
    socket.send('a');
    const ws = await link();
    await tick(299);
    expect(ws.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    await tick(1);
    expect(errors.map((e) => e.code)).toEqual(['SESSION']);
    expect(ws.sent.slice(1)).toEqual(['a']);
    socket.close();
  });

  it('reconnects instead when a server that answered before does not answer a hello in time', async () => {
    const { socket, errors, link, kit } = setup({ timeout: 300 });
    const first = await link({});
    first.closed(1006);
    const second = await link();
    await tick(300);
    expect(errors.map((e) => e.code)).toEqual(['SESSION']);
    expect(socket.session.state).not.toBe('unsupported');
    expect(second.closeCalls).toHaveLength(1);
    await tick(10);
    expect(kit.instances).toHaveLength(3);
    socket.close();
  });
});

describe('session(): the outbox', () => {
  it('drop-newest drops the new message with a drop event when the outbox is full', async () => {
    const { socket, drops } = setup({ maxMessages: 2, overflow: 'drop-newest' });
    socket.send('a');
    socket.send('b');
    expect(socket.send('c')).toBe('dropped');
    expect(drops).toEqual([{ data: 'c', reason: 'overflow' }]);
    socket.close();
  });

  it('drop-oldest drops the oldest message not yet on the wire, never one the server may have', async () => {
    const { socket, drops, link } = setup({ maxMessages: 3 });
    const ws = await link({});
    socket.send('a'); // on the wire, unacknowledged
    ws.closed(1006);
    socket.send('b');
    socket.send('c');
    socket.send('d');
    expect(drops).toEqual([{ data: 'b', reason: 'overflow' }]);
    const next = await link({ resumed: true, ack: 0, seq: 0, reason: undefined });
    expect(next.sent.slice(1)).toEqual(['a', 'c', 'd']);
    socket.close();
  });

  it('drop-oldest drops the new message when everything in the outbox is on the wire', async () => {
    const { socket, drops, link } = setup({ maxBytes: 2 });
    await link({});
    socket.send('a');
    socket.send('b');
    expect(socket.send('c')).toBe('dropped');
    expect(drops).toEqual([{ data: 'c', reason: 'overflow' }]);
    socket.close();
  });

  it('throw throws QueueFullError and keeps the outbox', async () => {
    const { socket } = setup({ maxMessages: 1, overflow: 'throw' });
    socket.send('a');
    expect(() => socket.send('b')).toThrowError(expect.objectContaining({ code: 'QUEUE_FULL' }) as Error);
    expect(socket.session.outbox.length).toBe(1);
    socket.close();
  });

  it('close() while offline reports every message of the outbox as dropped (closed)', async () => {
    const { socket, drops, link } = setup();
    const ws = await link({});
    socket.send('a');
    ws.closed(1006);
    socket.send('b');
    socket.close();
    expect(drops).toEqual([
      { data: 'a', reason: 'closed' },
      { data: 'b', reason: 'closed' },
    ]);
    expect(socket.send('c')).toBe('dropped');
    expect(drops.at(-1)).toEqual({ data: 'c', reason: 'closed' });
  });

  it('close() on an active link drops nothing that is on the wire: the closing handshake delivers it', async () => {
    const { socket, drops, link } = setup();
    await link({});
    socket.send('a');
    socket.close();
    expect(drops).toEqual([]);
    expect(socket.session.state).toBe('closed');
  });

  it('leaves no timer behind after close()', async () => {
    const { socket, link } = setup({ timeout: 300 });
    const ws = await link();
    ws.receive(welcome({}));
    ws.receive('x'); // starts the ack timer
    socket.close();
    ws.closed(1000);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('session(): stop() and start()', () => {
  it('without storage, stop() ends the session as close() does and start() begins a new one: numbers from 1, nothing re-sent twice', async () => {
    const { socket, drops, events, link } = setup();
    const first = await link({ id: 's1' });
    socket.send('a'); // on the wire, never acknowledged
    first.receive('x');
    first.closed(1006);
    socket.send('b'); // waiting offline
    socket.stop();
    expect(drops).toEqual([
      { data: 'a', reason: 'closed' },
      { data: 'b', reason: 'closed' },
    ]);
    expect(socket.session).toMatchObject({ id: undefined, state: 'closed', outbox: { length: 0, bytes: 0 }, received: 0, acked: 0 });
    socket.start();
    const second = await link();
    expect(second.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    second.receive(welcome({ id: 's2' }));
    socket.send('c');
    second.receive(ack(1)); // the new session's first frame is c
    expect(events.at(-1)).toEqual({ id: 's2', resumed: false, reason: 'new', resent: 0 });
    expect(socket.session).toMatchObject({ id: 's2', state: 'active', outbox: { length: 0 }, acked: 1 });
    socket.close();
  });

  it('without storage, stop() on an active link drops only what never went out, and leaves no timer', async () => {
    const { socket, drops, link } = setup({ timeout: 300 });
    const ws = await link({});
    socket.send('a');
    ws.receive('x'); // starts the ack timer
    socket.stop();
    ws.closed(1000);
    expect(drops).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(socket.state).toBe('closed');
  });
});

describe('session() with rpc()', () => {
  it('numbers requests like any message, and a request that settled while waiting is withdrawn, not sent', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, use: [session(), rpc({ timeout: 50 })] });
    const late = socket.request('slow').catch((e: HoldfastError) => e.code);
    await tick(60);
    const ws = kit.last();
    ws.open();
    ws.receive(welcome({}));
    expect(await late).toBe('TIMEOUT');
    expect(ws.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    expect(socket.session.outbox.length).toBe(0);
    const answer = socket.request('echo', [1]);
    expect(JSON.parse(ws.sent.at(-1) as string)).toMatchObject({ type: 'request', method: 'echo' });
    ws.receive('{"type":"response","id":2,"result":[1]}');
    expect(await answer).toEqual([1]);
    expect(socket.session.received).toBe(1);
    socket.close();
  });
});

describe('session() with rpc() across a drop', () => {
  it('keeps requests pending (retry or not): the frame is re-sent only by the session, the answer settles it', async () => {
    const kit = createFakeWebSocket();
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, backoff: { initialDelay: 10 }, random: () => 0, use: [session(), rpc()] });
    await tick();
    const first = kit.last();
    first.open();
    first.receive(welcome({}));
    const a = socket.request('a', 1);
    const b = socket.request('b', 2, { retry: true });
    expect(first.sent.slice(1).map((f) => JSON.parse(f as string).method)).toEqual(['a', 'b']);
    first.receive(ack(1)); // the server has 'a'
    first.closed(1006);
    await tick(10);
    const second = kit.last();
    second.open();
    second.receive(welcome({ resumed: true, ack: 1, seq: 0, reason: undefined }));
    // Only 'b' again, once: no second copy from rpc's retry.
    expect(second.sent.slice(1).map((f) => JSON.parse(f as string).method)).toEqual(['b']);
    second.receive('{"type":"response","id":1,"result":"A"}');
    second.receive('{"type":"response","id":2,"result":"B"}');
    expect(await a).toBe('A');
    expect(await b).toBe('B');
    expect(socket.session.durable).toBe(true);
    socket.close();
    expect(socket.session.durable).toBe(false);
  });
});

describe('session() options', () => {
  it.each([
    [{ maxMessages: -1 }, 'session.maxMessages'],
    [{ ackEvery: -1 }, 'session.ackEvery'],
    [{ timeout: Number.NaN }, 'session.timeout'],
    [{ ackDelay: null }, 'session.ackDelay'],
    [{ maxBytes: '5' }, 'session.maxBytes'],
    [{ overflow: 'sometimes' }, 'session.overflow'],
    [{ storage: {} }, 'session.storage'],
  ])('refuses %j with OPTIONS', (options, name) => {
    expect(() => session(options as SessionOptions)).toThrowError(expect.objectContaining({ code: 'OPTIONS', message: expect.stringContaining(name) as string }) as Error);
  });
});

describe('session(): welcomes and acks that do not fit', () => {
  it.each([
    ['no seq', { seq: undefined }],
    ['a fractional ack', { ack: 0.5 }],
    ['a negative seq', { seq: -1 }],
    ['resumed not a boolean', { resumed: 'yes' }],
    ['a numeric id', { id: 7 }],
  ])('reports a welcome with %s as PROTOCOL and stays in the handshake', async (_what, fields) => {
    const { socket, errors, events, link } = setup();
    const ws = await link();
    ws.receive(welcome(fields));
    expect(errors.map((e) => [e.code, e.message])).toEqual([['PROTOCOL', 'bad session welcome']]);
    expect(events).toEqual([]);
    expect(socket.session.state).toBe('handshake');
    socket.close();
  });

  it.each([
    ['another id', { id: 'other', ack: 0, seq: 1 }],
    ['an ack below what the server acknowledged before', { ack: 0, seq: 1 }],
    ['a seq above what the client received', { ack: 1, seq: 2 }],
  ])('starts a new session when a resumed welcome names %s', async (_what, fields) => {
    const { socket, errors, link } = setup();
    const first = await link({});
    socket.send('a');
    first.receive('s1');
    first.receive(ack(1));
    first.closed(1006);
    const second = await link({ resumed: true, reason: undefined, ...fields });
    expect(errors.map((e) => e.message)).toEqual(['session counts differ: new session']);
    expect(second.sent.at(-1)).toBe('{"type":"session","id":null,"ack":0}');
    socket.close();
  });

  it('resumes when the welcome fits exactly: its ack equal to what was sent, its seq equal to what was received', async () => {
    const { socket, errors, events, link } = setup();
    const first = await link({});
    socket.send('a');
    first.receive('s1');
    first.closed(1006);
    await link({ resumed: true, reason: undefined, ack: 1, seq: 1 });
    expect(errors).toEqual([]);
    expect(events.at(-1)).toEqual({ id: 's1', resumed: true, reason: undefined, resent: 0 });
    expect(socket.session).toMatchObject({ acked: 1, received: 1, outbox: { length: 0 } });
    socket.close();
  });

  it('ignores an ack below or equal to the last one, and takes an ack equal to what was sent', async () => {
    const { socket, errors, link } = setup();
    const ws = await link({});
    socket.send('a');
    socket.send('b');
    ws.receive(ack(2));
    ws.receive(ack(1));
    ws.receive(ack(2));
    expect(errors).toEqual([]);
    expect(socket.session).toMatchObject({ acked: 2, outbox: { length: 0, bytes: 0 } });
    socket.close();
  });

  it('counts a ping-like frame of 128 characters or without a numeric ts as application data', async () => {
    const { socket, messages, link } = setup({ ackEvery: 1000 });
    const ws = await link({});
    const long = `{"type":"pong","ts":1,"p":"${'x'.repeat(128 - 29)}"}`;
    expect(long.length).toBe(128);
    ws.receive(long);
    ws.receive('{"type":"pong","ts":"1"}');
    ws.receive('{"type":"pong"}');
    expect(socket.session.received).toBe(3);
    expect(messages).toHaveLength(3);
    socket.close();
  });
});

describe('session(): states, fallbacks and reports (mutation survivors)', () => {
  it('is offline before the first link and after a drop', async () => {
    const { socket, link } = setup();
    expect(socket.session).toMatchObject({ state: 'offline', durable: true });
    const ws = await link({});
    ws.closed(1006);
    expect(socket.session.state).toBe('offline');
    socket.close();
  });

  it('does not count a pong, but counts a frame naming "ping" without being a heartbeat, and text that is not JSON', async () => {
    const { socket, messages, link } = setup({ ackEvery: 1000 });
    const ws = await link({});
    ws.receive('{"type":"pong","ts":5}');
    expect(socket.session.received).toBe(0);
    ws.receive('{"type":"chat","ts":5,"text":"ping"}');
    ws.receive('x"ping"');
    expect(socket.session.received).toBe(2);
    expect(messages).toEqual(['{"type":"chat","ts":5,"text":"ping"}', 'x"ping"']);
    socket.close();
  });

  it('reports an onSession listener that throws as LISTENER, with its cause, and carries on', async () => {
    const { socket, errors, events, link } = setup();
    const boom = new Error('boom');
    socket.onSession(() => {
      throw boom;
    });
    await link({});
    expect(errors.map((e) => [e.code, e.cause])).toEqual([['LISTENER', boom]]);
    expect(events).toHaveLength(1);
    expect(socket.session.state).toBe('active');
    socket.close();
  });

  it('a storage whose load rejects: STORAGE with its cause, and a fresh session that still says hello', async () => {
    const cause = new Error('gone');
    const { socket, errors, link } = setup({ storage: { load: () => Promise.reject(cause), save: () => undefined } });
    const ws = await link();
    expect(errors.map((e) => [e.code, e.cause])).toEqual([['STORAGE', cause]]);
    expect(ws.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    socket.close();
  });

  it('a state loaded before any link does not start a hello timer: no fallback later', async () => {
    const { socket, errors, kit } = setup({ timeout: 300, storage: { load: async () => undefined, save: () => undefined } });
    await tick();
    // The link opens after `timeout`: a timer started by the load would have fallen back by then.
    await tick(400);
    const ws = kit.last();
    ws.open();
    ws.receive(welcome({}));
    await tick(1000);
    expect(errors).toEqual([]);
    expect(socket.session.state).toBe('active');
    expect(ws.sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    socket.close();
  });

  it('after the fallback: an empty outbox, not durable, no pending ack, and it stays plain across close() and start()', async () => {
    const { socket, link } = setup({ ackDelay: 100 });
    const ws = await link({});
    ws.receive('x'); // an ack is due in 100 ms
    ws.receive('{"type":"session","id":null,"ack":0}'); // a hello echoed: no sessions after all
    socket.send('plain');
    expect(socket.session).toMatchObject({ state: 'unsupported', durable: false, outbox: { length: 0, bytes: 0 } });
    await tick(200);
    expect(ws.sent.slice(1)).toEqual(['plain']); // no ack
    socket.stop();
    ws.closed(1000);
    expect(socket.session).toMatchObject({ state: 'unsupported', durable: false });
    socket.start();
    const next = await link();
    expect(next.sent).toEqual([]); // no hello
    socket.close();
  });

  it('reports a second welcome on an active link and keeps its counts', async () => {
    const { socket, errors, link } = setup();
    const ws = await link({});
    socket.send('a');
    ws.receive('1');
    ws.receive(welcome({ id: 's2' }));
    expect(errors.map((e) => [e.code, e.message])).toEqual([['PROTOCOL', 'bad session welcome']]);
    expect(socket.session).toMatchObject({ id: 's1', state: 'active', received: 1, outbox: { length: 1 } });
    socket.close();
  });

  it('starts a new session when a resumed welcome names another id with counts that fit', async () => {
    const { socket, errors, link } = setup();
    const first = await link({});
    socket.send('a');
    first.receive('s1');
    first.closed(1006);
    const second = await link({ id: 'other', resumed: true, reason: undefined, ack: 1, seq: 1 });
    expect(errors.map((e) => e.message)).toEqual(['session counts differ: new session']);
    expect(second.sent.at(-1)).toBe('{"type":"session","id":null,"ack":0}');
    socket.close();
  });

  it('keeps the higher ack when a lower one comes after it', async () => {
    const { socket, link } = setup();
    const ws = await link({});
    socket.send('a');
    socket.send('b');
    ws.receive(ack(2));
    ws.receive(ack(1));
    expect(socket.session.acked).toBe(2);
    socket.close();
  });

  it('drop-oldest drops the very first waiting message, and counts the outbox bytes it freed', async () => {
    const { socket, drops } = setup({ maxBytes: 6 });
    socket.send('aa');
    socket.send('bb');
    socket.send('cc');
    socket.send('ddd');
    expect(drops).toEqual([{ data: 'aa', reason: 'overflow' }, { data: 'bb', reason: 'overflow' }]);
    expect(socket.session.outbox).toEqual({ length: 2, bytes: 5 });
    socket.close();
  });

  it('drop-oldest drops every waiting message and then the new one when the wire holds too much', async () => {
    const { socket, drops, link } = setup({ maxBytes: 10 });
    const ws = await link({});
    socket.send('aaaa'); // on the wire
    ws.closed(1006);
    socket.send('bb');
    expect(socket.send('ccccccc')).toBe('dropped');
    expect(drops).toEqual([{ data: 'bb', reason: 'overflow' }, { data: 'ccccccc', reason: 'overflow' }]);
    expect(socket.session.outbox).toEqual({ length: 1, bytes: 4 });
    socket.close();
  });
});

describe('session(): close() before the stored state loaded', () => {
  it('keeps the stored session and its outbox: the next page resumes with them', async () => {
    const stored = { id: 'k1', rx: 2, seq: 1, acked: 0, outbox: [{ d: 'kept', s: 4, n: 1, f: undefined }] };
    const saved: unknown[] = [];
    const storage = { load: async () => stored, save: (state: unknown) => void saved.push(state) };
    const { socket } = setup({ storage });
    socket.close(); // before the load's microtask ran
    await tick();
    expect(saved.at(-1)).toMatchObject({ id: 'k1', rx: 2, seq: 1, acked: 0, outbox: [{ d: 'kept', n: 1 }] });
    // The next page hellos with the stored session and sends the kept message again once welcomed.
    const next = setup({ storage: { load: async () => stored, save: () => undefined } });
    const ws = await next.link({ id: 'k1', resumed: true, ack: 0, seq: 2 });
    expect(ws.sent).toEqual(['{"type":"session","id":"k1","ack":2}', 'kept']);
    next.socket.close();
  });
});

describe('session(): storage writes on acks', () => {
  it('stores the state after a new ack, and not again for an ack it already had', async () => {
    const saved: unknown[] = [];
    const { socket, link } = setup({ storage: { load: async () => undefined, save: (state) => void saved.push(state && { ...state, outbox: [...state.outbox] }) } });
    const ws = await link({});
    socket.send('a');
    await tick();
    const before = saved.length;
    ws.receive(ack(1));
    await tick();
    expect(saved.length).toBe(before + 1);
    expect(saved.at(-1)).toMatchObject({ acked: 1, outbox: [] });
    ws.receive(ack(1));
    await tick();
    expect(saved.length).toBe(before + 1);
    socket.close();
  });
});

describe('session(): storage when the server has no sessions', () => {
  it('removes the stored state on the fallback and does not write it back when the link drops or the socket closes', async () => {
    const saved: unknown[] = [];
    const { socket, link } = setup({ storage: { load: async () => undefined, save: (state) => void saved.push(state) } });
    const ws = await link();
    socket.send('a');
    await tick();
    ws.receive(ws.sent[0]); // the hello echoed
    await tick();
    expect(saved.at(-1)).toBeUndefined();
    const count = saved.length;
    ws.closed(1006);
    await tick();
    socket.close();
    await tick();
    expect(saved.slice(count).filter((s) => s !== undefined)).toEqual([]);
  });
});

describe('session(): a large stored state', () => {
  it('adopts a stored outbox of 300,000 entries (more than a call takes arguments) and says hello with its id', async () => {
    const outbox = Array.from({ length: 300_000 }, () => ({ d: 'x', s: 1, n: 0, f: undefined }));
    const { socket, errors, link } = setup({ maxMessages: Infinity, storage: { load: async () => ({ id: 'big', rx: 0, seq: 0, acked: 0, outbox }), save: () => undefined } });
    await tick();
    const ws = await link();
    expect(errors).toEqual([]);
    expect(ws.sent).toEqual(['{"type":"session","id":"big","ack":0}']);
    expect(socket.session.outbox).toEqual({ length: 300_000, bytes: 300_000 });
    socket.close();
  });
});

describe('session(): messages, names and timers (mutation survivors)', () => {
  it('takes 0 for its numbers, and refuses an overflow policy with more around it', () => {
    expect(() => session({ maxMessages: 0, maxBytes: 0, timeout: 0, ackEvery: 0, ackDelay: 0 })).not.toThrow();
    for (const overflow of ['xthrow', 'throwx']) expect(() => session({ overflow } as never)).toThrowError(expect.objectContaining({ code: 'OPTIONS' }) as Error);
  });

  it('names its errors: listener, protocol, fallback, reconnect, storage and a full outbox', async () => {
    const { socket, errors, link } = setup({ timeout: 300 });
    socket.onSession(() => {
      throw new Error('boom');
    });
    const ws = await link({});
    ws.receive(ack(9));
    expect(errors.map((e) => [e.code, e.name, e.message])).toEqual([
      ['LISTENER', 'HoldfastError', 'onSession listener threw'],
      ['PROTOCOL', 'ProtocolError', 'bad session ack'],
    ]);
    ws.closed(1006);
    await link();
    await tick(300);
    expect(errors.at(-1)?.message).toBe('no session welcome: reconnecting');
    socket.close();

    const silent = setup({ timeout: 300 });
    await silent.link();
    await tick(300);
    expect(silent.errors.map((e) => e.message)).toEqual(['no sessions on the server (no welcome)']);
    silent.socket.close();

    const broken = setup({ storage: { load: () => Promise.reject(new Error('gone')), save: () => undefined } });
    await tick();
    expect(broken.errors.map((e) => e.message)).toEqual(['session storage failed']);
    broken.socket.close();

    const full = setup({ maxMessages: 0, overflow: 'throw' });
    expect(() => full.socket.send('a')).toThrowError(expect.objectContaining({ name: 'QueueFullError', message: 'session outbox full' }) as Error);
    full.socket.close();
  });

  it('acks once when ackEvery frames arrive before ackDelay, and the delay runs from the first unacknowledged frame', async () => {
    const { socket, link } = setup({ ackEvery: 2, ackDelay: 100 });
    const ws = await link({});
    const acks = () => ws.sent.filter((f) => typeof f === 'string' && f.startsWith('{"type":"session","ack"'));
    ws.receive('1');
    ws.receive('2');
    expect(acks()).toEqual([ack(2)]);
    await tick(200); // the first frame's timer went with that ack
    expect(acks()).toEqual([ack(2)]);
    ws.receive('3');
    await tick(50);
    expect(acks()).toEqual([ack(2)]);
    await tick(50);
    expect(acks()).toEqual([ack(2), ack(3)]);
    socket.close();

    const slow = setup({ ackEvery: 64, ackDelay: 100 });
    const w2 = await slow.link({});
    w2.receive('1');
    await tick(50);
    w2.receive('2'); // does not push the ack back
    await tick(50);
    expect(w2.sent.at(-1)).toBe(ack(2));
    slow.socket.close();
  });

  it('a message sent from a fate while the outbox goes out follows it, and a fate that drops the link stops the rest', async () => {
    const kit = createFakeWebSocket();
    let host: FeatureHost | undefined;
    const probe: Feature = (h) => {
      host = h;
      return {};
    };
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, random: () => 0, backoff: { initialDelay: 10 }, use: [session(), probe] });
    await tick(10);
    const ws = kit.last();
    ws.open();
    ws.receive(welcome({}));
    const h = host as FeatureHost;
    h.send('a', (fate) => void (fate === 'sent' && h.send('b')));
    expect(ws.sent.slice(1)).toEqual(['a', 'b']);
    ws.closed(1006);
    const fates: string[] = [];
    h.send('c', (fate) => void (fate === 'sent' && socket.reconnect()));
    h.send('d', (fate) => void fates.push(fate));
    await tick(10);
    const next = kit.last();
    next.open();
    next.receive(welcome({ resumed: true, ack: 2, seq: 0, reason: undefined }));
    expect(fates).toEqual([]); // the link went with c's fate: d waits
    expect(socket.session.outbox.length).toBe(2);
    socket.close();
  });
});
