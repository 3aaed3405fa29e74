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
import { isSocketTask } from './normalize';
import { socketConstructor } from './socket-task';
import type { ConnectRequest } from './socket-task';
import type { AlipayOptions, MyLike, SocketTaskLike } from './types';

/** The single global socket of one `my` object, and the sockets queued for it. */
interface SingleSocketLine {
  /** Learned from the first connect call that returned no task. */
  single: boolean;
  busy: boolean;
  waiting: Array<() => void>;
}

let lines: WeakMap<object, SingleSocketLine> | undefined;

function lineFor(my: MyLike): SingleSocketLine {
  lines ??= new WeakMap();
  let line = lines.get(my);
  if (!line) {
    line = { single: false, busy: false, waiting: [] };
    lines.set(my, line);
  }
  return line;
}

type GlobalSocketApi = Required<Pick<MyLike, 'onSocketOpen' | 'onSocketClose' | 'onSocketError' | 'onSocketMessage' | 'sendSocketMessage' | 'closeSocket'>> &
  MyLike;

function hasGlobalSocket(my: MyLike): my is GlobalSocketApi {
  return (
    typeof my.onSocketOpen === 'function' &&
    typeof my.onSocketClose === 'function' &&
    typeof my.onSocketError === 'function' &&
    typeof my.onSocketMessage === 'function' &&
    typeof my.sendSocketMessage === 'function' &&
    typeof my.closeSocket === 'function'
  );
}

/** The global single-socket API seen as a SocketTask, so the shared adapter can drive it. */
function globalSocketTask(my: GlobalSocketApi): SocketTaskLike {
  return {
    send: (options) => my.sendSocketMessage(options),
    close: (options) => my.closeSocket(options),
    onOpen: (listener) => my.onSocketOpen(listener),
    onClose: (listener) => my.onSocketClose(listener),
    onError: (listener) => my.onSocketError(listener),
    onMessage: (listener) => my.onSocketMessage(listener),
    offOpen: (listener) => my.offSocketOpen?.(listener),
    offClose: (listener) => my.offSocketClose?.(listener),
    offError: (listener) => my.offSocketError?.(listener),
    offMessage: (listener) => my.offSocketMessage?.(listener),
  };
}

/** Hands the line to the next waiting socket, or frees it. */
function passLine(line: SingleSocketLine): void {
  const next = line.waiting.shift();
  // Let the platform finish tearing the old socket down before the next connect call.
  if (next) void Promise.resolve().then(next);
  else line.busy = false;
}

function connectAlipay(my: MyLike, request: ConnectRequest): () => void {
  const line = lineFor(my);
  let stage: 'waiting' | 'task' | 'global' | 'done' = 'waiting';
  /** True while this socket owns the single global socket (or was handed it and has not used it). */
  let holdsLine = false;
  const start = (): void => {
    if (stage === 'done') {
      // Closed while the hand-over was in flight: pass the line on.
      if (holdsLine) passLine(line);
      return;
    }
    const result = my.connectSocket({ ...request.base, multiple: true });
    if (isSocketTask(result)) {
      stage = 'task';
      if (holdsLine) passLine(line);
      holdsLine = false;
      request.attach(result);
      return;
    }
    if (!hasGlobalSocket(my)) {
      stage = 'done';
      if (holdsLine) passLine(line);
      holdsLine = false;
      request.fail('my.connectSocket returned no SocketTask and the global socket API is missing');
      return;
    }
    line.single = true;
    line.busy = true;
    holdsLine = true;
    stage = 'global';
    request.attach(globalSocketTask(my));
  };
  const waiter = (): void => {
    holdsLine = true;
    start();
  };
  if (line.single && line.busy) line.waiting.push(waiter);
  else start();
  return () => {
    const previous = stage;
    stage = 'done';
    holdsLine = false;
    if (previous === 'waiting') line.waiting = line.waiting.filter((entry) => entry !== waiter);
    else if (previous === 'global') passLine(line);
  };
}

/** A `WebSocket`-compatible constructor backed by `my.connectSocket`. */
export function alipay(my: MyLike, options: AlipayOptions = {}): WebSocketConstructorLike {
  const base64 = (options.binary ?? 'base64') === 'base64';
  return socketConstructor({
    api: my,
    name: 'my.connectSocket',
    options,
    connect: (request) => connectAlipay(my, request),
    // base64Decode's result owns exactly its buffer, so the buffer can be handed on without a copy.
    decodeBase64: (text: string) => base64Decode(text).buffer as ArrayBuffer,
    ...(base64
      ? { sendFields: (data: string | ArrayBuffer) => (typeof data === 'string' ? { data } : { data: base64Encode(data), isBuffer: true }) }
      : {}),
  });
}
