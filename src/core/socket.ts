/**
 * The socket: owns the state, the underlying WebSocket, the timers and the teardown, and wires
 * backoff, reconnect rules, heartbeat, send queue, request table and protocol dispatch together.
 */
import { encodePing, encodePong } from '../protocol/wire';
import type { DefaultApi, EmitArgs, EmitName, EventListener, EventName, Handler, HandlerName, MethodName, ParamsArgs, ResultOf } from '../features/rpc/api';
import { byteLength, isArrayBuffer, isBlob } from '../binary/bytes';
import { Dispatcher, isThenable, type AnyHandler } from '../features/rpc/dispatch';
import { ClosedError, HoldfastError, MessageTooBigError, ProtocolError, QueueFullError, TimeoutError } from '../protocol/errors';
import type { EnvironmentSignal } from './environment';
import { Emitter, type DropReason, type SocketEvents } from './events';
import { Heartbeat, type HeartbeatSlot } from './heartbeat';
import { nextDelay, retryAfterMs } from './backoff';
import type { AttemptContext, ResolvedOptions, UrlProvider } from './options';
import { SendQueue } from './queue';
import { decideReconnect, type CloseInfo } from './reconnect';
import { PendingRequests, type RetryRequest } from '../protocol/pending';
import { assertTransition, type State } from './state';
import { Counters, type Stats } from './stats';
import { Timers } from './timers';
import { CLOSING, CONNECTING, OPEN, type SendData, type WebSocketLike } from './transport';

/** What `send` did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped';

/** Per-call options of `request()`. */
export interface RequestOptions {
  /**
   * Milliseconds from the call until the request rejects with TimeoutError, also while it waits
   * offline. `0` or `Infinity`: none. Default: the `requestTimeout` option (30000).
   */
  timeout?: number;
  /** Aborting rejects the request with AbortError (`cause` is `signal.reason`). */
  signal?: AbortSignal;
  /**
   * Survive a dropped link: the request is sent again, with the same id, once the socket is open
   * again (its timeout keeps running). Only for methods that are safe to run twice. Default false.
   */
  retry?: boolean;
}

/**
 * A connection that keeps itself alive. Created by `connect()`. `Api` (see `api.ts`) types
 * `request`, `handle`, `emit` and `onEvent`; without it every name is allowed and every payload
 * is `unknown`.
 */
export interface HoldfastSocket<Api = DefaultApi> {
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
  /** Subscribes to a lifecycle event; the returned function unsubscribes. */
  on<E extends keyof SocketEvents>(event: E, listener: (payload: SocketEvents[E]) => void): () => void;
  /**
   * Calls `method` on the server and resolves with its result. The request is queued like
   * `send()` while the link is not open. It settles exactly once, and rejects with:
   * TimeoutError (its timeout ran out, counted from the call; or it waited in the queue longer
   * than `queue.ttl`), AbortError (its signal fired; an already-aborted signal sends nothing),
   * RemoteError (the server answered with an error: `remoteCode`, `message`, `data`),
   * ClosedError `DISCONNECTED` (the link dropped before the answer, without `retry`),
   * ClosedError `CLOSED` (`close()` was called, or the socket stopped for good),
   * QueueFullError / MessageTooBigError (the frame could not be queued or sent), or the codec's
   * TypeError (params it cannot encode).
   */
  request<M extends MethodName<Api>>(method: M, ...args: [...ParamsArgs<Api, M>, RequestOptions?]): Promise<ResultOf<Api, M>>;
  /**
   * Answers requests the server sends for `method`. The handler's return value (or what its
   * promise resolves to) becomes the response; a throw or rejection becomes an error response
   * whose code is the thrown value's `code` when that is a string or number, else `'INTERNAL'`.
   * Requests for methods without a handler are answered with `METHOD_NOT_FOUND`. Registering a
   * method again replaces the handler. Returns a function that unregisters it.
   */
  handle<M extends HandlerName<Api>>(method: M, handler: Handler<Api, M>): () => void;
  /**
   * Sends the application event `event` (queued while offline, like `send()`). Throws the codec's
   * TypeError when the data cannot be encoded.
   */
  emit<E extends EmitName<Api>>(event: E, ...args: EmitArgs<Api, E>): SendResult;
  /**
   * Listens to the application event `event` from the server (lifecycle events stay on `on()`;
   * the two never collide). Returns a function that unsubscribes.
   */
  onEvent<E extends EventName<Api>>(event: E, listener: EventListener<Api, E>): () => void;
  /**
   * Closes for good: no reconnect after it, queued messages are dropped (reason `closed`),
   * pending requests reject with ClosedError `CLOSED`, no timer, abort listener or platform
   * handler is left, and it ends with a `close` event and state `closed`.
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

/**
 * The wire size of a message in bytes (`byteLength`, with the error message `send()` promises).
 * @throws TypeError for data that is not a string, ArrayBuffer, view or Blob.
 */
function wireSize(data: unknown): number {
  try {
    return byteLength(data as SendData);
  } catch {
    throw new TypeError('holdfast: send() takes a string, an ArrayBuffer, an ArrayBuffer view or a Blob');
  }
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new TypeError(String(thrown));
}

/** Why a request was lost with its frame, as the error its promise rejects with. */
function dropError(id: number, reason: DropReason): HoldfastError {
  const what = `request id ${id} was dropped from the send queue`;
  if (reason === 'overflow') return new QueueFullError(`${what} (overflow)`);
  if (reason === 'expired') return new TimeoutError(`${what}: it waited longer than queue.ttl`);
  return new ClosedError('CLOSED', `${what}: the socket closed`);
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
  /** Request frames are tagged with their request id, so that a dropped one rejects its request. */
  readonly #sendQueue: SendQueue<number>;
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
  readonly #pending: PendingRequests;
  readonly #dispatcher: Dispatcher;

  constructor(url: UrlProvider, options: ResolvedOptions) {
    this.#url = url;
    this.#opts = options;
    this.#stateSince = options.clock.now();
    this.#timers = new Timers<Slot>(options.clock);
    this.#emitter = new Emitter<SocketEvents>((error, event) => {
      // An error listener that throws must not be fed its own error again.
      if (event !== 'error') this.#emitError(new HoldfastError('LISTENER', `a "${String(event)}" listener threw`, { cause: error }));
    });
    this.#pending = new PendingRequests(options.clock);
    this.#dispatcher = new Dispatcher(options.codec, this.#pending, {
      generation: () => this.#generation,
      send: (frame) => this.send(frame),
      error: (error) => this.#emitError(error),
      heartbeat: (message) => {
        if (message.type === 'pong') this.#heartbeat?.onPong(message.ts);
        else this.#writeCurrent(encodePong(message.ts));
      },
      data: (data) => this.#emitter.emit('message', data),
    });
    this.#sendQueue = new SendQueue<number>(options.queue, () => options.clock.now(), (data, reason, id) => this.#dropQueued(data, reason, id));
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
            if (this.#state === 'open') this.#linkLost({ code: HEARTBEAT_TIMEOUT_CODE, reason: 'heartbeat timeout', wasClean: false }, 'heartbeat timeout', true);
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
    return this.#send(data, wireSize(data), undefined);
  }

  request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown> {
    if (typeof method !== 'string' || method === '') return Promise.reject(new TypeError('holdfast: request() needs a method name'));
    const state = this.#state;
    if (state === 'closing' || state === 'closed') {
      return Promise.reject(new ClosedError('CLOSED', `the socket is ${state}: request "${method}" was not sent`));
    }
    let request: { id: number; promise: Promise<unknown> };
    try {
      const timeout = options?.timeout ?? this.#opts.requestTimeout;
      request = this.#pending.add(method, { timeout, signal: options?.signal, retry: options?.retry, params });
    } catch (error) {
      return Promise.reject(asError(error));
    }
    this.#sendRequest(request.id, method, params);
    return request.promise;
  }

  handle(method: string, handler: AnyHandler): () => void {
    return this.#dispatcher.handle(method, handler);
  }

  emit(event: string, data?: unknown): SendResult {
    if (typeof event !== 'string' || event === '') throw new TypeError('holdfast: emit() needs an event name');
    return this.send(this.#opts.codec.encode({ type: 'event', event, data }));
  }

  onEvent(event: string, listener: (data: unknown) => void): () => void {
    return this.#dispatcher.onEvent(event, listener);
  }

  close(code = 1000, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const ws = this.#ws;
    if (this.#state === 'open' && ws !== null) {
      this.#failAll(code);
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
    const wasOpen = this.#state === 'open';
    const retries = wasOpen ? this.#pending.onDisconnect(1000) : [];
    this.#detach(1000, 'reconnect');
    const generation = ++this.#generation;
    this.#transition('reconnecting', why);
    if (wasOpen) this.#abortHandlers(1000);
    if (generation === this.#generation) this.#resend(retries);
    if (hadLink && generation === this.#generation) this.#emitter.emit('close', { code: 1000, reason: why, wasClean: false, willReconnect: true });
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
      if (generation === this.#generation) this.#onMessage(event.data);
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
      this.#emitError(new TimeoutError(`no connection within ${this.#opts.connectTimeout} ms`));
      // Reported as 1006 (closed without a close frame), which is what the platform would say.
      if (current()) this.#linkLost({ code: 1006, reason: 'connect timeout', wasClean: false }, 'connect timeout', true);
    });
  }

  #onOpen(generation: number, ws: WebSocketLike): void {
    this.#timers.clear('connect');
    // Flushed while still `connecting`, so nothing sent from an `open`/`state` listener can
    // overtake a queued message; a listener that queues during the flush is flushed too.
    // A request that settled while its frame waited (timeout, abort) is not sent.
    this.#sendQueue.flush((data, size, requestId) => {
      if (requestId === undefined || this.#pending.has(requestId)) this.#write(ws, data, size);
    });
    if (generation !== this.#generation) return;
    this.#transition('open', 'connected');
    this.#counters.connects++;
    if (this.#state !== 'open') return; // a `state` listener called close()
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
    const wasOpen = this.#state === 'open';
    const retries = wasOpen ? this.#pending.onDisconnect(info?.code) : [];
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
    // Aborted only now: their abort listeners run application code, which may call close().
    if (wasOpen) this.#abortHandlers(info?.code);
    if (generation === this.#generation) this.#resend(retries);
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
    this.#failAll(info.code);
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

  /**
   * Writes when open, otherwise queues (request frames tagged with their `requestId`). A request
   * frame the queue drops rejects its request through the queue's `onDrop`.
   */
  #send(data: SendData, size: number, requestId: number | undefined): SendResult {
    const limit = this.#opts.maxMessageSize;
    if (size > limit) throw new MessageTooBigError(size, limit);
    const ws = this.#ws;
    const state = this.#state;
    // The platform socket can already be closing before its close event reached us: queue then.
    if (state === 'open' && ws !== null && ws.readyState === OPEN) {
      this.#write(ws, data, size);
      return 'sent';
    }
    if (state === 'closing' || state === 'closed') {
      this.#drop(data, 'closed');
      return 'dropped';
    }
    return this.#sendQueue.push(data, size, requestId);
  }

  #write(ws: WebSocketLike, data: SendData, size: number): void {
    try {
      ws.send(data);
    } catch (error) {
      this.#emitError(new HoldfastError('CONNECT', 'the WebSocket refused a message', { cause: error }));
      return;
    }
    const counters = this.#counters;
    counters.messagesOut++;
    counters.bytesOut += size;
  }

  /** Writes a control message (heartbeat ping/pong) if the link is open; never queued. */
  #writeCurrent(text: string): void {
    const ws = this.#ws;
    if (ws !== null && ws.readyState === OPEN) this.#write(ws, text, text.length);
  }

  #onMessage(data: unknown): void {
    if (this.#state !== 'open') return;
    const counters = this.#counters;
    counters.messagesIn++;
    this.#heartbeat?.noteInbound();
    if (typeof data === 'string') {
      counters.bytesIn += byteLength(data);
      this.#dispatcher.receive(data);
    } else if (isArrayBuffer(data) || ArrayBuffer.isView(data)) {
      counters.bytesIn += data.byteLength;
      this.#dispatcher.receive(data);
    } else if (isBlob(data)) {
      counters.bytesIn += data.size;
      // A Blob only arrives with binaryType 'blob' (documented on the option): no codec reads it.
      this.#emitter.emit('message', data as unknown as ArrayBuffer);
    } else {
      this.#emitError(new ProtocolError(`unsupported message data (${Object.prototype.toString.call(data)})`));
    }
  }

  // ---- requests ------------------------------------------------------------------------------

  /** Encodes and sends (or queues) a pending request; every way its frame can be lost rejects it. */
  #sendRequest(id: number, method: string, params: unknown): void {
    const pending = this.#pending;
    if (!pending.has(id)) return; // already aborted: never sent
    let result: SendResult;
    try {
      const frame = this.#opts.codec.encode({ type: 'request', id, method, params });
      result = this.#send(frame, wireSize(frame), id);
    } catch (error) {
      // The codec's TypeError, MessageTooBigError, or QueueFullError under policy 'throw'.
      pending.reject(id, asError(error));
      return;
    }
    // Sending after close() drops without queueing (a queue overflow already rejected it).
    if (result === 'dropped') pending.reject(id, dropError(id, 'closed'));
  }

  /** A queued frame is dropped: a request frame (tagged with its id) rejects its request first. */
  #dropQueued(data: SendData, reason: DropReason, requestId: number | undefined): void {
    if (requestId !== undefined) this.#pending.reject(requestId, dropError(requestId, reason));
    this.#drop(data, reason);
  }

  /** Re-sends `retry` requests after a dropped link; they go out once open again. */
  #resend(retries: readonly RetryRequest[]): void {
    for (const { id, method, params } of retries) this.#sendRequest(id, method, params);
  }

  /** The open link went away: handlers of server requests are aborted (their answer cannot be delivered). */
  #abortHandlers(closeCode: number | undefined): void {
    this.#dispatcher.abortHandlers(new ClosedError('DISCONNECTED', 'the link went away before the answer was sent', closeCode));
  }

  /** The socket is closing for good: every request and handler fails with CLOSED. */
  #failAll(closeCode: number): void {
    const error = new ClosedError('CLOSED', 'the socket was closed', closeCode);
    this.#dispatcher.abortHandlers(error);
    this.#pending.rejectAll(error);
  }

  #drop(data: SendData, reason: DropReason): void {
    this.#counters.drops[reason]++;
    this.#emitter.emit('drop', { data, reason });
  }

  #emitError(error: HoldfastError): void {
    this.#emitter.emit('error', error);
  }
}
