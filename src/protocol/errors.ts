/**
 * Every error holdfast creates is a HoldfastError with a stable `code`.
 * Callers branch on `code` (or on the subclass); messages are for humans and may change.
 */
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
  /** A message from the remote side broke the wire protocol (e.g. a response without an id). */
  | 'PROTOCOL'
  /** No WebSocket constructor was given and none exists on `globalThis`. */
  | 'NO_WEBSOCKET'
  /** The url (or protocols) provider threw or returned something unusable. */
  | 'URL'
  /** The platform socket failed to open or reported an error. */
  | 'CONNECT'
  /** An option passed to `connect()` has the wrong type or is out of range. */
  | 'OPTIONS'
  /** An event listener threw; `cause` holds what it threw. */
  | 'LISTENER';

const BRAND = Symbol.for('holdfast.error');

/** Base class of every error holdfast throws, rejects with or emits. */
export class HoldfastError extends Error {
  readonly code: ErrorCode;
  /** Marks holdfast errors so that `isHoldfastError` also works across realms and bundles. */
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'HoldfastError';
    this.code = code;
    // Set explicitly: `Error(message, { cause })` is ES2022 and some mini-program engines lack it.
    if (options && 'cause' in options) {
      Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
    }
  }
}

/** A request (or connection attempt) did not complete within its timeout. */
export class TimeoutError extends HoldfastError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
    this.name = 'TimeoutError';
  }
}

/** The caller's AbortSignal fired; `cause` holds `signal.reason`. */
export class AbortError extends HoldfastError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ABORTED', message, options);
    this.name = 'AbortError';
  }
}

/** The socket is closed for good, or the link dropped under an in-flight request. */
export class ClosedError extends HoldfastError {
  /** The close code that ended the link, when one is known. */
  readonly closeCode: number | undefined;
  constructor(code: 'CLOSED' | 'DISCONNECTED', message: string, closeCode?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ClosedError';
    this.closeCode = closeCode;
  }
}

/** The send queue could not take a message (overflow policy `'throw'`). */
export class QueueFullError extends HoldfastError {
  constructor(message: string) {
    super('QUEUE_FULL', message);
    this.name = 'QueueFullError';
  }
}

/** A message is larger than the `maxMessageSize` option allows. */
export class MessageTooBigError extends HoldfastError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super('MESSAGE_TOO_BIG', `message of ${size} bytes exceeds maxMessageSize (${limit} bytes)`);
    this.name = 'MessageTooBigError';
    this.size = size;
    this.limit = limit;
  }
}

/** The remote side answered a request with `{ error: { code, message, data? } }`. */
export class RemoteError extends HoldfastError {
  /** The method that was called. */
  readonly method: string;
  /** The request id. */
  readonly id: string | number;
  /** The error code the remote side sent. */
  readonly remoteCode: string | number;
  /** Optional extra data the remote side sent with the error. */
  readonly data: unknown;
  constructor(method: string, id: string | number, remoteCode: string | number, message: string, data?: unknown) {
    super('REMOTE', message);
    this.name = 'RemoteError';
    this.method = method;
    this.id = id;
    this.remoteCode = remoteCode;
    this.data = data;
  }
}

/** A message from the remote side broke the wire protocol; the connection stays up. */
export class ProtocolError extends HoldfastError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROTOCOL', message, options);
    this.name = 'ProtocolError';
  }
}

/** True for any holdfast error, including one created by another copy of the library. */
export function isHoldfastError(value: unknown): value is HoldfastError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value instanceof HoldfastError || (value as { [BRAND]?: unknown })[BRAND] === true)
  );
}
