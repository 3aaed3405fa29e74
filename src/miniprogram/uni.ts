/**
 * uni-app (`uni.connectSocket`). Differences: a SocketTask only comes back when a callback is
 * passed (otherwise uni returns its Promise wrapper, whose rejection the shared adapter
 * absorbs), so `complete` is always passed; and `multiple: true` so that uni on Alipay returns
 * a task too (other platforms ignore it).
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { noop, socketConstructor } from './socket-task';
import type { AdapterOptions, UniLike } from './types';

/** A `WebSocket`-compatible constructor backed by `uni.connectSocket`. */
export function uni(uniApi: UniLike, options: AdapterOptions = {}): WebSocketConstructorLike {
  return socketConstructor({ api: uniApi, name: 'uni.connectSocket', options, extra: { multiple: true, complete: noop } });
}
