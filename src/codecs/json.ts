/**
 * A codec turns outgoing protocol messages into frames and incoming frames into protocol
 * messages, application data or a protocol violation. The socket picks one codec per
 * connection; heartbeats (CONTRACT `ping`/`pong`) are written by the socket itself and every
 * codec recognises them on the way in.
 */
import { decodeText, type EventMessage, type ProtocolMessage, type RequestMessage, type ResponseMessage } from '../protocol/wire.js';
import { decodeEnvelope, encodeEnvelope, extractBinary, MAX_DEPTH, restoreBinary } from '../protocol/envelope.js';
import { isArrayBuffer, toUint8Array } from '../binary/bytes.js';

/** What a codec can send: requests, responses (to server-initiated requests) and events. */
export type OutgoingMessage = RequestMessage | ResponseMessage | EventMessage;

/** What a frame, or one item of a batch, decodes to. */
export type SingleIncoming =
  /** A protocol message. With the JSON codec, binary values in it are already `Uint8Array`s. */
  | { kind: 'protocol'; message: ProtocolMessage; attachments?: Uint8Array[] }
  /** Application data: the socket passes the frame to `message` listeners untouched. */
  | { kind: 'data' }
  /** Claims to be a protocol message but breaks its shape: reported as an `error`, link stays up. */
  | { kind: 'invalid'; reason: string };

/**
 * What one frame decodes to. `batch` (JSON-RPC batches only) holds one item per array element,
 * in order; the socket handles each as if it had arrived in its own frame.
 */
export type Incoming = SingleIncoming | { kind: 'batch'; items: SingleIncoming[] };

/** A frame as the platform delivers it: text, or binary as an ArrayBuffer (or a view, e.g. Node's Buffer). */
export type IncomingData = string | ArrayBuffer | ArrayBufferView;

/**
 * Translates between protocol messages and frames. Implementations must be pure: no state
 * between calls, no I/O.
 */
export interface Codec {
  /** A short name for logs and errors, e.g. `'json'`. */
  readonly name: string;
  /**
   * One frame for `message`: a string goes out as a text frame, bytes as a binary frame.
   * @throws TypeError when the message cannot be represented (a cycle, a BigInt, a shape the
   * format forbids). Nothing is sent then.
   */
  encode(message: OutgoingMessage): string | Uint8Array;
  /** Classifies one incoming frame. Never throws. */
  decode(data: IncomingData): Incoming;
}

/** Options for {@link createJsonCodec}. */
export interface JsonCodecOptions {
  /**
   * Use the binary envelope (docs/protocol.md): binary values in outgoing messages travel as
   * attachments, and binary frames starting with "HFB1" are decoded as envelopes. Set `false`
   * when your application's own binary frames may start with those four bytes: every binary
   * frame is then application data, and sending a message that holds binary throws a TypeError.
   * Default `true`.
   */
  envelope?: boolean;
}

const DATA: SingleIncoming = { kind: 'data' };

/** Rebuilds the CONTRACT shape: drops unknown keys, and sends an `undefined` result as `null`. */
function normalize(message: OutgoingMessage): OutgoingMessage {
  switch (message?.type) {
    case 'request':
      return { type: 'request', id: message.id, method: message.method, params: message.params };
    case 'event':
      return { type: 'event', event: message.event, data: message.data };
    case 'response':
      return 'error' in message && message.error
        ? { type: 'response', id: message.id, error: message.error }
        : { type: 'response', id: message.id, result: 'result' in message && message.result !== undefined ? message.result : null };
    default:
      throw new TypeError('codec can only encode request, response and event messages');
  }
}

/**
 * True when `value` may hold binary: a cheap pre-check, so that messages without binary (almost
 * all) skip the copying walk of `extractBinary`. Nesting past MAX_DEPTH (or a cycle) also answers
 * true, so that `extractBinary` reports it.
 */
function mayHoldBinary(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHoldBinary(value[i], depth + 1)) return true;
    return false;
  }
  // A plain object of this realm cannot be binary: the realm-safe (slower) tag check is only
  // needed for anything else.
  if (Object.getPrototypeOf(value) !== Object.prototype && (ArrayBuffer.isView(value) || isArrayBuffer(value))) return true;
  for (const key in value) {
    if (mayHoldBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * The CONTRACT JSON codec: text frames carry the JSON shapes of CONTRACT.md; a message that
 * holds binary values (ArrayBuffer or any view) is sent as one binary envelope frame, and comes
 * out on the other side with each binary value back in its place as a `Uint8Array`.
 */
export function createJsonCodec(options?: JsonCodecOptions): Codec {
  const envelope = options?.envelope !== false;
  return {
    name: 'json',
    encode(message) {
      const normalized = normalize(message);
      if (!mayHoldBinary(normalized, 0)) return JSON.stringify(normalized);
      const { value, attachments } = extractBinary(normalized);
      if (attachments.length === 0) return JSON.stringify(value);
      if (!envelope) throw new TypeError('message holds binary values but the binary envelope is turned off');
      return encodeEnvelope(value, attachments);
    },
    decode(data) {
      if (typeof data === 'string') return decodeText(data);
      if (!envelope || !(ArrayBuffer.isView(data) || isArrayBuffer(data))) return DATA;
      try {
        const decoded = decodeEnvelope(toUint8Array(data));
        if (!decoded) return DATA;
        const message = restoreBinary(decoded.message, decoded.attachments);
        return { kind: 'protocol', message, attachments: decoded.attachments };
      } catch (error) {
        // Only EnvelopeError is expected here; anything else is still reported, never thrown.
        return { kind: 'invalid', reason: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** The default codec: {@link createJsonCodec} with the binary envelope on. */
export const jsonCodec: Codec = /* #__PURE__ */ createJsonCodec();
