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
export type { HoldfastSocket, SendResult, RequestOptions } from './client/socket';
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
} from './client/api';
export { jsonCodec, createJsonCodec } from './client/codec';
export type { Codec, JsonCodecOptions, Incoming, SingleIncoming, IncomingData, OutgoingMessage } from './client/codec';
export { jsonRpcCodec } from './client/json-rpc';
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
} from './client/binary';
export type { BytesLike } from './client/binary';
export { base64Encode, base64Decode } from './client/base64';
export type { Base64EncodeOptions } from './client/base64';
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
} from './client/options';
export type { SocketEvents, DropReason } from './client/events';
export type { State } from './client/state';
export type { Stats } from './client/stats';
export type { OverflowPolicy } from './client/queue';
export type { CloseInfo, ReconnectContext } from './client/reconnect';
export type { Clock } from './client/timers';
