/**
 * Every error holdfast creates is a HoldfastError with a stable `code`, defined once here and
 * shared by the client, its features and the server (one class across every entry, so
 * `instanceof` holds). Callers branch on `code` (or on the subclass); messages are for humans.
 */
import type { Id } from './wire';

export type ErrorCode =
  /** A request, a connection attempt or a heartbeat ran out of time. */
  | 'TIMEOUT'
  /** The socket was closed for good (`close()`, a final close code, retries exhausted). */
  | 'CLOSED'
  /** The link dropped while a request was in flight and the request was not marked `retry`. */
  | 'DISCONNECTED'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** The send queue was full and the overflow policy is `'throw'`. */
  | 'QUEUE_FULL'
  /** A message is larger than `maxMessageSize`. */
  | 'MESSAGE_TOO_BIG'
  /** The remote side answered a request with an error. */
  | 'REMOTE'
  /** A message from the remote side broke the wire protocol (e.g. a response for no request). */
  | 'PROTOCOL'
  /** No WebSocket constructor was given and none exists on `globalThis`. */
  | 'NO_WEBSOCKET'
  /** The url (or protocols) provider threw or returned something unusable. */
  | 'URL'
  /** The platform socket failed to open or reported an error. */
  | 'CONNECT'
  /** The platform socket refused a message (its `send` threw). */
  | 'SEND'
  /** The codec could not encode an answer to a server request. */
  | 'ENCODE'
  /**
   * The server has never answered a heartbeat ping: it does not seem to speak the heartbeat, so
   * half-open links are not detected (set `heartbeat: false` for such a server).
   */
  | 'HEARTBEAT'
  /**
   * `session()`: the server does not speak sessions (it echoed or ignored the hello: plain
   * delivery from then on), or an established session's server did not answer a hello in time.
   */
  | 'SESSION'
  /** `session()`: its storage failed (read, write, full) or held corrupt or foreign content. */
  | 'STORAGE'
  /** An option passed to `connect()` or a feature has the wrong type or is out of range. */
  | 'OPTIONS'
  /** The environment (a mini-program's network or app-show API) threw while it was subscribed to or from; `cause` holds what it threw. */
  | 'ENVIRONMENT'
  /** An event listener, handler hook or `shouldReconnect` threw; `cause` holds what it threw. */
  | 'LISTENER';

/** Context an error may carry: what caused it, and the request it belongs to. */
export interface ErrorContext {
  cause?: unknown;
  /** The method of the request this error belongs to. */
  method?: string;
  /** The id of the request this error belongs to. */
  id?: Id;
  /** `MESSAGE_TOO_BIG`: the message's size and the limit, in bytes. */
  size?: number;
  limit?: number;
  /** `CLOSED` / `DISCONNECTED`: the close code that ended the link, when one is known. */
  closeCode?: number;
  /** `REMOTE`: the error code and the extra data the remote side sent. */
  remoteCode?: string | number;
  data?: unknown;
  /**
   * The name of the subclass that `instanceof` finds for the code, for an error made as a plain
   * HoldfastError (as the client does: one class ships instead of seven), e.g. `'TimeoutError'`.
   */
  name?: string;
}

const BRAND = /* @__PURE__ */ Symbol.for('holdfast.error');

/** Base class of every error holdfast throws, rejects with or emits. */
export class HoldfastError extends Error {
  declare readonly code: ErrorCode;
  /** The method of the request this error belongs to (request errors only). */
  declare readonly method?: string;
  /** The id of the request this error belongs to (request errors only). */
  declare readonly id?: Id;

  constructor(code: ErrorCode, message: string, context?: ErrorContext) {
    super(message);
    this.name = 'HoldfastError';
    (this as { code: ErrorCode }).code = code;
    Object.assign(this, context);
    // Set here rather than with `Error(message, { cause })`, which some mini-program engines lack;
    // not enumerable, like the native one.
    if (context && 'cause' in context) Object.defineProperty(this, 'cause', { enumerable: false });
  }

  /** Marks holdfast errors so that `isHoldfastError` also works across realms and copies. */
  get [BRAND](): true {
    return true;
  }
}

/**
 * `instanceof` for the subclasses below goes by `code`: the client (its core and its features)
 * creates its errors as plain HoldfastErrors (one class ships instead of seven; a feature passes
 * the subclass's `name` in the context), and `error instanceof TimeoutError` still holds for its
 * timeouts, whichever copy of the library made them.
 */
function hasCode(type: { prototype: object }, value: unknown, ...codes: ErrorCode[]): boolean {
  return (isHoldfastError(value) && codes.includes(value.code)) || Object.prototype.isPrototypeOf.call(type.prototype, value as object);
}

/** A request, an attempt or a heartbeat did not complete in time. */
export class TimeoutError extends HoldfastError {
  constructor(message: string, context?: ErrorContext) {
    super('TIMEOUT', message, context);
    this.name = 'TimeoutError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'TIMEOUT');
  }
}

/** The caller's AbortSignal fired; `cause` holds `signal.reason`. */
export class AbortError extends HoldfastError {
  constructor(message: string, context?: ErrorContext) {
    super('ABORTED', message, context);
    this.name = 'AbortError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'ABORTED');
  }
}

/** The socket is closed for good (`CLOSED`), or the link dropped under an in-flight request (`DISCONNECTED`). */
export class ClosedError extends HoldfastError {
  /** The close code that ended the link, when one is known. */
  declare readonly closeCode: number | undefined;
  constructor(code: 'CLOSED' | 'DISCONNECTED', message: string, closeCode?: number, context?: ErrorContext) {
    super(code, message, context);
    this.name = 'ClosedError';
    (this as { closeCode?: number }).closeCode = closeCode;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'CLOSED', 'DISCONNECTED');
  }
}

/** The send queue could not take a message (overflow policy `'throw'`). */
export class QueueFullError extends HoldfastError {
  constructor(message: string, context?: ErrorContext) {
    super('QUEUE_FULL', message, context);
    this.name = 'QueueFullError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'QUEUE_FULL');
  }
}

/** A message is larger than the `maxMessageSize` option allows. */
export class MessageTooBigError extends HoldfastError {
  declare readonly size: number;
  declare readonly limit: number;
  constructor(size: number, limit: number, context?: ErrorContext) {
    super('MESSAGE_TOO_BIG', `message of ${size} bytes exceeds maxMessageSize (${limit})`, context);
    this.name = 'MessageTooBigError';
    Object.assign(this, { size, limit });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'MESSAGE_TOO_BIG');
  }
}

/** The remote side answered a request with `{ error: { code, message, data? } }`. */
export class RemoteError extends HoldfastError {
  declare readonly method: string;
  declare readonly id: Id;
  /** The error code the remote side sent. */
  declare readonly remoteCode: string | number;
  /** Optional extra data the remote side sent with the error. */
  declare readonly data: unknown;
  constructor(method: string, id: Id, remoteCode: string | number, message: string, data?: unknown) {
    super('REMOTE', message, { method, id, remoteCode, data });
    this.name = 'RemoteError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'REMOTE');
  }
}

/** A message from the remote side broke the wire protocol; the connection stays up. */
export class ProtocolError extends HoldfastError {
  constructor(message: string, context?: ErrorContext) {
    super('PROTOCOL', message, context);
    this.name = 'ProtocolError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(this, value, 'PROTOCOL');
  }
}

/** True for any holdfast error, including one created by another copy of the library or realm. */
export function isHoldfastError(value: unknown): value is HoldfastError {
  return value instanceof HoldfastError || (typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true);
}
