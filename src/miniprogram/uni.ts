/**
 * uni-app (`uni.connectSocket`). Differences: a SocketTask only comes back when a callback is
 * passed (otherwise uni returns its Promise wrapper), so `complete` is always passed; and
 * `multiple: true` so that uni on Alipay returns a task too (other platforms ignore it).
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { socketConstructor } from './socket-task';
import type { AdapterOptions, UniLike } from './types';

function noop(): void {}

/** A `WebSocket`-compatible constructor backed by `uni.connectSocket`. */
export function uni(uniApi: UniLike, options: AdapterOptions = {}): WebSocketConstructorLike {
  return socketConstructor({
    api: uniApi,
    name: 'uni.connectSocket',
    options,
    connect(request) {
      const result = uniApi.connectSocket({ ...request.base, multiple: true, complete: noop });
      if (typeof result === 'object' && result !== null && 'then' in result && typeof result.then === 'function') {
        // A Promise instead of a task: keep its rejection from going unhandled; attach() fails us.
        (result as PromiseLike<unknown>).then(undefined, noop);
      }
      request.attach(result);
    },
  });
}
