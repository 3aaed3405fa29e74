/**
 * Everything `connect()` can be told, the defaults (with the reasons for them) and
 * `resolveOptions()`, which validates and fills them in. Pure apart from reading
 * `globalThis.WebSocket` when the caller did not inject one.
 */
import type { Environment } from './environment';
import { HoldfastError } from '../protocol/errors';
import type { OverflowPolicy, QueueLimits } from './queue';
import type { ReconnectContext } from './reconnect';
import { systemClock, type Clock } from './timers';
import type { WebSocketConstructorLike } from './transport';

/** Handed to url and protocols providers before every attempt. */
export interface AttemptContext {
  /** Consecutive failed attempts so far: 0 for the first attempt after a stable link. */
  readonly attempt: number;
}

/**
 * Where to connect. A function is called before every attempt (so a token can be refreshed);
 * a throw or rejection counts as a failed attempt, and `null` stops the socket for good.
 */
export type UrlProvider = string | ((ctx: AttemptContext) => string | null | Promise<string | null>);

/** Subprotocols, or a provider called before every attempt like the url provider. */
export type ProtocolsProvider =
  | string
  | string[]
  | ((ctx: AttemptContext) => string | string[] | undefined | Promise<string | string[] | undefined>);

/** Reconnection timing (milliseconds). */
export interface BackoffOptions {
  /** Upper bound of the first retry delay. Default 1000. */
  initialDelay?: number;
  /** Upper bound of any retry delay. Default 30000. */
  maxDelay?: number;
  /** Growth of the upper bound per failed attempt. Default 2. */
  factor?: number;
  /** Retries after which the socket gives up (unless `idleInterval` is set). Default Infinity. */
  maxRetries?: number;
  /** How long a link must stay open before the retry counter resets. Default 5000. */
  minUptime?: number;
  /**
   * With a finite `maxRetries`: instead of giving up, keep trying every `idleInterval` ms, and at
   * once when the network comes back or the page is shown again. Default: unset (give up).
   */
  idleInterval?: number;
}

/** Heartbeat timing (milliseconds), the CONTRACT's names. */
export interface HeartbeatOptions {
  /** Idle time between an answered ping and the next one. Default 25000. */
  interval?: number;
  /** How long to wait for the pong (or any message) before the link counts as dead. Default 10000. */
  timeout?: number;
  /**
   * Whether the server is known to answer pings. By default (`false`) a socket whose server has
   * never answered a ping treats an unanswered one as a server that does not speak the
   * heartbeat: one `HEARTBEAT` error, the link is kept, and that link sends no more pings. Once
   * any pong came back, a missing one closes the link (4000). With `true`, a missing pong closes
   * the link from the first ping on. Default false.
   */
  required?: boolean;
}

/** Send-queue limits for messages sent while the link is not open. */
export interface QueueOptions {
  /** Default 1000. */
  maxMessages?: number;
  /** Total UTF-8/binary bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Default `'drop-oldest'`. */
  overflow?: OverflowPolicy;
  /** Milliseconds after which a queued message is dropped instead of sent late. Default: never. */
  ttl?: number;
}

/** What binary messages arrive as. */
export type BinaryType = 'arraybuffer' | 'blob';

/** The options of `connect()` that the core reads. Every field is optional. */
export interface CoreOptions {
  /** The WebSocket constructor (the `ws` package in Node, a mini-program adapter, a test double). Default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  protocols?: ProtocolsProvider;
  /**
   * Default `'arraybuffer'`, so binary messages are ArrayBuffers on every platform. With
   * `'blob'`, browsers deliver Blob objects, which are passed to `message` listeners as they are
   * (and typed so).
   */
  binaryType?: BinaryType;
  backoff?: BackoffOptions;
  /** Milliseconds an attempt may take to open before it is aborted and counted as failed. Default 10000. */
  connectTimeout?: number;
  /** Milliseconds `close()` waits for the closing handshake before it finishes anyway. Default 1000. */
  closeTimeout?: number;
  /** `false` disables the heartbeat. */
  heartbeat?: HeartbeatOptions | false;
  queue?: QueueOptions;
  /** Replaces the close-code table of `reconnect.ts`: return true to reconnect. */
  shouldReconnect?: (ctx: ReconnectContext) => boolean;
  /**
   * Online/offline and visibility signals: `browserEnvironment()` in browsers, a mini-program's
   * `miniProgramEnvironment(wx)`, or your own. Default: none (`false` also means none), so a
   * bundle that does not ask for the browser's signals does not pay for them.
   */
  environment?: Environment | false;
  /** `false` creates the socket stopped (state `closed`, no attempt) until `start()` is called. Default true. */
  start?: boolean;
  /** Time source and scheduler, for deterministic tests. */
  clock?: Clock;
  /** Jitter source in [0, 1), for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly WebSocket: WebSocketConstructorLike;
  readonly protocols: ProtocolsProvider | undefined;
  readonly binaryType: BinaryType;
  readonly backoff: Readonly<Required<Omit<BackoffOptions, 'idleInterval'>>> & { readonly idleInterval: number | undefined };
  readonly connectTimeout: number;
  readonly closeTimeout: number;
  readonly heartbeat: Readonly<Required<HeartbeatOptions>> | false;
  readonly queue: QueueLimits;
  readonly shouldReconnect: ((ctx: ReconnectContext) => boolean) | undefined;
  readonly environment: Environment | undefined;
  readonly start: boolean;
  readonly clock: Clock;
  readonly random: () => number;
}

/** HoldfastError `OPTIONS`; the message names the option (the code carries the meaning). */
export const badOption = (name: string): HoldfastError => new HoldfastError('OPTIONS', name);

/**
 * A number >= 0 (Infinity included), or `fallback` when undefined.
 * @throws HoldfastError `OPTIONS` otherwise.
 */
export function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw badOption(name);
  return value;
}

/**
 * Validates `options` and fills in the defaults. Throws HoldfastError `NO_WEBSOCKET` when no
 * constructor was given and `globalThis.WebSocket` does not exist, and `OPTIONS` for a value of
 * the wrong type or range: every number must be >= 0 (NaN is refused; Infinity means no limit,
 * or a timeout that never fires), a factor below 1, an unknown overflow policy or binary type,
 * a `shouldReconnect` or `random` that is not a function.
 *
 * The defaults, chosen after what well-used clients and common infrastructure do:
 * - backoff 1 s doubling up to 30 s with full jitter: the range reconnecting-websocket,
 *   partysocket and centrifuge-js use; fast first retry, and at most one attempt per ~30 s per
 *   client while a server is down. Infinite retries: a long-lived UI should recover by itself.
 * - minUptime 5 s: a link that drops right after opening (auth rejected after upgrade, a crash
 *   loop) keeps growing the delay instead of resetting it, which prevents flapping storms.
 * - connectTimeout 10 s: enough for a TLS handshake on a slow mobile link, short enough that a
 *   black-holed attempt does not stall recovery; closeTimeout 1 s.
 * - heartbeat every 25 s: below the 30–60 s idle timeouts of common proxies and load balancers
 *   (nginx `proxy_read_timeout` 60 s, AWS ALB 60 s), so the pings also keep the path open;
 *   10 s to answer leaves room for a slow mobile round trip.
 * - queue 1000 messages / 1 MiB, dropping the oldest: bounded memory while offline, and the
 *   freshest data survives. Every drop is reported with a `drop` event.
 */
export function resolveOptions(options: CoreOptions = {}): ResolvedOptions {
  /**
   * Copies what is given over `defaults`, checking each value against its default: a number
   * must be >= 0 (NaN is refused; also where there is no default), anything else must be of the
   * default's type. Keys without a default (and `undefined` values) are copied unchecked.
   */
  const fill = <T extends object>(prefix: string, defaults: T, given: object = {}): T => {
    for (const [key, value] of Object.entries(given)) {
      const d = (defaults as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if ((typeof value === 'number' && !(value >= 0)) || (d !== undefined && typeof d !== typeof value)) throw badOption(prefix + key);
      (defaults as Record<string, unknown>)[key] = value;
    }
    return defaults;
  };
  const { heartbeat: h } = options;
  const o = fill('', { connectTimeout: 10_000, closeTimeout: 1000, binaryType: 'arraybuffer', random: Math.random, start: true } as Record<string, unknown>, options);
  if (typeof (o.WebSocket ??= (globalThis as { WebSocket?: unknown }).WebSocket) !== 'function') throw new HoldfastError('NO_WEBSOCKET', 'no WebSocket');
  const b = (o.backoff = fill('backoff.', { initialDelay: 1000, maxDelay: 30_000, factor: 2, maxRetries: Infinity, minUptime: 5000 } as BackoffOptions, options.backoff));
  o.heartbeat = h !== false && fill('heartbeat.', { interval: 25_000, timeout: 10_000, required: false }, h);
  const q = (o.queue = fill('queue.', { maxMessages: 1000, maxBytes: 1024 * 1024, overflow: 'drop-oldest' } as QueueOptions, options.queue));
  // The few checks a default's type cannot express.
  if (!((b.factor as number) >= 1)) throw badOption('backoff.factor');
  if (!/^(drop-oldest|drop-newest|throw)$/.test(q.overflow as string)) throw badOption('queue.overflow');
  if (!/^(arraybuffer|blob)$/.test(o.binaryType as string)) throw badOption('binaryType');
  if (o.shouldReconnect !== undefined && typeof o.shouldReconnect !== 'function') throw badOption('shouldReconnect');
  o.environment ||= undefined;
  o.clock ??= systemClock();
  return o as unknown as ResolvedOptions;
}
