/**
 * WeChat (`wx.connectSocket`, base library 1.7.0+). Differences from the shared adapter: only
 * the WeChat-specific connect options (`timeout` and three flags), passed through unchanged.
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { socketConstructor } from './socket-task';
import type { ConnectSocketOptions, WechatOptions, WxLike } from './types';

const FLAGS = ['timeout', 'tcpNoDelay', 'perMessageDeflate', 'forceCellularNetwork'] as const;

/**
 * A `WebSocket`-compatible constructor backed by `wx.connectSocket`, for
 * `connect(url, { WebSocket: wechat(wx) })`. Also fits QQ (`qq`) and Baidu (`swan`), whose
 * SocketTask has the same shape.
 */
export function wechat(wx: WxLike, options: WechatOptions = {}): WebSocketConstructorLike {
  const extra: Record<string, unknown> = {};
  // Only the options that are set: platforms may reject a parameter of the wrong type.
  for (const key of FLAGS) if (options[key] !== undefined) extra[key] = options[key];
  return socketConstructor({ api: wx, name: 'wx.connectSocket', options, extra: extra as Partial<ConnectSocketOptions> });
}
