/**
 * Douyin/ByteDance (`tt.connectSocket`). Difference: the docs say to call task methods only
 * after the connect call's `success`, so `send` and `close` wait for it (listeners are still
 * registered at once). If subprotocols are given, the server must echo one or tt fails the
 * connection.
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { socketConstructor } from './socket-task';
import type { AdapterOptions, TtLike } from './types';

/** A `WebSocket`-compatible constructor backed by `tt.connectSocket`. */
export function bytedance(tt: TtLike, options: AdapterOptions = {}): WebSocketConstructorLike {
  return socketConstructor({ api: tt, name: 'tt.connectSocket', options, readyOnSuccess: true });
}
