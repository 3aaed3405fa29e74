/**
 * The core socket: the state, the attempts, the timers, the send queue, the heartbeat and the
 * one teardown path, plus the seam features plug into. Built by `connect()`.
 *
 * Each attempt is one `Link` object; the platform socket's handlers check that their link is
 * still the current one, so events of a replaced socket can never reach the socket. Application
 * code (listeners, hooks, `shouldReconnect`) runs inside the socket's own transitions: every
 * transition bumps `epoch`, and a sequence that called out stops when the epoch moved under it.
 */
import { MAX_TIMER_DELAY } from '../protocol/clock';
import { HoldfastError, type ErrorCode } from '../protocol/errors';
import { toTag, type PlatformBlob } from '../protocol/bytes';
import { nextDelay } from './backoff';
import type { EnvironmentSignal } from './environment';
import { createEmitter, type DropReason, type SocketEvents } from './events';
import type { Feature, FeatureHooks, FeatureHost } from './feature';
import type { AttemptContext, HeartbeatOptions, ResolvedOptions, UrlProvider } from './options';
import type { Fate } from './queue';
import { decideReconnect, type CloseInfo } from './reconnect';
import type { State } from './state';
import { CLOSING, CONNECTING, OPEN, type SendData, type WebSocketLike } from './transport';

/** What `send` did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped';

/**
 * A connection that keeps itself alive: the socket `connect()` returns before features add their
 * methods. `Data` is what `message` listeners receive.
 */
export interface CoreSocket<Data = string | ArrayBuffer> {
  readonly state: State;
  /** Last heartbeat round trip in ms; `undefined` before the first pong. */
  readonly rtt: number | undefined;
  /** The offline send queue, live. */
  readonly queue: { readonly length: number; readonly bytes: number };
  /**
   * Sends now when open, otherwise queues (`'queued'`, or `'dropped'` by the overflow policy);
   * after `close()` or `stop()` returns `'dropped'`. Never throws for being offline. Throws
   * QueueFullError only with overflow `'throw'`, a TypeError for data that is not a string,
   * ArrayBuffer, view or Blob, and whatever a feature's `send` hook throws (`maxMessageSize()`).
   */
  send(data: SendData): SendResult;
  /** Subscribes to a lifecycle event; the returned function unsubscribes. */
  on<E extends keyof SocketEvents<Data>>(event: E, listener: (payload: SocketEvents<Data>[E]) => void): () => void;
  /**
   * Closes for good: no reconnect after it, and `start()` no longer revives it. Queued messages
   * are dropped (reason `closed`; the `drain()` feature gives them time to go out first);
   * features end (rpc rejects pending requests with ClosedError `CLOSED`), no timer or platform
   * handler is left, and it ends with a `close` event and state `closed`. An open link first goes
   * through `closing` for up to `closeTimeout` ms. Calling it again does nothing.
   */
  close(code?: number, reason?: string): void;
  /**
   * Like `close()`, but not final: the socket ends the same way (state `closed`, queue dropped,
   * features end) and keeps its listeners, handlers and features, so `start()` can connect it
   * again, e.g. after a log-out. Does nothing once closing or closed.
   */
  stop(code?: number, reason?: string): void;
  /**
   * Connects a stopped socket again (one made with `start: false`, or after `stop()`), with the
   * retry counter reset. Does nothing unless the socket is closed, and nothing after `close()`.
   */
  start(): void;
  /** Starts a fresh attempt now (closing the current link, if any) with the retry counter reset. No-op once closing/closed. */
  reconnect(): void;
}

/** Close code we send when the heartbeat declares a link dead (application range, RFC 6455 §7.4.2). */
export const HEARTBEAT_TIMEOUT_CODE = 4000;

/** One attempt: its platform socket, once constructed. */
interface Link {
  ws?: WebSocketLike;
}

/** A queued message: its data, size in bytes, time queued and fate. */
interface Entry {
  readonly d: SendData;
  readonly s: number;
  readonly t: number;
  readonly f: Fate | undefined;
}

/** Timer slots: one per state that waits for something, and the heartbeat's. */
type Slot = State | 'heartbeat';

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** Closes a platform socket without letting a rejected code or reason escape. */
function closeQuietly(ws: WebSocketLike, info: CloseInfo): void {
  try {
    // Closing a still-connecting socket (readyState 0) takes no code: browsers and `ws` just fail
    // the handshake.
    if (ws.readyState) ws.close(info.code, info.reason);
    else ws.close();
  } catch {
    try {
      ws.close();
    } catch {
      // Already closed: nothing left to release.
    }
  }
}

/** The message of a platform error event, where the platform gives one (`ws`: `message`; undici: `error.message`). */
function platformReason(event: unknown): string {
  const e = event as { message?: unknown; error?: { message?: unknown } } | null;
  const text = e?.message ?? e?.error?.message;
  return typeof text === 'string' && text ? `: ${text}` : '';
}

/**
 * Wire bytes of what `send` accepts: `byteLength`, a Blob's `size`, or a string's UTF-8 length,
 * counted by code point (a pair is 2 units, 4 bytes; a lone surrogate goes out as 3-byte U+FFFD).
 * Shared with `session()` (its outbox bound), so one UTF-8 count ships. Only for data that
 * passed the core's `unsupported` check.
 */
export function sizeOf(data: SendData): number {
  if (typeof data !== 'string') return (data as ArrayBuffer).byteLength ?? (data as PlatformBlob).size;
  let n = 0;
  for (const c of data) n += c < '\x80' ? 1 : c < '\u0800' ? 2 : c.length + 2;
  return n;
}

/**
 * Not a string, view, ArrayBuffer or Blob (from any realm: by tag, not `instanceof`): what the
 * core can neither send nor deliver. One regex rather than the isBinary/isBlob helpers, so the
 * core bundle carries no more than this.
 */
const unsupported = (data: unknown): boolean => typeof data !== 'string' && !ArrayBuffer.isView(data) && !/^\[object (ArrayBuffer|Blob|File)]$/.test(toTag(data));

const closeInfo = (code: number, reason: string, wasClean = false): CloseInfo => ({ code, reason, wasClean });

/** Builds the socket, runs the features and schedules the first attempt in a microtask. */
export function createSocket(url: UrlProvider, o: ResolvedOptions, use: readonly Feature[]): CoreSocket & Record<string, unknown> {
  const clock = o.clock;
  const now = (): number => clock.now();
  const heartbeat = o.heartbeat;

  // Every timer of the socket sits in a named slot: setting a slot replaces (cancels) what was in
  // it, and a fired timer leaves its slot empty before its callback runs, so "no timer left after
  // close()" is one loop. A plain object, not a Map: its members would survive minification.
  const slots: Partial<Record<Slot, unknown>> = {};
  const clear = (slot: Slot): void => {
    // An empty slot hands the clock nothing to clear.
    if (slot in slots) clock.clearTimeout(slots[slot]);
    delete slots[slot];
  };
  /** Runs `fn` once after `ms` (negative counts as 0, above 2^31-1 as 2^31-1: Infinity waits 24.8 days), replacing the timer in `slot`. */
  const after = (slot: Slot, ms: number, fn: () => void): void => {
    clear(slot);
    slots[slot] = clock.setTimeout(
      () => {
        delete slots[slot];
        fn();
      },
      Math.max(0, Math.min(ms, MAX_TIMER_DELAY)),
    );
  };
  let hooks: readonly FeatureHooks[] = [];
  let state: State = 'closed';
  let epoch = 0;
  let link: Link | undefined;
  /** Consecutive failed attempts: the backoff exponent. */
  let retries = 0;
  let rtt: number | undefined;
  /** Some link of this socket has answered a ping: from then on, a missing pong means a dead link. */
  let answered = false;
  let warned = false;
  /** `close()` was called: `start()` no longer revives the socket. */
  let final = false;
  let WebSocketCtor = o.WebSocket;
  let unsubscribe: (() => void) | undefined;

  const emitter = createEmitter<SocketEvents<unknown>>((thrown, event) => {
    // An error listener that throws must not be fed its own error again.
    if (event !== 'error') fail('LISTENER', `${event as string} listener threw`, thrown);
  });
  const emit = emitter.emit;
  const error = (e: HoldfastError): void => emit('error', e);
  /** The core's one way to report: an `error` event with a HoldfastError of `code`, with `cause` when one is given. */
  const fail = (code: ErrorCode, message: string, ...cause: [unknown?]): void => error(new HoldfastError(code, message, cause.length ? { cause: cause[0] } : undefined));
  /** Reports a discarded message: to its fate first, if it has one, then as a `drop` event. */
  const dropped = (data: SendData, reason: DropReason, fate?: Fate): void => {
    fate?.(reason);
    emit('drop', { data, reason });
  };

  // The send queue: what is sent while the link is not open, oldest first, bounded by count and
  // bytes. Every message that leaves it other than by being written is reported as a drop.
  const limits = o.queue;
  const queue: Entry[] = [];
  let queued = 0; // bytes
  const fits = (size: number): boolean => queue.length < limits.maxMessages && queued + size <= limits.maxBytes;
  // Entries are in insertion order, so the expired ones are all at the front. Without a ttl the
  // comparison with undefined is false: nothing expires.
  const expired = (): boolean => queue.length > 0 && now() - (queue[0] as Entry).t >= (limits.ttl as number);
  /** Takes the oldest entry out; with a `reason`, reports it dropped. */
  const shift = (reason?: DropReason): Entry => {
    const entry = queue.shift() as Entry;
    queued -= entry.s;
    if (reason) dropped(entry.d, reason, entry.f);
    return entry;
  };

  /**
   * Queues `data`. With policy `drop-oldest` older messages are discarded to make room (expired
   * ones first); `'dropped'` when the message itself was discarded (policy `drop-newest`, or it
   * alone exceeds the limits). Throws QueueFullError with policy `throw`, leaving the queue as it was.
   */
  function enqueue(data: SendData, fate: Fate | undefined): SendResult {
    // Bytes are counted only when queued: not on the hot path.
    const size = sizeOf(data);
    while (!fits(size) && expired()) shift('expired');
    if (!fits(size)) {
      if (limits.overflow === 'throw') throw new HoldfastError('QUEUE_FULL', 'send queue full');
      if (limits.overflow === 'drop-newest' || size > limits.maxBytes || limits.maxMessages < 1) {
        dropped(data, 'overflow', fate);
        return 'dropped';
      }
      while (!fits(size)) shift('overflow');
    }
    queue.push({ d: data, s: size, t: now(), f: fate });
    queued += size;
    return 'queued';
  }
  const online = (): boolean => o.environment?.isOnline() ?? true;
  const ending = (): boolean => state === 'closing' || state === 'closed';

  // The heartbeat, on the CONTRACT's JSON ping/pong: a ping `interval` ms after the link opened
  // and after each answered ping; the link counts as dead when neither the matching pong nor any
  // other message arrives within `timeout`, so a half-open link is found within interval +
  // timeout. Waiting for the next ping and waiting for a pong never overlap: one slot is enough.
  // Decisions use timestamps, not the assumption that timers fire on time: background tabs and
  // sleeping machines fire timers late, and a timeout timer that fires more than twice its timeout
  // after the ping sends one fresh ping instead of declaring the link dead (the pong may not have
  // had a chance to arrive while the machine slept). It only runs while open: `move` stops it.
  /** The ts of the outstanding ping. */
  let sent: number | undefined;
  /** The timeout of the outstanding ping. */
  let limit = 0;
  /** The outstanding ping is the fresh one sent after a late timer. */
  let late = false;
  /** When the last message arrived while a ping was outstanding: every inbound message proves the link alive. */
  let lastIn = -Infinity;
  const hbStop = (): void => {
    clear('heartbeat');
    sent = undefined;
    late = false;
  };
  const hb = heartbeat as Readonly<Required<HeartbeatOptions>>;
  const schedule = (ms: number): void => {
    sent = undefined;
    after('heartbeat', ms, () => ping(hb.timeout));
  };
  const ping = (ms: number): void => {
    const ts = now();
    sent = ts;
    limit = ms;
    after('heartbeat', ms, () => {
      if (lastIn >= ts) settle(ts);
      else if (now() - ts > 2 * limit && !late) {
        late = true;
        ping(limit);
      } else {
        hbStop();
        // A server that has never answered a ping most likely does not speak the heartbeat:
        // say so once and keep the link (the heartbeat has stopped for it) instead of tearing
        // it down every interval + timeout, forever.
        if (!answered && !hb.required) {
          if (!warned) fail('HEARTBEAT', 'no pong: heartbeat unanswered');
          warned = true;
        } else {
          fail('TIMEOUT', 'heartbeat timeout');
          lost(closeInfo(HEARTBEAT_TIMEOUT_CODE, 'heartbeat timeout'), 'heartbeat timeout', true);
        }
      }
    });
    write(`{"type":"ping","ts":${ts}}`);
  };
  /** Keeps the ping cadence at `interval` from the last ping, whatever the answer time was. */
  const settle = (ts: number): void => {
    late = false;
    schedule(hb.interval - (now() - ts));
  };

  /** Moves to `to`; false when a `state` listener moved the socket on meanwhile. */
  function move(to: State, reason: string): boolean {
    const from = state;
    clear(from);
    hbStop(); // it only runs while open
    state = to;
    const mine = ++epoch;
    emit('state', { from, to, reason });
    return mine === epoch;
  }

  /** Writes to `ws` and tells the `frame` hooks; the platform refusing a message is reported, not thrown. */
  function put(ws: WebSocketLike, data: SendData): void {
    try {
      ws.send(data);
    } catch (cause) {
      return fail('SEND', 'send failed', cause);
    }
    for (const h of hooks) h.frame?.(data, true);
  }

  function write(data: SendData): boolean {
    const ws = link?.ws;
    const ok = ws?.readyState === OPEN;
    if (ok) put(ws, data);
    return ok;
  }

  function send(data: SendData, fate?: Fate): SendResult {
    if (unsupported(data)) throw new TypeError('unsupported data');
    for (const h of hooks) {
      const taken = h.send?.(data, fate);
      if (taken) return taken;
    }
    const ws = link?.ws;
    // The platform socket can already be closing before its close event reached us: queue then.
    if (state === 'open' && ws?.readyState === OPEN) {
      if (fate?.('sent') !== false) put(ws, data);
      return 'sent';
    }
    if (ending()) {
      dropped(data, 'closed', fate);
      return 'dropped';
    }
    return enqueue(data, fate);
  }

  function receive(data: unknown): void {
    if (state !== 'open') return;
    // Any message proves the link alive; only the outstanding ping's timeout asks (no clock read otherwise).
    if (sent !== undefined) lastIn = now();
    for (const h of hooks) h.frame?.(data, false);
    if (typeof data === 'string') {
      // A `{"type":"ping"|"pong","ts":n}` frame is short; longer frames skip the check entirely.
      if (data.length < 128 && /"p[io]ng"/.test(data)) {
        let m: { type?: unknown; ts?: unknown } | null | undefined;
        try {
          m = JSON.parse(data) as typeof m;
        } catch {
          // Not JSON: application data.
        }
        const ts = m?.ts;
        // A finite ts means `m` parsed to an object.
        const type = Number.isFinite(ts) && (m as { type?: unknown }).type;
        if (type === 'ping') return void write(`{"type":"pong","ts":${ts as number}}`);
        if (type === 'pong') {
          if (ts === sent) {
            // The answer to the outstanding ping (any other pong is ignored).
            rtt = Math.max(0, now() - (ts as number));
            answered = true;
            settle(ts as number);
            emit('heartbeat', { rtt });
          }
          return;
        }
      }
    } else if (unsupported(data)) return fail('PROTOCOL', `unsupported data (${toTag(data)})`);
    // An exact copy of a view: a view with an offset must not leak the rest of its buffer.
    else if (ArrayBuffer.isView(data)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    const payload = data as string | ArrayBuffer | PlatformBlob;
    for (const h of hooks) if (h.receive?.(payload) || state !== 'open') return;
    emit('message', payload);
  }

  /** Releases the current link: handlers set to null and, with `info`, its socket closed with it. */
  function detach(info?: CloseInfo): void {
    const ws = link?.ws;
    link = undefined;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Closing a still-connecting `ws` socket makes it emit 'error', which it throws when no
    // listener is attached; absorb that one instead of crashing the process.
    ws.onerror = ws.readyState === CONNECTING ? () => {} : null;
    if (info && ws.readyState < CLOSING) closeQuietly(ws, info);
  }

  /** Runs one attempt from state `connecting`: providers, then the platform socket. */
  function attempt(): void {
    if (!online()) return void move('reconnecting', 'offline');
    const a: Link = {};
    link = a;
    const ctx: AttemptContext = { attempt: retries };
    // A hook that moved the socket on (any move replaces the link) ends this attempt.
    if (!each((h) => h.attempt?.(ctx))) return;
    provide(a, 'url', url, ctx, (u) => {
      const why = 'url provider returned null';
      if (u === null) end(closeInfo(1000, why, true), why);
      else if (typeof u !== 'string') failed(a, 'url', new TypeError(typeof u));
      else provide(a, 'protocols', o.protocols, ctx, (p) => open(a, u, p as string | string[] | undefined));
    });
  }

  /** Calls a provider that may answer synchronously or with a promise; failures count as a failed attempt. */
  function provide(a: Link, what: string, value: unknown, ctx: AttemptContext, then: (value: unknown) => void): void {
    let result: unknown;
    try {
      result = typeof value === 'function' ? (value as (ctx: AttemptContext) => unknown)(ctx) : value;
    } catch (e) {
      return failed(a, what, e);
    }
    if (!isThenable(result)) then(result);
    else
      result.then(
        (v) => {
          if (link === a) then(v);
        },
        (e: unknown) => failed(a, what, e),
      );
  }

  function failed(a: Link, what: string, cause: unknown): void {
    const why = `${what} provider failed`;
    if (link === a) fail('URL', why, cause);
    if (link === a) lost(undefined, why);
  }

  /** Reports a platform failure as `CONNECT` and fails the attempt when it is still the current one. */
  function broken(a: Link, what: string, cause: unknown, why: string, info?: CloseInfo): void {
    fail('CONNECT', what + platformReason(cause), cause);
    if (link === a) lost(info, why, true);
  }

  function open(a: Link, u: string, protocols: string | string[] | undefined): void {
    let ws: WebSocketLike;
    try {
      ws = protocols === undefined ? new WebSocketCtor(u) : new WebSocketCtor(u, protocols);
    } catch (e) {
      return broken(a, 'WebSocket constructor threw', e, 'WebSocket constructor threw');
    }
    try {
      ws.binaryType = o.binaryType;
    } catch {
      // Some adapters fix the binary type; binary data is normalised on receipt anyway.
    }
    a.ws = ws;
    ws.onopen = () => {
      if (link === a) opened(a, ws);
    };
    ws.onmessage = (event) => {
      if (link === a) receive(event.data);
    };
    ws.onerror = (event) => {
      // An error while connecting ends the attempt: Node's global WebSocket (undici) reports a
      // refused connection with `error` and never `close`. An open link stays up.
      if (link === a) broken(state === 'connecting' ? a : {}, 'WebSocket error', event, 'connect error', closeInfo(1006, ''));
    };
    ws.onclose = (event) => {
      if (link !== a) return;
      const info = closeInfo(event.code, event.reason, event.wasClean);
      if (state === 'closing') end(info, 'closed');
      else lost(info, `link closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    };
    after('connecting', o.connectTimeout, () => {
      fail('TIMEOUT', 'connect timeout');
      // Reported as 1006 (closed without a close frame), which is what the platform would say.
      if (link === a) lost(closeInfo(1006, 'connect timeout'), 'connect timeout', true);
    });
  }

  function opened(a: Link, ws: WebSocketLike): void {
    // The connect timeout is cleared by the move to `open` below (nothing in between waits).
    if (!each((h) => h.up?.())) return;
    // Flushed while still `connecting`, so nothing sent from an `open`/`state` listener can
    // overtake a queued message; a listener that queues during the flush is flushed too, and a
    // listener that replaces the link mid-flush leaves the rest queued for the next one.
    // Expired messages are dropped instead of sent late.
    while (queue.length > 0 && link === a && ws.readyState === OPEN) {
      if (expired()) shift('expired');
      else {
        const { d, f } = shift();
        if (f?.('sent') !== false) put(ws, d);
      }
    }
    if (link !== a || !move('open', 'connected')) return;
    after('open', o.backoff.minUptime, () => {
      retries = 0;
    });
    if (heartbeat) schedule(heartbeat.interval);
    emit('open', { attempt: retries, protocol: ws.protocol ?? '' });
  }

  /**
   * The current link ended, or an attempt failed before one existed (`info` undefined), or
   * `reconnect()` asked for a fresh attempt (`manual`). Decides between retrying and ending,
   * tells the features, reports `close` for a link, and schedules the next attempt.
   */
  function lost(info: CloseInfo | undefined, why: string, closeIt?: boolean, manual?: boolean): void {
    const wasOpen = state === 'open';
    detach(closeIt ? info : undefined);
    let delay: number | null | undefined = 0;
    if (!manual) {
      const e = epoch;
      const retry =
        !info ||
        decideReconnect({ ...info, attempt: retries }, o.shouldReconnect, (cause) => fail('LISTENER', 'shouldReconnect threw', cause));
      delay = retry ? planDelay(info) : null;
      if (e !== epoch) return;
      const ended = info ?? closeInfo(1006, why);
      if (delay === null) {
        // The open link is gone for good: features hear it went down (rpc rejects in-flight
        // requests with DISCONNECTED), then the socket ends.
        if (wasOpen && info && !down(info)) return;
        const gaveUp = `gave up after ${retries} retries`;
        return retry ? end({ ...ended, reason: gaveUp }, gaveUp) : end(ended, `will not reconnect after ${why}`);
      }
    }
    if (!move('reconnecting', why) || (wasOpen && info && !down(info))) return;
    const e = epoch;
    if (info) {
      emit('close', { ...info, willReconnect: true });
      if (e !== epoch) return;
    }
    if (manual) retryNow(why);
    else if (delay !== undefined) {
      after('reconnecting', delay, () => retryNow('backoff elapsed'));
      emit('reconnecting', { attempt: retries, delay, reason: why });
    }
  }

  /**
   * Calls `fn` with each feature's hooks, in `use` order; a hook that throws is reported as a
   * LISTENER error and the others still run. False when one of them moved the socket on.
   */
  function each(fn: (hooks: FeatureHooks) => void): boolean {
    const e = epoch;
    for (const h of hooks) {
      try {
        fn(h);
      } catch (cause) {
        fail('LISTENER', 'hook threw', cause);
      }
      if (e !== epoch) return false;
    }
    return true;
  }

  const down = (info: CloseInfo): boolean => each((h) => h.down?.(info));

  /**
   * The wait before the next attempt, as the `delay` hooks leave it; `undefined` while offline
   * (no retry is spent), `null` when retries are exhausted and no `idleInterval` keeps the
   * socket trying.
   */
  function planDelay(info: CloseInfo | undefined): number | null | undefined {
    if (!online()) return undefined;
    const b = o.backoff;
    let delay = retries >= b.maxRetries ? b.idleInterval : nextDelay(retries++, b, o.random);
    if (delay === undefined) return null;
    each((h) => (delay = h.delay?.(delay as number, info) ?? delay));
    return delay;
  }

  /**
   * From `reconnecting` (every caller makes sure of it): attempts now, unless offline (then the
   * `online` signal, or the next backoff timer, tries again). The move clears the backoff timer.
   */
  function retryNow(why: string): void {
    if (online() && move('connecting', why)) attempt();
  }

  /** The one teardown: nothing survives it but the listeners, the hooks and the features. */
  function end(info: CloseInfo, why: string): void {
    // Never called on a closed socket: its callers check the state or their link first.
    const wasClosing = state === 'closing';
    detach(info);
    for (const slot in slots) clear(slot as Slot);
    unsubscribe?.();
    unsubscribe = undefined;
    move('closed', why);
    if (!wasClosing) each((h) => h.end?.(info.code));
    while (queue.length > 0) shift('closed');
    emit('close', { ...info, willReconnect: false });
  }

  /** `close()` and `stop()`: through `closing` when a link is open, else straight to `closed`. */
  function shut(info: CloseInfo): void {
    const ws = link?.ws;
    if (state !== 'open' || !ws) return end(info, 'close() called');
    if (!move('closing', 'close() called') || !each((h) => h.end?.(info.code))) return;
    // Set before closing: a platform that reports the close synchronously ends us at once.
    after('closing', o.closeTimeout, () => end(info, 'close timeout'));
    closeQuietly(ws, info);
  }

  // `offline` needs nothing: a backoff timer that fires while offline makes no attempt.
  function onSignal(signal: EnvironmentSignal): void {
    if (signal === 'online' || signal === 'resume') {
      if (state === 'reconnecting') retryNow(signal === 'online' ? 'network online' : 'resumed');
      // Checks the open link now: pings at once unless a ping is outstanding.
      else if (signal === 'resume' && state === 'open' && heartbeat && sent === undefined) ping(heartbeat.timeout);
    }
  }

  /** A platform API of the environment threw: reported after the current call, as an event. */
  function envFailed(cause: unknown): void {
    void Promise.resolve().then(() => fail('ENVIRONMENT', 'environment', cause));
  }

  /** From `closed` (a new or a stopped socket): subscribes to the environment and attempts. */
  function begin(why: string): void {
    retries = 0;
    unsubscribe = o.environment?.subscribe(onSignal, envFailed);
    if (move('connecting', why)) attempt();
  }

  function stop(code = 1000, reason = ''): void {
    if (!ending()) shut(closeInfo(code, reason));
  }

  const socket: CoreSocket<unknown> = {
    get state() {
      return state;
    },
    get rtt() {
      return rtt;
    },
    queue: {
      get length() {
        return queue.length;
      },
      get bytes() {
        return queued;
      },
    },
    send: (data) => send(data),
    on: emitter.on,
    close(code, reason) {
      final = true;
      stop(code, reason);
    },
    stop,
    start() {
      if (state === 'closed' && !final) begin('start() called');
    },
    reconnect() {
      if (ending()) return;
      retries = 0;
      const why = 'reconnect() called';
      if (state === 'reconnecting') retryNow(why);
      else lost(link?.ws ? closeInfo(1000, why) : undefined, why, true, true);
    },
  };

  const host: FeatureHost = {
    socket: socket as CoreSocket,
    clock,
    get retries() {
      return retries;
    },
    send,
    write,
    error,
    drop: dropped,
    hook(h) {
      hooks = [...hooks, h];
      return () => {
        hooks = hooks.filter((x) => x !== h);
      };
    },
    transport(wrap) {
      WebSocketCtor = wrap(WebSocketCtor);
    },
  };
  for (const feature of use) Object.defineProperties(socket, Object.getOwnPropertyDescriptors(feature(host)));

  if (o.start) {
    // Set up now, so that listeners added right after connect() see every event; the first
    // attempt runs in a microtask.
    state = 'connecting';
    unsubscribe = o.environment?.subscribe(onSignal, envFailed);
    const first = epoch;
    void Promise.resolve().then(() => {
      if (first === epoch && state === 'connecting') attempt();
    });
  }
  return socket as CoreSocket & Record<string, unknown>;
}
