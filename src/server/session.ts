/**
 * The server half of `session()` (docs/protocol.md §6): a session table with a TTL, the dedup
 * high-water mark (frames received), and a bounded replay buffer per session, behind a store
 * interface. It knows nothing of sockets: a transport hands each link's frames to a
 * `SessionLink` and sends through it, so it works over the reference server's connections and
 * over any other WebSocket server alike.
 */
import { randomUUID } from 'node:crypto';
import { decodeText } from '../protocol/wire';

/** One server frame kept for replay until the client acknowledges it. */
export interface ReplayFrame {
  /** Its number in the session (1, 2, …). */
  readonly n: number;
  readonly data: Uint8Array;
  readonly binary: boolean;
  /** When it was sent (ms, the hub's clock). */
  readonly t: number;
}

/** A session as the store keeps it. Plain data, so that a shared store can serialise it. */
export interface SessionRecord {
  readonly id: string;
  /** Client frames received: the dedup high-water mark. */
  in: number;
  /** Server frames numbered so far. */
  out: number;
  /** Server frames the client has acknowledged. */
  acked: number;
  /** Unacknowledged server frames still kept, oldest first. */
  frames: ReplayFrame[];
  /** Their total size in bytes. */
  bytes: number;
  /** The highest frame number dropped from `frames` before the client acknowledged it (0: none). */
  lost: number;
  /** When the session may be forgotten (ms): Infinity while a link is attached, else detach time + ttl. */
  expires: number;
}

/**
 * Where sessions live. The default keeps them in this process's memory (a restart forgets them:
 * clients then get `resumed: false`, reason `unknown`). A deployment of several processes can
 * plug a shared store: `get` may answer with a promise (frames of that link wait for it, in
 * order), `set` is called whenever a record changed in a way that must survive this process
 * (attach, detach, every ack batch), `delete` when a session is replaced.
 */
export interface SessionStore {
  get(id: string): SessionRecord | undefined | PromiseLike<SessionRecord | undefined>;
  set(record: SessionRecord): void | PromiseLike<void>;
  delete(id: string): void | PromiseLike<void>;
  /** Forgets the records whose `expires` is before `now`; called periodically by the hub. */
  sweep?(now: number): void;
}

/** The default store: a Map in this process. */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>();

  get size(): number {
    return this.#records.size;
  }

  get(id: string): SessionRecord | undefined {
    return this.#records.get(id);
  }

  set(record: SessionRecord): void {
    this.#records.set(record.id, record);
  }

  delete(id: string): void {
    this.#records.delete(id);
  }

  sweep(now: number): void {
    for (const [id, record] of this.#records) if (record.expires < now) this.#records.delete(id);
  }
}

/** Options of the session hub (`createServer({ sessions })`). Times in ms. */
export interface SessionOptions {
  /** How long a session without a link is kept. Default 120000 (2 minutes). */
  ttl?: number;
  /** Most unacknowledged frames kept per session for replay. Default 1000. */
  maxMessages?: number;
  /** Most bytes of unacknowledged frames kept per session. Default 1 MiB. */
  maxBytes?: number;
  /** Unacknowledged frames older than this are not kept. Default 120000 (2 minutes). */
  maxAge?: number;
  /** Acknowledge after this many client frames... Default 64. */
  ackEvery?: number;
  /** ...or this long after the first unacknowledged one. Default 100. */
  ackDelay?: number;
  /** Default: a MemorySessionStore. */
  store?: SessionStore;
  /** Clock for TTL and age (tests). Default Date.now. */
  now?: () => number;
}

/** What a link needs from its transport. */
export interface SessionPeer {
  /**
   * Writes one frame to this link, as it is (never through the session again); false when it
   * could not. `selects` (internal): the frame names its channel itself (a welcome), no switch needed.
   */
  write(data: Uint8Array, binary: boolean, selects?: boolean): boolean | void;
  /** Drops this link: another link took its session over. */
  close(): void;
}

/** Why a hello did not resume its session (docs/protocol.md §6). */
export type NotResumedReason = 'new' | 'unknown' | 'overflow' | 'mismatch';

const PREFIX = Buffer.from('{"type":"session"');

const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;

/** Most channels (tabs' sessions) one multi-session link may carry; a client that opens more loses the link. */
export const MAX_CHANNELS = 256;
/** Longest channel name accepted. */
const MAX_CHANNEL_NAME = 64;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`sessions.${name} must be a non-negative number, got ${String(value)}`);
  return value;
}

/** True when `data` holds `"ping"` or `"pong"` (a byte scan: no string is made for the many frames that do not). */
function mentionsBeat(data: Uint8Array): boolean {
  for (let i = data.indexOf(0x22); i >= 0 && i + 5 < data.length; i = data.indexOf(0x22, i + 1)) {
    // "p?ng" with ? = i or o
    if (data[i + 1] === 0x70 && (data[i + 2] === 0x69 || data[i + 2] === 0x6f) && data[i + 3] === 0x6e && data[i + 4] === 0x67 && data[i + 5] === 0x22) return true;
  }
  return false;
}

/** A text frame that is a CONTRACT heartbeat: belongs to the core on both sides, never counted. */
function isBeat(data: Uint8Array): boolean {
  if (data.length > 127 || !mentionsBeat(data)) return false;
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  try {
    const m = JSON.parse(text) as { type?: unknown; ts?: unknown } | null;
    return Number.isFinite(m?.ts) && (m?.type === 'ping' || m?.type === 'pong');
  } catch {
    return false;
  }
}

/** A text frame holding a CONTRACT request (`{"type":"request",…}` with an id and a method). */
function isRequestFrame(data: Uint8Array): boolean {
  const d = decodeText(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  return d.kind === 'protocol' && d.message.type === 'request';
}

/** Whether a text frame is one of the session's own (`{"type":"session"…`): a cheap prefix check. */
export const isSessionFrame = (data: Uint8Array): boolean => data.length >= PREFIX.length && data[0] === 0x7b && PREFIX.compare(data, 0, PREFIX.length) === 0;

/** A session frame: a hello (`id`), an ack, or (on a multi-session link) a channel's switch or close (`ch`). */
interface Control {
  id?: string | null;
  ack: number;
  hello: boolean;
  /** The channel it names (multi-session links, docs/protocol.md §6). */
  ch?: string;
  close?: boolean;
}

/** Parses a session frame; undefined when it is not well-formed (it is then application data). */
function parseControl(data: Uint8Array): Control | undefined {
  let m: { id?: unknown; ack?: unknown; ch?: unknown; close?: unknown } | null;
  try {
    m = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as typeof m;
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const ch = m.ch;
  if (ch !== undefined && (typeof ch !== 'string' || ch.length > MAX_CHANNEL_NAME)) return undefined;
  // A switch or a close names a channel and carries no count.
  if (ch !== undefined && !('ack' in m) && !('id' in m)) return { ack: 0, hello: false, ch, close: m.close === true };
  if (!isCount(m.ack)) return undefined;
  if (!('id' in m)) return ch === undefined ? { ack: m.ack, hello: false } : undefined;
  if (m.id !== null && (typeof m.id !== 'string' || m.id === '')) return undefined;
  return { id: m.id, ack: m.ack, hello: true, ch };
}

const text = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');

/**
 * The session table of one server process. `link(peer)` for every new WebSocket link; the link
 * does the rest. `close()` releases the timers (the memory store's sessions go with the process).
 */
export class SessionHub {
  readonly store: SessionStore;
  readonly #ttl: number;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #maxAge: number;
  readonly #ackEvery: number;
  readonly #ackDelay: number;
  readonly #now: () => number;
  /** Sessions attached to a link of this process, by id, with their live record. */
  readonly #attached = new Map<string, { record: SessionRecord; link: SessionLink }>();
  readonly #links = new Set<SessionLink>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Throws RangeError for a negative or non-numeric limit. */
  constructor(options: SessionOptions = {}) {
    this.#ttl = positive('ttl', options.ttl, 120_000);
    this.#maxMessages = positive('maxMessages', options.maxMessages, 1000);
    this.#maxBytes = positive('maxBytes', options.maxBytes, 1024 * 1024);
    this.#maxAge = positive('maxAge', options.maxAge, 120_000);
    this.#ackEvery = Math.max(1, positive('ackEvery', options.ackEvery, 64));
    this.#ackDelay = positive('ackDelay', options.ackDelay, 100);
    this.store = options.store ?? new MemorySessionStore();
    this.#now = options.now ?? Date.now;
  }

  /** Sessions attached to a link of this process right now. */
  get attached(): number {
    return this.#attached.size;
  }

  /** A new link: hand it every frame the link receives, and send through it. */
  link(peer: SessionPeer): SessionLink {
    const link = new SessionLink(this, peer);
    this.#links.add(link);
    if (!this.#sweeper && !this.#closed && this.store.sweep) {
      this.#sweeper = setInterval(() => this.store.sweep?.(this.#now()), Math.min(this.#ttl, 30_000) || 1000);
      this.#sweeper.unref?.();
    }
    return link;
  }

  /**
   * The session layer for a connection that has none yet, given the frame it just received:
   * made when that is a session frame (the client's hello, with `transport()` called once), else
   * undefined (the frame is plain application data).
   */
  join(payload: Buffer, isBinary: boolean, transport: () => SessionTransport): SessionLayer | undefined {
    return !isBinary && isSessionFrame(payload) ? new SessionLayer(this, transport()) : undefined;
  }

  /**
   * Sends to the session `id` wherever its client is: numbered and kept, and written at once
   * when the session is on a link of this process; replayed when the client comes back. A
   * string goes as text, bytes as binary. False when this process does not know the session
   * (ended, expired, or only in a shared store).
   */
  send(id: string, data: string | Uint8Array): boolean {
    const held = this.#attached.get(id);
    const record = held?.record ?? this.store.get(id);
    if (!record || typeof (record as PromiseLike<unknown>).then === 'function' || (record as SessionRecord).expires < this.#now()) return false;
    const binary = typeof data !== 'string';
    const bytes = binary ? Uint8Array.prototype.slice.call(data) : Buffer.from(data, 'utf8');
    this.keep(record as SessionRecord, bytes, binary)?.write(bytes, binary);
    return true;
  }

  /** Stops the sweeper and every link's ack timer. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    for (const link of [...this.#links]) link.detach();
  }

  /** @internal */
  get ackEvery(): number {
    return this.#ackEvery;
  }

  /** @internal */
  get ackDelay(): number {
    return this.#ackDelay;
  }

  /** @internal Forgets a link once its transport is gone. */
  forget(link: SessionLink): void {
    this.#links.delete(link);
  }

  /** @internal The live record of `id` and the link it is attached to in this process. */
  attachedTo(id: string): { record: SessionRecord; link: SessionLink } | undefined {
    return this.#attached.get(id);
  }

  /** @internal Looks a session up: in this process first, then in the store. */
  lookup(id: string): SessionRecord | undefined | PromiseLike<SessionRecord | undefined> {
    return this.#attached.get(id)?.record ?? this.store.get(id);
  }

  /**
   * @internal Answers a hello on `link`: resumes `found` when the client's `ack` fits it, else
   * starts a new session. Returns the record now attached to `link`, the welcome, and what to re-send.
   */
  answer(link: SessionLink, id: string | null | undefined, ack: number, found: SessionRecord | undefined, ch?: string): { record: SessionRecord; welcome: Uint8Array; replay: readonly ReplayFrame[] } {
    const named = ch === undefined ? {} : { ch };
    const now = this.#now();
    let reason: NotResumedReason | undefined = id === null || id === undefined ? 'new' : 'unknown';
    let record = found && found.expires >= now ? found : undefined;
    if (record) {
      this.#trimAge(record, now);
      if (ack > record.out) reason = 'mismatch';
      else if (ack < record.lost) reason = 'overflow';
      else reason = undefined;
    }
    // Whatever happens, the session is no one else's now: its old link (here) is dropped.
    const held = id ? this.#attached.get(id) : undefined;
    if (held && held.link !== link) held.link.takenOver();
    if (record && reason === undefined) {
      this.#acknowledge(record, ack);
      this.#attach(record, link);
      return { record, welcome: text({ type: 'session', id: record.id, resumed: true, ack: record.in, seq: ack, ...named }), replay: record.frames.filter((f) => f.n > ack) };
    }
    const processed = record?.in ?? 0;
    if (id) {
      this.#attached.delete(id);
      void this.#quietly(() => this.store.delete(id));
    }
    record = { id: randomUUID(), in: 0, out: 0, acked: 0, frames: [], bytes: 0, lost: 0, expires: Infinity };
    this.#attach(record, link);
    return { record, welcome: text({ type: 'session', id: record.id, resumed: false, ack: processed, seq: 0, reason, ...named }), replay: [] };
  }

  /** @internal Numbers and keeps a server frame; returns the link to write it to (none while detached). */
  keep(record: SessionRecord, data: Uint8Array, binary: boolean): SessionLink | undefined {
    const now = this.#now();
    const frame: ReplayFrame = { n: ++record.out, data, binary, t: now };
    record.frames.push(frame);
    record.bytes += data.byteLength;
    while (record.frames.length > this.#maxMessages || record.bytes > this.#maxBytes) this.#drop(record);
    this.#trimAge(record, now);
    const held = this.#attached.get(record.id);
    return held?.record === record ? held.link : undefined;
  }

  /** @internal The client acknowledged `ack` server frames. False when it claims more than were sent. */
  acknowledged(record: SessionRecord, ack: number): boolean {
    if (ack > record.out) return false;
    this.#acknowledge(record, ack);
    return true;
  }

  /** @internal Saves the record (after an ack batch). */
  save(record: SessionRecord): void {
    void this.#quietly(() => this.store.set(record));
  }

  /** @internal `link` is gone: its session starts its TTL. */
  detached(record: SessionRecord, link: SessionLink): void {
    const held = this.#attached.get(record.id);
    if (held?.link !== link) return;
    this.#attached.delete(record.id);
    record.expires = this.#now() + this.#ttl;
    this.save(record);
  }

  #attach(record: SessionRecord, link: SessionLink): void {
    record.expires = Infinity;
    this.#attached.set(record.id, { record, link });
    this.save(record);
  }

  #acknowledge(record: SessionRecord, ack: number): void {
    if (ack <= record.acked) return;
    record.acked = ack;
    let drop = 0;
    while (drop < record.frames.length && (record.frames[drop] as ReplayFrame).n <= ack) record.bytes -= (record.frames[drop++] as ReplayFrame).data.byteLength;
    if (drop > 0) record.frames.splice(0, drop);
  }

  #drop(record: SessionRecord): void {
    const frame = record.frames.shift() as ReplayFrame;
    record.bytes -= frame.data.byteLength;
    record.lost = frame.n;
  }

  #trimAge(record: SessionRecord, now: number): void {
    while (record.frames.length > 0 && now - (record.frames[0] as ReplayFrame).t > this.#maxAge) this.#drop(record);
  }

  /** Runs a store call; a failure (or rejection) is swallowed: the store's own problem, never the link's. */
  async #quietly(call: () => void | PromiseLike<void>): Promise<void> {
    try {
      await call();
    } catch {
      // A shared store that fails loses durability, not the live session.
    }
  }
}

/**
 * Hands an application frame to the application. `channel` is set on a multi-session link: the
 * channel (one tab's session) the frame came on, which is where answers to it belong
 * (`channel.send`).
 */
export type Deliver = (payload: Buffer, isBinary: boolean, channel?: SessionLink) => void;

/** The transport under one connection's session layer. */
export interface SessionTransport extends SessionPeer {
  /** Hands a frame to the application: never a session frame, never a duplicate. */
  deliver: Deliver;
}

/**
 * The `sessions` option of `createServer` and `createApp`: `false` → no hub; `true`, undefined
 * or an object → a hub with those options. Throws RangeError for a bad limit.
 */
export function sessionHub(option: boolean | SessionOptions | undefined): SessionHub | undefined {
  return option === false ? undefined : new SessionHub(option === true ? {} : option);
}

/**
 * The session layer of one connection, whatever the transport: it sits between the link and the
 * application. A transport asks `hub.join()` for one with each frame of a connection that has
 * none yet, which makes one only for a session frame (the client's hello), so a client without
 * `session()` costs nothing. From then on the transport hands it every frame the connection
 * receives (`receive`), sends every application frame through it (`send`) and ends it when the
 * connection is gone (`end`).
 */
export class SessionLayer {
  readonly #link: SessionLink;
  readonly #deliver: Deliver;

  /** @internal Made by `SessionHub.join()`. */
  constructor(hub: SessionHub, transport: SessionTransport) {
    this.#link = hub.link(transport);
    this.#deliver = transport.deliver;
  }

  /** The id of the session on this connection, once the hello was answered (undefined on a multi-session link: see `ids`). */
  get id(): string | undefined {
    return this.#link.id;
  }

  /** The ids of the sessions on this connection: one at most, several on a multi-session link (shared() tabs). */
  get ids(): string[] {
    return this.#link.ids;
  }

  /** A complete frame from the client: session frames and duplicates are taken, the rest is delivered, in order. */
  receive(payload: Buffer, isBinary: boolean): void {
    this.#link.receive(payload, isBinary, this.#deliver);
  }

  /** Sends one application frame through the session (numbered, kept for replay); true unless it was not sent at all. */
  send(data: Uint8Array, binary: boolean): boolean {
    return this.#link.send(data, binary);
  }

  /** The connection is gone: the session waits for its client's next link (its TTL runs). Idempotent. */
  end(): void {
    this.#link.detach();
  }
}

/**
 * One WebSocket link as the session layer sees it. Before a hello it is transparent; after the
 * welcome it counts, acknowledges and keeps frames. Frames are handled strictly in order, also
 * while a shared store looks the session up.
 *
 * A link whose client says hello with a channel (`"ch"`, the `shared()` client's multi-session
 * link, docs/protocol.md §6) carries several sessions: one child link per channel, each counting
 * its own frames; switch frames say which channel the frames that follow belong to.
 */
export class SessionLink {
  readonly #hub: SessionHub;
  readonly #peer: SessionPeer;
  /** The channel this link is on its connection's multi-session link (undefined: a link of its own). */
  readonly #ch: string | undefined;
  /** A multi-session link: its channels, the one client frames go to now, the one our frames went to last. */
  #chans: Map<string, SessionLink> | undefined;
  #in: SessionLink | undefined;
  #out: string | undefined;
  #record: SessionRecord | undefined;
  /** Another link took the session over: what arrives here is not the session's any more. */
  #taken = false;
  #gone = false;
  /** Frames that arrived while the store looked a session up, in order. */
  #waiting: Array<[Buffer, boolean, Deliver]> | undefined;
  #unacked = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Created by `SessionHub.link()` (and by a multi-session link for each channel). */
  constructor(hub: SessionHub, peer: SessionPeer, ch?: string) {
    this.#hub = hub;
    this.#peer = peer;
    this.#ch = ch;
  }

  /** The id of the session on this link, once a hello was answered (undefined on a multi-session link: see `ids`). */
  get id(): string | undefined {
    return this.#record?.id;
  }

  /** True once detached (its transport, or its channel, is gone). */
  get closed(): boolean {
    return this.#gone;
  }

  /** The channel's name, for a channel of a multi-session link. */
  get channel(): string | undefined {
    return this.#ch;
  }

  /** The ids of the sessions attached to this link: one at most, several on a multi-session link. */
  get ids(): string[] {
    if (!this.#chans) return this.#record && !this.#taken ? [this.#record.id] : [];
    return [...this.#chans.values()].flatMap((c) => c.ids);
  }

  /**
   * A complete frame from the client: session frames are taken, duplicates and frames of a link
   * that lost its session are dropped, the rest goes to `deliver` (the application), in order.
   */
  receive(payload: Buffer, isBinary: boolean, deliver: Deliver): void {
    if (this.#gone) return;
    if (this.#waiting) {
      this.#waiting.push([payload, isBinary, deliver]);
      return;
    }
    const control = !isBinary && isSessionFrame(payload) ? parseControl(payload) : undefined;
    if (this.#ch === undefined) {
      if (control?.ch !== undefined) return this.#select(control, payload, deliver);
      if (this.#chans) return (this.#in ?? this.#channelOf('')).receive(payload, isBinary, deliver);
    }
    if (control?.hello) return this.#hello(control.id, control.ack);
    const record = this.#record;
    if (control && record) {
      if (!this.#taken && this.#hub.acknowledged(record, control.ack)) this.#hub.save(record);
      return;
    }
    const on = this.#ch === undefined ? undefined : this;
    if (!record) return deliver(payload, isBinary, on);
    if (this.#taken) return; // the session moved to another link: counting this would break it
    if (!isBinary && isBeat(payload)) return deliver(payload, isBinary, on);
    record.in++;
    if (++this.#unacked >= this.#hub.ackEvery) this.#ack();
    else if (!this.#ackTimer) {
      this.#ackTimer = setTimeout(() => this.#ack(), this.#hub.ackDelay);
      this.#ackTimer.unref?.();
    }
    deliver(payload, isBinary, on);
  }

  /**
   * Sends one application frame: numbered, kept for replay and written when the session is on a
   * link. Before the hello it is written as it is; heartbeat pongs are never counted. A link whose
   * session moved on still sends into that session (a late answer reaches the client's new link).
   */
  send(data: Uint8Array, binary: boolean): boolean {
    // On a multi-session link, what the application sends to the connection goes to every session
    // on it; but a request (connection.request()) goes to one, the link's first still attached, so
    // that one tab answers it once (docs/protocol.md §6).
    if (this.#chans) {
      const all = [...this.#chans.values()];
      const one = !binary && isRequestFrame(data) ? all.find((c) => c.ids.length > 0) : undefined;
      let sent = false;
      for (const c of one ? [one] : all) sent = c.send(data, binary) || sent;
      return sent;
    }
    const record = this.#record;
    if (!record || (!binary && data.length < 128 && isBeat(data))) {
      return !this.#gone && !this.#taken && this.#peer.write(data, binary) !== false;
    }
    // A view into a bigger buffer (a read chunk, Node's pool) is copied: keeping it would keep the whole buffer alive.
    const kept = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Uint8Array.prototype.slice.call(data);
    this.#hub.keep(record, kept, binary)?.write(kept, binary);
    return true;
  }

  /** The transport is gone: the session starts its TTL; every timer of this link stops. */
  detach(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#waiting = undefined;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#record && !this.#taken) this.#hub.detached(this.#record, this);
    for (const c of this.#chans?.values() ?? []) c.detach();
    this.#chans = this.#in = undefined;
    this.#hub.forget(this);
  }

  /** @internal Writes to this link's transport. */
  write(data: Uint8Array, binary: boolean): void {
    if (!this.#gone && !this.#taken) this.#peer.write(data, binary);
  }

  /** @internal A hello on another link took this link's session: stop, and drop the link. */
  takenOver(): void {
    this.#taken = true;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#peer.close();
  }

  #ack(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    const record = this.#record;
    if (!record || this.#taken || this.#gone || this.#unacked === 0) return;
    this.#unacked = 0;
    this.#peer.write(text({ type: 'session', ack: record.in }), false);
    this.#hub.save(record);
  }

  #hello(id: string | null | undefined, ack: number): void {
    // A second hello on a link starts over: its old session goes back to waiting for a link.
    const old = this.#record;
    if (old && !this.#taken) this.#hub.detached(old, this);
    this.#record = undefined;
    this.#taken = false;
    this.#unacked = 0;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    let found: SessionRecord | undefined | PromiseLike<SessionRecord | undefined>;
    try {
      found = id ? this.#hub.lookup(id) : undefined;
    } catch {
      found = undefined;
    }
    if (typeof (found as PromiseLike<unknown> | undefined)?.then !== 'function') return this.#welcome(id, ack, found as SessionRecord | undefined);
    const waiting: Array<[Buffer, boolean, Deliver]> = [];
    this.#waiting = waiting;
    const go = (record: SessionRecord | undefined): void => {
      if (this.#waiting !== waiting) return; // detached meanwhile
      this.#waiting = undefined;
      this.#welcome(id, ack, record);
      // receive() queues behind a hello among them that waits for the store in turn.
      for (const [payload, isBinary, deliver] of waiting) this.receive(payload, isBinary, deliver);
    };
    (found as PromiseLike<SessionRecord | undefined>).then(go, () => go(undefined));
  }

  #welcome(id: string | null | undefined, ack: number, found: SessionRecord | undefined): void {
    const { record, welcome, replay } = this.#hub.answer(this, id, ack, found, this.#ch);
    this.#record = record;
    this.#peer.write(welcome, false, true);
    for (const frame of replay) this.#peer.write(frame.data, frame.binary);
  }

  /** A frame naming a channel (multi-session links): a hello, a switch, or a close. */
  #select(control: Control, payload: Buffer, deliver: Deliver): void {
    if (!this.#chans) {
      // The link carried one session of its own: it goes back to waiting for a link, as on a second hello.
      if (this.#record && !this.#taken) this.#hub.detached(this.#record, this);
      this.#record = undefined;
      clearTimeout(this.#ackTimer);
      this.#ackTimer = undefined;
      this.#chans = new Map();
    }
    const name = control.ch as string;
    if (control.close) {
      const c = this.#chans.get(name);
      c?.detach();
      this.#chans.delete(name);
      if (this.#in === c) this.#in = undefined;
      return;
    }
    const c = this.#channelOf(name);
    this.#in = c;
    if (control.hello) c?.receive(payload, false, deliver);
  }

  /** The channel `name` of this multi-session link, made on first use; none beyond MAX_CHANNELS (the link is dropped). */
  #channelOf(name: string): SessionLink {
    const chans = (this.#chans ??= new Map());
    let c = chans.get(name);
    if (!c) {
      if (chans.size >= MAX_CHANNELS) {
        this.#peer.close();
        this.detach();
      }
      c = new SessionLink(
        this.#hub,
        {
          write: (data, binary, selects) => {
            if (this.#gone) return false;
            if (this.#out !== name && !selects) this.#peer.write(text({ type: 'session', ch: name }), false);
            this.#out = name;
            return this.#peer.write(data, binary);
          },
          // Its session was resumed on another link: the client is told, the link stays for the others.
          close: () => {
            if (this.#gone) return;
            this.#out = undefined;
            this.#peer.write(text({ type: 'session', ch: name, close: true }), false);
          },
        },
        name,
      );
      if (this.#gone) c.detach();
      else chans.set(name, c);
    }
    return c;
  }
}
