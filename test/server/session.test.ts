// The server half of sessions: SessionHub and SessionLink over fake peers, with fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore, SessionHub, type SessionOptions, type SessionRecord, type SessionStore } from '../../src/server/session';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const hello = (id: string | null, ack: number) => Buffer.from(JSON.stringify({ type: 'session', id, ack }));
const ack = (n: number) => Buffer.from(`{"type":"session","ack":${n}}`);
const text = (s: string) => Buffer.from(s);

function setup(options: SessionOptions = {}) {
  let now = 1_000;
  const hub = new SessionHub({ now: () => now, ...options });
  const open = () => {
    const written: Array<string | number[]> = [];
    const delivered: string[] = [];
    const peer = { closed: 0, write: (d: Uint8Array, binary: boolean) => void written.push(binary ? [...d] : Buffer.from(d).toString()), close: () => void peer.closed++ };
    const link = hub.link(peer);
    const receive = (data: Buffer | string, binary = false) => link.receive(typeof data === 'string' ? text(data) : data, binary, (p, b) => void delivered.push(b ? `bin:${p.length}` : p.toString()));
    const frames = () => written.map((w) => (typeof w === 'string' && w.startsWith('{"type":"session"') ? (JSON.parse(w) as Record<string, unknown>) : w));
    return { link, peer, written, delivered, receive, frames };
  };
  return { hub, open, advance: (ms: number) => void (now += ms) };
}

describe('SessionHub', () => {
  it('is transparent before a hello: frames are delivered and sent as they are, never counted', () => {
    const { open } = setup();
    const a = open();
    a.receive('x');
    a.link.send(text('greeting'), false);
    expect(a.delivered).toEqual(['x']);
    expect(a.written).toEqual(['greeting']);
    expect(a.link.id).toBeUndefined();
  });

  it('answers a null hello with a new session, counts application frames and acks in batches', () => {
    const { open } = setup({ ackEvery: 2, ackDelay: 50 });
    const a = open();
    a.receive(hello(null, 0));
    const welcome = a.frames()[0] as Record<string, unknown>;
    expect(welcome).toEqual({ type: 'session', id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string, resumed: false, ack: 0, seq: 0, reason: 'new' });
    expect(a.link.id).toBe(welcome.id);
    a.receive('{"type":"ping","ts":1}'); // a heartbeat: delivered (the app answers it), not counted
    a.receive('one');
    a.receive(Buffer.from([1, 2]), true);
    expect(a.delivered).toEqual(['{"type":"ping","ts":1}', 'one', 'bin:2']);
    expect(a.frames().at(-1)).toEqual({ type: 'session', ack: 2 });
    a.receive('three');
    vi.advanceTimersByTime(49);
    expect(a.frames().at(-1)).toEqual({ type: 'session', ack: 2 });
    vi.advanceTimersByTime(1);
    expect(a.frames().at(-1)).toEqual({ type: 'session', ack: 3 });
  });

  it('resumes on a new link: welcome with what it received, replay from the client ack, the old link dropped', () => {
    const { open } = setup({ ackEvery: 100 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.receive('c1');
    a.receive('c2');
    for (const s of ['s1', 's2', 's3']) a.link.send(text(s), false);
    a.receive(ack(1)); // the client has s1
    const b = open();
    b.receive(hello(id, 2)); // ...and s2, as it says now
    expect(b.frames()).toEqual([{ type: 'session', id, resumed: true, ack: 2, seq: 2 }, 's3']);
    expect(a.peer.closed).toBe(1);
    a.receive('late on the old link'); // not the session's any more
    expect(a.delivered).toEqual(['c1', 'c2']);
    a.link.send(text('s4'), false); // a late answer on the old link reaches the new one
    expect(b.written.at(-1)).toBe('s4');
    b.receive('c3');
    expect(b.delivered).toEqual(['c3']);
  });

  it('answers overflow when the replay buffer lost frames the client has not got, with the old count', () => {
    const { open } = setup({ maxMessages: 2 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.receive('c1');
    for (const s of ['s1', 's2', 's3']) a.link.send(text(s), false);
    a.link.detach();
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()[0]).toMatchObject({ resumed: false, reason: 'overflow', ack: 1, seq: 0 });
    expect(b.link.id).not.toBe(id);
  });

  it('answers overflow for frames older than maxAge, mismatch for an ack above what was sent, unknown for a stranger', () => {
    const { open, advance } = setup({ maxAge: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.send(text('s1'), false);
    a.link.detach();
    advance(1001);
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()[0]).toMatchObject({ resumed: false, reason: 'overflow' });
    const c = open();
    c.receive(hello(b.link.id as string, 5));
    expect(c.frames()[0]).toMatchObject({ resumed: false, reason: 'mismatch' });
    const d = open();
    d.receive(hello('someone-else', 0));
    expect(d.frames()[0]).toMatchObject({ resumed: false, reason: 'unknown', ack: 0 });
  });

  it('forgets a session ttl ms after its last link went', () => {
    const store = new MemorySessionStore();
    const { open, advance } = setup({ ttl: 500, store });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.detach();
    advance(499);
    store.sweep(1_000 + 499);
    expect(store.size).toBe(1);
    advance(2);
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()[0]).toMatchObject({ resumed: false, reason: 'unknown' });
    store.sweep(1_000 + 501);
    expect(store.get(id)).toBeUndefined();
  });

  it('keeps frames sent to a detached session for its client, and drops what the client acknowledges', () => {
    const { hub, open } = setup();
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.detach();
    expect(hub.send(id, 'while away')).toBe(true);
    expect(hub.send(id, new Uint8Array([7]))).toBe(true);
    expect(hub.send('nobody', 'x')).toBe(false);
    const b = open();
    b.receive(hello(id, 0));
    expect(b.written.slice(1)).toEqual(['while away', [7]]);
    b.receive(ack(2));
    b.link.detach();
    const c = open();
    c.receive(hello(id, 2));
    expect(c.written).toHaveLength(1); // the welcome only: nothing left to replay
  });

  it('never counts a pong it sends, nor session frames, and ignores an ack above what it sent', () => {
    const { open } = setup();
    const a = open();
    a.receive(hello(null, 0));
    a.link.send(text('{"type":"pong","ts":3}'), false);
    a.receive(ack(9));
    a.link.send(text('s1'), false);
    a.link.detach();
    const b = open();
    b.receive(hello(a.link.id as string, 0));
    expect(b.frames()).toEqual([expect.objectContaining({ resumed: true, seq: 0 }), 's1']);
  });

  it('delivers a malformed session frame as application data', () => {
    const { open } = setup();
    const a = open();
    a.receive('{"type":"session","id":5,"ack":0}');
    a.receive('{"type":"session"');
    expect(a.delivered).toEqual(['{"type":"session","id":5,"ack":0}', '{"type":"session"']);
  });

  it('with an asynchronous store, frames after the hello wait for the lookup and keep their order', async () => {
    const memory = new MemorySessionStore();
    let release: (() => void) | undefined;
    const store: SessionStore = {
      get: (id) => new Promise<SessionRecord | undefined>((resolve) => (release = () => resolve(memory.get(id)))),
      set: (r) => memory.set(r),
      delete: (id) => memory.delete(id),
    };
    const { open } = setup({ store });
    const a = open();
    a.receive(hello(null, 0)); // no lookup for a new session
    const id = a.link.id as string;
    a.receive('c1');
    a.link.detach();
    const b = open();
    b.receive(hello(id, 0));
    b.receive('c2');
    b.receive('c3');
    expect(b.delivered).toEqual([]);
    release?.();
    await Promise.resolve();
    await Promise.resolve();
    expect(b.frames()[0]).toMatchObject({ resumed: true, ack: 1 });
    expect(b.delivered).toEqual(['c2', 'c3']);
  });

  it('refuses bad limits, and close() leaves no timer behind', () => {
    expect(() => new SessionHub({ ttl: -1 })).toThrow(RangeError);
    expect(() => new SessionHub({ maxBytes: Number.NaN })).toThrow(RangeError);
    const { hub, open } = setup({ ackDelay: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    a.receive('x'); // an ack timer
    hub.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('SessionHub: limits and edges', () => {
  it('resumes at the edges of its limits: an ack equal to what was sent, equal to the last frame dropped, a session at its expiry time', () => {
    const { open, advance } = setup({ maxMessages: 2, ttl: 500 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    for (const s of ['s1', 's2', 's3']) a.link.send(text(s), false); // s1 is dropped: 2 kept
    a.link.detach();
    advance(500); // exactly the TTL: not expired yet
    const b = open();
    b.receive(hello(id, 1)); // the client has s1, the last frame dropped
    expect(b.frames()).toEqual([{ type: 'session', id, resumed: true, ack: 0, seq: 1 }, 's2', 's3']);
    b.link.detach();
    const c = open();
    c.receive(hello(id, 3)); // everything the server sent
    expect(c.frames()).toEqual([{ type: 'session', id, resumed: true, ack: 0, seq: 3 }]);
    c.link.detach();
    advance(501);
    const d = open();
    d.receive(hello(id, 3));
    expect(d.frames()[0]).toMatchObject({ resumed: false, reason: 'unknown' });
  });

  it('keeps exactly maxMessages frames and frames exactly maxAge old, and counts bytes against maxBytes, freed by acks', () => {
    const { open, advance } = setup({ maxMessages: 3, maxBytes: 4, maxAge: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.send(text('aa'), false);
    a.link.send(text('bb'), false); // 4 bytes: at the limit, kept
    a.receive(ack(2)); // frees them
    a.link.send(text('cc'), false);
    a.link.send(text('dd'), false);
    a.link.detach();
    advance(1000);
    const b = open();
    b.receive(hello(id, 2));
    expect(b.frames()).toEqual([expect.objectContaining({ resumed: true, seq: 2 }), 'cc', 'dd']);
    b.link.send(text('e'), false); // 5 bytes unacknowledged: cc goes
    b.link.detach();
    const c = open();
    c.receive(hello(id, 2));
    expect(c.frames()[0]).toMatchObject({ resumed: false, reason: 'overflow' });
  });

  it('keeps maxMessages frames and no more', () => {
    const { open } = setup({ maxMessages: 2 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.send(text('s1'), false);
    a.link.send(text('s2'), false);
    a.link.detach();
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()).toEqual([expect.objectContaining({ resumed: true }), 's1', 's2']);
  });

  it('send() refuses a session past its TTL before the sweep, and one the store only answers asynchronously', () => {
    const { hub, open, advance } = setup({ ttl: 100 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.detach();
    advance(100);
    expect(hub.send(id, 'x')).toBe(true);
    advance(1);
    expect(hub.send(id, 'y')).toBe(false);
    const slow = new SessionHub({ store: { get: () => Promise.resolve(undefined), set: () => undefined, delete: () => undefined } });
    expect(slow.send('any', 'x')).toBe(false);
    slow.close();
  });

  it('keeps a copy of what it sends: changing the caller bytes, or the buffer a view is of, changes no replay', () => {
    const { hub, open } = setup();
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.detach();
    const bytes = new Uint8Array([1, 2]);
    hub.send(id, bytes);
    bytes[0] = 9;
    const big = new Uint8Array([5, 6, 7, 8]);
    const b = open();
    b.receive(hello(id, 0));
    expect(b.written.slice(1)).toEqual([[1, 2]]);
    b.link.send(big.subarray(1, 3), true);
    b.link.detach();
    big[1] = 0;
    const c = open();
    c.receive(hello(id, 1));
    expect(c.written.slice(1)).toEqual([[6, 7]]);
  });

  it('acks every frame with ackEvery 0 or 1, and writes no ack when nothing arrived since the last', () => {
    const { open } = setup({ ackEvery: 0, ackDelay: 10 });
    const a = open();
    a.receive(hello(null, 0));
    a.receive('c1');
    a.receive('c2');
    vi.advanceTimersByTime(50);
    expect(a.frames().slice(1)).toEqual([{ type: 'session', ack: 1 }, { type: 'session', ack: 2 }]);
    expect(a.delivered).toEqual(['c1', 'c2']);
  });

  it('saves the record on every ack batch and on detach, and a store that throws or rejects never breaks the link', async () => {
    const memory = new MemorySessionStore();
    const saved: number[] = [];
    let fail = false;
    const store: SessionStore = {
      get: (id) => memory.get(id),
      set: (r) => {
        saved.push(r.in);
        if (fail) throw new Error('down');
        memory.set(r);
      },
      delete: (id) => memory.delete(id),
    };
    const { open } = setup({ store, ackEvery: 2 });
    const a = open();
    a.receive(hello(null, 0));
    a.receive('c1');
    a.receive('c2'); // an ack batch
    expect(saved).toEqual([0, 2]);
    fail = true;
    a.receive('c3');
    a.receive('c4');
    expect(a.delivered).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(a.frames().at(-1)).toEqual({ type: 'session', ack: 4 });
    a.link.detach();
    expect(saved).toEqual([0, 2, 4, 4]);
    const rejecting = new SessionHub({ store: { get: () => undefined, set: () => Promise.reject(new Error('down')), delete: () => Promise.reject(new Error('down')) } });
    const peer = { write: () => undefined, close: () => undefined };
    const link = rejecting.link(peer);
    link.receive(hello(null, 0), false, () => undefined);
    await Promise.resolve();
    expect(link.id).toEqual(expect.any(String));
    rejecting.close();
  });

  it('deletes the old record from the store when a hello cannot resume it', () => {
    const store = new MemorySessionStore();
    const { open } = setup({ store });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.detach();
    expect(store.get(id)).toBeDefined();
    const b = open();
    b.receive(hello(id, 7)); // mismatch
    expect(b.frames()[0]).toMatchObject({ resumed: false, reason: 'mismatch' });
    expect(store.get(id)).toBeUndefined();
    expect(store.get(b.link.id as string)).toBeDefined();
  });

  it('a store whose get throws, or rejects, gives a new session (unknown)', async () => {
    const { open } = setup({ store: { get: () => { throw new Error('down'); }, set: () => undefined, delete: () => undefined } });
    const a = open();
    a.receive(hello('x', 0));
    expect(a.frames()[0]).toMatchObject({ resumed: false, reason: 'unknown' });
    const rejecting = setup({ store: { get: () => Promise.reject(new Error('down')), set: () => undefined, delete: () => undefined } });
    const b = rejecting.open();
    b.receive(hello('x', 0));
    b.receive('c1');
    expect(b.written).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(b.frames()[0]).toMatchObject({ resumed: false, reason: 'unknown' });
    expect(b.delivered).toEqual(['c1']);
  });

  it('a link detached while its store looks up writes no welcome and delivers nothing', async () => {
    let resolve: (r: SessionRecord | undefined) => void = () => undefined;
    const { open } = setup({ store: { get: () => new Promise((r) => (resolve = r)), set: () => undefined, delete: () => undefined } });
    const a = open();
    a.receive(hello('x', 0));
    a.receive('c1');
    a.link.detach();
    resolve(undefined);
    await Promise.resolve();
    await Promise.resolve();
    expect(a.written).toEqual([]);
    expect(a.delivered).toEqual([]);
  });
});

describe('SessionLink: what counts', () => {
  it('counts pings and pongs only when they are heartbeats: a ts, at most 127 bytes, ping or pong', () => {
    const { open } = setup({ ackEvery: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    const beat = (type: string, pad: number) => `{"type":"${type}","ts":1,"p":"${'x'.repeat(pad)}"}`;
    const base = beat('ping', 0).length;
    a.receive(beat('ping', 127 - base)); // 127 bytes: a heartbeat
    a.receive(beat('pong', 0));
    a.receive(beat('ping', 128 - base)); // 128 bytes: data (1)
    a.receive('{"type":"ping"}'); // no ts (2)
    a.receive('{"type":"ping","ts":"1"}'); // (3)
    a.receive('{"type":"pang","ts":1}'); // (4)
    a.receive('{"type":"pinG","ts":1}'); // (5)
    a.receive('{"type":"ping","ts":1'); // not JSON (6)
    a.receive('"ping"'); // (7)
    a.link.detach();
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()[0]).toMatchObject({ resumed: true, ack: 7 });
  });

  it('never counts a pong it sends of up to 127 bytes, counts a longer one, and counts a binary frame that starts like a session frame', () => {
    const { open } = setup({ ackEvery: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    const pong = (pad: number) => `{"type":"pong","ts":1,"p":"${'x'.repeat(pad)}"}`;
    const base = pong(0).length;
    a.link.send(text(pong(127 - base)), false); // not counted
    a.link.send(text(pong(128 - base)), false); // counted: 1
    a.link.send(text('{"type":"ping","ts":2}'), true); // binary: counted, 2
    a.receive(Buffer.from('{"type":"session","ack":0}'), true); // binary: application data
    a.link.detach();
    const b = open();
    b.receive(hello(id, 0));
    expect(b.frames()[0]).toMatchObject({ resumed: true, ack: 1, seq: 0 });
    expect(b.written).toHaveLength(3);
  });

  it('takes malformed session frames as application data: a negative or fractional ack, no ack, an empty or numeric id', () => {
    const { open } = setup();
    const a = open();
    a.receive(hello(null, 0));
    for (const f of ['{"type":"session","ack":-1}', '{"type":"session","ack":1.5}', '{"type":"session"}', '{"type":"session","id":"","ack":0}', '{"type":"session","id":3,"ack":0}', '{"type":"session","ack":"1"}']) a.receive(f);
    expect(a.delivered).toHaveLength(6);
  });

  it('before its hello, an ack frame is application data; after detach nothing is delivered or written', () => {
    const { open } = setup();
    const a = open();
    a.receive(ack(1));
    expect(a.delivered).toEqual([ack(1).toString()]);
    a.link.detach();
    a.link.detach(); // idempotent
    a.receive('late');
    expect(a.link.send(text('x'), false)).toBe(false);
    expect(a.delivered).toHaveLength(1);
    expect(a.written).toEqual([]);
  });

  it('a second hello on a link starts over: the old session waits for its client and can be resumed elsewhere', () => {
    const { open, hub } = setup({ ackEvery: 1000 });
    const a = open();
    a.receive(hello(null, 0));
    const first = a.link.id as string;
    a.receive('c1');
    a.receive(hello(null, 0));
    const second = a.link.id as string;
    expect(second).not.toBe(first);
    expect(hub.attached).toBe(1);
    const b = open();
    b.receive(hello(first, 0));
    expect(b.frames()[0]).toMatchObject({ id: first, resumed: true, ack: 1 });
    expect(a.peer.closed).toBe(0); // its link holds another session now
    expect(hub.attached).toBe(2);
  });

  it('a link taken over writes no ack any more, and its peer is closed once', () => {
    const { open } = setup({ ackDelay: 50 });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.receive('c1'); // an ack timer
    const b = open();
    b.receive(hello(id, 0));
    vi.advanceTimersByTime(100);
    expect(a.written).toHaveLength(1); // the welcome only
    expect(a.peer.closed).toBe(1);
    expect(a.link.send(text('late'), false)).toBe(true); // into the session: reaches b
    expect(b.written.at(-1)).toBe('late');
  });

  it('the sweeper forgets expired sessions by itself, and a closed hub starts none', () => {
    const store = new MemorySessionStore();
    const { open, advance, hub } = setup({ ttl: 100, store });
    const a = open();
    a.receive(hello(null, 0));
    a.link.detach();
    advance(200);
    vi.advanceTimersByTime(100);
    expect(store.size).toBe(0);
    hub.close();
    hub.link({ write: () => undefined, close: () => undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('names the option in its RangeError, and takes 0 as a limit', () => {
    expect(() => new SessionHub({ maxAge: -5 })).toThrow('sessions.maxAge must be a non-negative number, got -5');
    expect(() => new SessionHub({ ttl: '1' as unknown as number })).toThrow(RangeError);
    new SessionHub({ ttl: 0, maxMessages: 0, maxBytes: 0, maxAge: 0, ackEvery: 0, ackDelay: 0 }).close();
  });

  it('sweep() keeps a record until after its expiry time', () => {
    const store = new MemorySessionStore();
    store.set({ id: 'a', in: 0, out: 0, acked: 0, frames: [], bytes: 0, lost: 0, expires: 10 });
    store.sweep(10);
    expect(store.size).toBe(1);
    store.sweep(11);
    expect(store.size).toBe(0);
  });
});

describe('SessionHub: what the store keeps', () => {
  it('frees acknowledged frames and their bytes from the record at once, and ignores an ack below the last one', () => {
    const store = new MemorySessionStore();
    const { open } = setup({ store });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    for (const s of ['s1', 's22', 's333']) a.link.send(text(s), false);
    a.receive(ack(2));
    expect(store.get(id)).toMatchObject({ out: 3, acked: 2, bytes: 4, frames: [expect.objectContaining({ n: 3 })] });
    a.receive(ack(1)); // stale
    expect(store.get(id)).toMatchObject({ acked: 2, bytes: 4 });
    a.receive(ack(3));
    expect(store.get(id)).toMatchObject({ acked: 3, bytes: 0, frames: [] });
    a.receive(ack(4)); // above what was sent: ignored
    expect(store.get(id)).toMatchObject({ acked: 3 });
  });

  it('a link taken over no longer acknowledges into the session', () => {
    const store = new MemorySessionStore();
    const { open } = setup({ store });
    const a = open();
    a.receive(hello(null, 0));
    const id = a.link.id as string;
    a.link.send(text('s1'), false);
    const b = open();
    b.receive(hello(id, 0));
    a.receive(ack(1)); // on the old link: not the session's
    expect(store.get(id)).toMatchObject({ acked: 0, frames: [expect.objectContaining({ n: 1 })] });
  });
});
