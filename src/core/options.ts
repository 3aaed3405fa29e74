/**
 * Everything `connect()` can be told, the defaults (with the reasons for them) and
 * `resolveOptions()`, which validates and fills them in. Pure apart from reading
 * `globalThis.WebSocket` and `window` when the caller did not inject them.
 */
import { browserEnvironment } from './browser-environment';
import { envelopeCodec as jsonCodec, type Codec } from '../codecs/envelope';
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

/** The options of `connect()`. Every field is optional. */
export interface ConnectOptions {
  /** The WebSocket constructor (the `ws` package in Node, a mini-program adapter, a test double). Default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  protocols?: ProtocolsProvider;
  /**
   * Default `'arraybuffer'`, so binary messages are ArrayBuffers on every platform. With
   * `'blob'`, browsers deliver Blob objects, which are passed to `message` listeners as they are.
   */
  binaryType?: 'arraybuffer' | 'blob';
  backoff?: BackoffOptions;
  /** Milliseconds an attempt may take to open before it is aborted and counted as failed. Default 10000. */
  connectTimeout?: number;
  /** Milliseconds `close()` waits for the closing handshake before it finishes anyway. Default 1000. */
  closeTimeout?: number;
  /** `false` disables the heartbeat. */
  heartbeat?: HeartbeatOptions | false;
  queue?: QueueOptions;
  /** Largest message `send` accepts, in bytes; larger ones throw MessageTooBigError. Default Infinity. */
  maxMessageSize?: number;
  /**
   * Default timeout of `request()`, in milliseconds, counted from the call (also while the request
   * waits offline). `0` or `Infinity`: no timeout. Default 30000.
   */
  requestTimeout?: number;
  /**
   * How requests, responses and events are put on the wire and read back. Default `jsonCodec`
   * (the CONTRACT JSON shapes plus the binary envelope); `jsonRpcCodec()` talks JSON-RPC 2.0.
   */
  codec?: Codec;
  /** Replaces the close-code table of `reconnect.ts`: return true to reconnect. */
  shouldReconnect?: (ctx: ReconnectContext) => boolean;
  /** Online/offline and visibility signals; `false` for none. Default: the browser's when `window` exists. */
  environment?: Environment | false;
  /** Time source and scheduler, for deterministic tests. */
  clock?: Clock;
  /** Jitter source in [0, 1), for deterministic tests. Default `Math.random`. */
  random?: () => number;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly WebSocket: WebSocketConstructorLike;
  readonly protocols: ProtocolsProvider | undefined;
  readonly binaryType: 'arraybuffer' | 'blob';
  readonly backoff: Readonly<Required<Omit<BackoffOptions, 'idleInterval'>>> & { readonly idleInterval: number | undefined };
  readonly connectTimeout: number;
  readonly closeTimeout: number;
  readonly heartbeat: Readonly<Required<HeartbeatOptions>> | false;
  readonly queue: QueueLimits;
  readonly maxMessageSize: number;
  readonly requestTimeout: number;
  readonly codec: Codec;
  readonly shouldReconnect: ((ctx: ReconnectContext) => boolean) | undefined;
  readonly environment: Environment | undefined;
  readonly clock: Clock;
  readonly random: () => number;
}

/**
 * The defaults, chosen after what well-used clients and common infrastructure do:
 * - backoff 1 s doubling up to 30 s with full jitter: the range reconnecting-websocket,
 *   partysocket and centrifuge-js use; fast first retry, and at most one attempt per ~30 s per
 *   client while a server is down. Infinite retries: a long-lived UI should recover by itself.
 * - minUptime 5 s: a link that drops right after opening (auth rejected after upgrade, a crash
 *   loop) keeps growing the delay instead of resetting it, which prevents flapping storms.
 * - connectTimeout 10 s: enough for a TLS handshake on a slow mobile link, short enough that a
 *   black-holed attempt does not stall recovery.
 * - heartbeat every 25 s: below the 30–60 s idle timeouts of common proxies and load balancers
 *   (nginx `proxy_read_timeout` 60 s, AWS ALB 60 s), so the pings also keep the path open;
 *   10 s to answer leaves room for a slow mobile round trip.
 * - queue 1000 messages / 1 MiB, dropping the oldest: bounded memory while offline, and the
 *   freshest data survives. Every drop is reported with a `drop` event.
 * - requestTimeout 30 s: no request may hang forever, yet a request survives a typical
 *   reconnect (1 s first retry, a 10 s connect timeout) while it waits offline.
 */
export const DEFAULTS = {
  binaryType: 'arraybuffer',
  backoff: { initialDelay: 1000, maxDelay: 30_000, factor: 2, maxRetries: Infinity, minUptime: 5000, idleInterval: undefined },
  connectTimeout: 10_000,
  closeTimeout: 1000,
  heartbeat: { interval: 25_000, timeout: 10_000 },
  queue: { maxMessages: 1000, maxBytes: 1024 * 1024, overflow: 'drop-oldest', ttl: undefined },
  maxMessageSize: Infinity,
  requestTimeout: 30_000,
} as const;

function invalid(name: string, value: unknown, expected: string): HoldfastError {
  return new HoldfastError('OPTIONS', `options.${name} must be ${expected}, got ${String(value)}`);
}

/** A non-negative number (Infinity allowed where `allowInfinity`), or the default. */
function duration(name: string, value: unknown, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw invalid(name, value, allowInfinity ? 'a number >= 0 (Infinity allowed)' : 'a finite number >= 0');
  }
  return value;
}

function optionalDuration(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : duration(name, value, 0);
}

function defaultEnvironment(): Environment | undefined {
  return typeof window !== 'undefined' && typeof window.addEventListener === 'function' ? browserEnvironment() : undefined;
}

/**
 * Validates `options` and fills in the defaults. Throws HoldfastError `NO_WEBSOCKET` when no
 * constructor was given and `globalThis.WebSocket` does not exist, and `OPTIONS` for a value of
 * the wrong type or range (negative delays, a factor below 1, an unknown overflow policy, …).
 */
export function resolveOptions(options: ConnectOptions = {}): ResolvedOptions {
  const WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (typeof WebSocketCtor !== 'function') {
    throw new HoldfastError('NO_WEBSOCKET', 'no WebSocket constructor: pass options.WebSocket (e.g. the `ws` package in Node)');
  }
  const b = options.backoff ?? {};
  const d = DEFAULTS.backoff;
  const factor = duration('backoff.factor', b.factor, d.factor);
  if (factor < 1) throw invalid('backoff.factor', factor, 'a number >= 1');
  const q = options.queue ?? {};
  const overflow = q.overflow ?? DEFAULTS.queue.overflow;
  if (overflow !== 'drop-oldest' && overflow !== 'drop-newest' && overflow !== 'throw') {
    throw invalid('queue.overflow', overflow, "'drop-oldest', 'drop-newest' or 'throw'");
  }
  const binaryType = options.binaryType ?? DEFAULTS.binaryType;
  if (binaryType !== 'arraybuffer' && binaryType !== 'blob') throw invalid('binaryType', binaryType, "'arraybuffer' or 'blob'");
  let heartbeat: ResolvedOptions['heartbeat'] = false;
  if (options.heartbeat !== false) {
    const h = options.heartbeat ?? {};
    heartbeat = {
      interval: duration('heartbeat.interval', h.interval, DEFAULTS.heartbeat.interval),
      timeout: duration('heartbeat.timeout', h.timeout, DEFAULTS.heartbeat.timeout),
    };
  }
  for (const [name, fn] of [['shouldReconnect', options.shouldReconnect], ['random', options.random]] as const) {
    if (fn !== undefined && typeof fn !== 'function') throw invalid(name, fn, 'a function');
  }
  const codec = options.codec ?? jsonCodec;
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw invalid('codec', codec, 'an object with encode() and decode()');
  }
  return {
    WebSocket: WebSocketCtor,
    protocols: options.protocols,
    binaryType,
    backoff: {
      initialDelay: duration('backoff.initialDelay', b.initialDelay, d.initialDelay),
      maxDelay: duration('backoff.maxDelay', b.maxDelay, d.maxDelay),
      factor,
      maxRetries: duration('backoff.maxRetries', b.maxRetries, d.maxRetries, true),
      minUptime: duration('backoff.minUptime', b.minUptime, d.minUptime),
      idleInterval: optionalDuration('backoff.idleInterval', b.idleInterval),
    },
    connectTimeout: duration('connectTimeout', options.connectTimeout, DEFAULTS.connectTimeout),
    closeTimeout: duration('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout),
    heartbeat,
    queue: {
      maxMessages: duration('queue.maxMessages', q.maxMessages, DEFAULTS.queue.maxMessages, true),
      maxBytes: duration('queue.maxBytes', q.maxBytes, DEFAULTS.queue.maxBytes, true),
      overflow,
      ttl: optionalDuration('queue.ttl', q.ttl),
    },
    maxMessageSize: duration('maxMessageSize', options.maxMessageSize, DEFAULTS.maxMessageSize, true),
    requestTimeout: duration('requestTimeout', options.requestTimeout, DEFAULTS.requestTimeout, true),
    codec,
    shouldReconnect: options.shouldReconnect,
    environment: options.environment === false ? undefined : (options.environment ?? defaultEnvironment()),
    clock: options.clock ?? systemClock(),
    random: options.random ?? Math.random,
  };
}
