/**
 * `holdfast/server`: the Node reference server. RFC 6455 over node:http's `upgrade` event, the
 * CONTRACT's default behaviour, a demo page, and fault controls for testing clients.
 * Node built-ins only; no runtime dependency.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { DefaultApi, EmitData, EmitName, EventArgs, EventName, MethodName } from '../protocol/api.js';
import { HoldfastApp, channelPorts, type ChannelPorts, type Handler, type Peer, type PeerPort } from './protocol-app.js';
import { Connection, encodeOutgoing, type ConnectionHooks, type ConnectionOptions } from './connection.js';
import { CloseCode } from './constants.js';
import { Emitter } from './emitter.js';
import { HandshakeError } from './errors.js';
import { encodeClosePayload } from './frame-writer.js';
import { TOKEN_PATTERN, type HandshakeOptions } from './handshake.js';
import { DemoControls } from './demo-controls.js';
import { HttpFront, type Admission, type TlsOptions } from './http.js';
import { sessionHub, type SessionHub, type SessionLayer, type SessionOptions } from './session.js';

export { Connection } from './connection.js';
export type { ConnectionEvents, ConnectionHooks, ConnectionOptions, ConnectionState, MessageSink, RequestOptions, SendOptions } from './connection.js';
export { HoldfastApp, createApp } from './protocol-app.js';
export type { AppEvents, AppOptions, Channel, Handler, HandlerContext, Peer, PeerLink, PeerPort, WsCloseListener, WsMessageListener, WsServerLike, WsSocketLike } from './protocol-app.js';
export type {
  DefaultApi,
  MethodSpec,
  MethodName,
  ParamsOf,
  ResultOf,
  EventName,
  EventData,
  EventArgs,
  EmitName,
  EmitData,
  HandlerName,
  HandlerParams,
  HandlerParamsArgs,
  HandlerResult,
} from '../protocol/api.js';
export type { TlsOptions } from './http.js';
export { SessionHub, SessionLink, SessionLayer, MemorySessionStore } from './session.js';
export type { Deliver, SessionOptions, SessionStore, SessionRecord, ReplayFrame, SessionPeer, SessionTransport, NotResumedReason } from './session.js';
export type { HandshakeOptions } from './handshake.js';
export { acceptKey, checkUpgrade } from './handshake.js';
export { FrameParser } from './frame-parser.js';
export type { Frame, ParserOptions, ParseResult } from './frame-parser.js';
export { encodeFrame, encodeMessage, encodeClosePayload } from './frame-writer.js';
export { ProtocolError, HandshakeError, ResponseError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export { CloseCode, Opcode } from './constants.js';
export { ClosedError, RemoteError, TimeoutError, HoldfastError } from '../protocol/errors.js';

/** Options of `createServer`. Times are in milliseconds. */
export interface ServerOptions {
  /** Largest accepted message in bytes (summed over fragments); larger → close 1009. Default 16 MiB. */
  maxPayload?: number;
  /** Most frames one incoming message may span (integer >= 1, or Infinity); more → close 1008. Default 16384. */
  maxFragments?: number;
  /**
   * Reading from a client pauses while more than this many bytes wait to be sent to it (each
   * queued write counts 160 bytes on top of its size), and resumes under half of it; TCP then
   * holds back a sender that does not read. Infinity: never pause. Default 1 MiB.
   */
  highWaterMark?: number;
  /**
   * Slow-consumer limit: a message sent (echo, response, event, `broadcast`) while more than this
   * many bytes already wait for a client closes that client with 1013 instead of queueing.
   * At most this plus one message waits per client. Infinity: no limit. Default 8 MiB.
   */
  maxBufferedBytes?: number;
  /** Protocol-level Ping interval; a client that has not ponged by the next ping is terminated. 0 disables. Default 30000. */
  pingInterval?: number;
  /** How long a closing connection waits for the peer before dropping TCP. Default 5000. */
  closeTimeout?: number;
  /** A client must finish its HTTP request within this time of connecting. Default 10000. */
  handshakeTimeout?: number;
  /** Upgrades beyond this many open connections are answered 503. Default: no limit. */
  maxConnections?: number;
  /** Allowed `Origin` values or a predicate; others get 403. A request without Origin is allowed. Default: all. */
  origins?: HandshakeOptions['origins'];
  /**
   * Subprotocols to agree on: of those a client offers, the first one (in the client's order of
   * preference, RFC 6455 §4.1) that is in this list is selected; `'*'` accepts any. A client
   * that offers none of them gets no subprotocol (browsers then fail the connection). Not
   * together with `selectProtocol`. Default: none.
   */
  protocols?: readonly string[];
  /** Picks a subprotocol from those the client offered (for rules `protocols` cannot express). Default: none. */
  selectProtocol?: HandshakeOptions['selectProtocol'];
  /** Fragment outgoing messages larger than this many bytes. Default 0 (never). */
  fragmentSize?: number;
  /** Serve HTTPS / wss with this certificate and key. */
  tls?: TlsOptions;
  /** Echo application data back (text as text, binary as binary). Default true. */
  echo?: boolean;
  /** Enable the demo's control routes `POST /demo/drop|outage|freeze` (the CLI turns it on). Default false. */
  demo?: boolean;
  /** Directory that holds `holdfast.umd.min.js`. Default: next to the built server module. */
  staticDir?: string | URL;
  /** Default timeout of `connection.request()`. Default 10000. */
  requestTimeout?: number;
  /**
   * Answer a handler's exception with its own `code` and `message` (for development). Default
   * false: the client gets `INTERNAL` with a generic message, unless the handler threw a
   * ResponseError; the server's `error` event gets what was thrown.
   */
  exposeErrors?: boolean;
  /**
   * The server half of the client's `session()` (docs/session.md): `false` turns it off; an
   * object sets its limits and store. Harmless for clients without `session()`: a link takes part
   * only once its client said hello. Default on, with the defaults of `SessionOptions`.
   */
  sessions?: boolean | SessionOptions;
}

/** Where a listening server can be reached. */
export interface ListenInfo {
  port: number;
  host: string;
  /** `ws://host:port` (`wss://` with TLS). */
  url: string;
  /** `http://host:port` (`https://` with TLS). */
  httpUrl: string;
}

/** Events of the server; `on()` returns an unsubscribe function. */
export interface ServerEvents {
  /** A client completed the handshake. */
  connection: [connection: Connection, request: IncomingMessage];
  /** Any complete message from a client, before the default behaviour handles it. */
  message: [data: string | Buffer, isBinary: boolean, connection: Connection];
  /** A client sent a wire event `{"type":"event",…}`. */
  event: [event: string, data: unknown, connection: Connection];
  /** A client's socket is gone (see Connection's `close` event for the arguments). */
  close: [connection: Connection, code: number, reason: string, wasClean: boolean];
  /**
   * A connection reported an error (a socket error, or a ProtocolError when the peer broke the
   * protocol: its `closeCode` is the code the connection was closed with), a request handler
   * threw (what it threw), or the HTTP server failed. `connection` is given for the first two.
   */
  error: [error: Error, connection?: Connection];
}

/**
 * Fault injection, for testing how clients cope. Without `connection`, a control applies to every
 * current connection. Everything is undone by `reset()`.
 */
export interface Faults {
  /** Stops reading from (and answering) the connection and stops our pings; TCP stays up (a half-open link). */
  freeze(connection?: Connection): void;
  /** Undoes `freeze`. */
  unfreeze(connection?: Connection): void;
  /** Destroys the TCP socket without a close frame (the client sees 1006). */
  drop(connection?: Connection): void;
  /** Sends a close frame with this code and reason, e.g. `closeWith(1013, 'retry-after=5')`. */
  closeWith(code: number, reason?: string, connection?: Connection): void;
  /** Holds every outgoing message (current and future connections) for `ms`; 0 restores. */
  delay(ms: number): void;
  /** Answers the next `count` upgrades (default: all, until `reset`) with HTTP `status` (400–599). */
  rejectHandshakes(status: number, count?: number): void;
  /** Completes the next `count` handshakes and destroys the socket right after the 101. */
  acceptAndDrop(count: number): void;
  /** Clears every fault: unfreezes, removes the delay and the handshake rules. */
  reset(): void;
}

type ServerState = 'idle' | 'listening' | 'closing' | 'closed';

function checkDuration(name: string, value: number | undefined): void {
  if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
    throw new RangeError(`${name} must be a non-negative finite number, got ${String(value)}`);
  }
}

/** A byte limit: a number >= 0, Infinity meaning none. */
function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) {
    throw new RangeError(`${name} must be a non-negative number (Infinity: no limit), got ${String(value)}`);
  }
}

function checkCount(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 0) && value !== Infinity) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}

/**
 * The `selectProtocol` for the `protocols` option: the client's first offer that is accepted.
 * Throws TypeError for a list that is not one of tokens, RangeError for a name that is no token.
 */
function protocolSelector(protocols: readonly string[]): (offered: string[]) => string | undefined {
  if (!Array.isArray(protocols)) throw new TypeError('protocols must be an array of subprotocol names');
  for (const name of protocols) {
    if (typeof name !== 'string' || !TOKEN_PATTERN.test(name)) throw new RangeError(`subprotocol ${JSON.stringify(name)} is not a valid name (an HTTP token)`);
  }
  const accepted = new Set(protocols);
  if (accepted.has('*')) return (offered) => offered[0];
  return (offered) => offered.find((name) => accepted.has(name));
}

class FaultControls implements Faults {
  readonly #targets: (connection?: Connection) => Iterable<Connection>;
  #delay = 0;
  #rejectStatus = 0;
  #rejectRemaining = 0;
  #dropRemaining = 0;

  constructor(targets: (connection?: Connection) => Iterable<Connection>) {
    this.#targets = targets;
  }

  get outgoingDelay(): number {
    return this.#delay;
  }

  freeze(connection?: Connection): void {
    for (const c of this.#targets(connection)) c.freeze();
  }

  unfreeze(connection?: Connection): void {
    for (const c of this.#targets(connection)) c.unfreeze();
  }

  drop(connection?: Connection): void {
    for (const c of this.#targets(connection)) c.terminate();
  }

  closeWith(code: number, reason = '', connection?: Connection): void {
    encodeClosePayload(code, reason); // throws RangeError before any connection is touched
    for (const c of this.#targets(connection)) c.close(code, reason);
  }

  delay(ms: number): void {
    checkDuration('delay', ms);
    this.#delay = ms;
    for (const c of this.#targets()) c.setOutgoingDelay(ms);
  }

  rejectHandshakes(status: number, count = Infinity): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`status must be an HTTP error status (400–599), got ${String(status)}`);
    checkCount('count', count);
    this.#rejectStatus = status;
    this.#rejectRemaining = count;
  }

  acceptAndDrop(count: number): void {
    checkCount('count', count);
    this.#dropRemaining = count;
  }

  reset(): void {
    this.unfreeze();
    this.delay(0);
    this.#rejectRemaining = 0;
    this.#dropRemaining = 0;
  }

  /** Consumes one handshake rule, if any applies. */
  take(): HandshakeError | 'accept-and-drop' | undefined {
    if (this.#rejectRemaining > 0) {
      this.#rejectRemaining--;
      return new HandshakeError(this.#rejectStatus, `Handshake refused with ${this.#rejectStatus} (fault injection)`);
    }
    if (this.#dropRemaining > 0) {
      this.#dropRemaining--;
      return 'accept-and-drop';
    }
    return undefined;
  }
}

/**
 * The reference server. Create it with `createServer`, then `listen()`. `close()` says goodbye
 * to every client with 1001 and releases every socket and timer.
 */
export class HoldfastServer<Api = DefaultApi> {
  /** The underlying node:http (or node:https) server, e.g. to add routes. */
  readonly httpServer: Server;
  /** Fault injection for client tests. */
  readonly faults: Faults;

  readonly #options: ServerOptions;
  readonly #connectionOptions: ConnectionOptions;
  /** How the server watches each connection: one object for all of them, no listeners per connection. */
  readonly #connectionHooks: ConnectionHooks;
  /** A listener that throws is reported as `error`, with the connection its event was about. */
  readonly #events: Emitter<ServerEvents> = new Emitter<ServerEvents>((error, event, args) =>
    this.#events.fire('error', error, (event === 'message' || event === 'event' ? args[2] : args[0]) as Connection | undefined),
  );
  readonly #connections = new Set<Connection>();
  #binding: Promise<unknown> | undefined;
  readonly #front: HttpFront;
  readonly #app: HoldfastApp<Api, Connection>;
  readonly #faults: FaultControls;
  readonly #demo: DemoControls | undefined;
  readonly #sessions: SessionHub | undefined;
  /** The session layer of each connection whose client said hello, and its channels' reply ports (multi-session links). */
  readonly #layers = new WeakMap<Connection, SessionEntry>();
  #state: ServerState = 'idle';
  #closing: Promise<void> | undefined;

  /** Throws RangeError for an option that is out of range, TypeError for options that do not go together. */
  constructor(options: ServerOptions = {}) {
    for (const name of ['maxPayload', 'pingInterval', 'closeTimeout', 'handshakeTimeout', 'fragmentSize', 'requestTimeout'] as const) {
      checkDuration(name, options[name]);
    }
    if (options.maxConnections !== undefined) checkCount('maxConnections', options.maxConnections);
    checkLimit('highWaterMark', options.highWaterMark);
    checkLimit('maxBufferedBytes', options.maxBufferedBytes);
    if (options.maxFragments !== undefined && !(Number.isInteger(options.maxFragments) && options.maxFragments >= 1) && options.maxFragments !== Infinity) {
      throw new RangeError(`maxFragments must be an integer >= 1 or Infinity, got ${String(options.maxFragments)}`);
    }
    if (options.protocols !== undefined && options.selectProtocol !== undefined) throw new TypeError('give protocols or selectProtocol, not both');
    this.#options = options;
    this.#connectionOptions = {
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      highWaterMark: options.highWaterMark,
      maxBufferedBytes: options.maxBufferedBytes,
      pingInterval: options.pingInterval,
      closeTimeout: options.closeTimeout,
      fragmentSize: options.fragmentSize,
      requestTimeout: options.requestTimeout,
    };
    this.#sessions = sessionHub(options.sessions);
    // One hooks object for every connection (no listeners of the server's own per connection).
    this.#connectionHooks = {
      message: (connection, payload, isBinary) => {
        // The session layer sits between the link and the application: it takes its own frames,
        // counts and keeps the others, and never lets a duplicate through (docs/protocol.md §6).
        // A connection gets one only once its client sends a session frame (the hello), so a
        // client without session() costs nothing here.
        const session = this.#layers.get(connection) ?? this.#join(connection, payload, isBinary);
        if (session) session.layer.receive(payload, isBinary);
        else this.#deliver(connection, payload, isBinary);
      },
      error: (connection, error) => this.#events.fire('error', error, connection),
      close: (connection, code, reason, wasClean) => {
        this.#connections.delete(connection);
        this.#layers.get(connection)?.end(code);
        this.#events.fire('close', connection, code, reason, wasClean);
      },
    };
    this.#faults = new FaultControls((connection) => (connection ? [connection] : [...this.#connections]));
    this.faults = this.#faults;
    const app = new HoldfastApp<Api, Connection>({ echo: options.echo ?? true, exposeErrors: options.exposeErrors });
    (app as unknown as HoldfastApp<DefaultApi, Connection>).handle('echo', (params) => params);
    app.on('event', (event, data, _peer, connection) => {
      this.#events.fire('event', event, data, connection);
      // The demo chat: a `chat` event goes to everyone, the sender included.
      if (event === 'chat') this.broadcast(encodeOutgoing({ type: 'event', event, data }));
    });
    app.on('error', (error, _peer, connection) => this.#events.fire('error', error, connection));
    this.#app = app;
    this.#front = new HttpFront(
      {
        tls: options.tls,
        handshakeTimeout: options.handshakeTimeout ?? 10_000,
        staticDir: options.staticDir,
        demo: options.demo ?? false,
        handshake: { origins: options.origins, selectProtocol: options.protocols ? protocolSelector(options.protocols) : options.selectProtocol },
      },
      {
        admit: () => this.#admit(),
        accept: (socket, head, request, protocol) => this.#accept(socket, head, request, protocol),
        connectionCount: () => this.#connections.size,
        demo: (path, req, res) => this.#demo?.handle(path, req, res) ?? false,
        onError: (error) => this.#events.fire('error', error),
      },
    );
    this.httpServer = this.#front.server;
    const demo = options.demo ? new DemoControls({ faults: this.#faults, connections: this.#connections }) : undefined;
    this.#demo = demo;
    if (demo) this.on('connection', (connection, request) => demo.track(connection, request));
  }

  /** The session table (undefined with `sessions: false`). */
  get sessions(): SessionHub | undefined {
    return this.#sessions;
  }

  /** The id of the session on `connection`, once its client's hello was answered (else undefined). */
  sessionId(connection: Connection): string | undefined {
    return this.#layers.get(connection)?.layer.id;
  }

  /** The open (and closing) connections. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener added with `on()`. */
  off<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * Registers a request handler for `method` (the built-in `echo` can be replaced). Returns a
   * function that unregisters it. See `Handler` for how results and errors are answered.
   */
  handle<M extends MethodName<Api>>(method: M, fn: Handler<Api, M, Connection>): () => void {
    return this.#app.handle(method, fn);
  }

  /**
   * Listens to the wire event `event` from clients (`emits` of `Api`); the listener gets the
   * data, the sender typed by `Api`, and its Connection. Returns a function that unsubscribes.
   */
  onEvent<E extends EmitName<Api>>(event: E, listener: (data: EmitData<Api, E>, peer: Peer<Api>, connection: Connection) => void): () => void {
    return this.#app.onEvent(event, listener);
  }

  /**
   * Starts listening (default port 0: a free one; default host 127.0.0.1). Rejects if the server
   * was already started or closed, or the port cannot be bound.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<ListenInfo> {
    if (this.#state !== 'idle') throw new Error(`cannot listen: the server is ${this.#state}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0–65535, got ${String(port)}`);
    this.#state = 'listening';
    const binding = this.#front.listen(port, host);
    this.#binding = binding;
    let bound: number;
    try {
      bound = (await binding).port;
    } catch (error) {
      if (this.#state === 'listening') this.#state = 'idle';
      throw error;
    }
    if (this.#state !== 'listening') throw new Error('the server was closed before it was listening');
    const shownHost = host.includes(':') ? `[${host}]` : host;
    const secure = this.#options.tls !== undefined;
    return {
      port: bound,
      host,
      url: `${secure ? 'wss' : 'ws'}://${shownHost}:${bound}`,
      httpUrl: `${secure ? 'https' : 'http'}://${shownHost}:${bound}`,
    };
  }

  /**
   * Sends one message to every open connection (a string as text, bytes as binary); the string
   * is encoded once. A connection with more than `maxBufferedBytes` still waiting is a slow
   * consumer: it is closed with 1013 instead (the slow-consumer policy, the same as for any
   * send). Returns how many connections the message was queued for.
   */
  broadcast(data: string | Uint8Array): number {
    const binary = typeof data !== 'string';
    const payload = binary ? data : Buffer.from(data, 'utf8');
    let count = 0;
    for (const connection of this.#connections) {
      if (connection.state !== 'open') continue;
      connection.send(payload, { binary });
      if (connection.state === 'open') count++;
    }
    return count;
  }

  /**
   * Sends the wire event `{"type":"event","event":…,"data":…}` to every open connection (one
   * binary envelope when `data` holds bytes). Throws TypeError for data that cannot be encoded.
   */
  emit<E extends EventName<Api>>(event: E, ...data: EventArgs<Api, E>): number {
    if (typeof event !== 'string' || event === '') throw new TypeError('emit() needs a non-empty event name');
    return this.broadcast(encodeOutgoing({ type: 'event', event, data: data[0] }));
  }

  /**
   * Closes every client with 1001, waits for each to go (each is bounded by `closeTimeout`, after
   * which its socket is destroyed), then stops the HTTP server. Idempotent; resolves when no
   * socket or timer of the server is left.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state === 'idle') {
      this.#state = 'closed';
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#state = 'closing';
    this.#closing = this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const gone = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.state === 'closed') return resolve();
          connection.on('close', () => resolve());
          connection.unfreeze();
          connection.close(CloseCode.GoingAway, 'server shutting down');
        }),
    );
    this.#demo?.close();
    await Promise.all(gone);
    this.#sessions?.close();
    // close() during listen(): let the bind finish, so that closing really stops the listener.
    await this.#binding?.catch(() => undefined);
    await this.#front.close();
    this.#state = 'closed';
  }

  #admit(): Admission {
    if (this.#state !== 'listening') return new HandshakeError(503, 'Server is shutting down');
    const forced = this.#faults.take();
    if (forced instanceof HandshakeError) return forced;
    if (this.#connections.size >= (this.#options.maxConnections ?? Infinity)) {
      return new HandshakeError(503, 'Too many connections', { 'Retry-After': '1' });
    }
    return forced ?? 'accept';
  }

  #accept(socket: Socket, head: Buffer, request: IncomingMessage, protocol: string): void {
    // Without a subprotocol (the usual case) every connection shares the one options object.
    const options = protocol === '' ? this.#connectionOptions : { ...this.#connectionOptions, protocol };
    const connection = new Connection(socket, options, head, this.#connectionHooks);
    if (this.#faults.outgoingDelay > 0) connection.setOutgoingDelay(this.#faults.outgoingDelay);
    this.#connections.add(connection);
    this.#events.fire('connection', connection, request);
  }

  #deliver(connection: Connection, payload: Buffer, isBinary: boolean, port: PeerPort = connection): void {
    if (this.#events.count('message') > 0) this.#events.fire('message', isBinary ? payload : payload.toString('utf8'), isBinary, connection);
    this.#app.receive(port, connection, payload, isBinary);
  }

  /** The session layer of a connection whose client just said hello: what it sends is numbered from now on. */
  #join(connection: Connection, payload: Buffer, isBinary: boolean): SessionEntry | undefined {
    let ports: ChannelPorts | undefined;
    const layer = this.#sessions?.join(payload, isBinary, () => ({
      write: (data, binary): boolean => connection.write(data, binary),
      close: () => connection.terminate(),
      // On a multi-session link (shared() tabs) a frame's answers go to the channel it came on.
      deliver: (data, binary, channel) => {
        const port = channel ? (ports ??= channelPorts(connection, (code, reason) => connection.close(code, reason), this.#options.requestTimeout ?? 10_000)).portOf(channel) : connection;
        this.#deliver(connection, data, binary, port);
      },
    }));
    if (!layer) return undefined;
    const session: SessionEntry = { layer, end: (code) => (layer.end(), ports?.end(code)) };
    this.#layers.set(connection, session);
    connection.relay((data, binary) => layer.send(data, binary));
    return session;
  }
}

/** A session connection's layer, and how it ends (with its channels' reply ports, on a multi-session link). */
interface SessionEntry {
  layer: SessionLayer;
  end(code: number): void;
}

/** Creates a reference server (not yet listening). Throws RangeError for a bad option. */
export function createServer<Api = DefaultApi>(options?: ServerOptions): HoldfastServer<Api> {
  return new HoldfastServer<Api>(options);
}
