/**
 * `connect(url, options?)`: the entry point of the client.
 */
import type { DefaultApi } from '../features/rpc/api';
import { resolveOptions, type ConnectOptions, type UrlProvider } from './options';
import { Socket, type HoldfastSocket } from './socket';

/**
 * Opens a socket that keeps itself connected: it reconnects with backoff, checks liveness with a
 * heartbeat and queues what is sent while offline. The first attempt starts in a microtask, so
 * listeners added right after this call see every event.
 *
 * `Api` describes what the server offers (methods, events, emits, handles: see `api.ts`) and
 * types `request`, `emit`, `onEvent` and `handle`; it exists only at compile time.
 *
 * @throws HoldfastError `NO_WEBSOCKET` when no constructor was given and `globalThis.WebSocket`
 * does not exist; `OPTIONS` when an option has the wrong type or range.
 */
export function connect<Api = DefaultApi>(url: UrlProvider, options?: ConnectOptions): HoldfastSocket<Api> {
  if (typeof url !== 'string' && typeof url !== 'function') {
    throw new TypeError('holdfast: connect() takes a url string or a function returning one');
  }
  const socket = new Socket(url, resolveOptions(options));
  socket.start();
  // The runtime is untyped (any name, `unknown` payloads); `Api` only narrows what callers may pass.
  return socket as HoldfastSocket as unknown as HoldfastSocket<Api>;
}
