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
