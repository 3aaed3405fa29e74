/**
 * The socket: owns the state, the underlying WebSocket, the timers and the teardown, and wires
 * backoff, reconnect rules, heartbeat, send queue, codec and request table together.
 */
import { encodePing, encodePong, type ErrorPayload, type Id, type ProtocolMessage, type RequestMessage, type ResponseMessage } from '../protocol/wire';
import type {
  DefaultApi,
  EmitArgs,
  EmitName,
  EventListener,
  EventName,
  Handler,
  HandlerContext,
  HandlerName,
  MethodName,
  ParamsArgs,
  ResultOf,
} from './api';
import { byteLength, isArrayBuffer, isBlob, toArrayBuffer } from './binary';
import type { Incoming, IncomingData, SingleIncoming } from './codec';
import { ClosedError, HoldfastError, MessageTooBigError, ProtocolError, QueueFullError, TimeoutError } from './errors';
import type { EnvironmentSignal } from './environment';
import { Emitter, type DropReason, type SocketEvents } from './events';
import { Heartbeat, type HeartbeatSlot } from './heartbeat';
import { nextDelay, retryAfterMs } from './backoff';
import type { AttemptContext, ResolvedOptions, UrlProvider } from './options';
import { SendQueue } from './queue';
import { decideReconnect, type CloseInfo } from './reconnect';
import { errorPayload, PendingRequests, type RetryRequest } from './rpc';
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

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A handler as the socket stores it: the typing lives on `HoldfastSocket<Api>`. */
type AnyHandler = (params: unknown, context: HandlerContext) => unknown;

type Outcome = { result: unknown } | { error: ErrorPayload };

/**
 * The JSON-RPC 2.0 codes (§5.1) for our string error codes, tried when a codec refuses a string
 * code: a server request must always get an answer.
 */
const INTEGER_CODE: Readonly<Record<string, number>> = { METHOD_NOT_FOUND: -32601 };
const INTERNAL_INTEGER_CODE = -32603;

/** The response for `outcome`, then what to send if the codec refuses it, in order. */
function responseCandidates(id: Id, outcome: Outcome): ResponseMessage[] {
  const { code, message } = 'error' in outcome ? outcome.error : { code: 'INTERNAL', message: 'the result could not be encoded' };
  const integer = typeof code === 'number' && Number.isInteger(code) ? code : (INTEGER_CODE[code] ?? INTERNAL_INTEGER_CODE);
  return [
    'error' in outcome ? { type: 'response', id, error: outcome.error } : { type: 'response', id, result: outcome.result },
    { type: 'response', id, error: { code, message } },
    { type: 'response', id, error: { code: integer, message } },
  ];
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
  readonly #pending: PendingRequests;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #appEvents: Emitter<Record<string, unknown>>;
  /**
   * Request frames waiting in the send queue, so that a dropped frame rejects its request and a
   * settled request's frame is not sent. Keyed by the frame itself: a request frame carries a
   * unique id, so only an identical `send()` of the same text could be mistaken for it.
   */
  readonly #queuedRequests = new Map<SendData, number>();
  /** Server requests being handled on the current link; aborted when it goes away. */
  readonly #inbound = new Set<AbortController>();

  constructor(url: UrlProvider, options: ResolvedOptions) {
    this.#url = url;
    this.#opts = options;
    this.#stateSince = options.clock.now();
    this.#timers = new Timers<Slot>(options.clock);
    this.#emitter = new Emitter<SocketEvents>((error, event) => {
      // An error listener that throws must not be fed its own error again.
      if (event !== 'error') this.#emitError(new HoldfastError('LISTENER', `a "${String(event)}" listener threw`, { cause: error }));
    });
    this.#appEvents = new Emitter<Record<string, unknown>>((error, event) =>
      this.#emitError(new HoldfastError('LISTENER', `an onEvent("${event}") listener threw`, { cause: error })),
    );
    this.#pending = new PendingRequests(options.clock);
    this.#sendQueue = new SendQueue(options.queue, () => options.clock.now(), (data, reason) => this.#dropQueued(data, reason));
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

  request(method: string, params?: unknown, options: RequestOptions = {}): Promise<unknown> {
    if (typeof method !== 'string' || method === '') return Promise.reject(new TypeError('holdfast: request() needs a method name'));
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(new ClosedError('CLOSED', `the socket is ${this.#state}: request "${method}" was not sent`));
    }
    let request: { id: number; promise: Promise<unknown> };
    try {
      const timeout = options.timeout ?? this.#opts.requestTimeout;
      request = this.#pending.add(method, { timeout, signal: options.signal, retry: options.retry, params });
    } catch (error) {
      return Promise.reject(asError(error));
    }
    this.#sendRequest({ id: request.id, method, params });
    return request.promise;
  }

  handle(method: string, handler: AnyHandler): () => void {
    if (typeof method !== 'string' || method === '') throw new TypeError('holdfast: handle() needs a method name');
    if (typeof handler !== 'function') throw new TypeError(`holdfast: handle("${method}") needs a function`);
    this.#handlers.set(method, handler);
    return () => {
      if (this.#handlers.get(method) === handler) this.#handlers.delete(method);
    };
  }

  emit(event: string, data?: unknown): SendResult {
    if (typeof event !== 'string' || event === '') throw new TypeError('holdfast: emit() needs an event name');
    return this.send(this.#opts.codec.encode({ type: 'event', event, data }));
  }

  onEvent(event: string, listener: (data: unknown) => void): () => void {
    return this.#appEvents.on(event, listener);
  }

  close(code = 1000, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#failAll(code);
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
    const retries = this.#state === 'open' ? this.#failInFlight(1000) : [];
    this.#detach(1000, 'reconnect');
    const generation = ++this.#generation;
    this.#transition('reconnecting', why);
    this.#resend(retries);
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
    this.#sendQueue.flush((data, size) => {
      if (this.#takeQueuedRequest(data)) this.#write(ws, data, size);
    });
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
    const retries = this.#state === 'open' ? this.#failInFlight(info?.code) : [];
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
    if (typeof data !== 'string' && !isBlob(data) && !isArrayBuffer(data) && !ArrayBuffer.isView(data)) {
      this.#emitError(new ProtocolError(`unsupported message data (${Object.prototype.toString.call(data)})`));
      return;
    }
    this.#counters.bytesIn += byteLength(data);
    // A Blob only arrives with binaryType 'blob' (documented on the option): no codec reads it.
    if (isBlob(data)) this.#emitter.emit('message', data as unknown as ArrayBuffer);
    else this.#onFrame(data);
  }

  /** Offers a frame to the codec: protocol messages are dispatched, the rest is application data. */
  #onFrame(data: IncomingData): void {
    let decoded: Incoming;
    try {
      decoded = this.#opts.codec.decode(data);
    } catch (error) {
      this.#emitError(new ProtocolError(`the ${this.#opts.codec.name} codec failed to decode a message`, { cause: error }));
      return;
    }
    if (decoded.kind !== 'batch') {
      this.#onDecoded(decoded, data);
      return;
    }
    const generation = this.#generation;
    for (const item of decoded.items) {
      if (generation !== this.#generation) return;
      this.#onDecoded(item, data);
    }
  }

  #onDecoded(decoded: SingleIncoming, data: IncomingData): void {
    if (decoded.kind === 'protocol') {
      this.#onProtocolMessage(decoded.message);
    } else if (decoded.kind === 'data') {
      // Views (e.g. a Node Buffer from an adapter) become an exact ArrayBuffer copy.
      this.#emitter.emit('message', typeof data === 'string' ? data : toArrayBuffer(data));
    } else {
      const shown = typeof data === 'string' && data.length <= 80 ? data : typeof data === 'string' ? 'message' : 'binary message';
      this.#emitError(new ProtocolError(`invalid ${shown}: ${decoded.reason}`));
    }
  }

  #onProtocolMessage(message: ProtocolMessage): void {
    switch (message.type) {
      case 'pong':
        this.#heartbeat?.onPong(message.ts);
        return;
      case 'ping':
        this.#writeCurrent(encodePong(message.ts));
        return;
      case 'response':
        // Late (timed out, aborted) or never sent by us: reported, never thrown.
        if (!this.#pending.resolve(message)) {
          this.#emitError(new ProtocolError(`response for unknown or settled request id ${JSON.stringify(message.id)}`));
        }
        return;
      case 'request':
        this.#answer(message);
        return;
      case 'event':
        this.#appEvents.emit(message.event, message.data);
        return;
    }
  }

  // ---- requests ------------------------------------------------------------------------------

  /** Encodes and sends (or queues) a pending request; every way its frame can be lost rejects it. */
  #sendRequest({ id, method, params }: RetryRequest): void {
    if (!this.#pending.has(id)) return; // already aborted: never sent
    let frame: string | Uint8Array;
    try {
      frame = this.#opts.codec.encode({ type: 'request', id, method, params });
    } catch (error) {
      this.#pending.reject(id, asError(error));
      return;
    }
    let result: SendResult;
    try {
      result = this.send(frame);
    } catch (error) {
      this.#pending.reject(id, asError(error));
      return;
    }
    // Tracked only once queued: older frames the queue drops to make room go through #dropQueued.
    if (result === 'queued') this.#queuedRequests.set(frame, id);
    else if (result === 'dropped') this.#pending.reject(id, dropError(id, this.#state === 'closed' || this.#state === 'closing' ? 'closed' : 'overflow'));
  }

  /**
   * A frame leaves the send queue to be written: returns false for the frame of a request that
   * has settled meanwhile (timeout, abort), which is not sent; otherwise true.
   */
  #takeQueuedRequest(data: SendData): boolean {
    const id = this.#queuedRequests.size > 0 ? this.#queuedRequests.get(data) : undefined;
    if (id === undefined) return true;
    this.#queuedRequests.delete(data);
    return this.#pending.has(id);
  }

  #dropQueued(data: SendData, reason: DropReason): void {
    const id = this.#queuedRequests.size > 0 ? this.#queuedRequests.get(data) : undefined;
    if (id !== undefined) {
      this.#queuedRequests.delete(data);
      this.#pending.reject(id, dropError(id, reason));
    }
    this.#drop(data, reason);
  }

  /** Re-sends `retry` requests after a dropped link; they go out once open again. */
  #resend(retries: readonly RetryRequest[]): void {
    for (const request of retries) this.#sendRequest(request);
  }

  /**
   * The open link went away: handlers of server requests are aborted (their answer cannot be
   * delivered), in-flight requests reject with DISCONNECTED unless marked `retry`, and those
   * are returned for re-sending.
   */
  #failInFlight(closeCode: number | undefined): RetryRequest[] {
    this.#abortInbound(new ClosedError('DISCONNECTED', 'the link went away before the answer was sent', closeCode));
    return this.#pending.onDisconnect(closeCode);
  }

  /** The socket is closing for good: every request and handler fails with CLOSED. */
  #failAll(closeCode: number): void {
    const error = new ClosedError('CLOSED', 'the socket was closed', closeCode);
    this.#abortInbound(error);
    this.#pending.rejectAll(error);
  }

  #abortInbound(reason: HoldfastError): void {
    const controllers = [...this.#inbound];
    this.#inbound.clear();
    for (const controller of controllers) controller.abort(reason);
  }

  /** Runs the handler for a server request and answers on the same link, if it is still up. */
  #answer({ id, method, params }: RequestMessage): void {
    const generation = this.#generation;
    const handler = this.#handlers.get(method);
    if (!handler) {
      this.#respond(id, { error: { code: 'METHOD_NOT_FOUND', message: `no handler for method "${method}"` } });
      return;
    }
    // Mini-program engines may lack AbortController: the signal is optional there.
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    if (controller) this.#inbound.add(controller);
    const settle = (outcome: Outcome): void => {
      if (controller) this.#inbound.delete(controller);
      // The link that asked is gone: nobody on a new link is waiting for this id.
      if (generation === this.#generation) this.#respond(id, outcome);
    };
    let result: unknown;
    try {
      result = handler(params, controller ? { id, method, signal: controller.signal } : { id, method });
    } catch (error) {
      settle({ error: errorPayload(error) });
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => settle({ result: value }),
        (error: unknown) => settle({ error: errorPayload(error) }),
      );
    } else settle({ result });
  }

  /**
   * Sends a response. When the codec refuses it (a result it cannot encode, error data it cannot
   * encode, a string error code under JSON-RPC), a plain error response goes out instead, with an
   * integer code if need be, so the server is never left waiting for nothing.
   */
  #respond(id: Id, outcome: Outcome): void {
    let refused: unknown;
    for (const message of responseCandidates(id, outcome)) {
      let frame: string | Uint8Array;
      try {
        frame = this.#opts.codec.encode(message);
      } catch (error) {
        refused ??= error;
        continue;
      }
      try {
        this.send(frame);
      } catch (error) {
        this.#emitError(new HoldfastError('LISTENER', `the answer to request ${JSON.stringify(id)} could not be sent`, { cause: error }));
      }
      return;
    }
    this.#emitError(new HoldfastError('LISTENER', `the ${this.#opts.codec.name} codec refused the answer to request ${JSON.stringify(id)}`, { cause: refused }));
  }

  #drop(data: SendData, reason: DropReason): void {
    this.#counters.drops[reason]++;
    this.#emitter.emit('drop', { data, reason });
  }

  #emitError(error: HoldfastError): void {
    this.#emitter.emit('error', error);
  }
}
