/**
 * The public types of the drop-in `HoldfastWebSocket`: its options and the events it dispatches.
 * Each event type is the platform's where its typings declare one (the DOM lib, `@types/node`),
 * otherwise a minimal shape, so these declarations compile without the DOM lib.
 */
import type { Feature } from '../core/feature';
import type { CoreOptions } from '../core/options';

/** The part of an `Event` the drop-in relies on, for platforms whose typings have none. */
export interface EventLike {
  readonly type: string;
}

/** The platform's `Event` where its typings declare one, otherwise {@link EventLike}. */
export type PlatformEvent = typeof globalThis extends { Event: { prototype: infer E } } ? E : EventLike;

/** The platform's `MessageEvent` where its typings declare one, otherwise an event with `data`. */
export type PlatformMessageEvent = typeof globalThis extends { MessageEvent: { prototype: infer E } } ? E : PlatformEvent & { readonly data: unknown };

/** What a `close` event carries, as the browser's `CloseEvent` does. */
export interface CloseEventFields {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/**
 * The platform's `CloseEvent` where its typings declare one, otherwise an event with
 * {@link CloseEventFields} (Node 20 has no `CloseEvent`: the drop-in then dispatches an `Event`
 * with those fields).
 */
export type PlatformCloseEvent = typeof globalThis extends { CloseEvent: { prototype: infer E } } ? E : PlatformEvent & CloseEventFields;

/**
 * An `error` event: a plain `Event` (browsers give no detail either) that also carries the
 * HoldfastError behind it as `error` and its `message`.
 */
export type WebSocketErrorEvent = PlatformEvent & { readonly error?: unknown; readonly message?: string };

/** The events a `HoldfastWebSocket` dispatches, by type. */
export interface HoldfastWebSocketEventMap {
  open: PlatformEvent;
  message: PlatformMessageEvent;
  close: PlatformCloseEvent;
  error: WebSocketErrorEvent;
}

/**
 * What happens when an open link is lost:
 * - `'always'` (the default, as reconnecting-websocket and partysocket do): the object outlives
 *   its links. It dispatches `close` for the lost link, reconnects with backoff and dispatches
 *   `open` again. Only `close()` (or a final close code, or retries used up) ends it.
 * - `'until-open'`, for libraries that reconnect by themselves (graphql-ws, y-websocket): the
 *   object is one link. It retries with backoff, hidden from the library (`readyState` stays
 *   CONNECTING), until a link opens; when that link closes, the object is closed for good and
 *   the library creates a new one.
 */
export type ReconnectMode = 'always' | 'until-open';

/**
 * The options of `new HoldfastWebSocket(url, protocols, options)`: `connect()`'s, less
 * `protocols` (the second argument) and `binaryType` (a property, as on a WebSocket). The
 * heartbeat is off unless set: the library on top speaks its own protocol.
 */
export interface HoldfastWebSocketOptions<U extends readonly Feature[] = readonly Feature[]> extends Omit<CoreOptions, 'protocols' | 'binaryType'> {
  /** Features for the holdfast socket underneath (`ws.socket`), e.g. `[stats()]`. */
  use?: U;
  /** What happens when an open link is lost. Default `'always'`. */
  reconnect?: ReconnectMode;
}
