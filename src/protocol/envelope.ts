/**
 * The binary envelope: one binary frame carrying a request, response or event together with its
 * binary attachments. Byte layout (docs/protocol.md has a worked example):
 *
 *   0   4 bytes  magic "HFB1" (48 46 42 31)
 *   4   4 bytes  N, the JSON header's byte length, unsigned big-endian
 *   8   N bytes  UTF-8 JSON header: the CONTRACT message plus "attachments": [len0, len1, …]
 *   8+N          the attachments' bytes, concatenated in order, nothing after them
 *
 * Inside the message, each binary value is replaced by a placeholder `{"$binary": i}` that
 * points at attachment `i` ({@link extractBinary} / {@link restoreBinary}). Pure and
 * platform-free: shared by the client and the reference server.
 */
import { classify, safeJsonParse, type EventMessage, type RequestMessage, type ResponseMessage } from './wire.js';
import { isArrayBuffer, toUint8Array, type BytesLike } from './bytes.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/** The message kinds an envelope may carry (heartbeats never need one). */
export type EnvelopeMessage = RequestMessage | ResponseMessage | EventMessage;

/** A decoded envelope. `attachments` are views into the decoded bytes, not copies. */
export interface Envelope {
  message: EnvelopeMessage;
  attachments: Uint8Array[];
}

/** The first four bytes of every envelope: ASCII "HFB1". */
export const ENVELOPE_MAGIC: readonly number[] = [0x48, 0x46, 0x42, 0x31];

/** The key of an attachment placeholder: `{"$binary": <index>}`. */
export const BINARY_KEY = '$binary';

/** How deep {@link extractBinary} and {@link restoreBinary} walk before giving up. */
export const MAX_DEPTH = 256;

const HEADER_OFFSET = 8;

/** Why an envelope was rejected. */
export type EnvelopeErrorReason =
  /** Fewer bytes than the fixed prefix or the header length promise. */
  | 'TRUNCATED'
  /** The attachment lengths do not add up to the bytes after the header. */
  | 'LENGTH_MISMATCH'
  /** The header is not a JSON object with a valid `attachments` array. */
  | 'BAD_HEADER'
  /** The header is JSON but not a request, response or event. */
  | 'NOT_A_MESSAGE'
  /** A `{"$binary": i}` placeholder does not name an attachment. */
  | 'BAD_PLACEHOLDER'
  /** The message nests deeper than {@link MAX_DEPTH}. */
  | 'TOO_DEEP';

/** A frame started with the envelope magic but is not a valid envelope. */
export class EnvelopeError extends Error {
  readonly reason: EnvelopeErrorReason;
  constructor(reason: EnvelopeErrorReason, message: string) {
    super(message);
    this.name = 'EnvelopeError';
    this.reason = reason;
  }
}

/** True when `bytes` starts with the envelope magic (nothing else is checked). */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ENVELOPE_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Writes `message` and `attachments` into one envelope. The message is written as given:
 * placeholders, if any, must already be in it (see {@link extractBinary}).
 * @throws TypeError when the header does not fit the 32-bit length field.
 */
export function encodeEnvelope(message: EnvelopeMessage, attachments: readonly BytesLike[]): Uint8Array {
  const parts = attachments.map(toUint8Array);
  const header = utf8Encode(JSON.stringify({ ...message, attachments: parts.map((p) => p.byteLength) }));
  if (header.byteLength > 0xffffffff) throw new TypeError('envelope header exceeds 4 GiB');
  let total = HEADER_OFFSET + header.byteLength;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  out.set(ENVELOPE_MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, false);
  out.set(header, HEADER_OFFSET);
  let at = HEADER_OFFSET + header.byteLength;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * Reads an envelope. Returns `undefined` when `bytes` does not start with the magic: that is
 * application binary, to be passed through. Placeholders are left in the message (see
 * {@link restoreBinary}); attachments are views into `bytes`.
 * @throws EnvelopeError when the magic is there but the rest is truncated or inconsistent.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | undefined {
  if (!isEnvelope(bytes)) return undefined;
  if (bytes.length < HEADER_OFFSET) throw new EnvelopeError('TRUNCATED', `envelope of ${bytes.length} bytes has no header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, false);
  const bodyStart = HEADER_OFFSET + headerLength;
  if (bodyStart > bytes.length) {
    throw new EnvelopeError('TRUNCATED', `envelope header claims ${headerLength} bytes, ${bytes.length - HEADER_OFFSET} present`);
  }
  const header = safeJsonParse(utf8Decode(bytes.subarray(HEADER_OFFSET, bodyStart)));
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new EnvelopeError('BAD_HEADER', 'envelope header is not a JSON object');
  }
  const lengths = (header as { attachments?: unknown }).attachments;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new EnvelopeError('BAD_HEADER', 'envelope header has no valid "attachments" array of byte lengths');
  }
  const sum = (lengths as number[]).reduce((a, b) => a + b, 0);
  if (bodyStart + sum !== bytes.length) {
    throw new EnvelopeError('LENGTH_MISMATCH', `attachments declare ${sum} bytes, ${bytes.length - bodyStart} follow the header`);
  }
  const decoded = classify(header);
  if (decoded.kind !== 'protocol' || decoded.message.type === 'ping' || decoded.message.type === 'pong') {
    const why = decoded.kind === 'invalid' ? decoded.reason : 'not a request, response or event';
    throw new EnvelopeError('NOT_A_MESSAGE', `envelope header: ${why}`);
  }
  let at = bodyStart;
  const attachments = (lengths as number[]).map((n) => bytes.subarray(at, (at += n)));
  return { message: decoded.message, attachments };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const isBinary = (value: unknown): value is BytesLike => ArrayBuffer.isView(value) || isArrayBuffer(value);

function placeholderIndex(value: Record<string, unknown>): unknown {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === BINARY_KEY ? value[BINARY_KEY] : undefined;
}

/**
 * Copy-on-write walk over arrays and plain objects: `swap` may replace any value; containers
 * whose children did not change are returned as the same object.
 */
function mapDeep(value: unknown, swap: (v: unknown) => unknown, depth: number): unknown {
  const swapped = swap(value);
  if (swapped !== value) return swapped;
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return value;
  if (depth >= MAX_DEPTH) throw new RangeError(`value nests deeper than ${MAX_DEPTH} levels`);
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    const mapped = mapDeep(child, swap, depth + 1);
    if (mapped !== child) {
      copy ??= isArray ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
      (copy as Record<string, unknown>)[key] = mapped;
    }
  }
  return copy ?? value;
}

/**
 * Moves every binary value (ArrayBuffer or any ArrayBuffer view, from any realm) found in
 * arrays and plain objects of `value` into `attachments`, leaving `{"$binary": i}` in its place.
 * `value` is not modified; when it holds no binary it is returned as the same object.
 * @throws TypeError when binary is found next to an object that already looks like a
 * placeholder (it could not be told apart on the other side), or for nesting deeper than
 * {@link MAX_DEPTH} (including cycles).
 */
export function extractBinary<T>(value: T): { value: T; attachments: Uint8Array[] } {
  const attachments: Uint8Array[] = [];
  let lookalike = false;
  let mapped: unknown;
  try {
    mapped = mapDeep(
      value,
      (v) => {
        if (isBinary(v)) return { [BINARY_KEY]: attachments.push(toUint8Array(v)) - 1 };
        if (isPlainObject(v) && placeholderIndex(v) !== undefined) lookalike = true;
        return v;
      },
      0,
    );
  } catch (error) {
    throw new TypeError(`cannot scan the message for binary: ${(error as Error).message}`, { cause: error });
  }
  if (lookalike && attachments.length > 0) {
    throw new TypeError(`an object whose only key is "${BINARY_KEY}" cannot be sent next to binary attachments`);
  }
  return { value: mapped as T, attachments };
}

/**
 * Replaces each placeholder `{"$binary": i}` in `value` with `attachments[i]`. `value` is not
 * modified. An object whose only key is `$binary` is always a placeholder.
 * @throws EnvelopeError (`BAD_PLACEHOLDER`) when its index names no attachment, or
 * (`TOO_DEEP`) for nesting deeper than {@link MAX_DEPTH}.
 */
export function restoreBinary<T>(value: T, attachments: readonly Uint8Array[]): T {
  const swap = (v: unknown): unknown => {
    if (!isPlainObject(v)) return v;
    const index = placeholderIndex(v);
    if (index === undefined) return v;
    const attachment = typeof index === 'number' && Number.isInteger(index) ? attachments[index] : undefined;
    if (!attachment) throw new EnvelopeError('BAD_PLACEHOLDER', `placeholder ${JSON.stringify(v)} names no attachment`);
    return attachment;
  };
  try {
    return mapDeep(value, swap, 0) as T;
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw new EnvelopeError('TOO_DEEP', (error as Error).message);
  }
}
