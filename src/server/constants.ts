/** RFC 6455 §1.3: appended to Sec-WebSocket-Key before hashing to build Sec-WebSocket-Accept. */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Frame opcodes (RFC 6455 §5.2). Values 0x3–0x7 and 0xB–0xF are reserved. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** Close status codes (RFC 6455 §7.4.1 and the IANA registry). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  Unsupported: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  TooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
} as const;

/** Default limit on one message's payload, summed over its fragments, in bytes. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/**
 * Default limit on the frames one message may span. Generous for real fragmenting clients (a
 * 16 MiB message in 1 KiB frames), while a peer sending endless empty continuations is closed
 * with 1008 after this many.
 */
export const DEFAULT_MAX_FRAGMENTS = 16 * 1024;

/** Default `highWaterMark`: reading from a peer pauses while more than this waits to be sent to it. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Default `maxBufferedBytes`: a data message sent while more than this waits closes the peer with 1013. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * What one queued write costs besides its bytes: Node keeps a request object and the chunk's
 * Buffer for it (~170 bytes measured on Node 20). Counting it makes a flood of tiny frames reach
 * the limits as soon as a few large ones would.
 */
export const WRITE_OVERHEAD = 160;

/** Reading from a peer pauses while this many pongs to it have not left (a ping flood from a peer that does not read). */
export const MAX_PENDING_PONGS = 16;

/** Control frames carry at most 125 payload bytes (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** A close payload is a 2-byte code plus a reason, so the reason gets at most 123 bytes. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;
