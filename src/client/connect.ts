/**
 * `connect(url, options?)`: the entry point of the client.
 */
import { resolveOptions, type ConnectOptions, type UrlProvider } from './options';
import { Socket, type HoldfastSocket } from './socket';

/**
 * Opens a socket that keeps itself connected: it reconnects with backoff, checks liveness with a
 * heartbeat and queues what is sent while offline. The first attempt starts in a microtask, so
 * listeners added right after this call see every event.
 *
 * @throws HoldfastError `NO_WEBSOCKET` when no constructor was given and `globalThis.WebSocket`
 * does not exist; `OPTIONS` when an option has the wrong type or range.
 */
export function connect(url: UrlProvider, options?: ConnectOptions): HoldfastSocket {
  if (typeof url !== 'string' && typeof url !== 'function') {
    throw new TypeError('holdfast: connect() takes a url string or a function returning one');
  }
  const socket = new Socket(url, resolveOptions(options));
  socket.start();
  return socket;
}
