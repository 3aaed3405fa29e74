/**
 * A codec turns outgoing protocol messages into frames and incoming frames into protocol
 * messages, application data or a protocol violation. The socket picks one codec per
 * connection; heartbeats (CONTRACT `ping`/`pong`) are written by the socket itself and every
 * codec recognises them on the way in. This file holds the types and what the built-in codecs
 * share.
 */
import type { ErrorPayload, EventMessage, Id, ProtocolMessage, RequestMessage, ResponseMessage } from '../protocol/wire.js';

/** What a codec can send: requests, responses (to server-initiated requests) and events. */
export type OutgoingMessage = RequestMessage | ResponseMessage | EventMessage;

/** What a frame, or one item of a batch, decodes to. */
export type SingleIncoming =
  /** A protocol message. With the envelope codec, binary values in it are already `Uint8Array`s. */
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

/** Every member any outgoing message may have. */
type Loose = { type: string; id: Id; method: string; params?: unknown; event: string; data?: unknown; error?: ErrorPayload; result?: unknown };

/**
 * Rebuilds the CONTRACT shape: drops unknown keys (also in `error`), and sends an `undefined`
 * result as `null`.
 * @throws TypeError for anything but a request, response or event.
 */
export function normalize(message: OutgoingMessage): OutgoingMessage {
  const m = message as unknown as Loose; // null throws a TypeError here
  const type = m.type;
  // Reads only the members of its own type: looking up absent ones is what costs on this hot path.
  if (type === 'request') return { type, id: m.id, method: m.method, params: m.params };
  if (type === 'event') return { type, event: m.event, data: m.data };
  if (type === 'response') {
    const error = m.error;
    return error ? { type, id: m.id, error: { code: error.code, message: error.message, data: error.data } } : { type, id: m.id, result: m.result ?? null };
  }
  throw new TypeError('cannot encode ' + type);
}
