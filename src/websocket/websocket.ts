/**
 * `HoldfastWebSocket`: the WHATWG `WebSocket` interface over holdfast's core, for libraries that
 * take a WebSocket implementation (sharedb, graphql-ws, y-websocket). Built on the public
 * `connect()` and one small feature that sees each platform socket; the core knows nothing of it.
 *
 * Events are the platform's (`Event`, `MessageEvent`, `CloseEvent` where they exist) dispatched
 * through the platform's `EventTarget`, so listener options, `handleEvent` objects and
 * `event.target` behave as on a native socket.
 */
import { byteLength } from '../binary/bytes';
import { connect, type HoldfastSocket } from '../core/connect';
import type { Feature, FeatureMethods } from '../core/feature';
import { badOption, type UrlProvider } from '../core/options';
import { isRetryableCode, type CloseInfo } from '../core/reconnect';
import { CLOSED, CLOSING, CONNECTING, OPEN, type SendData, type WebSocketConstructorLike, type WebSocketLike } from '../core/transport';
import type { PlatformBlob } from '../protocol/bytes';
import type { HoldfastError } from '../protocol/errors';
import type { HoldfastWebSocketEventMap, HoldfastWebSocketOptions, PlatformEvent } from './types';

/** What the drop-in reads from the global scope, each where the platform has it. */
interface Globals {
  EventTarget?: new () => object;
  Event: new (type: string) => object;
  MessageEvent?: new (type: string, init: object) => object;
  CloseEvent?: new (type: string, init: object) => object;
  DOMException?: new (message: string, name: string) => Error;
  Blob?: new (parts: ArrayBuffer[]) => PlatformBlob;
  URL?: new (url: string, base?: string) => { protocol: string; hash: string; href: string };
  location?: { href?: string };
}

const g = globalThis as unknown as Globals;

/** The platform's `EventTarget`; `Object` where there is none (the constructor then throws). */
const Target = /* @__PURE__ */ (() => g.EventTarget ?? Object)() as new () => object;

/**
 * A handler property, declared as a method so that it is compared bivariantly, and without a
 * `this` type (which is compared strictly): the DOM `WebSocket`'s handlers fit it both ways.
 */
type Handler<E> = { bivariant(event: E): unknown }['bivariant'];

type Listener<E> = ((this: HoldfastWebSocket, event: E) => unknown) | { handleEvent(event: E): unknown };

/** The options of `addEventListener`, as the platform's `EventTarget` takes them. */
export interface ListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: unknown;
}

/** A platform socket, with what only some platforms report. */
type PlatformSocket = WebSocketLike & { readonly extensions?: string };

/** A DOMException named `name` where the platform has DOMException, else an Error so named. */
function domError(name: string, message: string): Error {
  const e = g.DOMException ? new g.DOMException(message, name) : new Error(message);
  if (!g.DOMException) e.name = name;
  return e;
}

/** An event of `type` carrying `fields`: the platform's MessageEvent/CloseEvent, or an Event given them. */
function event(type: string, fields?: object): PlatformEvent {
  const Ctor = type === 'message' ? g.MessageEvent : type === 'close' ? g.CloseEvent : undefined;
  if (Ctor) return new Ctor(type, fields ?? {}) as PlatformEvent;
  return Object.assign(new g.Event(type), fields) as PlatformEvent;
}

/** The url as a WebSocket resolves it: absolute, `http(s)` as `ws(s)`, no fragment. @throws SyntaxError */
function resolveUrl(url: string): string {
  if (!g.URL) return url;
  let u;
  try {
    u = new g.URL(url, g.location?.href);
    u.protocol = u.protocol.replace('http', 'ws');
  } catch {
    // an unparsable url: thrown below
  }
  if (!u || !/^wss?:$/.test(u.protocol) || u.hash) throw domError('SyntaxError', `bad WebSocket url: ${url}`);
  return u.href;
}

/** Subprotocols as RFC 6455 §4.1 wants them: tokens, no duplicates. @throws SyntaxError */
function checkProtocols(protocols: string | string[]): void {
  const list: unknown[] = typeof protocols === 'string' ? [protocols] : protocols;
  if (!Array.isArray(list) || list.some((p, i) => typeof p !== 'string' || !/^[\w!#$%&'*+.^`|~-]+$/.test(p) || list.indexOf(p) !== i)) {
    throw domError('SyntaxError', `bad subprotocols: ${String(protocols)}`);
  }
}

/**
 * A `WebSocket` that holds fast: the WHATWG interface (`addEventListener`, `onmessage`,
 * `readyState`, `send`, `close`, …) over holdfast's reconnection, backoff and send queue. Pass
 * it where a library takes a WebSocket implementation; `HoldfastWebSocket.with(options)` makes
 * one with options for libraries that call `new WebSocket(url, protocols)` themselves.
 *
 * - `send()` never throws for being offline: while not open, the message waits in the queue
 *   and goes out, in order, when the next link opens (before `open` is dispatched).
 * - `close()` is final. Per lost link (`reconnect: 'always'`): `close`, then `open` on the same
 *   object once reconnected; with `'until-open'` the first close is the last.
 * - The heartbeat is off unless `options.heartbeat` sets it.
 *
 * Needs the platform's `EventTarget` and `Event` (every browser, Node 15+, Deno, Bun).
 */
export class HoldfastWebSocket<U extends readonly Feature[] = readonly Feature[]> extends Target {
  // Getters, not static fields: nothing runs when the module loads, and bundlers can drop the class.
  static get CONNECTING(): 0 {
    return 0;
  }
  static get OPEN(): 1 {
    return 1;
  }
  static get CLOSING(): 2 {
    return 2;
  }
  static get CLOSED(): 3 {
    return 3;
  }

  get CONNECTING(): 0 {
    return 0;
  }
  get OPEN(): 1 {
    return 1;
  }
  get CLOSING(): 2 {
    return 2;
  }
  get CLOSED(): 3 {
    return 3;
  }

  // Declared, then set in the constructor: no field-definition helper per field in lowered builds.
  declare onopen: Handler<HoldfastWebSocketEventMap['open']> | null;
  declare onmessage: Handler<HoldfastWebSocketEventMap['message']> | null;
  declare onclose: Handler<HoldfastWebSocketEventMap['close']> | null;
  declare onerror: Handler<HoldfastWebSocketEventMap['error']> | null;

  /**
   * The holdfast socket underneath: its `state`, `on('reconnecting' | 'state' | 'drop' | …)`,
   * `reconnect()`, `queue`, and what `options.use` added. Its `message` events carry the data
   * itself; the WebSocket events are dispatched on this object.
   */
  declare readonly socket: HoldfastSocket<FeatureMethods<U>>;
  /** The url, resolved as a WebSocket resolves it (`''` when a url provider function was given). */
  declare readonly url: string;

  /** binaryType. */
  private declare _b: 'blob' | 'arraybuffer';
  /** The negotiated subprotocol and extensions of the last link that opened. */
  private declare _p: string;
  private declare _x: string;
  /** The platform socket of the current attempt. */
  private declare _w: PlatformSocket | undefined;
  /** Attempts are hidden from the library: `'until-open'` before a link opened. */
  private declare _h: boolean;
  /** Inside `close()`: its events are dispatched after it returns; 2 when it fails a connecting socket. */
  private declare _d: number;

  /**
   * Connects to `url` (a first attempt starts in a microtask) and keeps reconnecting as
   * `options.reconnect` says.
   * @throws SyntaxError (a DOMException) for a url that is not ws/wss/http/https or has a
   * fragment, and for subprotocols that are not distinct tokens; TypeError when the platform
   * has no EventTarget; HoldfastError `OPTIONS`/`NO_WEBSOCKET` as `connect()` does.
   */
  constructor(url: string | { readonly href: string } | Exclude<UrlProvider, string>, protocols?: string | string[], options: HoldfastWebSocketOptions<U> = {}) {
    super();
    if (!(this as { dispatchEvent?: unknown }).dispatchEvent) throw new TypeError('holdfast: HoldfastWebSocket needs EventTarget');
    const target = typeof url === 'function' ? url : resolveUrl(String(url));
    (this as { url: string }).url = typeof target === 'string' ? target : '';
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this._b = 'blob';
    this._p = this._x = '';
    this._d = 0;
    if (protocols !== undefined) checkProtocols(protocols);
    const { use = [], reconnect = 'always', shouldReconnect, ...rest } = options;
    if (reconnect !== 'always' && reconnect !== 'until-open') throw badOption('reconnect');
    const once = (this._h = reconnect === 'until-open');
    // Sees each platform socket, for `extensions` and its `bufferedAmount`.
    const grab: Feature = (host) => {
      host.transport(
        (Ctor) =>
          function (...args: ConstructorParameters<WebSocketConstructorLike>) {
            return (self._w = new Ctor(...args));
          } as unknown as WebSocketConstructorLike,
      );
      return {};
    };
    const self = this;
    const socket = ((this as { socket: unknown }).socket = connect(target, {
      heartbeat: false,
      ...rest,
      protocols,
      // Once a link has opened, 'until-open' never reconnects: the library makes a new object.
      shouldReconnect: once ? (ctx) => self._h && (shouldReconnect ? shouldReconnect(ctx) : isRetryableCode(ctx.code)) : shouldReconnect,
      use: [...use, grab],
    }) as unknown as HoldfastSocket<FeatureMethods<U>>);

    const dispatch = (e: PlatformEvent): unknown =>
      this._d ? Promise.resolve().then(() => this.dispatchEvent(e)) : this.dispatchEvent(e);
    /** The current attempt (with `'until-open'`, the object) has not dispatched `close` yet. */
    let live = true;
    /** Why the current attempt failed: dispatched as `error` just before its `close`, as a platform socket does. */
    let failure: HoldfastError | undefined;
    const closed = (info: CloseInfo, failed?: boolean): void => {
      if (!live) return;
      live = false;
      if (failed || failure) dispatch(event('error', failure && { error: failure, message: failure.message }));
      failure = undefined;
      dispatch(event('close', { code: info.code, reason: info.reason, wasClean: info.wasClean }));
    };

    for (const type of ['open', 'message', 'close', 'error'] as const) {
      this.addEventListener(type, (e) => (this[`on${type}`] as ((e: unknown) => unknown) | null)?.call(this, e));
    }
    socket.on('state', ({ to }) => {
      if (to === 'connecting' && !once) live = true;
    });
    socket.on('open', ({ protocol }) => {
      this._h = false;
      failure = undefined; // of an attempt 'until-open' hid
      this._p = protocol;
      this._x = String(this._w?.extensions ?? '');
      dispatch(event('open'));
    });
    socket.on('message', (data) => {
      dispatch(event('message', { data: this._b === 'blob' && typeof data !== 'string' && g.Blob ? new g.Blob([data]) : data }));
    });
    socket.on('error', (e) => {
      // An attempt that fails to open: `error`, then `close`, as a platform socket reports it. A
      // lost open link is a `close` alone, as in browsers (graphql-ws takes an `error` for fatal);
      // every other holdfast error stays on `socket.on('error')`.
      if (live && socket.state === 'connecting' && /^(CONNECT|TIMEOUT|URL)$/.test(e.code)) failure = e;
    });
    socket.on('close', (e) => {
      if (e.willReconnect) {
        if (!once) closed(e);
        // With 'until-open', only `socket.reconnect()` can get here after a link opened: end instead.
        else if (!this._h) socket.close(e.code, e.reason);
        return;
      }
      this._w = undefined;
      const failing = this._d > 1;
      // A connection that never opened fails as a platform socket's does: error, then close 1006.
      closed(failing ? { code: 1006, reason: '', wasClean: false } : e, failing || this._h);
    });
    // An attempt that ended without a close event (a url provider failed) still ends with one.
    socket.on('reconnecting', () => {
      if (!once) closed({ code: 1006, reason: '', wasClean: false });
    });
  }

  /**
   * CONNECTING while an attempt runs (with `'until-open'`, every attempt until one opens), OPEN,
   * CLOSING during `close()`, CLOSED between links and for good after the last one.
   */
  get readyState(): number {
    const state = this.socket.state;
    return state === 'open' ? OPEN : state === 'closing' ? CLOSING : state === 'connecting' || (state === 'reconnecting' && this._h) ? CONNECTING : CLOSED;
  }

  /** The subprotocol the server chose on the last link that opened, `''` before. */
  get protocol(): string {
    return this._p;
  }

  /** The extensions the server chose on the last link that opened (`''` where the platform does not say). */
  get extensions(): string {
    return this._x;
  }

  /** Bytes waiting: holdfast's send queue plus what the open link's platform socket buffers. */
  get bufferedAmount(): number {
    return this.socket.queue.bytes + (this.socket.state === 'open' ? (this._w?.bufferedAmount ?? 0) : 0);
  }

  /**
   * `'blob'` (the default, as in browsers; ArrayBuffers where there is no Blob) or
   * `'arraybuffer'`; applies from the next message. Other values are ignored, as a WebSocket does.
   */
  get binaryType(): 'blob' | 'arraybuffer' {
    return this._b;
  }
  set binaryType(value: 'blob' | 'arraybuffer') {
    if (value === 'blob' || value === 'arraybuffer') this._b = value;
  }

  /**
   * Sends now when open, otherwise queues for the next link (bounded by `options.queue`);
   * after `close()` the message is dropped, as a closed WebSocket discards it. Throws a
   * TypeError for data that is not a string, ArrayBuffer, view or Blob.
   */
  send(data: SendData): void {
    this.socket.send(data);
  }

  /**
   * Closes for good: no reconnect after it, queued messages are dropped. On an open link the
   * closing handshake runs (CLOSING, then `close`); while connecting the attempt fails (`error`,
   * then `close` 1006); between links nothing more is dispatched (the lost link's `close` was
   * the last). Events follow after this call returns. Calling it again does nothing.
   * @throws InvalidAccessError for a code other than 1000 or 3000–4999; SyntaxError for a reason
   * over 123 UTF-8 bytes (DOMExceptions, as a WebSocket throws).
   */
  close(code?: number, reason = ''): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) throw domError('InvalidAccessError', `bad close code: ${code}`);
    if (byteLength(reason) > 123) throw domError('SyntaxError', 'close reason over 123 bytes');
    this._d = this.readyState === CONNECTING ? 2 : 1;
    try {
      this.socket.close(code, reason);
    } finally {
      this._d = 0;
    }
  }

  /**
   * A HoldfastWebSocket class whose constructor adds `defaults` to the options it is given: for
   * a library that calls `new WebSocket(url, protocols)` itself, e.g.
   * `createClient({ url, webSocketImpl: HoldfastWebSocket.with({ reconnect: 'until-open' }) })`.
   */
  static with(defaults: HoldfastWebSocketOptions): typeof HoldfastWebSocket {
    const Base = this as new (...args: ConstructorParameters<typeof HoldfastWebSocket>) => HoldfastWebSocket;
    return class extends Base {
      constructor(...[url, protocols, options]: ConstructorParameters<typeof HoldfastWebSocket>) {
        super(url, protocols, { ...defaults, ...options });
      }
    } as typeof HoldfastWebSocket;
  }
}

/** The EventTarget methods, typed by the drop-in's event map (the platform's EventTarget implements them). */
export interface HoldfastWebSocket<U extends readonly Feature[] = readonly Feature[]> {
  addEventListener<K extends keyof HoldfastWebSocketEventMap>(type: K, listener: Listener<HoldfastWebSocketEventMap[K]> | null, options?: boolean | ListenerOptions): void;
  addEventListener(type: string, listener: Listener<PlatformEvent> | null, options?: boolean | ListenerOptions): void;
  removeEventListener<K extends keyof HoldfastWebSocketEventMap>(type: K, listener: Listener<HoldfastWebSocketEventMap[K]> | null, options?: boolean | Pick<ListenerOptions, 'capture'>): void;
  removeEventListener(type: string, listener: Listener<PlatformEvent> | null, options?: boolean | Pick<ListenerOptions, 'capture'>): void;
  dispatchEvent(event: PlatformEvent): boolean;
}
