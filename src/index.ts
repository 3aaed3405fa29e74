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
