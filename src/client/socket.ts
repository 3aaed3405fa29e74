/**
 * The socket: owns the state, the underlying WebSocket, the timers and the teardown, and wires
 * backoff, reconnect rules, heartbeat and send queue together.
 */
import { decodeText, encodePing, encodePong, type ProtocolMessage } from '../protocol/wire';
import { byteLength, isArrayBuffer, isBlob, toArrayBuffer } from './binary';
import { HoldfastError, MessageTooBigError, ProtocolError, TimeoutError } from './errors';
import type { EnvironmentSignal } from './environment';
import { Emitter, type DropReason, type SocketEvents } from './events';
import { Heartbeat, type HeartbeatSlot } from './heartbeat';
import { nextDelay, retryAfterMs } from './backoff';
import type { AttemptContext, ResolvedOptions, UrlProvider } from './options';
import { SendQueue } from './queue';
import { decideReconnect, type CloseInfo } from './reconnect';
import { assertTransition, type State } from './state';
import { Counters, type Stats } from './stats';
import { Timers } from './timers';
import { CLOSING, CONNECTING, OPEN, type SendData, type WebSocketLike } from './transport';

/** What `send` did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped';

/** A connection that keeps itself alive. Created by `connect()`. */
export interface HoldfastSocket {
  readonly state: State;
  /** Last heartbeat round trip in ms; `undefined` before the first pong. */
  readonly rtt: number | undefined;
  /** The offline send queue, live. */
  readonly queue: { readonly length: number; readonly bytes: number };
  /**
   * Sends now when open, otherwise queues (`'queued'`, or `'dropped'` by the overflow policy);
   * after `close()` returns `'dropped'`. Never throws for being offline. Throws
   * MessageTooBigError above `maxMessageSize`, QueueFullError only with overflow `'throw'`, and a
   * TypeError for data that is not a string, ArrayBuffer, view or Blob.
   */
  send(data: SendData): SendResult;
  /** Subscribes to an event; the returned function unsubscribes. */
  on<E extends keyof SocketEvents>(event: E, listener: (payload: SocketEvents[E]) => void): () => void;
  /**
   * Closes for good: no reconnect after it, queued messages are dropped (reason `closed`), no
   * timer or platform handler is left, and it ends with a `close` event and state `closed`.
   * An open link first goes through `closing` for up to `closeTimeout` ms. Calling it again does
   * nothing.
   */
  close(code?: number, reason?: string): void;
  /** Starts a fresh attempt now (closing the current link, if any) with the retry counter reset. No-op once closing/closed. */
  reconnect(): void;
  /** A snapshot of the counters. */
  stats(): Stats;
}

type Slot = 'connect' | 'backoff' | 'uptime' | 'closing' | HeartbeatSlot;

/** Timer slots that belong to a state: leaving the state clears them. */
const STATE_TIMERS: Readonly<Partial<Record<State, readonly Slot[]>>> = {
  connecting: ['connect'],
  open: ['uptime'],
  reconnecting: ['backoff'],
  closing: ['closing'],
};

/** Close code we send when the heartbeat declares a link dead (application range, RFC 6455 §7.4.2). */
export const HEARTBEAT_TIMEOUT_CODE = 4000;

const absorb = (): void => {};

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Closes a platform socket without letting a rejected code or reason escape. */
function closeQuietly(ws: WebSocketLike, code?: number, reason?: string): void {
  try {
    // Closing a still-connecting socket takes no code: browsers and `ws` just fail the handshake.
    if (ws.readyState === CONNECTING || code === undefined) ws.close();
    else ws.close(code, reason);
  } catch {
    try {
      ws.close();
    } catch {
      // Already closed: nothing left to release.
    }
  }
}

/** The implementation behind `HoldfastSocket`. Use `connect()` to create one. */
export class Socket implements HoldfastSocket {
  readonly queue: { readonly length: number; readonly bytes: number };
  readonly #opts: ResolvedOptions;
  readonly #url: UrlProvider;
  readonly #emitter: Emitter<SocketEvents>;
  readonly #timers: Timers<Slot>;
  readonly #sendQueue: SendQueue;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #counters = new Counters();
  #state: State = 'connecting';
  #stateSince: number;
  #ws: WebSocketLike | null = null;
  /** Bumped for every attempt and at the end; callbacks carrying an older value return early. */
  #generation = 0;
  /** Consecutive failed attempts: the backoff exponent. */
  #retries = 0;
  #rtt: number | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(url: UrlProvider, options: ResolvedOptions) {
    this.#url = url;
    this.#opts = options;
    this.#stateSince = options.clock.now();
    this.#timers = new Timers<Slot>(options.clock);
    this.#emitter = new Emitter<SocketEvents>((error, event) => {
      // An error listener that throws must not be fed its own error again.
      if (event !== 'error') this.#emitError(new HoldfastError('LISTENER', `a "${String(event)}" listener threw`, { cause: error }));
    });
    this.#sendQueue = new SendQueue(options.queue, () => options.clock.now(), (data, reason) => this.#drop(data, reason));
    const sendQueue = this.#sendQueue;
    this.queue = {
      get length() {
        return sendQueue.length;
      },
      get bytes() {
        return sendQueue.bytes;
      },
    };
    const hb = options.heartbeat;
    this.#heartbeat = hb
      ? new Heartbeat({
          interval: hb.interval,
          timeout: hb.timeout,
          timers: this.#timers,
          now: () => options.clock.now(),
          sendPing: (ts) => this.#writeCurrent(encodePing(ts)),
          onRtt: (rtt) => {
            this.#rtt = rtt;
            this.#emitter.emit('heartbeat', { rtt });
          },
          onDead: () => {
            this.#emitError(new TimeoutError(`no heartbeat answer within ${hb.timeout} ms`));
            this.#linkLost({ code: HEARTBEAT_TIMEOUT_CODE, reason: 'heartbeat timeout', wasClean: false }, 'heartbeat timeout', true);
          },
        })
      : undefined;
  }

  /**
   * Subscribes to the environment and schedules the first attempt in a microtask, so that
   * listeners added right after `connect()` see its events. Called once, by `connect()`.
   */
  start(): void {
    this.#unsubscribe = this.#opts.environment?.subscribe((signal) => this.#onSignal(signal));
    const generation = this.#generation;
    void Promise.resolve().then(() => {
      if (generation === this.#generation && this.#state === 'connecting') this.#beginAttempt();
    });
  }

  get state(): State {
    return this.#state;
  }

  get rtt(): number | undefined {
    return this.#rtt;
  }

  on<E extends keyof SocketEvents>(event: E, listener: (payload: SocketEvents[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  send(data: SendData): SendResult {
    const size = this.#measure(data);
    if (size > this.#opts.maxMessageSize) throw new MessageTooBigError(size, this.#opts.maxMessageSize);
    const ws = this.#ws;
    // The platform socket can already be closing before its close event reached us: queue then.
    if (this.#state === 'open' && ws !== null && ws.readyState === OPEN) {
      this.#write(ws, data, size);
      return 'sent';
    }
    if (this.#state === 'closing' || this.#state === 'closed') {
      this.#drop(data, 'closed');
      return 'dropped';
    }
    return this.#sendQueue.push(data, size);
  }

  close(code = 1000, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const ws = this.#ws;
    if (this.#state === 'open' && ws !== null) {
      this.#transition('closing', 'close() called');
      closeQuietly(ws, code, reason);
      this.#timers.set('closing', this.#opts.closeTimeout, () => this.#end({ code, reason, wasClean: false }, 'close timeout'));
      return;
    }
    this.#end({ code, reason, wasClean: false }, 'close() called');
  }

  reconnect(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const why = 'reconnect() called';
    this.#retries = 0;
    if (this.#state === 'reconnecting') {
      this.#retryNow(why);
      return;
    }
    const hadLink = this.#ws !== null;
    this.#detach(1000, 'reconnect');
    const generation = ++this.#generation;
    this.#transition('reconnecting', why);
    if (hadLink) this.#emitter.emit('close', { code: 1000, reason: why, wasClean: false, willReconnect: true });
    if (generation === this.#generation) this.#retryNow(why);
  }

  stats(): Stats {
    const c = this.#counters;
    const now = this.#opts.clock.now();
    return {
      state: this.#state,
      stateSince: this.#stateSince,
      timeInState: now - this.#stateSince,
      attempts: c.attempts,
      connects: c.connects,
      reconnects: Math.max(0, c.connects - 1),
      retries: this.#retries,
      lastReconnectReason: c.lastReconnectReason,
      lastCloseCode: c.lastCloseCode,
      lastCloseReason: c.lastCloseReason,
      rtt: this.#rtt,
      queue: { length: this.#sendQueue.length, bytes: this.#sendQueue.bytes },
      messagesIn: c.messagesIn,
      messagesOut: c.messagesOut,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      drops: { ...c.drops },
    };
  }

  // ---- state ---------------------------------------------------------------------------------

  #transition(to: State, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    assertTransition(from, to);
    for (const slot of STATE_TIMERS[from] ?? []) this.#timers.clear(slot);
    if (from === 'open') this.#heartbeat?.stop();
    this.#state = to;
    this.#stateSince = this.#opts.clock.now();
    this.#emitter.emit('state', { from, to, reason });
  }

  #isOnline(): boolean {
    return this.#opts.environment?.isOnline() ?? true;
  }

  // ---- attempts ------------------------------------------------------------------------------

  /** Runs one attempt from state `connecting`: providers, then the platform socket. */
  #beginAttempt(): void {
    const generation = ++this.#generation;
    if (!this.#isOnline()) {
      this.#transition('reconnecting', 'offline');
      return;
    }
    this.#counters.attempts++;
    const ctx: AttemptContext = { attempt: this.#retries };
    const url = this.#url;
    const protocols = this.#opts.protocols;
    this.#resolve(generation, 'url', () => (typeof url === 'function' ? url(ctx) : url), (resolvedUrl) => {
      if (resolvedUrl === null) {
        this.#end({ code: 1000, reason: 'url provider returned null', wasClean: true }, 'url provider returned null');
      } else if (typeof resolvedUrl !== 'string') {
        this.#providerFailed(generation, 'url', new TypeError(`expected a string or null, got ${typeof resolvedUrl}`));
      } else {
        this.#resolve(generation, 'protocols', () => (typeof protocols === 'function' ? protocols(ctx) : protocols), (resolved) =>
          this.#openSocket(generation, resolvedUrl, resolved),
        );
      }
    });
  }

  /** Calls a provider that may answer synchronously or with a promise; failures count as a failed attempt. */
  #resolve<T>(generation: number, what: string, produce: () => T | PromiseLike<T>, use: (value: T) => void): void {
    let result: T | PromiseLike<T>;
    try {
      result = produce();
    } catch (error) {
      this.#providerFailed(generation, what, error);
      return;
    }
    if (!isThenable(result)) {
      use(result);
      return;
    }
    result.then(
      (value) => {
        if (generation === this.#generation) use(value);
      },
      (error: unknown) => this.#providerFailed(generation, what, error),
    );
  }

  #providerFailed(generation: number, what: string, error: unknown): void {
    if (generation !== this.#generation) return;
    this.#emitError(new HoldfastError('URL', `the ${what} provider failed`, { cause: error }));
    if (generation === this.#generation) this.#linkLost(undefined, `${what} provider failed`, false);
  }

  #openSocket(generation: number, url: string, protocols: string | string[] | undefined): void {
    let ws: WebSocketLike;
    try {
      ws = protocols === undefined ? new this.#opts.WebSocket(url) : new this.#opts.WebSocket(url, protocols);
    } catch (error) {
      this.#emitError(new HoldfastError('CONNECT', 'the WebSocket constructor threw', { cause: error }));
      if (generation === this.#generation) this.#linkLost(undefined, 'WebSocket constructor threw', false);
      return;
    }
    try {
      ws.binaryType = this.#opts.binaryType;
    } catch {
      // Some adapters fix the binary type; binary data is normalised on receipt anyway.
    }
    this.#ws = ws;
    const current = (): boolean => generation === this.#generation;
    ws.onopen = () => {
      if (current()) this.#onOpen(generation, ws);
    };
    ws.onmessage = (event) => {
      if (current()) this.#onMessage(event.data);
    };
    ws.onerror = (event) => {
      if (current()) this.#emitError(new HoldfastError('CONNECT', 'the WebSocket reported an error', { cause: event }));
    };
    ws.onclose = (event) => {
      if (!current()) return;
      const info = { code: event.code, reason: event.reason, wasClean: event.wasClean };
      if (this.#state === 'closing') this.#end(info, 'closed');
      else this.#linkLost(info, `link closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`, false);
    };
    this.#timers.set('connect', this.#opts.connectTimeout, () => {
      // Reported as 1006 (closed without a close frame), which is what the platform would say.
      this.#linkLost({ code: 1006, reason: 'connect timeout', wasClean: false }, 'connect timeout', true);
      this.#emitError(new TimeoutError(`no connection within ${this.#opts.connectTimeout} ms`));
    });
  }

  #onOpen(generation: number, ws: WebSocketLike): void {
    this.#timers.clear('connect');
    // Flushed while still `connecting`, so nothing sent from an `open`/`state` listener can
    // overtake a queued message; a listener that queues during the flush is flushed too.
    this.#sendQueue.flush((data, size) => this.#write(ws, data, size));
    if (generation !== this.#generation) return;
    this.#transition('open', 'connected');
    this.#counters.connects++;
    this.#timers.set('uptime', this.#opts.backoff.minUptime, () => {
      this.#retries = 0;
    });
    this.#heartbeat?.start();
    this.#emitter.emit('open', { attempt: this.#retries, protocol: ws.protocol ?? '' });
  }

  #onSignal(signal: EnvironmentSignal): void {
    if (signal === 'offline' && this.#state === 'reconnecting') {
      this.#timers.clear('backoff');
    } else if (signal === 'online' && this.#state === 'reconnecting') {
      this.#retryNow('network online');
    } else if (signal === 'resume') {
      if (this.#state === 'open') this.#heartbeat?.check();
      else if (this.#state === 'reconnecting') this.#retryNow('resumed');
    }
  }

  /** From `reconnecting`: attempts now, unless offline (then waits for the `online` signal). */
  #retryNow(why: string): void {
    if (this.#state !== 'reconnecting') return;
    this.#timers.clear('backoff');
    if (!this.#isOnline()) return;
    this.#transition('connecting', why);
    this.#beginAttempt();
  }

  /**
   * The current link ended (or an attempt failed before one existed: `info` undefined). Decides
   * between retrying and ending, reports `close` for a link, and schedules the next attempt.
   */
  #linkLost(info: CloseInfo | undefined, why: string, closeLink: boolean): void {
    const generation = ++this.#generation;
    if (closeLink && info) this.#detach(info.code, info.reason);
    else this.#detach();
    if (info) {
      this.#counters.lastCloseCode = info.code;
      this.#counters.lastCloseReason = info.reason;
    }
    const retry =
      info === undefined ||
      decideReconnect({ ...info, attempt: this.#retries }, this.#opts.shouldReconnect, (error) =>
        this.#emitError(new HoldfastError('LISTENER', 'shouldReconnect threw; the close-code table decided', { cause: error })),
      );
    if (generation !== this.#generation) return;
    const link = info ?? { code: 1006, reason: why, wasClean: false };
    if (!retry) {
      this.#end(link, `will not reconnect after ${why}`);
      return;
    }
    const delay = this.#planDelay(info);
    if (delay === null) {
      const exhausted = `gave up after ${this.#retries} retries`;
      this.#end({ ...link, reason: exhausted }, exhausted);
      return;
    }
    this.#counters.lastReconnectReason = why;
    this.#transition('reconnecting', why);
    if (info && generation === this.#generation) this.#emitter.emit('close', { ...info, willReconnect: true });
    if (generation !== this.#generation) return;
    if (delay === undefined) return; // offline: the `online` signal starts the next attempt
    this.#timers.set('backoff', delay, () => this.#retryNow('backoff elapsed'));
    this.#emitter.emit('reconnecting', { attempt: this.#retries, delay, reason: why });
  }

  /**
   * The wait before the next attempt; `undefined` while offline (no retry is spent), `null` when
   * retries are exhausted and no `idleInterval` keeps the socket trying.
   */
  #planDelay(info: CloseInfo | undefined): number | undefined | null {
    if (!this.#isOnline()) return undefined;
    const { backoff } = this.#opts;
    if (this.#retries >= backoff.maxRetries) return backoff.idleInterval ?? null;
    const delay = nextDelay(this.#retries, backoff, this.#opts.random);
    this.#retries++;
    // RFC 6455 1013 "Try Again Later": honour the server's `retry-after=<seconds>` hint.
    return info?.code === 1013 ? Math.max(delay, retryAfterMs(info.reason)) : delay;
  }

  /** Final teardown: nothing survives it but the listeners. */
  #end(info: CloseInfo, why: string): void {
    ++this.#generation;
    this.#detach(info.code, info.reason);
    this.#timers.clearAll();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#transition('closed', why);
    this.#sendQueue.discard('closed');
    this.#emitter.emit('close', { ...info, willReconnect: false });
  }

  /**
   * Releases the current platform socket: handlers set to null and, when a code is given and
   * it is still open or connecting, closed with it. Its late events can no longer reach us.
   */
  #detach(code?: number, reason?: string): void {
    const ws = this.#ws;
    if (ws === null) return;
    this.#ws = null;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    // Closing a still-connecting socket makes Node's `ws` emit 'error', which it throws when no
    // listener is attached; absorb that one instead of crashing the process.
    ws.onerror = ws.readyState === CONNECTING ? absorb : null;
    if (code !== undefined && ws.readyState < CLOSING) closeQuietly(ws, code, reason);
  }

  // ---- data ----------------------------------------------------------------------------------

  #measure(data: SendData): number {
    try {
      return byteLength(data);
    } catch {
      throw new TypeError('holdfast: send() takes a string, an ArrayBuffer, an ArrayBuffer view or a Blob');
    }
  }

  #write(ws: WebSocketLike, data: SendData, size: number): void {
    try {
      ws.send(data);
    } catch (error) {
      this.#emitError(new HoldfastError('CONNECT', 'the WebSocket refused a message', { cause: error }));
      return;
    }
    this.#counters.messagesOut++;
    this.#counters.bytesOut += size;
  }

  /** Writes a control message (heartbeat ping/pong) if the link is open; never queued. */
  #writeCurrent(text: string): void {
    const ws = this.#ws;
    if (ws !== null && ws.readyState === OPEN) this.#write(ws, text, text.length);
  }

  #onMessage(data: unknown): void {
    if (this.#state !== 'open') return;
    this.#counters.messagesIn++;
    this.#heartbeat?.noteInbound();
    if (typeof data === 'string') {
      this.#counters.bytesIn += byteLength(data);
      this.#onText(data);
      return;
    }
    if (!isBlob(data) && !isArrayBuffer(data) && !ArrayBuffer.isView(data)) {
      this.#emitError(new ProtocolError(`unsupported message data (${Object.prototype.toString.call(data)})`));
      return;
    }
    // Views (e.g. a Node Buffer from an adapter) become an exact ArrayBuffer copy. A Blob only
    // arrives with binaryType 'blob' (documented on the option) and is passed as is.
    const binary = isBlob(data) ? data : toArrayBuffer(data);
    this.#counters.bytesIn += byteLength(binary);
    this.#emitter.emit('message', binary as ArrayBuffer);
  }

  #onText(text: string): void {
    const decoded = decodeText(text);
    if (decoded.kind === 'data') {
      this.#emitter.emit('message', text);
    } else if (decoded.kind === 'invalid') {
      this.#emitError(new ProtocolError(`invalid ${text.length > 80 ? 'message' : text}: ${decoded.reason}`));
    } else if (decoded.message.type === 'pong') {
      this.#heartbeat?.onPong(decoded.message.ts);
    } else if (decoded.message.type === 'ping') {
      this.#writeCurrent(encodePong(decoded.message.ts));
    } else {
      this.#onProtocolMessage(decoded.message, text);
    }
  }

  /**
   * SEAM: requests, responses and events from the remote side arrive here. For now they are
   * delivered to `message` listeners as the original text; request/response and application
   * events plug in here later.
   */
  #onProtocolMessage(_message: Exclude<ProtocolMessage, { type: 'ping' | 'pong' }>, text: string): void {
    this.#emitter.emit('message', text);
  }

  #drop(data: SendData, reason: DropReason): void {
    this.#counters.drops[reason]++;
    this.#emitter.emit('drop', { data, reason });
  }

  #emitError(error: HoldfastError): void {
    this.#emitter.emit('error', error);
  }
}
