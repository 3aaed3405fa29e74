import type { PlatformBlob } from '../protocol/bytes';

/**
 * The seam between the client core and whatever carries the bytes: the browser's WebSocket,
 * the `ws` package, a mini-program adapter or a test double. The core only ever uses what is
 * declared here, so anything that implements it can be injected with `options.WebSocket`.
 */

/** What the core may pass to `send`. Adapters must accept all of these (converting as needed). */
export type SendData = string | ArrayBuffer | ArrayBufferView | PlatformBlob;

/** The close event the core reads: the browser's CloseEvent is one. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The message event the core reads: `data` is a string for text, binary otherwise. */
export interface MessageEventLike {
  readonly data: unknown;
}

/**
 * The subset of the browser `WebSocket` the core relies on. The core attaches its handlers with
 * the `on*` properties and detaches them by setting them back to `null`, so after `close()` no
 * listener remains on a replaced socket.
 */
/**
 * A handler property, declared as a method so that its parameter is compared bivariantly: the
 * browser's `(ev: Event) => any` and the `ws` package's handlers fit it as they are.
 */
type Handler<E> = { bivariant(event: E): void }['bivariant'];

export interface WebSocketLike {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED (the browser's constants). */
  readonly readyState: number;
  /** The negotiated subprotocol, or `''`. */
  readonly protocol?: string;
  /** Bytes queued by the platform but not yet sent, where the platform reports it. */
  readonly bufferedAmount?: number;
  binaryType: string;
  onopen: Handler<unknown> | null;
  onmessage: Handler<MessageEventLike> | null;
  onerror: Handler<unknown> | null;
  onclose: Handler<CloseEventLike> | null;
  send(data: SendData): void;
  close(code?: number, reason?: string): void;
}

/** A constructor with the browser `WebSocket`'s signature. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** readyState values (the browser's numbering). */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
