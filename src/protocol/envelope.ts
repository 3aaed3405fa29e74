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
import { classify, isRecord, safeJsonParse, type EventMessage, type RequestMessage, type ResponseMessage } from './wire.js';
import { concatBytes, isBinary, toUint8Array, type BytesLike } from './bytes.js';
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

/**
 * A frame started with the envelope magic but is not a valid envelope. `reason` says why; the
 * message is `envelope <reason>: <detail>`.
 */
export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeErrorReason,
    detail: unknown,
  ) {
    super(`envelope ${reason}: ${detail}`);
    this.name = 'EnvelopeError';
  }
}

const fail = (reason: EnvelopeErrorReason, detail: unknown): never => {
  throw new EnvelopeError(reason, detail);
};

/** True when `bytes` starts with the envelope magic (nothing else is checked). */
export const isEnvelope = (bytes: Uint8Array): boolean => bytes.length > 3 && ENVELOPE_MAGIC.every((b, i) => bytes[i] === b);

/**
 * Writes `message` and `attachments` into one envelope. The message is written as given:
 * placeholders, if any, must already be in it (see {@link extractBinary}).
 */
export function encodeEnvelope(message: EnvelopeMessage, attachments: readonly BytesLike[]): Uint8Array {
  const parts = attachments.map(toUint8Array);
  const header = utf8Encode(JSON.stringify({ ...message, attachments: parts.map((p) => p.length) }));
  const n = header.length;
  // Uint8Array.of keeps the low 8 bits of each value: the length comes out big-endian.
  return concatBytes(Uint8Array.of(...ENVELOPE_MAGIC, n >>> 24, n >> 16, n >> 8, n), header, ...parts);
}

/**
 * Reads an envelope. Returns `undefined` when `bytes` does not start with the magic: that is
 * application binary, to be passed through. Placeholders are left in the message (see
 * {@link restoreBinary}); attachments are views into `bytes`.
 * @throws EnvelopeError when the magic is there but the rest is truncated or inconsistent.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | undefined {
  if (!isEnvelope(bytes)) return undefined;
  const size = bytes.length;
  if (size < 8) fail('TRUNCATED', size);
  // The header length: 32 bits, big-endian (>>> 0 keeps it unsigned).
  let at = 8 + ((((bytes[4] as number) << 24) | ((bytes[5] as number) << 16) | ((bytes[6] as number) << 8) | (bytes[7] as number)) >>> 0);
  if (at > size) fail('TRUNCATED', at);
  const header = safeJsonParse(utf8Decode(bytes.subarray(8, at)));
  const lengths = isRecord(header) && header.attachments;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)) return fail('BAD_HEADER', 'attachments');
  const sum = (lengths as number[]).reduce((a, b) => a + b, at);
  if (sum !== size) fail('LENGTH_MISMATCH', `${sum - at} declared, ${size - at} present`);
  const decoded = classify(header);
  if (decoded.kind !== 'protocol') return fail('NOT_A_MESSAGE', decoded.kind === 'invalid' ? decoded.reason : 'type');
  const { message } = decoded;
  // Heartbeats (the only messages with a `ts`) never travel in an envelope.
  if ('ts' in message) return fail('NOT_A_MESSAGE', message.type);
  return { message, attachments: (lengths as number[]).map((n) => bytes.subarray(at, (at += n))) };
}

/** An object of this realm made by a literal, `Object.create(null)` or JSON.parse. */
const isPlain = (value: unknown): value is Record<string, unknown> => {
  // A primitive's prototype is Number.prototype, String.prototype, …: not plain.
  const proto: unknown = value != null && Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** `{"$binary": …}`: an object whose only key is `$binary` is always a placeholder. */
const isPlaceholder = (value: unknown): value is Record<string, unknown> => {
  const keys = isPlain(value) && Object.keys(value);
  return !!keys && keys.length === 1 && keys[0] === BINARY_KEY;
};

/**
 * True when `value` holds binary where {@link extractBinary} looks: anywhere in its arrays and
 * plain objects. A walk without copies, so that messages without binary (almost all) skip the
 * copying walk of `extractBinary`.
 * @throws TypeError for nesting deeper than {@link MAX_DEPTH} (also a cycle).
 */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_DEPTH) tooDeep();
  // for-of, not for-in, over arrays: many times faster.
  // Primitives are skipped before the call: most values of a message are.
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null && hasBinary(item, depth + 1)) return true;
    return false;
  }
  // The realm-safe (slower) tag check only runs for what is neither an array nor plain.
  if (!isPlain(value)) return isBinary(value);
  for (const key in value) {
    const item = value[key];
    if (typeof item === 'object' && item !== null && hasBinary(item, depth + 1)) return true;
  }
  return false;
}

const tooDeep = (): never => {
  throw new TypeError('depth > ' + MAX_DEPTH);
};

/**
 * Copy-on-write walk over arrays and plain objects: `swap` may replace any value; containers
 * whose children did not change are returned as the same object. `deep` throws at MAX_DEPTH.
 */
function mapDeep(value: unknown, swap: (v: unknown) => unknown, deep: () => never, depth = 0): unknown {
  const swapped = swap(value);
  if (swapped !== value || !(Array.isArray(value) || isPlain(value))) return swapped;
  if (depth >= MAX_DEPTH) deep();
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    const mapped = mapDeep(child, swap, deep, depth + 1);
    if (mapped !== child) (copy ??= (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>)[key] = mapped;
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
  const mapped = mapDeep(
    value,
    (v) => {
      if (isBinary(v)) return { [BINARY_KEY]: attachments.push(toUint8Array(v)) - 1 };
      lookalike ||= isPlaceholder(v);
      return v;
    },
    tooDeep,
  );
  if (lookalike && attachments.length) throw new TypeError(BINARY_KEY + ' key next to binary');
  return { value: mapped as T, attachments };
}

/**
 * Replaces each placeholder `{"$binary": i}` in `value` with `attachments[i]`. `value` is not
 * modified. An object whose only key is `$binary` is always a placeholder.
 * @throws EnvelopeError (`BAD_PLACEHOLDER`) when its index names no attachment, or
 * (`TOO_DEEP`) for nesting deeper than {@link MAX_DEPTH}.
 */
export const restoreBinary = <T>(value: T, attachments: readonly Uint8Array[]): T =>
  mapDeep(
    value,
    (v) => {
      if (!isPlaceholder(v)) return v;
      const index = v[BINARY_KEY];
      return (Number.isInteger(index) && attachments[index as number]) || fail('BAD_PLACEHOLDER', index);
    },
    () => fail('TOO_DEEP', MAX_DEPTH),
  ) as T;
