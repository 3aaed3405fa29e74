/**
 * `holdfast`: the browser client. No Node built-in is imported from here, ever.
 */
export {
  HoldfastError,
  TimeoutError,
  AbortError,
  ClosedError,
  QueueFullError,
  MessageTooBigError,
  RemoteError,
  ProtocolError,
  isHoldfastError,
} from './client/errors';
export type { ErrorCode } from './client/errors';
export type {
  WebSocketLike,
  WebSocketConstructorLike,
  SendData,
  CloseEventLike,
  MessageEventLike,
} from './client/transport';
export type { Environment, EnvironmentSignal } from './client/environment';
export { connect } from './client/connect';
export { HEARTBEAT_TIMEOUT_CODE } from './client/socket';
export type { HoldfastSocket, SendResult } from './client/socket';
export type {
  ConnectOptions,
  UrlProvider,
  ProtocolsProvider,
  AttemptContext,
  BackoffOptions,
  HeartbeatOptions,
  QueueOptions,
} from './client/options';
export type { SocketEvents, DropReason } from './client/events';
export type { State } from './client/state';
export type { Stats } from './client/stats';
export type { OverflowPolicy } from './client/queue';
export type { CloseInfo, ReconnectContext } from './client/reconnect';
export type { Clock } from './client/timers';
