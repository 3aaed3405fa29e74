/**
 * WeChat (`wx.connectSocket`, base library 1.7.0+). Differences from the shared adapter: only
 * the WeChat-specific connect flags, passed through unchanged.
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
  const { tcpNoDelay, perMessageDeflate, forceCellularNetwork } = options;
  return socketConstructor({
    api: wx,
    name: 'wx.connectSocket',
    options,
    connect(request) {
      const task = wx.connectSocket({
        ...request.base,
        ...(tcpNoDelay !== undefined ? { tcpNoDelay } : {}),
        ...(perMessageDeflate !== undefined ? { perMessageDeflate } : {}),
        ...(forceCellularNetwork !== undefined ? { forceCellularNetwork } : {}),
      });
      request.attach(task);
    },
  });
}
