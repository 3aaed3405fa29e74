/**
 * The seam between the core and its features. A feature is a function the core calls once, while
 * `connect()` builds the socket, with a {@link FeatureHost}; what it returns is merged into the
 * socket (its methods, and so its type). The core never names a feature: everything a feature
 * can do goes through the host below. docs/features.md explains how to write one.
 */
import type { PlatformBlob } from '../protocol/bytes';
import type { HoldfastError } from '../protocol/errors';
import type { AttemptContext } from './options';
import type { DropReason } from './events';
import type { CloseInfo } from './reconnect';
import type { Fate } from './queue';
import type { CoreSocket, SendResult } from './socket';
import type { Clock } from './timers';
import type { SendData, WebSocketConstructorLike } from './transport';

/**
 * What a feature may hook into. Every hook is optional; hooks of several features run in the
 * order of `options.use`. Hooks run synchronously inside the core's own transitions: a hook may
 * call the socket's public methods (even `close()`), and the core copes.
 */
export interface FeatureHooks {
  /**
   * An inbound frame, before `message` listeners see it (heartbeats are already taken out).
   * Return `true` to consume it: later hooks and `message` listeners then never see it.
   * Text is a string; binary is an exact ArrayBuffer (or a Blob with `binaryType: 'blob'`).
   */
  receive?(data: string | ArrayBuffer | PlatformBlob): boolean | void;
  /**
   * An outbound message from `socket.send()` or `host.send()`, before the core writes or queues
   * it. Return a SendResult to take it over (the core then does nothing with it), or nothing to
   * let it through.
   */
  send?(data: SendData, fate: Fate | undefined): SendResult | void;
  /**
   * Every frame the socket writes (`outbound` true, after the platform took it) or receives
   * (before anything else looks at it), heartbeats included: for metrics and logging. Must be cheap.
   */
  frame?(data: unknown, outbound: boolean): void;
  /** An attempt starts (the url provider is about to be called); `ctx.attempt` counts failed attempts so far. */
  attempt?(ctx: AttemptContext): void;
  /**
   * The wait before the next attempt, in ms, as the backoff (or `idleInterval`) drew it; `info`
   * is how the link ended (undefined for an attempt that failed before one existed). Return a
   * number to wait that long instead; later features see it. Not called while offline, nor when
   * the socket gives up.
   */
  delay?(ms: number, info: CloseInfo | undefined): number | void;
  /** A link opened. Runs before the send queue is flushed, so what `host.write` sends now goes first. */
  up?(): void;
  /**
   * The open link went away; `info` is how it ended. Called once per opened link, whether the
   * socket reconnects (then after the move to `reconnecting`) or ends (then before `end`).
   * Not called for an attempt that never opened, nor for `close()`.
   */
  down?(info: CloseInfo): void;
  /**
   * The socket is ending (`close()` or `stop()` was called, or it will not reconnect): called
   * once per ending, when it enters `closing` or `closed`, before that `close` event. Nothing sent
   * after this goes out until `start()` (a stopped socket can start again: keep what users
   * registered); `code` is the close code.
   */
  end?(code: number): void;
}

/** What the core gives a feature. */
export interface FeatureHost {
  /** The core socket being built: `state`, `on`, `send`, `close` and the rest of its API. */
  readonly socket: CoreSocket;
  /** The socket's clock: every timer of a feature goes through it. */
  readonly clock: Clock;
  /** Consecutive failed attempts: the backoff counter, reset once a link stayed up for `minUptime`. */
  readonly retries: number;
  /**
   * Sends like `socket.send()` (through the `send` hooks of the features, then written when
   * open, queued otherwise), with a `fate` that learns what became of this one message: `'sent'`
   * just before it is written (return `false` to withdraw it), or the reason it was dropped
   * (`'overflow'`, `'expired'`, `'closed'`). Throws as `socket.send()` does.
   */
  send(data: SendData, fate?: Fate): SendResult;
  /**
   * Writes straight to the link, never queued and past every `send` hook (control frames,
   * handshakes in `up`). Returns false, writing nothing, when no link is open.
   */
  write(data: SendData): boolean;
  /** Reports a problem as an `error` event on the socket; the link stays up. */
  error(error: HoldfastError): void;
  /**
   * Reports a message the feature discarded itself (its own outbox) as a `drop` event, after
   * telling its `fate`, when given, the same reason.
   */
  drop(data: SendData, reason: DropReason, fate?: Fate): void;
  /** Registers hooks; the returned function removes them. */
  hook(hooks: FeatureHooks): () => void;
  /**
   * Replaces the WebSocket constructor used from the next attempt on, e.g. with one that talks to
   * another tab, or wraps the platform's. `wrap` receives the current one.
   */
  transport(wrap: (current: WebSocketConstructorLike) => WebSocketConstructorLike): void;
}

/**
 * A feature: called once with the host, returns the methods it adds to the socket (an empty
 * object when it adds none). `M` is what it adds to the socket's type.
 */
export type Feature<M extends object = object> = (host: FeatureHost) => M;

/** The methods a list of features adds, as one intersection. */
export type FeatureMethods<U extends readonly Feature[]> = UnionToIntersection<{ [K in keyof U]: U[K] extends Feature<infer M> ? M : never }[number]>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? (unknown extends I ? object : I) : never;
