/**
 * Minimal structural typings of the mini-program APIs the adapters use. They are deliberately
 * loose where platforms disagree (payload shapes, error shapes): every payload the platform hands
 * us is typed `unknown` and narrowed by the adapter, so the official `wx`, `uni`, `my` and `tt`
 * objects (and their typings) are assignable without casts.
 */
import type { Clock } from '../protocol/clock';

/**
 * Any platform callback: `success`, `fail`, `complete` and every `on*` listener. The payload is
 * optional, so the callback also fits APIs typed with a zero-parameter listener (`() => void`,
 * as Alipay's official typings declare `onSocketOpen` and `onAppHide`).
 */
export type PlatformCallback = (result?: unknown) => void;

/** The `success`/`fail`/`complete` triple most mini-program calls accept. */
export interface CallbackOptions {
  success?: PlatformCallback;
  fail?: PlatformCallback;
  complete?: PlatformCallback;
}

/** `SocketTask.send` options. */
export interface SocketSendOptions extends CallbackOptions {
  data: string | ArrayBuffer;
  /** Alipay only: `data` is the base64 text of binary data. */
  isBuffer?: boolean;
}

/** Alipay's global `my.sendSocketMessage` options: text only, binary as base64 with `isBuffer`. */
export interface TextSendOptions extends CallbackOptions {
  data: string;
  isBuffer?: boolean;
}

/** `SocketTask.close` options. */
export interface SocketCloseOptions extends CallbackOptions {
  code?: number;
  reason?: string;
}

/**
 * The SocketTask every platform returns from `connectSocket`. Only Alipay has the `off*`
 * methods; elsewhere a listener stays registered for the task's whole life.
 */
export interface SocketTaskLike {
  send(options: SocketSendOptions): void;
  close(options: SocketCloseOptions): void;
  onOpen(listener: PlatformCallback): void;
  onClose(listener: PlatformCallback): void;
  onError(listener: PlatformCallback): void;
  onMessage(listener: PlatformCallback): void;
  offOpen?(listener: PlatformCallback): void;
  offClose?(listener: PlatformCallback): void;
  offError?(listener: PlatformCallback): void;
  offMessage?(listener: PlatformCallback): void;
}

/** The union of `connectSocket` options across platforms; each adapter sets only its own. */
export interface ConnectSocketOptions extends CallbackOptions {
  url: string;
  header?: Record<string, string>;
  protocols?: string[];
  timeout?: number;
  /** WeChat. */
  tcpNoDelay?: boolean;
  /** WeChat. */
  perMessageDeflate?: boolean;
  /** WeChat. */
  forceCellularNetwork?: boolean;
  /** Alipay (and uni-app on Alipay): return a SocketTask instead of using the global socket. */
  multiple?: boolean;
}

/** App lifecycle and network status: what `miniProgramEnvironment` reads. All optional. */
export interface LifecycleApi {
  onAppShow?(listener: PlatformCallback): void;
  offAppShow?(listener: PlatformCallback): void;
  onAppHide?(listener: PlatformCallback): void;
  offAppHide?(listener: PlatformCallback): void;
  onNetworkStatusChange?(listener: PlatformCallback): void;
  offNetworkStatusChange?(listener: PlatformCallback): void;
  getNetworkType?(options: CallbackOptions): unknown;
}

/**
 * WeChat `wx`. `connectSocket` returns a SocketTask (base library 1.7.0 and later); the return
 * type is `unknown` because the adapter checks it rather than trusting it.
 */
export interface WxLike extends LifecycleApi {
  connectSocket(options: ConnectSocketOptions): unknown;
}

/** uni-app `uni`: returns a SocketTask only when a callback is passed (else a Promise). */
export interface UniLike extends LifecycleApi {
  connectSocket(options: ConnectSocketOptions): unknown;
}

/** Douyin/ByteDance `tt`: task methods may only be used after the connect `success` callback. */
export interface TtLike extends LifecycleApi {
  connectSocket(options: ConnectSocketOptions): unknown;
}

/**
 * Alipay `my`. With `multiple: true` `connectSocket` returns a SocketTask; without it (old
 * base libraries, or `app.json` defaults) the single global socket API below is used instead.
 */
export interface MyLike extends LifecycleApi {
  connectSocket(options: ConnectSocketOptions): unknown;
  onSocketOpen?(listener: PlatformCallback): void;
  onSocketClose?(listener: PlatformCallback): void;
  onSocketError?(listener: PlatformCallback): void;
  onSocketMessage?(listener: PlatformCallback): void;
  offSocketOpen?(listener: PlatformCallback): void;
  offSocketClose?(listener: PlatformCallback): void;
  offSocketError?(listener: PlatformCallback): void;
  offSocketMessage?(listener: PlatformCallback): void;
  sendSocketMessage?(options: TextSendOptions): void;
  closeSocket?(options: SocketCloseOptions): void;
}

/** Options every adapter accepts. */
export interface AdapterOptions {
  /** HTTP headers for the handshake (platforms refuse to set `Referer`). */
  header?: Record<string, string>;
  /**
   * Milliseconds to wait for the platform's `onClose` after `close()` or after an `onError` on an
   * open socket before the adapter synthesizes the close event itself. Default 3000; above
   * 2^31 - 1 (e.g. `Infinity`) it never does.
   */
  closeWatchdog?: number;
  /**
   * Live sockets allowed per platform object (default 5, the platforms' own limit). Beyond it a
   * new socket fails at once with `error` + `close` 1006 instead of the platform's late error.
   */
  maxSockets?: number;
  /**
   * Where the adapter's timers come from (the close watchdog, and the re-throw of an error thrown
   * by an event handler). Default: the platform's `setTimeout`/`clearTimeout`.
   */
  clock?: Clock;
}

/** WeChat adds its own connect flags, passed through unchanged. */
export interface WechatOptions extends AdapterOptions {
  /** Connect timeout in ms (base library 2.10.0+). The client's `connectTimeout` applies anyway. */
  timeout?: number;
  tcpNoDelay?: boolean;
  perMessageDeflate?: boolean;
  forceCellularNetwork?: boolean;
}

/** Alipay: how binary frames are sent. */
export interface AlipayOptions extends AdapterOptions {
  /** Connect timeout in ms (Alipay client 10.3.30+). The client's `connectTimeout` applies anyway. */
  timeout?: number;
  /**
   * `'base64'` (default, works on every client): binary goes out as base64 text with
   * `isBuffer: true`. `'arraybuffer'`: the ArrayBuffer is passed as is (Alipay client 10.5.16+,
   * not supported in the IDE).
   */
  binary?: 'arraybuffer' | 'base64';
}
