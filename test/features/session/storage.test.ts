// session() persistence: the storage interface and its adapters, with fake stores and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../../src/core/connect';
import { session, type SessionOptions } from '../../../src/features/session/session';
import { browserStorage, keyValueStorage, miniProgramStorage, type SessionStorage } from '../../../src/features/session/storage';
import type { HoldfastError } from '../../../src/protocol/errors';
import { createFakeWebSocket } from '../../helpers/client-fake-ws';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);
const welcome = (fields: Record<string, unknown> = {}) => JSON.stringify({ type: 'session', id: 's1', resumed: false, ack: 0, seq: 0, reason: 'new', ...fields });

/** A Map behind the SessionStorage interface, counting writes; `fail` makes a method throw. */
function memoryKv(initial?: string) {
  const map = new Map<string, string>();
  if (initial !== undefined) map.set('holdfast-session', initial);
  const kv = {
    map,
    sets: 0,
    fail: undefined as undefined | 'get' | 'set',
    get: (key: string) => {
      if (kv.fail === 'get') throw new Error('denied');
      return map.get(key);
    },
    set: (key: string, value: string) => {
      if (kv.fail === 'set') throw new Error('QuotaExceededError');
      kv.sets++;
      map.set(key, value);
    },
    remove: (key: string) => void map.delete(key),
  };
  return kv;
}

function open(kv: SessionStorage, options: SessionOptions = {}) {
  const fake = createFakeWebSocket();
  const socket = connect('ws://x/', { WebSocket: fake.WebSocket, environment: false, heartbeat: false, use: [session({ storage: keyValueStorage(kv), ...options })] });
  const errors: HoldfastError[] = [];
  socket.on('error', (e) => void errors.push(e));
  return { fake, socket, errors };
}

describe('session() with storage', () => {
  it('stop() keeps the id, counts and outbox (stored and in memory); start() resumes and re-sends what the server lacks, once', async () => {
    const kv = memoryKv();
    const { fake, socket, errors } = open(kv);
    const drops: unknown[] = [];
    const events: unknown[] = [];
    socket.on('drop', (d) => void drops.push(d.data));
    socket.onSession((e) => void events.push(e));
    await tick();
    fake.last().open();
    fake.last().receive(welcome());
    socket.send('a');
    socket.send('b');
    fake.last().receive('s1');
    fake.last().receive('{"type":"session","ack":1}'); // the server has a
    socket.stop();
    fake.last().closed(1000);
    await tick();
    expect(drops).toEqual([]);
    expect(socket.session).toMatchObject({ id: 's1', state: 'closed', outbox: { length: 1 }, received: 1, acked: 1 });
    expect(JSON.parse(kv.map.get('holdfast-session') as string)).toMatchObject({ id: 's1', rx: 1, seq: 2, acked: 1, o: [[2, 0, 'b']] });
    expect(socket.send('late')).toBe('dropped'); // stopped: nothing is taken, as for the core's queue
    socket.start();
    await tick(2000);
    const ws = fake.last();
    ws.open();
    expect(ws.sent).toEqual(['{"type":"session","id":"s1","ack":1}']);
    ws.receive(welcome({ resumed: true, ack: 1, seq: 1, reason: undefined }));
    expect(ws.sent.slice(1)).toEqual(['b']);
    expect(events.at(-1)).toEqual({ id: 's1', resumed: true, reason: undefined, resent: 1 });
    expect(errors).toEqual([]);
    socket.close();
  });

  it('close() keeps the stored state for the next socket (a reload after close() resumes)', async () => {
    const kv = memoryKv();
    const first = open(kv);
    await tick();
    first.fake.last().open();
    first.fake.last().receive(welcome());
    first.socket.send('a');
    first.socket.close();
    first.fake.last().closed(1000);
    await tick();
    const second = open(kv);
    await tick();
    second.fake.last().open();
    expect(second.fake.last().sent).toEqual(['{"type":"session","id":"s1","ack":0}']);
    expect(second.socket.session.outbox.length).toBe(1);
    second.socket.close();
  });

  it('keeps the id, counts and outbox across a "reload": the next socket resumes and re-sends what the server lacks', async () => {
    const kv = memoryKv();
    const first = open(kv);
    await tick();
    first.fake.last().open();
    first.fake.last().receive(welcome());
    first.socket.send('a');
    first.socket.send(new Uint8Array([1, 2, 255]));
    first.fake.last().receive('s1');
    first.socket.send('b');
    await tick();
    // The page goes away without closing anything: only what is stored survives.
    const second = open(kv);
    await tick();
    const ws = second.fake.last();
    ws.open();
    await tick();
    expect(ws.sent).toEqual(['{"type":"session","id":"s1","ack":1}']);
    ws.receive(welcome({ resumed: true, ack: 1, seq: 1, reason: undefined }));
    expect(ws.sent.slice(1)).toEqual([new Uint8Array([1, 2, 255]), 'b']);
    expect(second.socket.session).toMatchObject({ id: 's1', received: 1, acked: 1, outbox: { length: 2, bytes: 4 } });
    expect(second.errors).toEqual([]);
    second.socket.close();
  });

  it('writes once per task however many messages it sent', async () => {
    const kv = memoryKv();
    const { socket } = open(kv);
    await tick();
    const before = kv.sets;
    for (let i = 0; i < 100; i++) socket.send(`m${i}`);
    await tick();
    expect(kv.sets - before).toBe(1);
    expect((JSON.parse(kv.map.get('holdfast-session') as string) as { o: unknown[] }).o).toHaveLength(100);
    socket.close();
  });

  it('keeps the outbox after close() (it goes out on the next start) instead of dropping it', async () => {
    const kv = memoryKv();
    const drops: unknown[] = [];
    const first = open(kv);
    first.socket.on('drop', (d) => void drops.push(d));
    first.socket.send('kept');
    first.socket.close();
    await tick();
    expect(drops).toEqual([]);
    const second = open(kv);
    await tick();
    second.fake.last().open();
    await tick();
    second.fake.last().receive(welcome());
    expect(second.fake.last().sent.slice(1)).toEqual(['kept']);
    second.socket.close();
  });

  it.each([
    ['corrupt', '{"v":1,"id":'],
    ['foreign', '{"theme":"dark"}'],
    ['inconsistent', '{"v":1,"id":"s","rx":0,"seq":1,"acked":2,"o":[]}'],
  ])('%s content: a STORAGE error, a fresh session, and the key is cleared', async (_, content) => {
    const kv = memoryKv(content);
    const { fake, socket, errors } = open(kv);
    socket.send('x');
    await tick();
    expect(errors.map((e) => e.code)).toEqual(['STORAGE']);
    fake.last().open();
    expect(fake.last().sent).toEqual(['{"type":"session","id":null,"ack":0}']);
    expect(JSON.parse(kv.map.get('holdfast-session') as string)).toMatchObject({ v: 1, id: null }); // rewritten by us
    socket.close();
  });

  it('a storage that cannot be read: a STORAGE error and a session in memory', async () => {
    const kv = memoryKv();
    kv.fail = 'get';
    const { fake, socket, errors } = open(kv);
    await tick();
    fake.last().open();
    fake.last().receive(welcome());
    socket.send('a');
    expect(fake.last().sent.at(-1)).toBe('a');
    expect(errors.map((e) => [e.code, e.message])).toEqual([['STORAGE', 'session storage: read failed: starting a fresh session']]);
    socket.close();
  });

  it('a full storage: a STORAGE error, the stale state removed, and delivery goes on', async () => {
    const kv = memoryKv();
    const { fake, socket, errors } = open(kv);
    await tick();
    expect(kv.map.has('holdfast-session')).toBe(true);
    kv.fail = 'set';
    socket.send('a');
    await tick();
    expect(errors.map((e) => e.code)).toEqual(['STORAGE']);
    expect(kv.map.has('holdfast-session')).toBe(false);
    fake.last().open();
    fake.last().receive(welcome());
    expect(fake.last().sent.at(-1)).toBe('a');
    socket.close();
  });

  it('an asynchronous storage: the hello waits until the state is read', async () => {
    const kv = memoryKv(JSON.stringify({ v: 1, id: 'old', rx: 4, seq: 2, acked: 1, o: [[2, 0, 'two']] }));
    let release: (() => void) | undefined;
    const slow: SessionStorage = {
      get: (key) => new Promise((resolve) => (release = () => resolve(kv.get(key)))),
      set: kv.set,
      remove: kv.remove,
    };
    const { fake, socket } = open(slow);
    await tick();
    fake.last().open();
    expect(fake.last().sent).toEqual([]);
    release?.();
    await tick();
    expect(fake.last().sent).toEqual(['{"type":"session","id":"old","ack":4}']);
    fake.last().receive(welcome({ id: 'old', resumed: true, ack: 1, seq: 4, reason: undefined }));
    expect(fake.last().sent.at(-1)).toBe('two');
    socket.close();
  });

  it('does not store Blobs (reported), and removes a state far beyond the outbox limit instead of writing it', async () => {
    const kv = memoryKv();
    const { socket, errors } = open(kv, { maxBytes: 10 });
    socket.send(new Blob(['abc']));
    await tick();
    expect(errors.map((e) => e.message)).toEqual(['session storage: 1 Blob message(s) cannot be stored: they are kept in memory only']);
    socket.close();
    // Control characters take 6 characters each in JSON: 300 of them (within maxBytes 300) make a state over the bound.
    const big = memoryKv();
    const bloated = open(big, { maxBytes: 300 });
    await tick();
    expect(big.map.has('holdfast-session')).toBe(true);
    bloated.socket.send('\u0001'.repeat(300));
    await tick();
    expect(bloated.errors.map((e) => e.message)).toEqual(['session storage: state too big to store: the session is kept in memory only']);
    expect(big.map.has('holdfast-session')).toBe(false);
    bloated.socket.close();
  });

  it('keyValueStorage() refuses a store without get, set and remove', () => {
    expect(() => keyValueStorage({ get: () => null } as unknown as SessionStorage)).toThrow(TypeError);
  });
});

describe('storage adapters', () => {
  it('browserStorage() uses localStorage under the key', () => {
    const items = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    });
    try {
      const store = browserStorage('k');
      const errors: unknown[] = [];
      store.save({ id: 'a', rx: 1, seq: 1, acked: 0, outbox: [{ n: 1, d: 'x', s: 1 }] }, 100, (e) => errors.push(e));
      expect(JSON.parse(items.get('k') as string)).toEqual({ v: 1, id: 'a', rx: 1, seq: 1, acked: 0, o: [[1, 0, 'x']] });
      store.save(undefined, 100, (e) => errors.push(e));
      expect(items.has('k')).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('miniProgramStorage(wx) calls the sync API by key; Alipay takes { key, data } and answers { data }', async () => {
    const wxItems = new Map<string, unknown>();
    const wx = {
      getStorageSync: (k: string) => wxItems.get(k) ?? '',
      setStorageSync: (k: string, v: unknown) => void wxItems.set(k, v),
      removeStorageSync: (k: string) => void wxItems.delete(k),
    };
    const state = { id: 'w', rx: 0, seq: 0, acked: 0, outbox: [] };
    const report = vi.fn();
    const w = miniProgramStorage(wx, { key: 'wk' });
    w.save(state, 100, report);
    expect(await w.load(report)).toEqual(state);
    const myItems = new Map<string, unknown>();
    const my = {
      getStorageSync: ({ key }: { key: string }) => ({ data: myItems.get(key) }),
      setStorageSync: ({ key, data }: { key: string; data: unknown }) => void myItems.set(key, data),
      removeStorageSync: ({ key }: { key: string }) => void myItems.delete(key),
    };
    const a = miniProgramStorage(my, { alipay: true });
    a.save(state, 100, report);
    expect(myItems.has('holdfast-session')).toBe(true);
    expect(await a.load(report)).toEqual(state);
    expect(report).not.toHaveBeenCalled();
  });
});
