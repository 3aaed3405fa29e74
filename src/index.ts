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
export type { ErrorCode } from './protocol/errors';
export type {
  WebSocketLike,
  WebSocketConstructorLike,
  SendData,
  CloseEventLike,
  MessageEventLike,
} from './core/transport';
export type { Environment, EnvironmentSignal } from './core/environment';
export { connect } from './core/connect';
export { HEARTBEAT_TIMEOUT_CODE } from './core/socket';
export type { HoldfastSocket, SendResult, RequestOptions } from './core/socket';
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
export { jsonCodec, createJsonCodec } from './codecs/json';
export { envelopeCodec } from './codecs/envelope';
export type { Codec, JsonCodecOptions, Incoming, SingleIncoming, IncomingData, OutgoingMessage } from './codecs/json';
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
export type { BytesLike } from './binary/bytes';
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
  ConnectOptions,
  UrlProvider,
  ProtocolsProvider,
  AttemptContext,
  BackoffOptions,
  HeartbeatOptions,
  QueueOptions,
} from './core/options';
export type { SocketEvents, DropReason } from './core/events';
export type { State } from './core/state';
export type { Stats } from './core/stats';
export type { OverflowPolicy } from './core/queue';
export type { CloseInfo, ReconnectContext } from './core/reconnect';
export type { Clock } from './core/timers';
