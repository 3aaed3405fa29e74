/**
 * The one shared adapter: turns a mini-program SocketTask (callbacks, no `readyState` worth
 * trusting, no `off*` on most platforms, quirky payloads) into the browser-like
 * `WebSocketLike` the client core drives. Platform files only describe their differences
 * through a `Platform`.
 */
import { CLOSED, CLOSING, CONNECTING, OPEN } from '../core/transport';
import type { CloseEventLike, MessageEventLike, SendData, WebSocketConstructorLike, WebSocketLike } from '../core/transport';
import { blobToArrayBuffer, byteLength, isBlob, toArrayBuffer } from '../binary/bytes';
import { utf8Length } from '../protocol/utf8';
import { describe, errorText, isSocketTask, messageData, openedProtocol, reportedClose } from './normalize';
import type { AdapterOptions, ConnectSocketOptions, PlatformCallback, SocketTaskLike } from './types';

/** Default for `AdapterOptions.closeWatchdog`, in ms. */
export const DEFAULT_CLOSE_WATCHDOG = 3000;
/** Default for `AdapterOptions.maxSockets`: the platforms' documented limit. */
export const DEFAULT_MAX_SOCKETS = 5;

/** What a platform file hands the shared adapter for one connection attempt. */
export interface ConnectRequest {
  readonly url: string;
  readonly protocols: readonly string[];
  /** `url`, `header`, `protocols` (when any), `timeout` (when set), `success` and `fail`. */
  readonly base: ConnectSocketOptions;
  /**
   * Hands over what the platform's connect call returned. Call it synchronously right after the
   * call returns: WeChat drops an `onOpen` that fires before the listener is registered.
   * Anything that is not a SocketTask fails the socket with a clear message.
   */
  attach(task: unknown): void;
  /** Fails the attempt (error, then close 1006 with this text as the reason). */
  fail(reason: unknown): void;
}

/** The differences between platforms; everything else lives in the shared adapter. */
export interface Platform {
  /** The platform object (`wx`, `uni`, ...): live sockets are counted per object. */
  readonly api: object;
  /** Names the connect call in error messages, e.g. `'wx.connectSocket'`. */
  readonly name: string;
  readonly options: AdapterOptions;
  /**
   * Starts a connection. May return a release function, called exactly once when the socket
   * reaches CLOSED (whether or not it ever got a task).
   */
  connect(request: ConnectRequest): (() => void) | void;
  /** tt: task methods only work once the connect `success` callback has run. */
  readonly readyOnSuccess?: boolean;
  /** Alipay: how an outgoing frame is laid out. Default `{ data }`. */
  sendFields?(data: string | ArrayBuffer): { data: string | ArrayBuffer; isBuffer?: boolean };
  /** Alipay: decodes `isBuffer` (base64) frames. */
  decodeBase64?(text: string): ArrayBuffer;
}

/** The `open` event. */
export interface MiniProgramOpenEvent {
  readonly type: 'open';
}
/** The `message` event: text as a string, binary as an ArrayBuffer of this realm. */
export interface MiniProgramMessageEvent extends MessageEventLike {
  readonly type: 'message';
  readonly data: string | ArrayBuffer;
}
/** The `error` event; `platformError` is the platform's payload, kept for logs. */
export interface MiniProgramErrorEvent {
  readonly type: 'error';
  readonly message: string;
  readonly platformError: unknown;
}
/** The `close` event; `platformEvent` is the platform's payload (undefined when synthesized). */
export interface MiniProgramCloseEvent extends CloseEventLike {
  readonly type: 'close';
  readonly platformEvent: unknown;
}

/**
 * `cancelling` is CLOSING entered from CONNECTING: WeChat documents that closing before open
 * does not close, so the close is repeated on open and `open` is never dispatched.
 * `failing` is CLOSING after an error on an open socket, waiting for the platform's onClose.
 */
type Phase = 'connecting' | 'open' | 'cancelling' | 'closing' | 'failing' | 'closed';

const NEXT: Record<Phase, readonly Phase[]> = {
  connecting: ['open', 'cancelling', 'closed'],
  open: ['closing', 'failing', 'closed'],
  cancelling: ['closed'],
  closing: ['closed'],
  failing: ['closed'],
  closed: [],
};

const READY_STATE: Record<Phase, number> = {
  connecting: CONNECTING,
  open: OPEN,
  cancelling: CLOSING,
  closing: CLOSING,
  failing: CLOSING,
  closed: CLOSED,
};

interface Outgoing {
  /** `undefined` while a Blob is still being read. */
  payload: string | ArrayBuffer | undefined;
  bytes: number;
}

interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

type Listeners = Record<'open' | 'close' | 'error' | 'message', PlatformCallback>;

let liveByApi: WeakMap<object, Set<object>> | undefined;

function liveSockets(api: object): Set<object> {
  liveByApi ??= new WeakMap();
  let live = liveByApi.get(api);
  if (!live) {
    live = new Set();
    liveByApi.set(api, live);
  }
  return live;
}

/** A DOMException where the engine has one (browsers, jsdom); a named Error elsewhere. */
function domError(name: string, message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, name);
  const error = new Error(message);
  error.name = name;
  return error;
}

function noop(): void {}

/** Throws like a browser's `WebSocket.close` for a code or reason it would refuse. */
export function validateClose(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw domError('InvalidAccessError', `close code must be 1000 or 3000-4999, got ${String(code)}`);
  }
  if (reason !== undefined && utf8Length(reason) > 123) {
    throw domError('SyntaxError', 'close reason must be at most 123 bytes of UTF-8');
  }
}

/**
 * One mini-program socket. Guarantees: `readyState` is the adapter's own state machine; events
 * are dispatched asynchronously, in order, never from inside the constructor; `close` is
 * dispatched exactly once and nothing after it; `error` is always followed by `close`.
 */
export class MiniProgramSocket implements WebSocketLike {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  readonly url: string;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: MessageEventLike) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;

  #platform: Platform;
  #phase: Phase = 'connecting';
  #task: SocketTaskLike | undefined;
  #listeners: Listeners | undefined;
  /** False until the connect `success` callback on platforms that need it (tt). */
  #ready: boolean;
  #protocol = '';
  #buffered = 0;
  #outbox: Outgoing[] = [];
  #requested: { code: number; reason: string } | undefined;
  #failure = '';
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #release: (() => void) | undefined;
  #dispatch: Array<() => void> = [];
  #dispatchScheduled = false;

  constructor(platform: Platform, url: string, protocols?: string | string[]) {
    this.url = url;
    this.#platform = platform;
    this.#ready = platform.readyOnSuccess !== true;
    const live = liveSockets(platform.api);
    const max = platform.options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    if (live.size >= max) {
      this.#fail(`${platform.name}: ${live.size} sockets are still open (maxSockets ${max}); close one first`, undefined);
      return;
    }
    live.add(this);
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
    const { header, timeout } = platform.options;
    const base: ConnectSocketOptions = {
      url,
      ...(header ? { header: { ...header } } : {}),
      ...(list.length > 0 ? { protocols: list } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      success: () => this.#onConnectSuccess(),
      fail: (result) => this.#fail(`${platform.name}: ${errorText(result)}`, result),
    };
    try {
      const release = platform.connect({
        url,
        protocols: list,
        base,
        attach: (task) => this.#attach(task),
        fail: (reason) => this.#fail(`${platform.name}: ${errorText(reason)}`, reason),
      });
      if (release) this.#release = release;
    } catch (error) {
      this.#fail(`${platform.name}: ${errorText(error)}`, error);
    }
    // A synchronous failure closed us before the release function existed.
    if (this.#phase === 'closed') this.#runRelease();
  }

  get readyState(): number {
    return READY_STATE[this.#phase];
  }

  /** The subprotocol from the open payload's `Sec-WebSocket-Protocol` header, or `''`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** Bytes handed to `send` whose platform `success`/`fail` has not come back yet. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** Always `'arraybuffer'`: mini-programs have no Blob, so assigning `'blob'` is ignored. */
  get binaryType(): string {
    return 'arraybuffer';
  }

  set binaryType(_value: string) {
    // Ignored on purpose: see the getter.
  }

  /**
   * Sends a frame. Throws `InvalidStateError` while CONNECTING (the client queues instead);
   * drops silently when CLOSING or CLOSED; keeps order, including behind a Blob being read.
   */
  send(data: SendData): void {
    if (this.#phase === 'connecting') throw domError('InvalidStateError', 'send() before the socket is open');
    let bytes: number;
    try {
      bytes = byteLength(data);
    } catch {
      throw new TypeError('send() takes a string, an ArrayBuffer, an ArrayBufferView or a Blob');
    }
    if (this.#phase !== 'open') return;
    const blob = typeof data !== 'string' && isBlob(data);
    const item: Outgoing = {
      // A Blob is read below. A view is copied to exactly its bytes: an offset view must not send
      // the rest of its buffer, and later writes to it must not change what is sent.
      payload: blob ? undefined : typeof data === 'string' ? data : toArrayBuffer(data as ArrayBuffer | ArrayBufferView),
      bytes,
    };
    if (blob) {
      blobToArrayBuffer(data as Blob).then(
        (buffer) => {
          item.payload = buffer;
          this.#pump();
        },
        (error: unknown) => this.#fail(`could not read the Blob to send: ${errorText(error)}`, error),
      );
    }
    this.#buffered += item.bytes;
    this.#outbox.push(item);
    this.#pump();
  }

  /**
   * Starts the closing handshake. Validates like a browser (code 1000 or 3000-4999, reason up to
   * 123 UTF-8 bytes). If the platform never reports the close, one is synthesized after
   * `closeWatchdog` ms with the requested code and `wasClean: false`.
   */
  close(code?: number, reason?: string): void {
    validateClose(code, reason);
    const phase = this.#phase;
    if (phase !== 'connecting' && phase !== 'open') return;
    this.#requested = { code: code ?? 1000, reason: reason ?? '' };
    this.#to(phase === 'open' ? 'closing' : 'cancelling');
    if (!this.#task) {
      // Still waiting for the platform (Alipay's single socket is busy): nothing to close.
      this.#finish({ ...this.#requested, wasClean: false }, undefined, false);
      return;
    }
    this.#closeTask();
    this.#armWatchdog(() => this.#finish({ ...this.#requestedClose(), wasClean: false }, undefined, false));
  }

  #to(next: Phase): boolean {
    if (!NEXT[this.#phase].includes(next)) return false;
    this.#phase = next;
    return true;
  }

  #requestedClose(): { code: number; reason: string } {
    return this.#requested ?? { code: 1000, reason: '' };
  }

  #attach(task: unknown): void {
    if (this.#task) return;
    if (this.#phase === 'closed') {
      if (isSocketTask(task)) this.#closeTask(task);
      return;
    }
    if (!isSocketTask(task)) {
      this.#fail(`${this.#platform.name} returned no SocketTask (got ${describe(task)})`, task);
      return;
    }
    this.#task = task;
    const listeners: Listeners = {
      open: (result) => this.#onOpen(result),
      close: (result) => this.#onClose(result),
      error: (result) => this.#onError(result),
      message: (result) => this.#onMessage(result),
    };
    this.#listeners = listeners;
    task.onOpen(listeners.open);
    task.onClose(listeners.close);
    task.onError(listeners.error);
    task.onMessage(listeners.message);
  }

  #onConnectSuccess(): void {
    if (this.#ready) return;
    this.#ready = true;
    // A close requested (or already synthesized by the watchdog) before tt allowed task methods
    // is carried out now, or the platform task would live on outside the maxSockets count.
    if (this.#phase === 'cancelling' || this.#phase === 'closed') {
      this.#closeTask();
      return;
    }
    this.#pump();
  }

  #onOpen(result: unknown): void {
    if (this.#phase === 'cancelling') {
      this.#closeTask();
      return;
    }
    if (!this.#to('open')) return;
    this.#protocol = openedProtocol(result);
    this.#emit(() => this.onopen?.({ type: 'open' } satisfies MiniProgramOpenEvent));
    this.#pump();
  }

  #onMessage(result: unknown): void {
    if (this.#phase !== 'open' && this.#phase !== 'closing') return;
    const data = messageData(result, this.#platform.decodeBase64);
    // A frame we cannot read (no data, bad base64) is dropped: there is nothing to deliver.
    if (data === undefined) return;
    const event: MiniProgramMessageEvent = { type: 'message', data };
    this.#emit(() => this.onmessage?.(event));
  }

  #onError(result: unknown): void {
    const text = errorText(result);
    if (this.#phase === 'open') {
      this.#to('failing');
      this.#failure = text;
      this.#emitError(text, result);
      this.#closeTask();
      this.#armWatchdog(() => this.#finish({ code: 1006, reason: text, wasClean: false }, undefined, false));
      return;
    }
    if (this.#phase !== 'failing') this.#fail(text, result);
  }

  #onClose(result: unknown): void {
    if (this.#phase === 'closed') return;
    const reported = reportedClose(result);
    const requested = this.#phase === 'closing' || this.#phase === 'cancelling' ? this.#requested : undefined;
    const code = reported.code ?? requested?.code ?? 1006;
    const reason = reported.reason ?? (this.#phase === 'failing' ? this.#failure : requested?.reason ?? '');
    const wasClean = this.#phase !== 'failing' && code !== 1006;
    this.#finish({ code, reason, wasClean }, result, true);
  }

  /** error, then an immediate synthesized close 1006: the link is unusable. */
  #fail(text: string, raw: unknown): void {
    if (this.#phase === 'closed') return;
    this.#emitError(text, raw);
    this.#finish({ code: 1006, reason: text, wasClean: false }, raw, false);
  }

  #emitError(message: string, platformError: unknown): void {
    this.#emit(() => this.onerror?.({ type: 'error', message, platformError } satisfies MiniProgramErrorEvent));
  }

  #finish(info: CloseInfo, raw: unknown, reportedByPlatform: boolean): void {
    if (!this.#to('closed')) return;
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    for (const item of this.#outbox) this.#buffered -= item.bytes;
    this.#outbox = [];
    const task = this.#task;
    // Free the platform's slot: a socket we gave up on must not count towards its limit.
    if (task && !reportedByPlatform) this.#closeTask(task);
    if (task && this.#listeners) this.#detach(task, this.#listeners);
    liveSockets(this.#platform.api).delete(this);
    this.#runRelease();
    const event: MiniProgramCloseEvent = { type: 'close', ...info, platformEvent: raw };
    this.#emit(() => this.onclose?.(event));
  }

  /** Alipay has `off*`; elsewhere the phase guard makes late platform events no-ops. */
  #detach(task: SocketTaskLike, listeners: Listeners): void {
    try {
      task.offOpen?.(listeners.open);
      task.offClose?.(listeners.close);
      task.offError?.(listeners.error);
      task.offMessage?.(listeners.message);
    } catch {
      // A platform whose off* throws still has every listener guarded by the phase.
    }
  }

  #runRelease(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Asks the platform to close `task` (default: ours) with the requested code and reason. */
  #closeTask(task = this.#task): void {
    // tt: methods called before the connect `success` may fail; #onConnectSuccess repeats this.
    if (!task || !this.#ready) return;
    try {
      task.close({ ...this.#requestedClose(), fail: noop });
    } catch {
      // The watchdog synthesizes the close if the platform never reports one; an abandoned task
      // is closed on a best-effort basis only.
    }
  }

  #armWatchdog(onExpire: () => void): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    const ms = this.#platform.options.closeWatchdog ?? DEFAULT_CLOSE_WATCHDOG;
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined;
      onExpire();
    }, ms);
  }

  #pump(): void {
    while (this.#phase === 'open' && this.#ready && this.#outbox.length > 0) {
      const head = this.#outbox[0];
      if (!head || head.payload === undefined) return; // a Blob ahead of us is still being read
      this.#outbox.shift();
      this.#transmit(head.payload, head.bytes);
    }
  }

  #transmit(payload: string | ArrayBuffer, bytes: number): void {
    const task = this.#task;
    if (!task) return;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.#buffered -= bytes;
    };
    const fields = this.#platform.sendFields?.(payload) ?? { data: payload };
    const onFail = (result: unknown): void => {
      settle();
      // A send that fails while we believe the link is open means the transport is dead.
      if (this.#phase === 'open') this.#fail(`send failed: ${errorText(result)}`, result);
    };
    try {
      task.send({ ...fields, success: settle, fail: onFail });
    } catch (error) {
      onFail(error);
    }
  }

  #emit(fire: () => void): void {
    this.#dispatch.push(fire);
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    void Promise.resolve().then(() => this.#drain());
  }

  #drain(): void {
    this.#dispatchScheduled = false;
    let fire = this.#dispatch.shift();
    while (fire) {
      try {
        fire();
      } catch (error) {
        // Like a browser, report a throwing handler without stopping the other events.
        setTimeout(() => {
          throw error;
        }, 0);
      }
      fire = this.#dispatch.shift();
    }
  }
}

/** Wraps a `Platform` into a constructor with the browser `WebSocket`'s signature. */
export function socketConstructor(platform: Platform): WebSocketConstructorLike {
  return class extends MiniProgramSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(platform, url, protocols);
    }
  };
}
