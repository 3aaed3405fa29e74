/**
 * Alipay (`my.connectSocket`). Differences from the shared adapter:
 * - `multiple: true`, so a SocketTask comes back (with `off*`, used on dispose);
 * - errors are `{ error, errorMessage }` (normalized in `errorText`);
 * - binary goes out as base64 with `isBuffer: true` unless `binary: 'arraybuffer'`, and
 *   `isBuffer` frames are decoded on the way in;
 * - when no task comes back (single-instance mode), the global `my.*Socket*` API is driven
 *   instead, one socket at a time: a new socket waits for the previous one's close.
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { base64Decode, base64Encode } from '../binary/base64';
import { EVENTS, isSocketTask } from './normalize';
import { perObject, socketConstructor } from './socket-task';
import type { AlipayOptions, ConnectSocketOptions, MyLike, SocketSendOptions, TextSendOptions } from './types';

/** The single global socket of one `my` object, and the sockets queued for it. */
interface SingleSocketLine {
  /** Learned from the first connect call that returned no task. */
  single?: boolean;
  busy?: boolean;
  waiting: Array<() => void>;
}

const lineFor = /* @__PURE__ */ perObject((): SingleSocketLine => ({ waiting: [] }));

/**
 * The global single-socket API seen as a SocketTask, so the shared adapter can drive it. It has
 * only the methods `my` has, so `isSocketTask` tells whether the global API is complete.
 */
function globalSocketTask(my: MyLike): Record<string, unknown> {
  const api = my as unknown as Record<string, ((arg: unknown) => void) | undefined>;
  const task: Record<string, unknown> = {};
  const bind = (key: string, name: string, map = (arg: unknown) => arg): void => {
    if (typeof api[name] === 'function') task[key] = (arg: unknown) => api[name]?.(map(arg));
  };
  // The global API takes text only (binary as base64 with `isBuffer`), whatever `binary` says.
  bind('send', 'sendSocketMessage', (options) => textFrame(options as SocketSendOptions));
  bind('close', 'closeSocket');
  for (const kind of EVENTS) {
    bind('on' + kind, 'onSocket' + kind);
    bind('off' + kind, 'offSocket' + kind);
  }
  return task;
}

function connectAlipay(my: MyLike, base: ConnectSocketOptions, attach: (task: unknown) => void): () => void {
  const line = lineFor(my);
  let done = false;
  /** True while this socket owns the single global socket (or was handed it and has not used it). */
  let holdsLine = false;
  /** Hands the line to the next waiting socket, or frees it. */
  const letGo = (): void => {
    if (!holdsLine) return;
    holdsLine = false;
    const next = line.waiting.shift();
    // Let the platform finish tearing the old socket down before the next connect call.
    if (next) void Promise.resolve().then(next);
    else line.busy = false;
  };
  const start = (): void => {
    // Closed while the hand-over was in flight: pass the line on.
    if (done) return letGo();
    const result = my.connectSocket(base);
    if (isSocketTask(result)) {
      letGo();
      return attach(result);
    }
    const global = globalSocketTask(my);
    // Neither a task nor the global API: the shared adapter fails the socket.
    if (!isSocketTask(global)) {
      letGo();
      return attach(result);
    }
    line.single = line.busy = holdsLine = true;
    attach(global);
  };
  const waiter = (): void => {
    holdsLine = true;
    start();
  };
  if (line.single && line.busy) line.waiting.push(waiter);
  else start();
  return () => {
    done = true;
    line.waiting = line.waiting.filter((entry) => entry !== waiter);
    letGo();
  };
}

/** `options` with binary `data` as base64 text and `isBuffer: true`; text unchanged. */
function textFrame<T extends SocketSendOptions>(options: T): T & TextSendOptions {
  const { data } = options;
  return typeof data === 'string' ? (options as T & TextSendOptions) : { ...options, data: base64Encode(data), isBuffer: true };
}

/** A `WebSocket`-compatible constructor backed by `my.connectSocket`. */
export function alipay(my: MyLike, options: AlipayOptions = {}): WebSocketConstructorLike {
  return socketConstructor({
    api: my,
    name: 'my.connectSocket',
    options,
    extra: { multiple: true },
    passed: ['timeout'],
    connect: (base, attach) => connectAlipay(my, base, attach),
    // base64Decode's result owns exactly its buffer, so the buffer can be handed on without a copy.
    decodeBase64: (text) => base64Decode(text).buffer as ArrayBuffer,
    ...(options.binary !== 'arraybuffer' && { sendFields: (data: string | ArrayBuffer) => textFrame({ data }) }),
  });
}
