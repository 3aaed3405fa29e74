/**
 * The application half of holdfast's protocol (CONTRACT "Wire shapes"), on any WebSocket
 * connection that can send, receive and close: answers JSON heartbeats, dispatches requests to
 * handlers typed by the same `Api` map as the client's `rpc<Api>()`, sends server-to-client
 * requests and settles their responses, delivers events both ways, emits per connection and
 * broadcasts. It knows nothing of framing: the reference server's connections feed it, and so
 * can a `ws` package server (`attach(wss)` or `serve(socket)`) or any other transport
 * (`open(channel, socket)`).
 */
import type { DefaultApi, EmitData, EmitName, EventArgs, EventName, HandlerName, HandlerParamsArgs, HandlerResult, MethodName, ParamsOf, ResultOf } from '../protocol/api.js';
import { decodeEnvelope, restoreBinary } from '../protocol/envelope.js';
import { ClosedError, HoldfastError } from '../protocol/errors.js';
import { createPending, errorPayload, type PendingRequests } from '../protocol/pending.js';
import { decodeText, encodeError, encodePong, isName, type ErrorPayload, type Id, type ProtocolMessage, type RequestMessage, type ResponseMessage } from '../protocol/wire.js';
import { encodeOutgoing, type RequestOptions } from './connection.js';
import { CloseCode, DEFAULT_MAX_BUFFERED_BYTES } from './constants.js';
import { Emitter } from './emitter.js';
import { ResponseError } from './errors.js';
import { sessionHub, type SessionHub, type SessionLayer, type SessionLink, type SessionOptions } from './session.js';

/**
 * One client connection as the application sees it, typed by `Api` (the map the client's
 * `rpc<Api>()` uses): `emit` sends `events`, `request` calls the client's `handles`.
 */
export interface Peer<Api = DefaultApi> {
  /**
   * Sends application data as it is: a string as a text frame, bytes as a binary frame
   * (`options.binary` overrides). False when nothing was sent: the connection is not open, or it
   * was a slow consumer and is closing with 1013 instead (see the slow-consumer policy).
   */
  send(data: string | Uint8Array, options?: { binary?: boolean }): boolean;
  /**
   * Sends the wire event `{"type":"event","event":…,"data":…}` (one binary envelope when `data`
   * holds bytes); false as for `send`. Throws TypeError for data that cannot be encoded.
   */
  emit<E extends EventName<Api>>(event: E, ...data: EventArgs<Api, E>): boolean;
  /**
   * Sends a wire request, which the client answers with `socket.handle(method, fn)` (from
   * `rpc()`), and resolves with its result. Rejects with RemoteError when the client answers
   * with an error, TimeoutError after `timeout` ms (0: none), ClosedError `CLOSED` when the
   * connection is not open or closes first, and TypeError for params that cannot be encoded.
   */
  request<M extends HandlerName<Api>>(method: M, ...args: [...HandlerParamsArgs<Api, M>, RequestOptions?]): Promise<HandlerResult<Api, M>>;
  /** Starts the closing handshake (RangeError or TypeError for a code that may not be sent). */
  close(code?: number, reason?: string): void;
}

/** A peer as the app drives it: it also settles the responses to its own requests. */
export interface PeerPort extends Peer {
  /** Settles the pending request `response` answers; false when none of ours waits for its id. */
  settle(response: ResponseMessage): boolean;
}

/** What `open()` needs from a connection: a way to send a message and a way to close it. */
export interface Channel {
  /** Sends one message (text when `binary` is false); returns false when it was not sent. */
  send(data: string | Uint8Array, binary: boolean): boolean;
  /** Closes the connection with a close frame. */
  close(code?: number, reason?: string): void;
}

/** The handle `open()` returns: feed it what the connection receives, and tell it when it is gone. */
export interface PeerLink<Api = DefaultApi> {
  /** The peer, also in `app.peers` until `end()`. */
  readonly peer: Peer<Api>;
  /** One complete message the connection received: a string or bytes, and whether it came as binary (default: bytes are binary). */
  receive(data: string | Uint8Array, isBinary?: boolean): void;
  /** The connection is gone: rejects its pending requests with ClosedError, removes the peer, fires `close`. Idempotent. */
  end(code?: number, reason?: string): void;
}

/**
 * The part of a `ws` package WebSocket (version 8) that `serve()` uses. Any socket with these
 * members works; its own `message` listeners keep receiving every frame.
 */
export interface WsSocketLike {
  /** 1 while open (the WebSocket constants). */
  readonly readyState: number;
  /** Bytes queued and not yet sent; checked against `maxBufferedBytes`. */
  readonly bufferedAmount: number;
  send(data: string | Uint8Array, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: WsMessageListener): unknown;
  on(event: 'close', listener: WsCloseListener): unknown;
  off(event: 'message', listener: WsMessageListener): unknown;
  off(event: 'close', listener: WsCloseListener): unknown;
}

/** A `message` listener of a `ws` socket: data as ws delivers it (by its `binaryType`), and whether it was binary. */
export type WsMessageListener = (data: string | Uint8Array | ArrayBuffer | readonly Uint8Array[], isBinary?: boolean) => void;
/** A `close` listener of a `ws` socket. */
export type WsCloseListener = (code: number, reason: Uint8Array | string) => void;

/** The part of a `ws` package WebSocketServer that `attach()` uses. */
export interface WsServerLike<S> {
  on(event: 'connection', listener: (socket: S) => void): unknown;
  off(event: 'connection', listener: (socket: S) => void): unknown;
}

/** What a request handler gets besides the params. */
export interface HandlerContext<Api = DefaultApi, S = unknown> {
  /** The connection the request came on, typed by `Api`: it can `emit`, `request`, `send`, `close`. */
  readonly peer: Peer<Api>;
  /** The socket under it: the reference server's Connection, the `ws` WebSocket, or what was given to `open()`. */
  readonly connection: S;
  /** The method name that was called. */
  readonly method: string;
  /** The request id the client chose. */
  readonly id: Id;
}

/**
 * Answers one request method of `Api`: return the result, or a promise of it. A throw or a
 * rejection answers with the error `INTERNAL`, message "internal error" (the `error` event gets
 * what was thrown), unless it is a ResponseError, whose code, message and data the client gets;
 * the option `exposeErrors` sends every thrown error's own code and message (for development).
 */
export type Handler<Api = DefaultApi, M extends MethodName<Api> = MethodName<Api>, S = unknown> = (
  params: ParamsOf<Api, M>,
  context: HandlerContext<Api, S>,
) => ResultOf<Api, M> | PromiseLike<ResultOf<Api, M>>;

/** Events of an app; `on()` returns an unsubscribe function. */
export interface AppEvents<Api = DefaultApi, S = unknown> {
  /** A connection was served (`serve`, `attach`, `open`). */
  connection: [peer: Peer<Api>, socket: S];
  /** Application data: a message that is none of the protocol's (a string for text, a Buffer for binary). */
  message: [data: string | Buffer, isBinary: boolean, peer: Peer<Api>, socket: S];
  /** A wire event from a client, whatever its name (see `onEvent` for typed listeners). */
  event: [event: string, data: unknown, peer: Peer<Api>, socket: S];
  /** A served connection is gone, or no longer served (`detach`). */
  close: [peer: Peer<Api>, code: number, reason: string, socket: S];
  /** A handler threw or rejected (what it threw, as an Error), or its result could not be encoded. The client got `INTERNAL`. */
  error: [error: Error, peer: Peer<Api>, socket: S];
}

/** Options of `createApp`. Times are in milliseconds. */
export interface AppOptions {
  /** Send application data (anything that is not a protocol message) back to its sender. Default false. */
  echo?: boolean;
  /** Answer a handler's exception with its own `code` and `message` instead of `INTERNAL` (for development). Default false. */
  exposeErrors?: boolean;
  /** Default timeout of `peer.request()`; 0: none. Default 10000. */
  requestTimeout?: number;
  /**
   * `serve()`d sockets only: a message sent while more than this many bytes wait in the socket
   * (`bufferedAmount`) closes it with 1013 instead (the slow-consumer policy). Infinity: no
   * limit. Default 8 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * The server half of the client's `session()` (docs/session.md), as in `createServer`: `false`
   * turns it off; an object sets its limits and store. Harmless for clients without `session()`:
   * a connection takes part only once its client said hello. Default on.
   */
  sessions?: boolean | SessionOptions;
}

type AnyHandler = (params: unknown, context: HandlerContext<DefaultApi, unknown>) => unknown;
type AnyEventListener = (data: unknown, peer: Peer, socket: unknown) => void;

/** The WebSocket `OPEN` readyState. */
const OPEN = 1;
const INTERNAL: ErrorPayload = { code: 'INTERNAL', message: 'internal error' };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(typeof thrown === 'string' ? thrown : 'a handler threw a non-Error value', { cause: thrown }));

/** True when the first non-whitespace byte is `{`: only such text can be a wire message. */
function mayBeJsonObject(payload: Uint8Array): boolean {
  for (let i = 0; i < payload.length; i++) {
    const byte = payload[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte === 0x7b;
  }
  return false;
}

/** A Buffer view of what a `ws` socket delivers (Buffer, ArrayBuffer, or fragments), without copying a Buffer. */
function toBuffer(data: Uint8Array | ArrayBuffer | readonly Uint8Array[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.concat(data as readonly Uint8Array[]);
}

function checkNumber(name: string, value: number | undefined, finite: boolean): void {
  if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || (finite && !Number.isFinite(value)))) {
    throw new RangeError(`${name} must be a non-negative ${finite ? 'finite ' : ''}number, got ${String(value)}`);
  }
}

/**
 * @internal A peer over a channel, with its own request table (created on its first request).
 * After `end()` it sends only while `keeps()` says so (a session keeps what is sent for the next
 * link). Also the per-channel reply port on a multi-session link (`channelPorts`).
 */
export function createPeer(channel: Channel, requestTimeout: number, keeps?: () => boolean): PeerPort & { end(code: number): void } {
  let pending: PendingRequests | undefined;
  let ended = false;
  const send = (data: string | Uint8Array, options?: { binary?: boolean }): boolean => {
    const isText = typeof data === 'string';
    if (!isText && !(data instanceof Uint8Array)) throw new TypeError('send() takes a string or a Uint8Array');
    return (!ended || keeps?.() === true) && channel.send(data, options?.binary ?? !isText);
  };
  const port = {
    send,
    emit(event: string, data?: unknown): boolean {
      if (!isName(event)) throw new TypeError('emit() needs a non-empty event name');
      return send(encodeOutgoing({ type: 'event', event, data }));
    },
    request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown> {
      if (!isName(method)) return Promise.reject(new TypeError('request() needs a method name'));
      if (ended) return Promise.reject(new ClosedError('CLOSED', 'the connection is closed', undefined, { method }));
      let request: { id: number; promise: Promise<unknown> };
      try {
        request = (pending ??= createPending()).add(method, { timeout: options?.timeout ?? requestTimeout });
      } catch (error) {
        return Promise.reject(error); // RangeError: a negative timeout
      }
      try {
        send(encodeOutgoing({ type: 'request', id: request.id, method, params }));
      } catch (error) {
        pending.reject(request.id, asError(error));
      }
      return request.promise;
    },
    close: (code?: number, reason?: string): void => channel.close(code, reason),
    settle: (response: ResponseMessage): boolean => pending?.resolve(response) ?? false,
    end(code: number): void {
      ended = true;
      pending?.rejectAll((method, id) => new ClosedError('CLOSED', `connection closed (${code}) before request "${method}" (id ${id}) was answered`, code, { method, id }));
    },
  };
  return port as typeof port & PeerPort;
}

/** @internal The reply ports of one multi-session link's channels (see `channelPorts`). */
export interface ChannelPorts {
  /** The port of `channel`, made on its first frame. */
  portOf(channel: SessionLink): PeerPort;
  /** The connection is gone: every port's pending requests fail with ClosedError (code). */
  end(code: number): void;
}

/**
 * @internal On a multi-session link (shared() tabs, docs/protocol.md §6) a frame comes on one
 * tab's channel: answers, echoes and the handler's `peer` go to that channel only, while the
 * connection's own send() reaches every tab. A response to the connection's own request (sent
 * to one tab's channel, see SessionLink.send) settles it (`connection.settle`). Like the connection's
 * own, a channel's port keeps sending into its session after the link is gone. Used by both
 * `createServer` and `createApp`.
 */
export function channelPorts(connection: Pick<PeerPort, 'settle'>, close: (code?: number, reason?: string) => void, requestTimeout: number): ChannelPorts {
  const ports = new Map<SessionLink, ReturnType<typeof createPeer>>();
  return {
    portOf(channel) {
      let port = ports.get(channel);
      if (!port) {
        // Channels closed since (tabs gone) give their ports up: at most MAX_CHANNELS stay.
        for (const [c, p] of ports) {
          if (!c.closed) continue;
          ports.delete(c);
          p.end(CloseCode.GoingAway);
        }
        const own = createPeer({ send: (data, binary) => channel.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, binary), close }, requestTimeout, () => true);
        port = { ...own, settle: (response: ResponseMessage): boolean => own.settle(response) || connection.settle(response) };
        ports.set(channel, port);
      }
      return port;
    },
    end(code) {
      for (const port of ports.values()) port.end(code);
    },
  };
}

/**
 * The protocol's application half. Register handlers with `handle`, listen with `onEvent` and
 * `on`, then serve connections: `attach(wss)` for a `ws` WebSocketServer (it keeps working as
 * before; its own listeners still see every message), `serve(socket)` for one socket, or
 * `open(channel, socket)` for any other transport.
 */
export class HoldfastApp<Api = DefaultApi, S = WsSocketLike> {
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #eventListeners = new Map<string, AnyEventListener[]>();
  /** A listener that throws is reported as `error`, with the peer and socket its event was about. */
  readonly #events: Emitter<AppEvents<Api, S>> = new Emitter<AppEvents<Api, S>>((error, event, args) => {
    const at = event === 'message' || event === 'event' ? 2 : 0;
    this.#events.fire('error', error, args[at] as Peer<Api>, args[event === 'connection' ? 1 : 3] as S);
  });
  readonly #peers = new Set<Peer<Api>>();
  readonly #served = new Map<S, { peer: Peer<Api>; release(code: number, reason: string): void }>();
  readonly #echo: boolean;
  readonly #exposeErrors: boolean;
  readonly #requestTimeout: number;
  readonly #maxBufferedBytes: number;
  readonly #sessions: SessionHub | undefined;
  /** The session layer of each peer whose client said hello. */
  readonly #layers = new WeakMap<Peer<Api>, SessionLayer>();

  /** Throws RangeError for a bad option. */
  constructor(options: AppOptions = {}) {
    checkNumber('requestTimeout', options.requestTimeout, true);
    checkNumber('maxBufferedBytes', options.maxBufferedBytes, false);
    this.#echo = options.echo ?? false;
    this.#exposeErrors = options.exposeErrors ?? false;
    this.#requestTimeout = options.requestTimeout ?? 10_000;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#sessions = sessionHub(options.sessions);
  }

  /**
   * The session table (undefined with `sessions: false`): `send(id, data)` reaches a session's
   * client wherever it is; `close()` stops its timers when the app is done.
   */
  get sessions(): SessionHub | undefined {
    return this.#sessions;
  }

  /** The id of the session on `peer`'s connection, once its client's hello was answered (else undefined). */
  sessionId(peer: Peer<Api>): string | undefined {
    return this.#layers.get(peer)?.id;
  }

  /** The connections being served (by `serve`, `attach` or `open`), until they end. */
  get peers(): ReadonlySet<Peer<Api>> {
    return this.#peers;
  }

  /**
   * Registers the handler of `method`, replacing any earlier one. Requests for a method without
   * a handler are answered `METHOD_NOT_FOUND`. Returns a function that removes it (if it is
   * still the registered one). Throws TypeError for an empty name or a non-function.
   */
  handle<M extends MethodName<Api>>(method: M, handler: Handler<Api, M, S>): () => void {
    if (!isName(method)) throw new TypeError('handle() needs a non-empty method name');
    if (typeof handler !== 'function') throw new TypeError(`handle("${method}") needs a function`);
    const stored = handler as unknown as AnyHandler;
    this.#handlers.set(method, stored);
    return () => {
      if (this.#handlers.get(method) === stored) this.#handlers.delete(method);
    };
  }

  /** Listens to the wire event `event` from clients (`emits` of `Api`). Returns a function that unsubscribes. */
  onEvent<E extends EmitName<Api>>(event: E, listener: (data: EmitData<Api, E>, peer: Peer<Api>, socket: S) => void): () => void {
    if (!isName(event)) throw new TypeError('onEvent() needs a non-empty event name');
    const stored = listener as unknown as AnyEventListener;
    const list = this.#eventListeners.get(event) ?? [];
    list.push(stored);
    this.#eventListeners.set(event, list);
    return () => {
      const current = this.#eventListeners.get(event);
      const index = current?.indexOf(stored) ?? -1;
      if (index === -1) return;
      current?.splice(index, 1);
      if (current?.length === 0) this.#eventListeners.delete(event);
    };
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof AppEvents>(event: K, listener: (...args: AppEvents<Api, S>[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener added with `on()`. */
  off<K extends keyof AppEvents>(event: K, listener: (...args: AppEvents<Api, S>[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** Sends `data` as it is to every peer (a string as text, bytes as binary), encoded once. Returns how many it was sent to. */
  broadcast(data: string | Uint8Array): number {
    const binary = typeof data !== 'string';
    const payload = binary ? data : Buffer.from(data, 'utf8');
    let count = 0;
    for (const peer of this.#peers) if (peer.send(payload, { binary })) count++;
    return count;
  }

  /** Sends the wire event to every peer, encoded once. Returns how many it was sent to. Throws TypeError for data that cannot be encoded. */
  emit<E extends EventName<Api>>(event: E, ...data: EventArgs<Api, E>): number {
    if (!isName(event)) throw new TypeError('emit() needs a non-empty event name');
    return this.broadcast(encodeOutgoing({ type: 'event', event, data: data[0] }));
  }

  /**
   * Serves a transport of your own: returns the handle to feed with every message the
   * connection receives (`receive`) and to end when it is gone (`end`). `socket` is what
   * handlers and listeners get as the connection. Fires `connection`.
   */
  open(channel: Channel, socket: S): PeerLink<Api> {
    const hub = this.#sessions;
    /** Set once the client said hello: from then on every frame goes through it, both ways. */
    let layer: SessionLayer | undefined;
    // With sessions on, what the peer sends goes through the layer once there is one, also after
    // the connection ended (the session keeps it for the client's next link).
    const port = hub
      ? createPeer({ send: (data, binary) => (layer ? layer.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, binary) : channel.send(data, binary)), close: (code, reason) => channel.close(code, reason) }, this.#requestTimeout, () => layer !== undefined)
      : createPeer(channel, this.#requestTimeout);
    const peer = port as unknown as Peer<Api>;
    let ended = false;
    let ports: ChannelPorts | undefined;
    const deliver = (payload: Buffer, isBinary: boolean, on?: SessionLink): void => {
      this.receive(on ? (ports ??= channelPorts(port, (code, reason) => channel.close(code, reason), this.#requestTimeout)).portOf(on) : port, socket, payload, isBinary);
    };
    const join = (payload: Buffer, isBinary: boolean): SessionLayer | undefined => {
      layer = hub?.join(payload, isBinary, () => ({ write: (data, binary) => channel.send(data, binary), close: () => channel.close(CloseCode.GoingAway, 'session resumed on another link'), deliver }));
      if (layer) this.#layers.set(peer, layer);
      return layer;
    };
    this.#peers.add(peer);
    this.#events.fire('connection', peer, socket);
    return {
      peer,
      receive: (data, isBinary) => {
        if (ended) return;
        const binary = isBinary ?? typeof data !== 'string';
        if (hub && (layer || typeof data !== 'string' || data.startsWith('{"type":"session"'))) {
          const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data);
          const to = layer ?? join(payload, binary);
          if (to) return to.receive(payload, binary);
          return deliver(payload, binary);
        }
        this.receive(port, socket, typeof data === 'string' ? data : toBuffer(data), binary);
      },
      end: (code = CloseCode.Abnormal, reason = '') => {
        if (ended) return;
        ended = true;
        layer?.end();
        this.#peers.delete(peer);
        port.end(code);
        ports?.end(code);
        this.#events.fire('close', peer, code, reason, socket);
      },
    };
  }

  /**
   * Serves one `ws` package WebSocket (or a socket like it, see WsSocketLike) until it closes.
   * Its own listeners keep receiving every message, protocol messages included (listen to this
   * app's `message` event for application data only). Serving a socket twice returns the same peer.
   */
  serve(socket: S & WsSocketLike): Peer<Api> {
    const known = this.#served.get(socket);
    if (known) return known.peer;
    const limit = this.#maxBufferedBytes;
    const link = this.open(
      {
        send(data, binary) {
          if (socket.readyState !== OPEN) return false;
          if (socket.bufferedAmount > limit) {
            socket.close(CloseCode.TryAgainLater, 'slow consumer: send buffer full');
            return false;
          }
          socket.send(data, { binary });
          return true;
        },
        close: (code, reason) => socket.close(code, reason),
      },
      socket,
    );
    const onMessage = (data: string | Uint8Array | ArrayBuffer | readonly Uint8Array[], isBinary?: boolean): void =>
      link.receive(typeof data === 'string' ? data : toBuffer(data), isBinary);
    const release = (code: number, reason: string): void => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
      this.#served.delete(socket);
      link.end(code, reason);
    };
    const onClose = (code: number, reason: Uint8Array | string): void => release(code, typeof reason === 'string' ? reason : toBuffer(reason).toString('utf8'));
    this.#served.set(socket, { peer: link.peer, release });
    socket.on('message', onMessage);
    socket.on('close', onClose);
    if (socket.readyState > OPEN) release(CloseCode.Abnormal, 'the socket was already closed');
    return link.peer;
  }

  /**
   * Serves every connection a `ws` WebSocketServer accepts from now on, without replacing
   * anything of it. Returns `detach`: stops serving new connections and releases the ones this
   * attachment served (their sockets stay open; their pending requests reject with ClosedError).
   */
  attach(server: WsServerLike<S & WsSocketLike>): () => void {
    const mine = new Set<S>();
    const onConnection = (socket: S & WsSocketLike): void => {
      this.serve(socket);
      if (this.#served.has(socket)) mine.add(socket);
    };
    server.on('connection', onConnection);
    return () => {
      server.off('connection', onConnection);
      for (const socket of mine) this.#served.get(socket)?.release(CloseCode.GoingAway, 'detached');
      mine.clear();
    };
  }

  /**
   * Handles one complete message from a peer that keeps its own request table (the reference
   * server's Connection). Transports use `open()` instead.
   * @internal
   */
  receive(port: PeerPort, socket: S, data: string | Buffer, isBinary: boolean): void {
    if (isBinary) return this.#receiveBinary(port, socket, data as Buffer);
    if (typeof data !== 'string' && !mayBeJsonObject(data)) return this.#data(port, socket, data, false);
    const decoded = decodeText(typeof data === 'string' ? data : data.toString('utf8'));
    // A protocol `type` whose shape does not fit is application data, as for the client (CONTRACT).
    if (decoded.kind === 'protocol') this.#onProtocol(port, socket, decoded.message);
    else this.#data(port, socket, data, false);
  }

  /** Binary is application data unless it is a binary envelope (docs/protocol.md §2). */
  #receiveBinary(port: PeerPort, socket: S, payload: Buffer): void {
    let message: ProtocolMessage | undefined;
    try {
      const envelope = decodeEnvelope(payload);
      if (envelope) message = restoreBinary(envelope.message, envelope.attachments);
    } catch (error) {
      port.emit('error', { message: `malformed binary envelope: ${errorPayload(error).message}` });
      return;
    }
    if (message) this.#onProtocol(port, socket, message);
    else this.#data(port, socket, payload, true);
  }

  #data(port: PeerPort, socket: S, data: string | Buffer, isBinary: boolean): void {
    if (this.#events.count('message') > 0) this.#events.fire('message', isBinary || typeof data === 'string' ? data : data.toString('utf8'), isBinary, port as unknown as Peer<Api>, socket);
    if (this.#echo) port.send(data, { binary: isBinary });
  }

  #onProtocol(port: PeerPort, socket: S, message: ProtocolMessage): void {
    switch (message.type) {
      case 'ping':
        port.send(encodePong(message.ts));
        return;
      case 'request':
        this.#answer(port, socket, message);
        return;
      case 'response':
        port.settle(message);
        return;
      case 'event': {
        const peer = port as unknown as Peer<Api>;
        this.#events.fire('event', message.event, message.data, peer, socket);
        const listeners = this.#eventListeners.get(message.event);
        if (listeners)
          for (const listener of listeners.length === 1 ? listeners : listeners.slice()) {
            try {
              listener(message.data, port, socket);
            } catch (thrown) {
              this.#events.fire('error', new HoldfastError('LISTENER', `an onEvent("${message.event}") listener threw`, { cause: thrown }), peer, socket);
            }
          }
        return;
      }
      case 'pong':
        return;
    }
  }

  #answer(port: PeerPort, socket: S, { id, method, params }: RequestMessage): void {
    const handler = this.#handlers.get(method);
    if (!handler) {
      this.#respond(port, socket, id, { error: { code: 'METHOD_NOT_FOUND', message: `no handler for method "${method}"` } });
      return;
    }
    const fail = (thrown: unknown): void => this.#respond(port, socket, id, { error: this.#failure(thrown, port, socket) });
    const reply = (result: unknown): void => this.#respond(port, socket, id, { result: result === undefined ? null : result });
    let result: unknown;
    try {
      result = handler(params, { peer: port, connection: socket, method, id });
    } catch (error) {
      fail(error);
      return;
    }
    if (isThenable(result)) result.then(reply, fail);
    else reply(result);
  }

  /** What the client is told about a handler's failure: a ResponseError as it is; anything else is reported with `error` and hidden. */
  #failure(thrown: unknown, port: PeerPort, socket: S): ErrorPayload {
    if (thrown instanceof ResponseError) return thrown.data === undefined ? { code: thrown.code, message: thrown.message } : { code: thrown.code, message: thrown.message, data: thrown.data };
    this.#events.fire('error', asError(thrown), port as unknown as Peer<Api>, socket);
    return this.#exposeErrors ? errorPayload(thrown) : INTERNAL;
  }

  /** Sends a response; one that cannot be encoded (a cycle, a BigInt) is reported with `error` and answered `INTERNAL`. */
  #respond(port: PeerPort, socket: S, id: Id, outcome: { result: unknown } | { error: ErrorPayload }): void {
    let data: string | Uint8Array;
    try {
      data = encodeOutgoing({ type: 'response', id, ...outcome });
    } catch (cause) {
      this.#events.fire('error', new TypeError(`the answer to request ${JSON.stringify(id)} cannot be encoded`, { cause }), port as unknown as Peer<Api>, socket);
      data = encodeError(id, INTERNAL);
    }
    port.send(data);
  }
}

/** Creates the protocol's application half, typed by the `Api` map the client's `rpc<Api>()` uses. Throws RangeError for a bad option. */
export function createApp<Api = DefaultApi, S = WsSocketLike>(options?: AppOptions): HoldfastApp<Api, S> {
  return new HoldfastApp<Api, S>(options);
}
