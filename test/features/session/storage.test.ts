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

describe('storage adapters: reading and removing', () => {
  const state = { id: 'w', rx: 1, seq: 1, acked: 0, outbox: [{ n: 1, d: 'x', s: 1 }] };

  it('browserStorage() loads what localStorage holds under the key, and reports a missing localStorage as STORAGE', async () => {
    const items = new Map([['k', JSON.stringify({ v: 1, id: 'w', rx: 1, seq: 1, acked: 0, o: [[1, 0, 'x']] })]]);
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    });
    const report = vi.fn();
    try {
      expect(await browserStorage('k').load(report)).toEqual(state);
      expect(await browserStorage('other').load(report)).toBeUndefined();
      expect(report).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
    vi.stubGlobal('localStorage', undefined);
    try {
      const errors: HoldfastError[] = [];
      expect(await browserStorage().load((e) => void errors.push(e))).toBeUndefined();
      browserStorage().save(state, 100, (e) => void errors.push(e));
      expect(errors.map((e) => e.code)).toEqual(['STORAGE', 'STORAGE']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('miniProgramStorage(): a non-string value under the key (or none at all) is no state; both kinds remove by key', async () => {
    const wxItems = new Map<string, unknown>([['holdfast-session', { app: 'own object' }]]);
    const wx = {
      getStorageSync: (k: string) => wxItems.get(k) ?? '',
      setStorageSync: (k: string, v: unknown) => void wxItems.set(k, v),
      removeStorageSync: (k: string) => void wxItems.delete(k),
    };
    const report = vi.fn();
    const w = miniProgramStorage(wx);
    expect(await w.load(report)).toBeUndefined();
    w.save(state, 100, report);
    expect(await w.load(report)).toEqual(state);
    w.save(undefined, 100, report);
    expect(wxItems.has('holdfast-session')).toBe(false);

    const myItems = new Map<string, unknown>([['mk', JSON.stringify({ v: 1, id: 'w', rx: 1, seq: 1, acked: 0, o: [[1, 0, 'x']] })]]);
    const my = {
      getStorageSync: ({ key }: { key: string }) => (myItems.has(key) ? { data: myItems.get(key) } : undefined), // a platform answering nothing for a missing key
      setStorageSync: ({ key, data }: { key: string; data: unknown }) => void myItems.set(key, data),
      removeStorageSync: ({ key }: { key: string }) => void myItems.delete(key),
    };
    const a = miniProgramStorage(my, { alipay: true, key: 'mk' });
    expect(await a.load(report)).toEqual(state);
    a.save(undefined, 100, report);
    expect(myItems.has('mk')).toBe(false);
    expect(await a.load(report)).toBeUndefined();
    expect(report).not.toHaveBeenCalled();
  });
});

describe('keyValueStorage(): what it loads and writes', () => {
  const good = { v: 1, id: 's', rx: 2, seq: 3, acked: 1, o: [[2, 0, 'b'], [3, 1, 'AQL/']] };
  /** A store holding `content` under the default key, and a report collecting errors. */
  function store(content?: unknown) {
    const kv = memoryKv(content === undefined ? undefined : typeof content === 'string' ? content : JSON.stringify(content));
    const errors: HoldfastError[] = [];
    return { kv, errors, p: keyValueStorage(kv), report: (e: HoldfastError) => void errors.push(e) };
  }

  it('loads a valid state: id, counts and the outbox with text and binary data and their sizes', async () => {
    const { p, errors, report } = store(good);
    expect(await p.load(report)).toEqual({
      id: 's',
      rx: 2,
      seq: 3,
      acked: 1,
      outbox: [
        { n: 2, d: 'b', s: 1 },
        { n: 3, d: new Uint8Array([1, 2, 255]), s: 3 },
      ],
    });
    const fresh = store({ ...good, id: null, o: [[0, 0, 'not sent yet']] });
    expect(await fresh.p.load(fresh.report)).toMatchObject({ id: undefined, outbox: [{ n: 0, d: 'not sent yet' }] });
    expect([...errors, ...fresh.errors]).toEqual([]);
  });

  it.each([null, undefined, ''])('%j under the key is no state: nothing reported, nothing removed', async (value) => {
    const kv = { get: vi.fn(() => value), set: vi.fn(), remove: vi.fn() };
    const report = vi.fn();
    expect(await keyValueStorage(kv).load(report)).toBeUndefined();
    expect(report).not.toHaveBeenCalled();
    expect(kv.remove).not.toHaveBeenCalled();
  });

  it.each([
    ['another version', { ...good, v: 2 }],
    ['a numeric id', { ...good, id: 5 }],
    ['an empty id', { ...good, id: '' }],
    ['no id', { ...good, id: undefined }],
    ...(['rx', 'seq', 'acked'] as const).flatMap((field) => [
      [`a textual ${field}`, { ...good, [field]: '3' }],
      [`a fractional ${field}`, { ...good, [field]: 2.5 }],
      [`a negative ${field}`, { ...good, [field]: -1 }],
    ]),
    ['acked beyond seq', { ...good, acked: 4 }],
    ['no outbox', { ...good, o: undefined }],
    ['an outbox object', { ...good, o: { 0: [1, 0, 'a'] } }],
    ['a row that is not an array', { ...good, o: ['abc'] }],
    ['a textual frame number', { ...good, o: [['1', 0, 'a']] }],
    ['a fractional frame number', { ...good, o: [[1.5, 0, 'a']] }],
    ['a negative frame number', { ...good, o: [[-1, 0, 'a']] }],
    ['a frame number beyond seq', { ...good, o: [[4, 0, 'a']] }],
    ['an unknown data kind', { ...good, o: [[1, 2, 'AQL/']] }],
    ['a data kind given as true', { ...good, o: [[1, true, 'AQL/']] }],
    ['text data that is not a string', { ...good, o: [[1, 0, 5]] }],
    ['binary data that is not a string', { ...good, o: [[1, 1, 5]] }],
    ['JSON that is not an object', 'null'],
    ['not JSON', '{"v":1'],
  ] as Array<[string, unknown]>)('%s: reported as STORAGE, removed, and no state', async (_, content) => {
    const { kv, p, errors, report } = store(content);
    expect(await p.load(report)).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['STORAGE']);
    expect(errors[0].message).toMatch(/corrupt/);
    expect(kv.map.has('holdfast-session')).toBe(false);
  });

  it('a read that throws is reported with its cause; a removal that throws after corrupt content is not a second error', async () => {
    const { kv, p, errors, report } = store(good);
    kv.fail = 'get';
    expect(await p.load(report)).toBeUndefined();
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['STORAGE', 'denied']]);
    expect(kv.map.has('holdfast-session')).toBe(true); // a storage that cannot be read is left alone
    const stuck = keyValueStorage({
      get: () => 'garbage',
      set: () => undefined,
      remove: () => {
        throw new Error('read-only');
      },
    });
    const more: HoldfastError[] = [];
    expect(await stuck.load((e) => void more.push(e))).toBeUndefined();
    expect(more.map((e) => e.code)).toEqual(['STORAGE']);
  });

  it('a write that throws or rejects is reported with its cause, and the stale state is removed', async () => {
    const { kv, p, errors, report } = store(good);
    kv.fail = 'set';
    p.save({ id: 's', rx: 0, seq: 0, acked: 0, outbox: [] }, 100, report);
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['STORAGE', 'QuotaExceededError']]);
    expect(errors[0].message).toMatch(/write failed/);
    expect(kv.map.has('holdfast-session')).toBe(false);

    const items = new Map([['k', 'stale']]);
    const late: HoldfastError[] = [];
    const async = keyValueStorage(
      {
        get: (k) => items.get(k),
        set: () => Promise.reject(new Error('full')),
        remove: async (k) => void items.delete(k),
      },
      'k',
    );
    async.save({ id: 's', rx: 0, seq: 0, acked: 0, outbox: [] }, 100, (e) => void late.push(e));
    expect(late).toEqual([]); // not known yet
    await tick();
    expect(late.map((e) => [e.code, (e.cause as Error).message])).toEqual([['STORAGE', 'full']]);
    expect(late[0].message).toMatch(/write failed/);
    expect(items.has('k')).toBe(false);
  });

  it('writes a state exactly at the size bound (twice the outbox limit plus 1 KiB) and refuses one a character over', () => {
    const state = (data: string) => ({ id: 's', rx: 0, seq: 1, acked: 0, outbox: [{ n: 1, d: data, s: data.length }] });
    const length = (data: string) => JSON.stringify({ v: 1, id: 's', rx: 0, seq: 1, acked: 0, o: [[1, 0, data]] }).length;
    const maxBytes = 200;
    const bound = 2 * maxBytes + 1024;
    const data = 'x'.repeat(bound - length(''));
    expect(length(data)).toBe(bound);
    const { kv, p, errors, report } = store();
    p.save(state(data), maxBytes, report);
    expect(errors).toEqual([]);
    expect(JSON.parse(kv.map.get('holdfast-session') as string).o).toEqual([[1, 0, data]]);
    p.save(state(data + 'x'), maxBytes, report);
    expect(errors.map((e) => e.code)).toEqual(['STORAGE']);
    expect(kv.map.has('holdfast-session')).toBe(false);
  });

  it.each([
    ['no store', undefined],
    ['no get', { set: () => undefined, remove: () => undefined }],
    ['no set', { get: () => null, remove: () => undefined }],
    ['no remove', { get: () => null, set: () => undefined }],
  ] as Array<[string, unknown]>)('refuses %s with a TypeError naming what it needs', (_, kv) => {
    expect(() => keyValueStorage(kv as unknown as SessionStorage)).toThrow(new TypeError('keyValueStorage() needs get, set and remove'));
  });
});
