/**
 * WeChat (`wx.connectSocket`, base library 1.7.0+). Differences from the shared adapter: only
 * the WeChat-specific connect options (`timeout` and three flags), passed through unchanged.
 */
import type { WebSocketConstructorLike } from '../core/transport';
import { socketConstructor } from './socket-task';
import type { WechatOptions, WxLike } from './types';

/**
 * A `WebSocket`-compatible constructor backed by `wx.connectSocket`, for
 * `connect(url, { WebSocket: wechat(wx) })`. Also fits QQ (`qq`) and Baidu (`swan`), whose
 * SocketTask has the same shape.
 */
export function wechat(wx: WxLike, options: WechatOptions = {}): WebSocketConstructorLike {
  return socketConstructor({ api: wx, name: 'wx.connectSocket', options, passed: ['timeout', 'tcpNoDelay', 'perMessageDeflate', 'forceCellularNetwork'] });
}
