/**
 * `holdfast/miniprogram`: adapters that make a mini-program socket look like a `WebSocket` to
 * the client, and an Environment built from the app lifecycle and network status.
 *
 * ```ts
 * import { connect } from 'holdfast';
 * import { wechat, miniProgramEnvironment } from 'holdfast/miniprogram';
 * const socket = connect('wss://example.com/ws', { WebSocket: wechat(wx), environment: miniProgramEnvironment(wx) });
 * ```
 */
export { wechat } from './wechat';
export { uni } from './uni';
export { alipay } from './alipay';
export { bytedance } from './bytedance';
export { miniProgramEnvironment, type MiniProgramEnvironment } from './environment';
export { MiniProgramSocket } from './socket-task';
export type {
  MiniProgramOpenEvent,
  MiniProgramMessageEvent,
  MiniProgramErrorEvent,
  MiniProgramCloseEvent,
} from './socket-task';
export type {
  AdapterOptions,
  WechatOptions,
  AlipayOptions,
  WxLike,
  UniLike,
  MyLike,
  TtLike,
  LifecycleApi,
  SocketTaskLike,
  ConnectSocketOptions,
  SocketSendOptions,
  TextSendOptions,
  SocketCloseOptions,
  CallbackOptions,
  PlatformCallback,
} from './types';
