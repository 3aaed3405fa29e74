import type { Socket } from 'node:net';
import { ClosedError } from '../protocol/errors.js';
import { createPending, type PendingRequests } from '../protocol/pending.js';
import { encodeEnvelope, extractBinary, type EnvelopeMessage } from '../protocol/envelope.js';
import type { ResponseMessage } from '../protocol/wire.js';
import {
  CloseCode,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_PAYLOAD,
  MAX_CLOSE_REASON,
  MAX_CONTROL_PAYLOAD,
  MAX_PENDING_PONGS,
  Opcode,
  WRITE_OVERHEAD,
} from './constants.js';
import { Emitter } from './emitter.js';
import { FragmentBuffer } from './fragment-buffer.js';
import { FrameParser, type Frame } from './frame-parser.js';
import { encodeClosePayload, encodeFrame, encodeMessage } from './frame-writer.js';
import { DueQueue } from './timers.js';
import { isValidUtf8, parseClosePayload, Utf8Validator } from './validation.js';
import { ProtocolError } from './errors.js';

/**
 * Lifecycle of one peer:
 * - `open`: frames flow both ways.
 * - `closing`: we sent a close frame and still read, waiting for the peer's close (bounded by `closeTimeout`).
 * - `ending`: the close handshake is over or was abandoned; we ended TCP and wait for the socket to go.
 * - `closed`: the socket is gone; every timer is cleared and pending requests are rejected.
 */
export type ConnectionState = 'open' | 'closing' | 'ending' | 'closed';

/** Per-connection settings; `createServer` passes its own options down. */
export interface ConnectionOptions {
  /** Largest accepted message, in bytes, summed over fragments. Default 16 MiB; larger → close 1009. */
  maxPayload?: number;
  /** Most frames one incoming message may span; more → close 1008. Default 16384. */
  maxFragments?: number;
  /**
   * Stop reading from the peer while more than this many bytes wait to be sent to it (each
   * queued write counted with WRITE_OVERHEAD bytes on top of its size); read again once under
   * half of it. Infinity: never stop. Default 1 MiB.
   */
  highWaterMark?: number;
  /**
   * A data message sent while more than this many bytes (counted as for `highWaterMark`) already
   * wait for the peer closes the connection with 1013 instead of queueing. Infinity: no limit.
   * Default 8 MiB.
   */
  maxBufferedBytes?: number;
  /** Protocol-level Ping every this many ms; a peer that has not ponged by the next one is terminated. 0 disables. Default 30000. */
  pingInterval?: number;
  /** How long to wait for the peer's close frame (or its FIN) before destroying the socket, in ms. Default 5000. */
  closeTimeout?: number;
  /** Split outgoing messages larger than this into fragments of this many bytes. Default 0 (never). */
  fragmentSize?: number;
  /** Default timeout of `request()`, in ms. Default 10000. */
  requestTimeout?: number;
  /** The subprotocol agreed in the handshake ('' when none). */
  protocol?: string;
}

/** Events of a Connection; `on()` returns an unsubscribe function. */
export interface ConnectionEvents {
  /** A complete message: a string for text, a Buffer for binary. */
  message: [data: string | Buffer, isBinary: boolean];
  /** The socket is gone. `code` is the peer's close code, else the one we sent, else 1006. `wasClean`: close frames went both ways. */
  close: [code: number, reason: string, wasClean: boolean];
  /**
   * A socket error, or the peer broke the protocol (a ProtocolError: its `code` names the
   * violation, its `closeCode` is the code the connection was closed with); the `close` event
   * follows. A peer resetting TCP is not an error: it is a close with 1006.
   */
  error: [error: Error];
  /** The socket's write buffer has emptied after `send()` returned false. */
  drain: [];
  /** A Ping frame arrived (already answered). */
  ping: [payload: Buffer];
  /** A Pong frame arrived. */
  pong: [payload: Buffer];
}

export interface SendOptions {
  /** Send as a binary frame. Default: true for a Uint8Array, false for a string. A Uint8Array sent with `binary: false` must hold valid UTF-8. */
  binary?: boolean;
  /** Overrides the connection's `fragmentSize` for this message. */
  fragmentSize?: number;
}

export interface RequestOptions {
  /** Milliseconds to wait for the response. Default: the connection's `requestTimeout`. */
  timeout?: number;
}

/** Receives every complete message after the public `message` event (used by the default app). */
export type MessageSink = (connection: Connection, payload: Buffer, isBinary: boolean) => void;

/**
 * What the owner of many connections (the server) learns about each, through one object shared
 * by all of them instead of listeners of its own on every connection. Each hook runs before the
 * connection's listeners of the same event (`message`: after them).
 */
export interface ConnectionHooks {
  message?: MessageSink;
  error?(connection: Connection, error: Error): void;
  close?(connection: Connection, code: number, reason: string, wasClean: boolean): void;
}

/** Payloads up to this size are copied behind their header so each frame is a single write. */
const SINGLE_WRITE_LIMIT = 16 * 1024;
const EMPTY = Buffer.alloc(0);

let lastConnectionId = 0;

/** The socket's Connection, so that one set of socket listeners serves every connection. */
const OWNER = Symbol('holdfast.connection');
type OwnedSocket = Socket & { [OWNER]?: Connection };

/**
 * The liveness-ping schedule of every connection with the same `pingInterval`: one timer per
 * interval, not one per connection. Removed once empty, so an idle process keeps no timer.
 */
const pingQueues = new Map<number, DueQueue<Connection>>();

/**
 * Encodes a wire message for sending: JSON text, or one binary envelope when the message holds
 * binary values (docs/protocol.md §2). Throws TypeError for a value that cannot be encoded
 * (a cycle, a BigInt, a `{"$binary"}` look-alike next to binary).
 */
export function encodeOutgoing(message: EnvelopeMessage): string | Uint8Array {
  const { value, attachments } = extractBinary(message);
  return attachments.length === 0 ? JSON.stringify(value) : encodeEnvelope(value, attachments);
}

/** Socket errors that only mean the peer went away without a close frame. */
function isDisconnect(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Shortens a close reason to the 123 bytes a close frame can carry, never splitting a character. */
function fitReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > MAX_CLOSE_REASON) out = out.slice(0, -1);
  return out;
}

/**
 * One WebSocket peer after a successful handshake: RFC 6455 framing, fragment reassembly with
 * UTF-8 checks, control frames, the close handshake, liveness pings, and server-to-client
 * requests. Every timer it starts is cleared when the socket closes.
 */
export class Connection {
  /** A process-wide sequence number, for logs. */
  readonly id = ++lastConnectionId;
  /** The subprotocol agreed in the handshake ('' when none). */
  readonly protocol: string;

  readonly #socket: OwnedSocket;
  readonly #parser: FrameParser;
  /** Created with the first listener: a connection the server alone watches needs none. */
  #events: Emitter<ConnectionEvents> | undefined;
  readonly #hooks: ConnectionHooks | undefined;
  readonly #pingInterval: number;
  readonly #closeTimeout: number;
  readonly #fragmentSize: number;
  readonly #requestTimeout: number;

  readonly #highWaterMark: number;
  readonly #maxBufferedBytes: number;

  #state: ConnectionState = 'open';
  #frozen = false;
  /** Reading is paused because too much waits to be sent (see `highWaterMark`) or too many pongs do. */
  #throttled = false;
  /** Frames (and the parser's error) read but held back while throttled or frozen; created when first needed. */
  #backlog: { frames: Frame[]; error: ProtocolError | undefined } | undefined;
  /** Write callbacks (see `#written`), created on the first write: an idle connection needs none. */
  #onWritten: (() => void) | undefined;
  #onPongWritten: (() => void) | undefined;
  /** Writes handed to the socket whose callback has not run yet. */
  #pendingWrites = 0;
  /** Of those, pongs. */
  #pendingPongs = 0;
  #pingOutstanding = false;
  #delay = 0;
  /** Messages the `delay` fault holds back, in order, each with when it is due. */
  #held: Array<{ at: number; opcode: 1 | 2; payload: Uint8Array; fragmentSize: number }> | undefined;
  #relay: ((data: Uint8Array, binary: boolean) => boolean) | undefined;

  /** The open fragmented message, created on the first one; most connections never need it. */
  #fragments: FragmentBuffer | undefined;
  #fragmentOpcode = 0;
  /** Created on the first fragmented text message; most connections never need one. */
  #utf8: Utf8Validator | undefined;

  #sentCode: number | undefined;
  #received: { code: number; reason: string } | undefined;

  /** Requests this server sent to the client: the client's own table (ids, one shared timeout timer), created by the first `request()`. */
  #pending: PendingRequests | undefined;
  /** The `closeTimeout` timer while closing or ending. */
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The timer that releases the next held message (see `#held`). */
  #heldTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Takes over an upgraded socket. `head` holds bytes read past the handshake; they are parsed
   * before anything else the socket delivers. `hooks` (or just a message sink) is how an owner
   * of many connections watches them. Normally created by the server, not by users.
   */
  constructor(socket: Socket, options: ConnectionOptions = {}, head: Buffer = EMPTY, hooks?: MessageSink | ConnectionHooks) {
    this.#socket = socket;
    this.#hooks = typeof hooks === 'function' ? { message: hooks } : hooks;
    this.protocol = options.protocol ?? '';
    this.#parser = new FrameParser({ maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD, maxFragments: options.maxFragments, requireMask: true });
    this.#pingInterval = options.pingInterval ?? 30_000;
    this.#closeTimeout = options.closeTimeout ?? 5_000;
    this.#fragmentSize = options.fragmentSize ?? 0;
    this.#requestTimeout = options.requestTimeout ?? 10_000;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;

    socket.setNoDelay(true);
    socket.setTimeout(0);
    // Shared listeners that find this connection on the socket: no closures per connection.
    this.#socket[OWNER] = this;
    socket.on('data', Connection.#socketData);
    socket.on('end', Connection.#socketEnd);
    socket.on('close', Connection.#socketClose);
    socket.on('error', Connection.#socketError);
    socket.on('drain', Connection.#socketDrain);
    // Bytes that arrived with the upgrade request go back in front of the stream, so they are
    // parsed only after the owner has attached its listeners.
    if (head.length > 0) socket.unshift(head);
    this.#schedulePing();
  }

  /** The peer's IP address (undefined once the socket is gone). */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** Where this connection is in its lifecycle. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Bytes queued in the socket and not yet handed to the OS (`socket.writableLength`). */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /** True while frozen by `freeze()`. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): () => void {
    // A listener that throws is reported as this connection's (and the server's) `error`.
    return (this.#events ??= new Emitter((error) => {
      this.#hooks?.error?.(this, error);
      this.#events?.fire('error', error);
    })).on(event, listener);
  }

  /** Removes a listener added with `on()`. */
  off<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): void {
    this.#events?.off(event, listener);
  }

  static #socketData = function (this: OwnedSocket, chunk: Buffer): void {
    (this[OWNER] as Connection).#onData(chunk);
  };

  static #socketEnd = function (this: OwnedSocket): void {
    (this[OWNER] as Connection).#onEnd();
  };

  static #socketClose = function (this: OwnedSocket): void {
    (this[OWNER] as Connection).#onSocketClose();
  };

  static #socketError = function (this: OwnedSocket, error: Error): void {
    const connection = this[OWNER] as Connection;
    // A peer that resets TCP (or is gone when we write) has disconnected, like one that closes
    // without a close frame: the `close` event (1006) says so; it is no error of ours.
    if (isDisconnect(error)) return;
    if (connection.#state !== 'open' && connection.#state !== 'closing') return;
    connection.#hooks?.error?.(connection, error);
    connection.#events?.fire('error', error);
  };

  static #socketDrain = function (this: OwnedSocket): void {
    (this[OWNER] as Connection).#events?.fire('drain');
  };

  static #pingDue = (connection: Connection): void => connection.#onPingDue();

  /**
   * Sends one message: a string as text, a Uint8Array as binary (see `options.binary`).
   * Returns the result of `socket.write` (false: the caller should wait for `drain`); true while
   * the `delay` fault holds messages back. While the connection is not `open` nothing is sent and
   * the result is false. When more than `maxBufferedBytes` already wait for the peer, the message
   * is not sent: the connection is closed with 1013 and the result is false. Messages keep their order.
   */
  send(data: string | Uint8Array, options?: SendOptions): boolean {
    const isText = typeof data === 'string';
    if (!isText && !(data instanceof Uint8Array)) throw new TypeError('send() takes a string or a Uint8Array');
    const binary = options?.binary ?? !isText;
    // A session keeps what is sent even once this link is gone: its client gets it on the next one.
    if (this.#relay) return this.#relay(isText ? Buffer.from(data, 'utf8') : data, binary);
    return this.write(data, binary, options?.fragmentSize);
  }

  /**
   * @internal Where `send()` hands data messages instead of writing them (the session layer),
   * which writes them with `write()`.
   */
  relay(to: ((data: Uint8Array, binary: boolean) => boolean) | undefined): void {
    this.#relay = to;
  }

  /** @internal Writes one data message as `send()` does without a relay (the `delay` fault applies). */
  write(data: string | Uint8Array, binary: boolean, fragmentSize = this.#fragmentSize): boolean {
    if (this.#state !== 'open') return false;
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const opcode = binary ? Opcode.Binary : Opcode.Text;
    // Held messages keep their order, also behind ones held under a longer delay than the current
    // one (a delay holds the path back, as a slow network does; it never reorders TCP).
    if (this.#delay > 0 || this.#held) {
      const held = (this.#held ??= []);
      held.push({ at: Date.now() + this.#delay, opcode, payload, fragmentSize });
      if (held.length === 1) this.#releaseHeld();
      return true;
    }
    return this.#writeMessage(opcode, payload, fragmentSize);
  }

  /** Writes the held messages that are due, in order, and waits for the next one. */
  #releaseHeld(): void {
    const held = this.#held;
    if (!held) return;
    const now = Date.now();
    while (held.length > 0 && (held[0] as { at: number }).at <= now) {
      const { opcode, payload, fragmentSize } = held.shift() as { opcode: 1 | 2; payload: Uint8Array; fragmentSize: number };
      if (this.#state === 'open') this.#writeMessage(opcode, payload, fragmentSize);
    }
    if (held.length === 0) this.#held = undefined;
    else this.#heldTimer = setTimeout(() => this.#releaseHeld(), Math.max(0, (held[0] as { at: number }).at - now));
  }

  /**
   * Sends a wire event `{"type":"event","event":…,"data":…}` (a binary envelope when `data` holds
   * bytes); false (nothing sent) when not open. Throws TypeError for data that cannot be encoded.
   */
  emit(event: string, data?: unknown): boolean {
    if (typeof event !== 'string' || event === '') throw new TypeError('emit() needs a non-empty event name');
    return this.send(encodeOutgoing({ type: 'event', event, data }));
  }

  /**
   * Sends a wire request and resolves with the peer's `result`. Rejects with RemoteError when
   * the peer answers with an error, TimeoutError after `timeout` ms (0: no timeout), ClosedError (code 'CLOSED')
   * when the connection is not open or closes first, and TypeError for params that cannot be encoded.
   */
  request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown> {
    if (typeof method !== 'string' || method === '') return Promise.reject(new TypeError('request() needs a method name'));
    if (this.#state !== 'open') return Promise.reject(new ClosedError('CLOSED', `connection is ${this.#state}`));
    const pending = (this.#pending ??= createPending());
    let request: { id: number; promise: Promise<unknown> };
    try {
      request = pending.add(method, { timeout: options?.timeout ?? this.#requestTimeout });
    } catch (error) {
      return Promise.reject(error); // RangeError: a negative timeout
    }
    const { id, promise } = request;
    try {
      this.send(encodeOutgoing({ type: 'request', id, method, params }));
    } catch (error) {
      pending.reject(id, error instanceof Error ? error : new TypeError(String(error)));
    }
    return promise;
  }

  /**
   * Settles the pending `request()` a response belongs to. Returns false when no request of
   * ours is waiting for that id. Called by the default app; not meant for users.
   * @internal
   */
  settle(response: ResponseMessage): boolean {
    return this.#pending?.resolve(response) ?? false;
  }

  /** Sends a Ping frame (at most 125 bytes). Returns false when not open. */
  ping(payload: Uint8Array | string = EMPTY): boolean {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    if (bytes.length > MAX_CONTROL_PAYLOAD) throw new RangeError(`ping payload is ${bytes.length} bytes; the limit is ${MAX_CONTROL_PAYLOAD}`);
    if (this.#state !== 'open') return false;
    return this.#writeFrame(Opcode.Ping, bytes);
  }

  /**
   * Starts the close handshake: sends a close frame and waits up to `closeTimeout` for the peer's
   * close, then drops the TCP connection. Does nothing unless `open`. Throws RangeError for a
   * code that may not be sent or a reason over 123 bytes.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    const payload = encodeClosePayload(code, reason);
    if (this.#state !== 'open') return;
    this.#writeFrame(Opcode.Close, payload);
    this.#sentCode = code;
    this.#state = 'closing';
    this.#stopPings();
    this.#setCloseTimer();
  }

  /** Destroys the socket at once, without a close frame. The `close` event follows (1006 unless frames were exchanged). */
  terminate(): void {
    if (this.#state !== 'closed') this.#socket.destroy();
  }

  /**
   * Fault injection: stops reading (the socket is paused) and stops our liveness pings, while the
   * TCP link stays up, so the peer sees a half-open connection. Writes still go out.
   */
  freeze(): void {
    if (this.#state === 'closed' || this.#frozen) return;
    this.#frozen = true;
    this.#socket.pause();
    this.#stopPings();
  }

  /** Undoes `freeze()`: reading resumes and liveness pings restart from a clean slate. */
  unfreeze(): void {
    if (!this.#frozen) return;
    this.#frozen = false;
    if (this.#state === 'closed') return;
    this.#pingOutstanding = false;
    this.#schedulePing();
    this.#resumeReading();
  }

  /** Fault injection: holds every later outgoing message for `ms` milliseconds (0 restores). */
  setOutgoingDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('delay must be a non-negative number of milliseconds');
    this.#delay = ms;
  }

  /** (Re)starts the wait for the next liveness ping: `pingInterval` from now. */
  #schedulePing(): void {
    const interval = this.#pingInterval;
    if (interval <= 0 || this.#state !== 'open' || this.#frozen) return;
    let queue = pingQueues.get(interval);
    if (queue === undefined) {
      queue = new DueQueue(interval, Connection.#pingDue, () => pingQueues.delete(interval));
      pingQueues.set(interval, queue);
    }
    queue.schedule(this);
  }

  #stopPings(): void {
    if (this.#pingInterval > 0) pingQueues.get(this.#pingInterval)?.cancel(this);
  }

  /** A ping is due: the previous one unanswered terminates the peer, else a new one goes out. */
  #onPingDue(): void {
    if (this.#pingOutstanding) {
      this.terminate();
      return;
    }
    this.#pingOutstanding = true;
    this.#writeFrame(Opcode.Ping, EMPTY);
    this.#schedulePing();
  }

  /** Destroys the socket if it is still there after `closeTimeout`. */
  #setCloseTimer(): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      this.#socket.destroy();
    }, this.#closeTimeout);
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== 'open' && this.#state !== 'closing') return;
    const { frames, error } = this.#parser.push(chunk);
    // A chunk the socket had already read when it was paused: keep its frames for later.
    if (this.#throttled || this.#frozen) this.#holdBack(frames, 0, error);
    else this.#handle(frames, error);
  }

  /**
   * Handles parsed frames in order. When what waits to be sent crosses the high-water mark (or
   * the pong limit), reading stops until the peer has taken enough of it; the frames not yet
   * handled wait in the backlog, so no reply is produced for a peer that is not reading.
   */
  #handle(frames: readonly Frame[], error: ProtocolError | undefined): void {
    // Replies produced while handling one chunk (echoes, pongs, responses) leave in one writev.
    const batch = frames.length > 1;
    if (batch) this.#socket.cork();
    try {
      for (let i = 0; i < frames.length; i++) {
        this.#onFrame(frames[i] as Frame);
        if (this.#state !== 'open' && this.#state !== 'closing') return;
        if (this.#overHighWater()) this.#throttle();
        if (this.#throttled || this.#frozen) {
          this.#holdBack(frames, i + 1, error);
          return;
        }
      }
      if (error) this.#fail(error);
    } finally {
      if (batch) this.#socket.uncork();
    }
  }

  /** Bytes waiting to be sent, each pending write counted with its bookkeeping. */
  #queuedCost(): number {
    return this.#socket.writableLength + this.#pendingWrites * WRITE_OVERHEAD;
  }

  #overHighWater(): boolean {
    return this.#pendingPongs >= MAX_PENDING_PONGS || this.#queuedCost() > this.#highWaterMark;
  }

  /** Keeps `frames` from index `from` (and `error`) for when reading resumes. */
  #holdBack(frames: readonly Frame[], from: number, error: ProtocolError | undefined): void {
    if (from >= frames.length && !error) return;
    const backlog = (this.#backlog ??= { frames: [], error: undefined });
    for (let i = from; i < frames.length; i++) backlog.frames.push(frames[i] as Frame);
    backlog.error ??= error;
  }

  #throttle(): void {
    if (this.#throttled) return;
    this.#throttled = true;
    this.#socket.pause();
  }

  /** Runs when a write has left (or the socket died): reading resumes once under half the marks. */
  #written(): void {
    this.#pendingWrites--;
    if (this.#throttled && this.#pendingPongs <= MAX_PENDING_PONGS / 2 && this.#queuedCost() <= this.#highWaterMark / 2) {
      this.#throttled = false;
      this.#resumeReading();
    }
  }

  /** One callback for every write, so that Node batches their completions (it does for a repeated callback). */
  #writtenCallback(): () => void {
    return (this.#onWritten ??= () => this.#written());
  }

  #pongWrittenCallback(): () => void {
    return (this.#onPongWritten ??= () => {
      this.#pendingPongs--;
      this.#written();
    });
  }

  /** Handles the backlog, then reads from the socket again, unless throttled or frozen meanwhile. */
  #resumeReading(): void {
    if (this.#throttled || this.#frozen || (this.#state !== 'open' && this.#state !== 'closing')) return;
    const backlog = this.#backlog;
    if (backlog) {
      this.#backlog = undefined;
      this.#handle(backlog.frames, backlog.error);
    }
    if (!this.#throttled && !this.#frozen && (this.#state === 'open' || this.#state === 'closing')) this.#socket.resume();
  }

  #onFrame(frame: Frame): void {
    const { opcode, payload } = frame;
    switch (opcode) {
      case Opcode.Text:
      case Opcode.Binary:
        if (frame.fin) {
          if (opcode === Opcode.Text && !isValidUtf8(payload)) return this.#failUtf8();
          return this.#deliver(payload, opcode === Opcode.Binary);
        }
        this.#fragmentOpcode = opcode;
        this.#fragments ??= new FragmentBuffer();
        this.#fragments.push(payload);
        if (opcode === Opcode.Text) {
          this.#utf8 ??= new Utf8Validator();
          this.#utf8.reset();
          if (!this.#utf8.push(payload)) return this.#failUtf8();
        }
        return;
      case Opcode.Continuation: {
        // The parser only lets a continuation through while a message is open.
        const fragments = this.#fragments as FragmentBuffer;
        fragments.push(payload);
        const utf8 = this.#fragmentOpcode === Opcode.Text ? this.#utf8 : undefined;
        if (utf8 && !utf8.push(payload)) return this.#failUtf8();
        if (!frame.fin) return;
        if (utf8 && !utf8.end()) return this.#failUtf8();
        return this.#deliver(fragments.take(), utf8 === undefined);
      }
      case Opcode.Close:
        return this.#onClose(payload);
      case Opcode.Ping:
        if (this.#state === 'open') this.#writePong(payload);
        this.#events?.fire('ping', payload);
        return;
      case Opcode.Pong:
        this.#pingOutstanding = false;
        this.#events?.fire('pong', payload);
        return;
    }
  }

  #deliver(payload: Buffer, isBinary: boolean): void {
    const events = this.#events;
    if (events !== undefined && events.count('message') > 0) events.fire('message', isBinary ? payload : payload.toString('utf8'), isBinary);
    this.#hooks?.message?.(this, payload, isBinary);
  }

  #onClose(payload: Buffer): void {
    const parsed = parseClosePayload(payload);
    if (parsed instanceof ProtocolError) return this.#fail(parsed);
    this.#received = parsed;
    if (this.#state === 'open') {
      // RFC 6455 §5.5.1: answer with a close frame echoing the status; a close without a status gets an empty one.
      const code = parsed.code === CloseCode.NoStatus ? undefined : parsed.code;
      this.#writeFrame(Opcode.Close, encodeClosePayload(code, code === undefined ? '' : parsed.reason));
      this.#sentCode = parsed.code;
    }
    this.#end();
  }

  #failUtf8(): void {
    this.#fail(new ProtocolError('WS_ERR_INVALID_UTF8', CloseCode.InvalidPayload, 'Invalid UTF-8 in a text message'));
  }

  /** A protocol violation: close with its code, drop the link without waiting for an answer (RFC 6455 §7.1.7), and report it. */
  #fail(error: ProtocolError): void {
    if (this.#state === 'open') {
      this.#writeFrame(Opcode.Close, encodeClosePayload(error.closeCode, fitReason(error.message)));
      this.#sentCode = error.closeCode;
    }
    this.#end();
    this.#hooks?.error?.(this, error);
    this.#events?.fire('error', error);
  }

  /** The server closes TCP first (RFC 6455 §7.1.1); a peer that never answers our FIN is destroyed after closeTimeout. */
  #end(): void {
    this.#state = 'ending';
    this.#fragments = undefined;
    this.#utf8 = undefined;
    this.#backlog = undefined;
    this.#stopPings();
    this.#socket.end();
    this.#setCloseTimer();
  }

  #onEnd(): void {
    // The peer half-closed TCP; with allowHalfOpen sockets we must finish our side ourselves,
    // through #end so the close timer drops a peer that stopped reading (our FIN may never drain).
    if (this.#state === 'open' || this.#state === 'closing') this.#end();
  }

  #onSocketClose(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopPings();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (this.#heldTimer !== undefined) clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    this.#held = undefined;
    const code = this.#received?.code ?? this.#sentCode ?? CloseCode.Abnormal;
    this.#pending?.rejectAll(new ClosedError('CLOSED', `connection closed (${code}) before the request was answered`, code));
    this.#fragments = undefined;
    this.#utf8 = undefined;
    this.#backlog = undefined;
    const reason = this.#received?.reason ?? '';
    const wasClean = this.#received !== undefined && this.#sentCode !== undefined;
    this.#hooks?.close?.(this, code, reason, wasClean);
    this.#events?.fire('close', code, reason, wasClean);
  }

  /**
   * Sends a data message, unless more than `maxBufferedBytes` already wait for the peer: then the
   * peer is not keeping up, and it is closed with 1013 (try again later) instead of queueing more.
   */
  #writeMessage(opcode: 1 | 2, payload: Uint8Array, fragmentSize: number): boolean {
    if (this.#queuedCost() > this.#maxBufferedBytes) {
      this.close(CloseCode.TryAgainLater, 'slow consumer: send buffer full');
      return false;
    }
    if (fragmentSize > 0 && payload.length > fragmentSize) {
      const frames = encodeMessage(opcode, payload, fragmentSize);
      this.#socket.cork();
      let ok = true;
      for (const frame of frames) ok = this.#write(frame, this.#writtenCallback());
      this.#socket.uncork();
      return ok;
    }
    return this.#writeFrame(opcode, payload);
  }

  #writeFrame(opcode: number, payload: Uint8Array): boolean {
    const [header, body] = encodeFrame(opcode, payload);
    if (body.length <= SINGLE_WRITE_LIMIT) {
      return this.#write(body.length === 0 ? header : Buffer.concat([header, body], header.length + body.length), this.#writtenCallback());
    }
    this.#socket.cork();
    const done = this.#writtenCallback();
    this.#write(header, done);
    const ok = this.#write(body, done);
    this.#socket.uncork();
    return ok;
  }

  /** A pong is one write (its payload is at most 125 bytes), counted until it has left. */
  #writePong(payload: Buffer): void {
    const [header, body] = encodeFrame(Opcode.Pong, payload);
    this.#pendingPongs++;
    this.#write(body.length === 0 ? header : Buffer.concat([header, body], header.length + body.length), this.#pongWrittenCallback());
  }

  #write(chunk: Uint8Array, done: () => void): boolean {
    this.#pendingWrites++;
    return this.#socket.write(chunk, done);
  }
}
