/**
 * The one shared adapter: turns a mini-program SocketTask (callbacks, no `readyState` worth
 * trusting, no `off*` on most platforms, quirky payloads) into the browser-like
 * `WebSocketLike` the client core drives. Platform files only describe their differences
 * through a `Platform`. State lives in closures, not in `#private` fields: the ES2020 bundle then
 * needs no WeakMap helpers and the minifier can shorten every internal name.
 */
import { CLOSED, CLOSING, CONNECTING, OPEN } from '../core/transport';
import type { CloseEventLike, MessageEventLike, SendData, WebSocketConstructorLike, WebSocketLike } from '../core/transport';
import { blobToArrayBuffer, byteLength, isBlob, toArrayBuffer } from '../binary/bytes';
import { systemClock } from '../protocol/clock';
import { utf8Length } from '../protocol/utf8';
import { absorb, errorText, EVENTS, isSocketTask, isThenable, messageData, openedProtocol, reportedClose } from './normalize';
import type { AdapterOptions, ConnectSocketOptions, PlatformCallback, SocketSendOptions, SocketTaskLike } from './types';

/** Default for `AdapterOptions.closeWatchdog`, in ms. */
export const DEFAULT_CLOSE_WATCHDOG = 3000;
/** Default for `AdapterOptions.maxSockets`: the platforms' documented limit. */
export const DEFAULT_MAX_SOCKETS = 5;

/** The differences between platforms; everything else lives in the shared adapter. */
export interface Platform {
  /** The platform object (`wx`, `uni`, ...): live sockets are counted per object. */
  readonly api: { connectSocket(options: ConnectSocketOptions): unknown };
  /** Names the connect call in error messages, e.g. `'wx.connectSocket'`. */
  readonly name: string;
  readonly options: AdapterOptions;
  /** Fields added to every `connectSocket` call (uni: `multiple`, `complete`). */
  readonly extra?: Partial<ConnectSocketOptions>;
  /** Adapter options passed on to `connectSocket` when set, besides `header` (wx: `timeout`, ...). */
  readonly passed?: readonly string[];
  /**
   * Starts a connection with `base` (`url`, `header`, `protocols` when any, `success`, `fail`,
   * plus `extra`). `attach` takes what the platform returned: call it
   * synchronously right after the call returns (WeChat drops an `onOpen` that fires before the
   * listener is registered); anything that is not a SocketTask (or a Promise of one) fails the
   * socket. May return a release function, called exactly once when the socket reaches CLOSED.
   * Default: `attach(api.connectSocket(base))`.
   */
  connect?(base: ConnectSocketOptions, attach: (task: unknown) => void): (() => void) | void;
  /** tt: task methods only work once the connect `success` callback has run. */
  readonly readyOnSuccess?: boolean;
  /** Alipay: how an outgoing frame is laid out. Default `{ data }`. */
  sendFields?(data: string | ArrayBuffer): SocketSendOptions;
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

/*
 * The phases. CANCELLING is CLOSING entered from CONNECTING: WeChat documents that closing
 * before open does not close, so the close is repeated on open and `open` is never dispatched.
 * FAILING is CLOSING after an error on an open socket, waiting for the platform's onClose. Each
 * transition is guarded where it happens: connecting → open | cancelling | closed; open →
 * closing | failing | closed; cancelling, closing, failing → closed.
 */
const PHASE_CONNECTING = 0;
const PHASE_OPEN = 1;
const PHASE_CLOSING = 2;
const PHASE_CANCELLING = 3;
const PHASE_FAILING = 4;
const PHASE_CLOSED = 5;
const READY_STATE = [CONNECTING, OPEN, CLOSING, CLOSING, CLOSING, CLOSED];

interface Outgoing {
  /** `undefined` while a Blob is still being read. */
  payload: string | ArrayBuffer | undefined;
  bytes: number;
}

/** One value per object, made on first use and dropped with the object. */
export function perObject<T>(make: () => T): (key: object) => T {
  const map = new WeakMap<object, T>();
  return (key) => {
    let value = map.get(key);
    if (!value) map.set(key, (value = make()));
    return value;
  };
}

const liveSockets = /* @__PURE__ */ perObject(() => new Set<object>());

/** A DOMException where the engine has one (browsers, jsdom); a named Error elsewhere. */
function domError(name: string, message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, name);
  return Object.assign(new Error(message), { name });
}

export function noop(): void {}

/** Throws like a browser's `WebSocket.close` for a code or reason it would refuse. */
export function validateClose(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw domError('InvalidAccessError', `close code ${code}`);
  }
  if (reason !== undefined && utf8Length(reason) > 123) throw domError('SyntaxError', 'close reason over 123 bytes');
}

/**
 * One mini-program socket. Guarantees: `readyState` is the adapter's own state machine; events
 * are dispatched asynchronously, in order, never from inside the constructor; `close` is
 * dispatched exactly once and nothing after it; `error` is always followed by `close`.
 */
export interface MiniProgramSocket extends WebSocketLike {
  readonly readyState: number;
  /** The subprotocol from the open payload's `Sec-WebSocket-Protocol` header, or `''`. */
  readonly protocol: string;
  /** Bytes handed to `send` whose platform `success`/`fail` has not come back yet. */
  readonly bufferedAmount: number;
  /** Always `'arraybuffer'`: mini-programs have no Blob, so assigning `'blob'` is ignored. */
  binaryType: string;
  /**
   * Sends a frame. Throws `InvalidStateError` while CONNECTING (the client queues instead);
   * drops silently when CLOSING or CLOSED; keeps order, including behind a Blob being read.
   */
  send(data: SendData): void;
  /**
   * Starts the closing handshake. Validates like a browser (code 1000 or 3000-4999, reason up to
   * 123 UTF-8 bytes). If the platform never reports the close, one is synthesized after
   * `closeWatchdog` ms with the requested code and `wasClean: false`.
   */
  close(code?: number, reason?: string): void;
}

export class MiniProgramSocket {
  // The WebSocket constants, set on the class below (shorter than four getters).
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;

  declare readonly url: string;

  constructor(platform: Platform, url: string, protocols?: string | string[]) {
    const { api, name, options } = platform;
    const clock = options.clock ?? systemClock();
    const live = liveSockets(api);
    let phase = PHASE_CONNECTING;
    /** False until the connect `success` callback on platforms that need it (tt). */
    let ready = !platform.readyOnSuccess;
    let task: SocketTaskLike | undefined;
    let protocol = '';
    let buffered = 0;
    let outbox: Outgoing[] = [];
    let requested: { code: number; reason: string } | undefined;
    let failure = '';
    let watchdog: unknown;
    let release: (() => void) | void;
    /** A Promise of the task (Taro) has not settled yet. */
    let promised = false;

    this.url = url;
    this.onopen = this.onmessage = this.onerror = this.onclose = null;
    Object.defineProperties(this, {
      readyState: { get: () => READY_STATE[phase] },
      protocol: { get: () => protocol },
      bufferedAmount: { get: () => buffered },
      binaryType: { get: () => 'arraybuffer', set: noop },
    });

    /**
     * Dispatches on a microtask, in order: a step that returns a Promise (a Blob being read)
     * holds back the events behind it. A throwing handler is reported like a browser does,
     * without stopping the other events.
     */
    let events: Promise<unknown> = Promise.resolve();
    const emit = (fire: () => unknown): void => {
      events = events.then(fire).catch((error: unknown) =>
        clock.setTimeout(() => {
          throw error;
        }, 0),
      );
    };

    // Handlers are called in block bodies: what a handler returns (an async handler's Promise)
    // must not hold the event chain.
    const raise = (message: string, platformError: unknown): void => {
      this.onerror?.({ type: 'error', message, platformError } satisfies MiniProgramErrorEvent);
    };
    const emitError = (message: string, platformError: unknown): void => emit(() => raise(message, platformError));

    /**
     * Asks the platform to close `target` (default: ours) with the requested code and reason.
     * Anything else handed back is tried the same way: whatever has no `close` is ignored.
     */
    const closeTask = (target = task): void => {
      // tt: methods called before the connect `success` may fail; the success handler repeats this.
      if (!target || !ready) return;
      try {
        absorb(target.close({ ...(requested ?? { code: 1000, reason: '' }), fail: noop }));
      } catch {
        // The watchdog synthesizes the close if the platform never reports one; an abandoned task
        // is closed on a best-effort basis only.
      }
    };

    const finish = (code: number, reason: string, wasClean: boolean, raw?: unknown, reported?: boolean): void => {
      if (phase === PHASE_CLOSED) return;
      phase = PHASE_CLOSED;
      if (watchdog !== undefined) clock.clearTimeout(watchdog);
      for (const item of outbox) buffered -= item.bytes;
      outbox = [];
      // Free the platform's slot: a socket we gave up on must not count towards its limit.
      if (!reported) closeTask();
      // Alipay has `off*`; elsewhere the phase guard makes late platform events no-ops.
      try {
        for (const kind of EVENTS) task?.[`off${kind}` as const]?.(listeners[kind]);
      } catch {
        // A platform whose off* throws still has every listener guarded by the phase.
      }
      live.delete(this);
      release?.();
      emit(() => {
        this.onclose?.({ type: 'close', code, reason, wasClean, platformEvent: raw } as MiniProgramCloseEvent);
      });
    };

    /** error, then an immediate synthesized close 1006: the link is unusable. */
    const fail = (text: string, raw?: unknown): void => {
      if (phase === PHASE_CLOSED) return;
      emitError(text, raw);
      finish(1006, text, false, raw);
    };
    /** `fail` with what the platform reported, under the platform's name. */
    const failed = (error: unknown): void => fail(`${name}: ${errorText(error)}`, error);

    /** Synthesizes the close if the platform has not reported one within `closeWatchdog` ms. */
    const arm = (code: number, reason: string): void => {
      watchdog = clock.setTimeout(() => {
        watchdog = undefined;
        finish(code, reason, false);
      }, options.closeWatchdog ?? DEFAULT_CLOSE_WATCHDOG);
    };

    const transmit = (target: SocketTaskLike, data: string | ArrayBuffer, bytes: number): void => {
      let settled = false;
      const settle = (): void => {
        if (!settled) buffered -= bytes;
        settled = true;
      };
      const onFail = (result: unknown): void => {
        settle();
        // A send that fails while we believe the link is open means the transport is dead.
        if (phase === PHASE_OPEN) fail(`send: ${errorText(result)}`, result);
      };
      try {
        absorb(target.send({ ...(platform.sendFields?.(data) ?? { data }), success: settle, fail: onFail }));
      } catch (error) {
        onFail(error);
      }
    };

    const pump = (): void => {
      for (let head = outbox[0]; task && ready && phase === PHASE_OPEN && head && head.payload !== undefined; head = outbox[0]) {
        outbox.shift();
        transmit(task, head.payload, head.bytes);
      }
    };

    const listeners: Record<(typeof EVENTS)[number], PlatformCallback> = {
      Open: (result) => {
        if (phase === PHASE_CANCELLING) closeTask();
        if (phase !== PHASE_CONNECTING) return;
        phase = PHASE_OPEN;
        protocol = openedProtocol(result);
        emit(() => {
          this.onopen?.({ type: 'open' } satisfies MiniProgramOpenEvent);
        });
        pump();
      },
      Close: (result) => {
        const failing = phase === PHASE_FAILING;
        // `requested` is set only by close(), which leaves for CLOSING or CANCELLING.
        const { code = requested?.code ?? 1006, reason = failing ? failure : requested?.reason ?? '' } = reportedClose(result);
        finish(code, reason, !failing && code !== 1006, result, true);
      },
      Error: (result) => {
        const text = errorText(result);
        if (phase !== PHASE_OPEN) {
          if (phase !== PHASE_FAILING) fail(text, result);
          return;
        }
        phase = PHASE_FAILING;
        failure = text;
        emitError(text, result);
        closeTask();
        arm(1006, text);
      },
      Message: (result) => {
        if (phase !== PHASE_OPEN && phase !== PHASE_CLOSING) return;
        const data = messageData(result, platform.decodeBase64);
        const deliver = (frame: string | ArrayBuffer): void => {
          this.onmessage?.({ type: 'message', data: frame } as MiniProgramMessageEvent);
        };
        // A frame that cannot be read (no data, bad base64, a Blob that fails to read) is an
        // `error` event, never silently dropped; the socket stays open.
        const unreadable = (): void => raise('unreadable message', result);
        emit(() => (data === undefined ? unreadable() : isBlob(data) ? blobToArrayBuffer(data).then(deliver, unreadable) : deliver(data)));
      },
    };

    const attach = (value: unknown): void => {
      if (task) return;
      if (!isSocketTask(value)) {
        // A Promise of a task (Taro): the listeners are registered when it settles. Taro resolves
        // it as soon as the platform's call succeeded, before the socket can open.
        if (isThenable(value)) {
          promised = true;
          return void value.then(attach, failed);
        }
        // Anything else is closed if it can be: no attempt leaves a platform socket behind.
        closeTask(value as SocketTaskLike);
        fail(`${name} returned no SocketTask (got ${typeof value})`, value);
        return;
      }
      if (phase === PHASE_CLOSED) {
        // Came too late (closed or failed meanwhile). Closing before open may do nothing
        // (WeChat), so the close is repeated once it opens.
        closeTask(value);
        value.onOpen(() => closeTask(value));
        return;
      }
      task = value;
      for (const kind of EVENTS) value[`on${kind}` as const](listeners[kind]);
      // close() while a Promise of this task was pending.
      if (phase > PHASE_OPEN) closeTask();
    };

    this.send = (data: SendData): void => {
      if (phase === PHASE_CONNECTING) throw domError('InvalidStateError', 'send() while CONNECTING');
      const bytes = byteLength(data); // throws a TypeError for anything else
      if (phase !== PHASE_OPEN) return;
      const blob = isBlob(data);
      // A Blob is read below. A view is copied to exactly its bytes: an offset view must not send
      // the rest of its buffer, and later writes to it must not change what is sent.
      const item: Outgoing = { payload: blob ? undefined : typeof data === 'string' ? data : toArrayBuffer(data as ArrayBuffer | ArrayBufferView), bytes };
      if (blob) {
        blobToArrayBuffer(data).then(
          (buffer) => {
            item.payload = buffer;
            pump();
          },
          (error: unknown) => fail(`send(Blob): ${errorText(error)}`, error),
        );
      }
      buffered += bytes;
      outbox.push(item);
      pump();
    };

    this.close = (code?: number, reason?: string): void => {
      validateClose(code, reason);
      if (phase > PHASE_OPEN) return;
      const { code: closeCode, reason: closeReason } = (requested = { code: code ?? 1000, reason: reason ?? '' });
      phase = phase === PHASE_OPEN ? PHASE_CLOSING : PHASE_CANCELLING;
      // Still waiting for the platform (Alipay's single socket is busy): nothing to close. A
      // Promise of a task is waited for like a connecting task: it is closed once it comes.
      if (!task && !promised) return finish(closeCode, closeReason, false);
      closeTask();
      arm(closeCode, closeReason);
    };

    const max = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    if (live.size >= max) {
      fail(`${name}: maxSockets ${max} reached`);
      return;
    }
    live.add(this);
    const base: ConnectSocketOptions & Record<string, unknown> = {
      url,
      ...platform.extra,
      success: () => {
        if (ready) return;
        ready = true;
        // A close requested, an error, or a close already synthesized by the watchdog before tt
        // allowed task methods is carried out now, or the platform task would live on outside the
        // maxSockets count.
        if (phase > PHASE_OPEN) closeTask();
        else pump();
      },
      fail: failed,
    };
    const list = typeof protocols === 'string' ? [protocols] : [...(protocols ?? [])];
    if (list.length) base.protocols = list;
    // Only the options that are set: platforms may reject a parameter of the wrong type.
    for (const key of ['header', ...(platform.passed ?? [])]) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) base[key] = value;
    }
    try {
      const done = platform.connect ? platform.connect(base, attach) : attach(api.connectSocket(base));
      // A synchronous failure closed us before the release function existed.
      if (phase === PHASE_CLOSED) done?.();
      else release = done;
    } catch (error) {
      failed(error);
    }
  }
}

Object.assign(MiniProgramSocket, { CONNECTING, OPEN, CLOSING, CLOSED });

/** Wraps a `Platform` into a constructor with the browser `WebSocket`'s signature. */
export function socketConstructor(platform: Platform): WebSocketConstructorLike {
  return class extends MiniProgramSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(platform, url, protocols);
    }
  };
}
