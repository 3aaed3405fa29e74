/**
 * Where `session()` keeps its state across reloads: a small key/value interface, with adapters
 * for the browser (localStorage) and the mini-program storages. The state is one JSON string,
 * written at most once per task and bounded by the outbox limits.
 */
import type { SendData } from '../../core/transport';
import { sizeOf } from '../../core/socket';
import { isBlob } from '../../binary/bytes';
import { base64Decode, base64Encode } from '../../binary/base64';
import { HoldfastError } from '../../protocol/errors';

/**
 * A key/value store of strings. `get` answers null or undefined for a missing key. Each method
 * may answer synchronously or with a promise; any of them may throw (storage full, disabled,
 * missing): `session()` reports that as an `error` with code `STORAGE` and carries on in memory.
 */
export interface SessionStorage {
  get(key: string): string | null | undefined | PromiseLike<string | null | undefined>;
  set(key: string, value: string): void | PromiseLike<void>;
  remove(key: string): void | PromiseLike<void>;
}

/** What is kept: the session's id and counts, and the outbox: each message's data, size and frame number (0: not sent yet). */
export interface StoredState {
  id: string | undefined;
  rx: number;
  seq: number;
  acked: number;
  outbox: ReadonlyArray<{ readonly n: number; readonly d: SendData; readonly s: number }>;
}

type Report = (error: HoldfastError) => void;
type Row = [number, 0 | 1, string];

const VERSION = 1;
const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
const fail = (report: Report, what: string, cause?: unknown): void => report(new HoldfastError('STORAGE', `session storage: ${what}`, { cause }));

/**
 * How `session()` keeps its state: built by `keyValueStorage()`, `browserStorage()` or
 * `miniProgramStorage()`, which hold the serialisation (so a bundle without persistence does not
 * pay for it).
 */
export interface SessionPersistence {
  /** The stored state; undefined (after reporting why) for none, corrupt or foreign content. */
  load(report: Report): Promise<StoredState | undefined>;
  /** Writes the state (undefined: forgets it); bounded by `maxBytes` of outbox. */
  save(state: StoredState | undefined, maxBytes: number, report: Report): void;
}

/** Keeps the session in any string key/value store (under `key`, default `'holdfast-session'`). */
export function keyValueStorage(storage: SessionStorage, key = 'holdfast-session'): SessionPersistence {
  if (typeof storage?.get !== 'function' || typeof storage.set !== 'function' || typeof storage.remove !== 'function') throw new TypeError('keyValueStorage() needs get, set and remove');
  return {
    load: (report) => loadState(storage, key, report),
    save: (state, maxBytes, report) => saveState(storage, key, state, maxBytes, report),
  };
}

/** Reads the stored state; corrupt or foreign content is reported, removed, and gives a fresh session. */
async function loadState(storage: SessionStorage, key: string, report: Report): Promise<StoredState | undefined> {
  let text: unknown;
  try {
    text = await storage.get(key);
  } catch (cause) {
    fail(report, 'read failed: starting a fresh session', cause);
    return undefined;
  }
  if (text === null || text === undefined || text === '') return undefined;
  try {
    const s = JSON.parse(text as string) as { v?: unknown; id?: unknown; rx?: unknown; seq?: unknown; acked?: unknown; o?: unknown };
    const rows = s.o as Row[];
    if (
      s.v === VERSION &&
      (s.id === null || (typeof s.id === 'string' && s.id)) &&
      isCount(s.rx) &&
      isCount(s.seq) &&
      isCount(s.acked) &&
      s.acked <= s.seq &&
      Array.isArray(rows) &&
      rows.every((r) => Array.isArray(r) && isCount(r[0]) && r[0] <= (s.seq as number) && (r[1] === 0 || r[1] === 1) && typeof r[2] === 'string')
    ) {
      return {
        id: (s.id as string | null) ?? undefined,
        rx: s.rx,
        seq: s.seq,
        acked: s.acked,
        outbox: rows.map(([n, binary, text]) => {
          const d = binary ? base64Decode(text) : text;
          return { n, d, s: sizeOf(d) };
        }),
      };
    }
  } catch {
    // not ours: reported below
  }
  fail(report, 'stored state is corrupt or not ours: starting a fresh session');
  try {
    await storage.remove(key);
  } catch {
    // reported already
  }
  return undefined;
}

/**
 * Writes `state` (undefined: removes it). A state bigger than the outbox limit allows is not
 * written, and neither is one the storage refuses: the old one is removed then, so a reload
 * never resends what the server already has under stale numbers. Both are reported.
 */
function saveState(storage: SessionStorage, key: string, state: StoredState | undefined, maxBytes: number, report: Report): void {
  const drop = (what: string, cause?: unknown): void => {
    fail(report, what, cause);
    try {
      void Promise.resolve(storage.remove(key)).then(undefined, () => undefined);
    } catch {
      // nothing more to do
    }
  };
  let text: string | undefined;
  if (state) {
    let blobs = 0;
    const rows: Row[] = [];
    for (const { n, d } of state.outbox) {
      if (isBlob(d)) blobs++;
      else rows.push(typeof d === 'string' ? [n, 0, d] : [n, 1, base64Encode(d)]);
    }
    if (blobs) fail(report, `${blobs} Blob message(s) cannot be stored: they are kept in memory only`);
    text = JSON.stringify({ v: VERSION, id: state.id ?? null, rx: state.rx, seq: state.seq, acked: state.acked, o: rows });
    // Base64 and JSON add about a third to the outbox's bytes; beyond twice the limit something is wrong.
    if (text.length > 2 * maxBytes + 1024) return drop('state too big to store: the session is kept in memory only');
  }
  try {
    const done = text === undefined ? storage.remove(key) : storage.set(key, text);
    void Promise.resolve(done).then(undefined, (cause: unknown) => drop('write failed (full?): the session is kept in memory only', cause));
  } catch (cause) {
    drop('write failed (full?): the session is kept in memory only', cause);
  }
}

interface LocalStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `localStorage` of the page, read when the session starts. localStorage rather than IndexedDB:
 * its writes are synchronous, so a state written in the task that sent a message has landed
 * before any reload can begin (an IndexedDB transaction still in flight at unload is lost), and it
 * costs a few bytes where an IndexedDB wrapper costs hundreds. Its limit (about 5 MB per origin)
 * is far above the default outbox (1 MiB). A page where it is missing or disabled gets `STORAGE`
 * errors and a session in memory.
 */
export function browserStorage(key?: string): SessionPersistence {
  const ls = (): LocalStorageLike => (globalThis as unknown as { localStorage: LocalStorageLike }).localStorage;
  return keyValueStorage(
    {
      get: (k) => ls().getItem(k),
      set: (k, value) => ls().setItem(k, value),
      remove: (k) => ls().removeItem(k),
    },
    key,
  );
}

/** The storage API of a mini-program platform object (`wx`, `uni`, `tt`: by key; Alipay's `my`: by `{ key }`). */
export interface MiniProgramStorageApi {
  getStorageSync(key: never): unknown;
  setStorageSync(key: never, data?: never): unknown;
  removeStorageSync(key: never): unknown;
}

/**
 * The synchronous storage of a mini-program: `miniProgramStorage(wx)` (also `uni`, `tt`, and
 * Alipay's `my` with `{ alipay: true }`: its calls take `{ key, data }` objects and answer `{ data }`). Synchronous for
 * the same reason as `browserStorage()`: the app may be killed right after a send.
 */
export function miniProgramStorage(api: MiniProgramStorageApi, options: { alipay?: boolean; key?: string } = {}): SessionPersistence {
  type Call = (...args: unknown[]) => unknown;
  const get = api.getStorageSync as unknown as Call;
  const set = api.setStorageSync as unknown as Call;
  const remove = api.removeStorageSync as unknown as Call;
  const alipay = options.alipay;
  return keyValueStorage(
    {
      get(key) {
        const got = alipay ? (get.call(api, { key }) as { data?: unknown } | undefined)?.data : get.call(api, key);
        return typeof got === 'string' ? got : undefined;
      },
      set: (key, data) => void (alipay ? set.call(api, { key, data }) : set.call(api, key, data)),
      remove: (key) => void remove.call(api, alipay ? { key } : key),
    },
    options.key,
  );
}
