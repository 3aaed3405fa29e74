/**
 * `shared()`: one physical link for every socket of an origin that connects to the same URL (or
 * the same `key`), whichever tab it lives in. One socket leads: it holds a Web Lock and the real
 * WebSocket; every other socket gets, from `host.transport`, a WebSocket-like object that talks
 * to the leader over a BroadcastChannel. The core above it is unchanged: each socket keeps its
 * own state, queue, listeners, requests and handlers. docs/shared.md explains the design.
 */
import type { PlatformAbortSignal } from '../../protocol/bytes';
import type { Feature } from '../../core/feature';
import { badOption } from '../../core/options';
import { HoldfastError } from '../../protocol/errors';
import type { CloseEventLike, MessageEventLike, SendData, WebSocketConstructorLike, WebSocketLike } from '../../core/transport';

/** The version of the channel protocol below; part of every lock/channel name and every message. */
export const SHARED_VERSION = 2;

/**
 * The follower's watchdog period (ms): a leader silent for a tick is asked whether it is alive;
 * unanswered two ticks later, it is taken for frozen and its lock is stolen. A frozen leader is
 * replaced 3–4 ticks after its last word.
 */
export const SHARED_TICK = 1000;

/** The part of `navigator.locks` (the Web Locks API) that `shared()` uses. */
export interface LockManagerLike {
  request(name: string, options: { signal?: PlatformAbortSignal; steal?: boolean; ifAvailable?: boolean }, callback: (lock: unknown) => Promise<unknown> | void): Promise<unknown>;
}

/** The part of a `BroadcastChannel` that `shared()` uses. */
export interface BroadcastChannelLike {
  /** Declared as a method so that the platform's `(ev: MessageEvent) => any` fits. */
  onmessage: { bivariant(event: { readonly data: unknown }): void }['bivariant'] | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** Options of `shared()`. */
export interface SharedOptions {
  /**
   * Names the group of sockets that share a link. Default: the url (and subprotocols) of the
   * attempt, so that sockets connecting to the same url share. Give a key when the url differs
   * between tabs or attempts (a token in the query string): sockets with the same key share, and
   * the leading tab's url is the one connected to.
   */
  key?: string;
  /** The Web Locks lock manager. Default `navigator.locks`; without one, every socket keeps its own link. */
  locks?: LockManagerLike;
  /** The BroadcastChannel constructor. Default `globalThis.BroadcastChannel`; without one, every socket keeps its own link. */
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
}

/** What `shared()` adds to the socket. */
export interface Shared {
  /** True while this socket holds the physical link for its group (always true where nothing is shared). */
  readonly leader: boolean;
}

/** A message on the channel: `[version, kind, link, a, b]`. */
type Message = [number, string, number, unknown?, unknown?];

/** The tab's side of the shared link: a WebSocket as far as the core can tell. */
interface Port extends WebSocketLike {
  readyState: number;
  protocol: string;
}

// The core's own heartbeat frames: a follower's ping is answered in its tab (the leader's
// heartbeat watches the real link), and the server's heartbeat frames stay with the leader.
const PING = /^\{"type":"ping","ts":.*\}$/;
const BEAT = /"p[io]ng"/;
/** A request id rewritten by some tab: `~<tab>~<the id as JSON>`. */
const TAGGED = /^~\w+~/;
/** `session()`'s frames (docs/protocol.md §6): each tab's session gets a channel of the leader's link. */
const SESSION = '{"type":"session"';
/** A client's session frame with an id: a hello. */
const isHello = (data: unknown): boolean => typeof data === 'string' && data.startsWith(SESSION) && data.includes('"id"');
/** How long a link's first hello waits for an answer before the others go out without one (ms). */
const PROBE = 5000;

type Json = { id?: unknown; method?: unknown };
const json = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
/** A request (CONTRACT or JSON-RPC shape): it has a method and an id (not null: a JSON-RPC notification). */
const isRequest = (o: Json | undefined): o is Json => typeof o?.method === 'string' && o.id != null;
/** "HFB1", the first four bytes of a binary envelope (docs/protocol.md §2). */
const MAGIC = 0x48464231;
/**
 * `data` with `f` applied to the JSON object in it, or to each object of its JSON array (a
 * JSON-RPC batch), when its JSON holds `"id"`. Its JSON: a text frame's, or a binary
 * envelope's header (the attachments are kept as they are). `f` returns the object itself
 * (nothing to do), a new one, or undefined (drop it). Returns `data` itself when nothing changed,
 * undefined when nothing is left.
 */
const rewrite = (data: unknown, f: (o: Json) => Json | undefined): unknown => {
  let text = data;
  let end = 0;
  // One realm: the link's and the channel's ArrayBuffers are this page's (shared() runs in browsers only).
  if (data instanceof ArrayBuffer && data.byteLength > 7) {
    const view = new DataView(data);
    end = 8 + view.getUint32(4);
    if (view.getUint32(0) !== MAGIC || end > data.byteLength) return data;
    text = new TextDecoder().decode(new Uint8Array(data, 8, end - 8));
  }
  const v = typeof text === 'string' && text.includes('"id"') && json(text);
  let changed = false;
  const list: unknown[] = [];
  for (const o of Array.isArray(v) ? v : [v]) {
    const out = typeof o === 'object' && o ? f(o) : o;
    changed ||= out !== o;
    if (out !== undefined) list.push(out);
  }
  if (!changed) return data;
  if (!list.length) return;
  const out = JSON.stringify(Array.isArray(v) ? list : list[0]);
  if (!end) return out;
  const head = new TextEncoder().encode(out);
  const bytes = new Uint8Array(8 + head.length + (data as ArrayBuffer).byteLength - end);
  bytes.set(new Uint8Array(data as ArrayBuffer, 0, 4));
  new DataView(bytes.buffer).setUint32(4, head.length);
  bytes.set(head, 8);
  bytes.set(new Uint8Array(data as ArrayBuffer, end), 8 + head.length);
  return bytes.buffer;
};
/**
 * Shares one link between the sockets of every tab of the origin that connect to the same url (or
 * `key`). Falls back to a link per socket, silently, where the Web Locks API or BroadcastChannel
 * is missing (older browsers, mini-programs, Node).
 */
export function shared(options: SharedOptions = {}): Feature<Shared> {
  const key = options.key;
  if (key !== undefined && typeof key !== 'string') throw badOption('key');
  return (host) => {
    const locks = options.locks ?? (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
    const Channel = options.BroadcastChannel ?? (globalThis.BroadcastChannel as SharedOptions['BroadcastChannel']);
    if (!locks || !Channel) return { leader: true };
    const clock = host.clock;
    /** This socket's name: its channel on a link that carries sessions, and (`me`) its tag on request ids. */
    const tab = Math.random().toString(36).slice(2);
    const me = `~${tab}~`;
    /** This socket's port said a session hello: it has a channel, and hears only its channel's frames. */
    let chan = false;
    /** The server takes one session per link: this socket keeps a link of its own from now on. */
    let solo = false;
    /**
     * The leader's link and sessions: 0 no hello yet, 1 the first hello awaits its welcome (the
     * others wait in `held`), 2 channels (one per tab with a session), 3 no sessions on the server.
     */
    let mux = 0;
    let probe = '';
    let probeTimer: unknown;
    let held: Array<() => void> = [];
    const chans = new Set<string>();
    /** The channel our frames went to last, and the one the server's frames go to now. */
    let outCh: string | undefined;
    let inCh: string | undefined;
    let Platform: WebSocketConstructorLike;
    let url = '';
    let protocols: string | string[] | undefined;
    let name = '';
    let channel: BroadcastChannelLike | undefined;
    let abort: AbortController | undefined;
    let release: (() => void) | undefined;
    /** Bumped when the socket leaves its group: lock grants for an older one are handed back. */
    let gen = 0;
    let leading = false;
    /** The real link and its number, while this socket leads and one is open or opening. */
    let ws: WebSocketLike | undefined;
    let wn = 0;
    /** The newest link number heard of; smaller ones are a former leader's. */
    let seen = 0;
    /** The link that is open (0: none) and its subprotocol. */
    let up = 0;
    let proto = '';
    /** The port of this socket's current attempt, and the link it is open on (0 while connecting). */
    let port: Port | undefined;
    let pn = 0;
    let heard = 0;
    /** Ticks since this socket asked a silent leader whether it is alive (0: not asked). */
    let probed = 0;
    let timer: unknown;
    /** Releases this socket's own lock (`<group> <tab>`), held while it is in the group: its leader watches it. */
    let alive: (() => void) | undefined;
    /** Aborts the leader's watch on its channels' tabs when the link goes. */
    let watch: AbortController | undefined;
    /** Tabs whose channel left this link: what they still send is not written (it is in their outbox). */
    const parted = new Set<string>();

    const post = (kind: string, n: number, a?: unknown, b?: unknown): Message => {
      const m: Message = [SHARED_VERSION, kind, n, a, b];
      channel?.postMessage(m);
      return m;
    };
    /** A leader's message: to every other socket of the group, and to this one. */
    const say = (kind: string, n: number, a?: unknown, b?: unknown): void => handle(post(kind, n, a, b));

    const shut = (p: Port | undefined, code: number, reason: string): void => {
      if (!p || p.readyState > 2) return;
      p.readyState = 3;
      if (port === p) port = undefined;
      p.onclose?.({ code, reason, wasClean: code !== 1006 } satisfies CloseEventLike);
    };
    /** Opens this socket's port once the link is open and this socket holds its own lock. */
    const opened = (): void => {
      const p = port;
      if (!up || !alive || p?.readyState !== 0) return;
      p.readyState = 1;
      pn = up;
      p.protocol = proto;
      p.onopen?.({});
    };

    function handle([, kind, n, a, b]: Message): void {
      if (kind === '?') {
        // Answered from a timer: a frozen page runs no timers, though Chromium still hands it
        // channel messages. A hidden page's timers run late (about 1 s), hence two ticks to answer.
        if (leading) clock.setTimeout(() => leading && post(up ? 'o' : '!', up || seen, proto), 0);
        return;
      }
      if (kind === 's' || kind === 'x') {
        if (leading && wn === n && ws?.readyState === 1) (kind === 's' ? out : part)(b as string, a as SendData);
        return;
      }
      // From a leader: '!' (alive, or a new link is opening), 'o' open, 'm' message, 'c' closed.
      if (n < seen) return;
      heard = clock.now();
      probed = 0;
      if (n > seen) {
        // A newer link: whatever was open before is gone.
        seen = n;
        up = 0;
        if (pn) shut(port, 1001, 'leader changed');
        // Another tab's newer link: it stole the lock from this one (frozen meanwhile).
        if (leading && n !== wn) stepDown();
      }
      if (kind === 'o') {
        up = n;
        proto = a as string;
        opened();
      } else if (kind === 'c') {
        if (up === n) up = 0;
        if (pn === n || port?.readyState === 0) shut(port, a as number, b as string);
      } else if (kind === 'u') {
        // The server takes one session per link: every socket of the group goes its own way.
        solo = true;
        host.error(new HoldfastError('SESSION', 'one session per link: own link'));
        shut(port, 1001, 'own link');
        leave();
      } else if (kind === 'm' && pn === n && port?.readyState === 1) {
        // A channel's frame is its tab's alone ('': the tabs without one); undefined: every tab's.
        if (b !== undefined && b !== (chan ? tab : '')) return;
        // The server's requests (alone, in an envelope or in a batch) are the leader's: answered
        // once; the rest of a batch is every socket's. Answers to another socket's requests are
        // not ours; ours get their own id back. In a channel every frame is its tab's (its
        // session counts it).
        const data = rewrite(a, (o) => {
          const id = o.id;
          if ('method' in o) return leading || b !== undefined || !isRequest(o) ? o : undefined;
          if (typeof id !== 'string' || !TAGGED.test(id)) return o;
          return id.startsWith(me) ? { ...o, id: json(id.slice(me.length)) } : b ? o : undefined;
        });
        // The link's binary is an ArrayBuffer: a socket made with `binaryType: 'blob'` gets a Blob.
        if (data !== undefined) port.onmessage?.({ data: typeof data === 'string' || port.binaryType !== 'blob' ? data : new Blob([data as ArrayBuffer]) } satisfies MessageEventLike);
      }
    }

    /** Lets what waited for the first welcome go. */
    const flushHeld = (): void => {
      const waiting = held;
      held = [];
      for (const go of waiting) go();
    };
    const noSessions = (): void => {
      mux = 3;
      flushHeld();
    };
    /**
     * Writes a tab's frame to the link. A session hello names the tab's channel; on a link with
     * channels, a switch frame goes first whenever the frames change channel.
     */
    function out(from: string, data: SendData): void {
      const w = ws as WebSocketLike;
      if (mux === 1) {
        if (from !== probe) return void held.push(() => out(from, data));
        // The first hello's tab gave up waiting (its session's timeout): no sessions here.
        if (typeof data !== 'string' || !(data.startsWith(SESSION) || BEAT.test(data))) noSessions();
      }
      if (isHello(data)) {
        if (!mux) {
          mux = 1;
          probe = from;
          probeTimer = clock.setTimeout(() => mux === 1 && noSessions(), PROBE);
        }
        // A tab whose page goes without closing its socket releases its lock: its channel leaves then.
        if (from !== tab && !chans.has(from)) void locks?.request(`${name} ${from}`, { signal: watch?.signal }, async () => void (ws === w && part(from))).catch(() => undefined);
        chans.add(from);
        parted.delete(from);
        outCh = from;
        return w.send(`${(data as string).slice(0, -1)},"ch":"${from}"}`);
      }
      if (parted.has(from)) return;
      const want = chans.has(from) ? from : '';
      if (mux === 2 && outCh !== want) w.send(`${SESSION},"ch":"${(outCh = want)}"}`);
      w.send(data);
    }
    /** A tab's socket closed: its session leaves the link (the server keeps it for its ttl). */
    function part(from: string): void {
      if (mux === 1) return void held.push(() => part(from));
      if (!chans.delete(from) || mux !== 2) return;
      parted.add(from);
      (ws as WebSocketLike).send(`${SESSION},"ch":"${from}","close":true}`);
      outCh = undefined;
    }

    /** A frame for the leader to write. */
    const toLeader = (data: SendData): void => void (leading ? handle([SHARED_VERSION, 's', pn, data, tab]) : post('s', pn, data, tab));

    const openLink = (): void => {
      const n = Math.max(seen + 1, Date.now());
      const real = new Platform(url, protocols);
      real.binaryType = 'arraybuffer';
      ws = real;
      wn = n;
      mux = 0;
      held = [];
      chans.clear();
      parted.clear();
      watch = new AbortController();
      outCh = inCh = undefined;
      say('!', n);
      real.onopen = () => say('o', n, real.protocol ?? '');
      real.onmessage = ({ data }) => {
        let to = inCh;
        if (typeof data === 'string' && data.startsWith(SESSION)) {
          // An object, or undefined: the text starts with `{"type":"session"`.
          const m = json(data) as { ch?: unknown; ack?: unknown; resumed?: unknown; close?: unknown } | undefined;
          const ch = m?.ch;
          if (typeof ch === 'string') {
            // A switch (or a channel's close): the frames that follow are that channel's.
            if (!('ack' in m!)) return void (m!.close ? chans.delete(ch) : (inCh = ch));
            // A welcome selects its channel too; an echoed hello goes back to its tab only.
            if ('resumed' in m!) {
              inCh = ch;
              if (mux !== 2) {
                mux = 2;
                flushHeld();
              }
            } else if (mux === 1) noSessions();
            to = ch;
          } else if (mux && m && 'resumed' in m) return void say('u', n);
        }
        // Heartbeats reach the leading socket only (answered once); outside channels, so do the
        // server's requests (dropped in the other tabs, see handle()).
        if (typeof data === 'string' && data.length < 128 && BEAT.test(data)) handle([SHARED_VERSION, 'm', n, data]);
        else say('m', n, data, to);
      };
      real.onclose = real.onerror = (event) => {
        const e = event as Partial<CloseEventLike>;
        drop();
        say('c', n, e.code ?? 1006, e.reason ?? '');
      };
    };
    /** Lets go of the real link: handlers off, closed with `code` when given. */
    const drop = (code?: number, reason?: string): void => {
      const w = ws;
      ws = undefined;
      clock.clearTimeout(probeTimer);
      watch?.abort();
      if (!w) return;
      w.onopen = w.onmessage = w.onclose = w.onerror = null;
      if (w.readyState > 1) return;
      try {
        w.close(code, reason);
      } catch {
        w.close();
      }
    };
    /** The leading socket closes the link for everyone; the others see `told`, a code they reconnect after. */
    const closeLink = (code: number | undefined, reason = '', told = code ?? 1006): void => {
      if (!ws) return;
      drop(code, reason);
      say('c', wn, told, reason);
    };

    const stepDown = (): void => {
      leading = false;
      release?.();
      drop();
      if (pn) shut(port, 1001, 'leader changed');
      ask();
    };
    /**
     * Queues for the lock, or (`steal`) takes it from a leader that stopped answering. Settles
     * once this socket no longer holds or waits for it.
     */
    function ask(steal?: boolean): Promise<unknown> | undefined {
      abort?.abort();
      const mine = gen;
      let mine2: (() => void) | undefined;
      return locks
        ?.request(name, steal ? { steal } : { signal: (abort = new AbortController()).signal }, () => {
          return new Promise<void>((done) => {
            if (mine !== gen) return done();
            release = mine2 = done;
            leading = true;
            try {
              openLink();
            } catch {
              // The constructor refused the url: this socket's next attempt reports it.
            }
          });
        })
        // Aborted while queued, or stolen while leading (taken for frozen): then step down,
        // unless this socket stepped down already (and may lead again by a later grant).
        .catch(() => mine2 && release === mine2 && leading && stepDown());
    }

    const tick = (): void => {
      timer = clock.setTimeout(tick, SHARED_TICK);
      if (leading || clock.now() - heard < SHARED_TICK) return;
      if (!probed) post('?', 0);
      if (++probed > 2) {
        probed = 0;
        // Only one socket may replace link `seen`: the one that gets the lock named after it, held
        // while it leads; the others (two watchdogs firing together) wait for the new leader's word.
        locks.request(`steal ${seen} ${name}`, { ifAvailable: true }, (lock) => (lock ? ask(true) : void (heard = clock.now())));
      }
    };

    /** Leaves the group: lock, channel, timer and (when leading) the real link. */
    const leave = (code = 1000): void => {
      gen++;
      port = undefined;
      clock.clearTimeout(timer);
      abort?.abort();
      if (leading) closeLink(code, 'leader left', 1001);
      leading = false;
      release?.();
      alive?.();
      alive = undefined;
      channel?.close();
      channel = undefined;
      seen = up = 0;
    };
    const join = (next: string): void => {
      if (next === name && channel) return;
      leave();
      name = next;
      const ch = (channel = new Channel(name));
      ch.onmessage = ({ data }: { readonly data: unknown }) => {
        if (Array.isArray(data) && data[0] === SHARED_VERSION) handle(data as Message);
      };
      heard = clock.now();
      post('?', 0);
      const mine = gen;
      // A socket's port opens only once it holds its own lock (`alive`, cleared by leave()), so that the leader never watches a lock not yet taken.
      void locks?.request(`${name} ${tab}`, {}, () =>
        new Promise<void>((done) => {
          if (mine !== gen) return done();
          alive = done;
          opened();
        }),
      );
      ask();
      tick();
    };

    host.hook({
      end(code) {
        // This socket's session leaves the link; the others' stay.
        if (chan && pn && !leading) post('x', pn, undefined, tab);
        leave(code);
      },
    });
    host.transport((current) => {
      Platform = current;
      return function SharedPort(u: string, p?: string | string[]): Port {
        if (solo) return new Platform(u, p) as Port;
        url = u;
        protocols = p;
        join(`holdfast/${SHARED_VERSION} ${key ?? JSON.stringify([u, p])}`);
        const self = {
          readyState: 0,
          send(data: SendData) {
            if (self.readyState !== 1) return;
            if (typeof data === 'string' && !leading && PING.test(data)) {
              const pong = data.replace('ping', 'pong');
              return queueMicrotask(() => self.readyState === 1 && self.onmessage?.({ data: pong }));
            }
            if (isHello(data)) chan = true;
            if (ArrayBuffer.isView(data)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
            data = rewrite(data, (o) => (isRequest(o) ? { ...o, id: me + JSON.stringify(o.id) } : o)) as SendData;
            toLeader(data);
          },
          close(code?: number, reason?: string) {
            if (leading && port === self && (pn === wn || !pn)) closeLink(code, reason);
            shut(self, code ?? 1005, reason ?? '');
          },
        } as Port;
        port = self;
        pn = 0;
        chan = false;
        // A leader that was frozen may have lost its lock without knowing yet: the tab that stole
        // it holds `steal <this leader's link> <group>` while it leads. Only then a new link.
        if (leading && !ws)
          void locks.request(`steal ${seen} ${name}`, { ifAvailable: true }, (free) => {
            if (!free) return void (leading && stepDown());
            if (port !== self || !leading || ws) return;
            try {
              openLink();
            } catch {
              shut(self, 1006, '');
            }
          });
        else queueMicrotask(opened);
        return self;
      } as unknown as WebSocketConstructorLike;
    });

    return {
      get leader() {
        return leading;
      },
    };
  };
}
