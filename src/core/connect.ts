/**
 * `connect(url, options?)`: the entry point of the client.
 */
import type { PlatformBlob } from '../protocol/bytes';
import type { Feature, FeatureMethods } from './feature';
import { resolveOptions, type BinaryType, type CoreOptions, type UrlProvider } from './options';
import { createSocket, type CoreSocket } from './socket';

/** What `message` listeners receive for a `binaryType`. */
export type MessageData<B extends BinaryType = 'arraybuffer'> = B extends 'blob' ? string | PlatformBlob : string | ArrayBuffer;

/**
 * The socket `connect()` returns: the core's API plus the methods `M` its features add, with
 * `message` payloads as `binaryType` `B` delivers them. E.g. `HoldfastSocket<Rpc<ChatApi>>`.
 */
export type HoldfastSocket<M extends object = object, B extends BinaryType = 'arraybuffer'> = CoreSocket<MessageData<B>> & M;

/** The options of `connect()`: the core's, plus the features to `use`. */
export interface ConnectOptions<U extends readonly Feature[] = readonly Feature[], B extends BinaryType = BinaryType> extends CoreOptions {
  /** Features, each adding its methods to the socket: `use: [rpc<ChatApi>()]`. Run in this order. */
  use?: U;
  binaryType?: B;
}

/**
 * Opens a socket that keeps itself connected: it reconnects with backoff, checks liveness with a
 * heartbeat and queues what is sent while offline. The first attempt starts in a microtask, so
 * listeners added right after this call see every event. Features in `options.use` add their
 * methods to the socket, and to its type.
 *
 * @throws HoldfastError `NO_WEBSOCKET` when no constructor was given and `globalThis.WebSocket`
 * does not exist; `OPTIONS` when an option has the wrong type or range.
 */
export function connect<const U extends readonly Feature[] = readonly Feature[], B extends BinaryType = 'arraybuffer'>(
  url: UrlProvider,
  options?: ConnectOptions<U, B>,
): HoldfastSocket<FeatureMethods<U>, B> {
  if (typeof url !== 'string' && typeof url !== 'function') throw new TypeError('url');
  const use = options?.use ?? [];
  for (const feature of use) if (typeof feature !== 'function') throw new TypeError('use');
  // The features' methods are merged in at run time; their types are the intersection of what
  // each feature's function returns.
  return createSocket(url, resolveOptions(options), use) as CoreSocket as HoldfastSocket<FeatureMethods<U>, B>;
}
