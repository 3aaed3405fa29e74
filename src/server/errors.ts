/** Stable codes for every way a peer's byte stream can break RFC 6455. */
export type ProtocolErrorCode =
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_CONTROL_TOO_BIG'
  | 'WS_ERR_FRAGMENTED_CONTROL'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_INVALID_LENGTH'
  | 'WS_ERR_TOO_BIG'
  | 'WS_ERR_TOO_MANY_FRAGMENTS'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD';

/**
 * The close code a protocol violation is answered with: 1002 protocol error, 1007 invalid
 * payload, 1008 policy violation (a limit of ours, such as `maxFragments`), 1009 too big.
 */
export type ProtocolCloseCode = 1002 | 1007 | 1008 | 1009;

/**
 * A peer broke the WebSocket protocol. The parser or validator reports it; the connection
 * decides what to do, normally closing with `closeCode`.
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly closeCode: ProtocolCloseCode;

  constructor(code: ProtocolErrorCode, closeCode: ProtocolCloseCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.closeCode = closeCode;
  }
}

/**
 * An upgrade request was refused. Carries the HTTP `status` to answer with and any extra
 * response `headers` (e.g. `Allow: GET` for 405, `Sec-WebSocket-Version: 13` for 426).
 */
export class HandshakeError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HandshakeError';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * An error meant for the client: thrown (or rejected with) by a request handler, it is answered
 * with its own `code`, `message` and `data` (`{"type":"response","id":…,"error":{…}}`), which the
 * client's `request()` rejects with as a RemoteError (`remoteCode`, `message`, `data`). Any other
 * exception is answered with the code `INTERNAL` and a generic message, so that internals never
 * reach the client.
 */
export class ResponseError extends Error {
  /** The error code the client gets (its RemoteError's `remoteCode`). */
  readonly code: string | number;
  /** Extra data the client gets, if any (must be JSON, or hold bytes for an envelope). */
  readonly data: unknown;

  constructor(code: string | number, message: string, data?: unknown) {
    super(message);
    if (typeof code !== 'string' && typeof code !== 'number') throw new TypeError('ResponseError needs a string or number code');
    this.name = 'ResponseError';
    this.code = code;
    this.data = data;
  }
}
