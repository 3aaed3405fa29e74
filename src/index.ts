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
} from './protocol/errors';
export type { ErrorCode, ErrorContext } from './protocol/errors';
export type {
  WebSocketLike,
  WebSocketConstructorLike,
  SendData,
  CloseEventLike,
  MessageEventLike,
} from './core/transport';
export type { Environment, EnvironmentSignal } from './core/environment';
export { browserEnvironment } from './core/browser-environment';
export type { BrowserGlobals } from './core/browser-environment';
export { connect } from './core/connect';
export { opened } from './core/opened';
export { once } from './core/once';
export type { HoldfastSocket, ConnectOptions, MessageData } from './core/connect';
export { HEARTBEAT_TIMEOUT_CODE } from './core/socket';
export type { CoreSocket, SendResult } from './core/socket';
export { drain } from './features/drain/drain';
export type { Drain, CloseOptions } from './features/drain/drain';
export { maxMessageSize } from './features/limit/limit';
export { retryAfter } from './features/retry-after/retry-after';
export type { Feature, FeatureHost, FeatureHooks, FeatureMethods } from './core/feature';
export type { Fate } from './core/queue';
export { rpc } from './features/rpc/rpc';
export type { Rpc, RpcOptions, RequestOptions } from './features/rpc/rpc';
export type {
  DefaultApi,
  MethodSpec,
  MethodName,
  ParamsOf,
  ResultOf,
  ParamsArgs,
  EventName,
  EventData,
  EventListener,
  EmitName,
  EmitData,
  EmitArgs,
  HandlerName,
  HandlerParams,
  HandlerResult,
  Handler,
  HandlerContext,
} from './features/rpc/api';
export { jsonCodec } from './codecs/json';
export { envelopeCodec } from './codecs/envelope';
export type { Codec, Incoming, SingleIncoming, IncomingData, OutgoingMessage } from './codecs/json';
export { jsonRpcCodec } from './codecs/json-rpc';
export {
  toUint8Array,
  toArrayBuffer,
  blobToArrayBuffer,
  byteLength,
  utf8Encode,
  utf8Decode,
  concatBytes,
  isArrayBuffer,
  isBlob,
} from './binary/bytes';
export type { BytesLike, BlobLike, PlatformBlob, AbortSignalLike, PlatformAbortSignal } from './binary/bytes';
export { base64Encode, base64Decode } from './binary/base64';
export type { Base64EncodeOptions } from './binary/base64';
export { encodeEnvelope, decodeEnvelope, isEnvelope, extractBinary, restoreBinary, EnvelopeError } from './protocol/envelope';
export type { Envelope, EnvelopeMessage, EnvelopeErrorReason } from './protocol/envelope';
export type {
  Id,
  ProtocolMessage,
  RequestMessage,
  ResponseMessage,
  ResponseSuccess,
  ResponseFailure,
  EventMessage,
  ErrorPayload,
} from './protocol/wire';
export type {
  CoreOptions,
  BinaryType,
  UrlProvider,
  ProtocolsProvider,
  AttemptContext,
  BackoffOptions,
  HeartbeatOptions,
  QueueOptions,
} from './core/options';
export type { SocketEvents, DropReason } from './core/events';
export type { State } from './core/state';
export { session } from './features/session/session';
export type { Session, SessionOptions, SessionEvent, SessionInfo, SessionReason, SessionState } from './features/session/session';
export { browserStorage, miniProgramStorage, keyValueStorage } from './features/session/storage';
export type { SessionStorage, SessionPersistence, StoredState, MiniProgramStorageApi } from './features/session/storage';
export { HoldfastWebSocket } from './websocket/websocket';
export type { ListenerOptions } from './websocket/websocket';
export type {
  HoldfastWebSocketOptions,
  HoldfastWebSocketEventMap,
  ReconnectMode,
  EventLike,
  CloseEventFields,
  PlatformEvent,
  PlatformMessageEvent,
  PlatformCloseEvent,
  WebSocketErrorEvent,
} from './websocket/types';
export { stats } from './features/stats/stats';
export type { Stats, StatsMethods } from './features/stats/stats';
export { shared, SHARED_VERSION, SHARED_TICK } from './features/shared/shared';
export type { Shared, SharedOptions, LockManagerLike, BroadcastChannelLike } from './features/shared/shared';
export type { OverflowPolicy } from './core/queue';
export type { CloseInfo, ReconnectContext } from './core/reconnect';
export type { Clock } from './core/timers';
