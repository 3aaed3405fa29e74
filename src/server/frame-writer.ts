import { randomFillSync } from 'node:crypto';
import { MAX_CLOSE_REASON, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { isValidCloseCode } from './validation.js';

/** How `encodeFrame` builds one frame. */
export interface EncodeOptions {
  /** Last frame of its message. Default true. */
  fin?: boolean;
  /** Sets RSV1 (only meaningful once an extension such as permessage-deflate is negotiated). */
  rsv1?: boolean;
  /** Mask the payload, as a client must (RFC 6455 §5.3). Default false: server frames are unmasked. */
  mask?: boolean;
  /** The 4-byte masking key to use when `mask` is set; default: fresh random bytes from node:crypto. */
  maskKey?: Uint8Array;
}

/** Payloads at least this long are XORed 32 bits at a time. */
const WORD_MASK_THRESHOLD = 32;

/** The same bytes as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes `source` XOR `mask` (RFC 6455 §5.3) into `target`, which must be at least as long as
 * `source` and may be the same buffer. Masking and unmasking are the same operation.
 */
export function applyMask(source: Uint8Array, mask: Uint8Array, target: Uint8Array): void {
  const length = source.length;
  const m0 = mask[0] as number;
  const m1 = mask[1] as number;
  const m2 = mask[2] as number;
  const m3 = mask[3] as number;
  let i = 0;
  if (length >= WORD_MASK_THRESHOLD && target.byteOffset % 4 === 0) {
    if (target !== source) target.set(source);
    // A Uint32 view reads in platform byte order; building the key through the same kind
    // of view keeps it correct on big-endian hosts too.
    const key = new Uint32Array(Uint8Array.of(m0, m1, m2, m3).buffer)[0] as number;
    const words = new Uint32Array(target.buffer, target.byteOffset, length >>> 2);
    for (let w = 0; w < words.length; w++) words[w] = (words[w] as number) ^ key;
    i = words.length << 2;
    for (; i < length; i++) target[i] = (target[i] as number) ^ (mask[i & 3] as number);
    return;
  }
  const end4 = length & ~3;
  for (; i < end4; i += 4) {
    target[i] = (source[i] as number) ^ m0;
    target[i + 1] = (source[i + 1] as number) ^ m1;
    target[i + 2] = (source[i + 2] as number) ^ m2;
    target[i + 3] = (source[i + 3] as number) ^ m3;
  }
  for (; i < length; i++) target[i] = (source[i] as number) ^ (mask[i & 3] as number);
}

/**
 * Encodes one frame. Returns the header and the payload separately so an unmasked payload is
 * never copied (the returned payload shares memory with the input). Uses the shortest length
 * form. Throws RangeError for an opcode outside 0–15, a control frame (opcode ≥ 8) that is
 * fragmented or longer than 125 bytes, or a mask key that is not 4 bytes.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeOptions = {}): [header: Buffer, payload: Buffer] {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
    throw new RangeError(`Invalid opcode ${String(opcode)}`);
  }
  const fin = options.fin ?? true;
  const length = payload.length;
  if (opcode >= Opcode.Close && (!fin || length > MAX_CONTROL_PAYLOAD)) {
    throw new RangeError(`Control frame (opcode ${opcode}) must be final and at most ${MAX_CONTROL_PAYLOAD} bytes`);
  }
  let maskKey: Uint8Array | undefined;
  if (options.mask) {
    maskKey = options.maskKey ?? randomFillSync(Buffer.allocUnsafe(4));
    if (maskKey.length !== 4) throw new RangeError('maskKey must be exactly 4 bytes');
  }

  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + lengthBytes + (maskKey ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey ? 0x80 : 0;
  if (lengthBytes === 0) {
    header[1] = maskBit | length;
  } else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (!maskKey) return [header, asBuffer(payload)];

  header.set(maskKey.subarray(0, 4), 2 + lengthBytes);
  const masked = Buffer.allocUnsafe(length);
  applyMask(payload, maskKey, masked);
  return [header, masked];
}

/**
 * Encodes a whole unmasked message as frames of at most `fragmentSize` payload bytes: the first
 * carries `opcode`, the rest are continuations, only the last has FIN. Each array element is
 * one complete frame. Without `fragmentSize` (or for an empty payload) there is a single frame.
 * Throws RangeError if `fragmentSize` is not a positive integer.
 */
export function encodeMessage(opcode: 1 | 2, payload: Uint8Array, fragmentSize?: number): Buffer[] {
  if (opcode !== Opcode.Text && opcode !== Opcode.Binary) {
    throw new RangeError(`encodeMessage needs a data opcode (1 or 2), got ${String(opcode)}`);
  }
  const size = fragmentSize ?? Math.max(payload.length, 1);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`fragmentSize must be a positive integer, got ${String(fragmentSize)}`);
  }
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const end = Math.min(offset + size, payload.length);
    const fin = end === payload.length;
    const [header, body] = encodeFrame(offset === 0 ? opcode : Opcode.Continuation, payload.subarray(offset, end), { fin });
    frames.push(Buffer.concat([header, body], header.length + body.length));
    offset = end;
  } while (offset < payload.length);
  return frames;
}

/**
 * Builds a close frame's payload: empty without a code, else the 2-byte code then the UTF-8
 * reason. Throws RangeError for a code that may not be sent (see isValidCloseCode), a reason
 * without a code, or a reason longer than 123 bytes (it is never truncated silently).
 */
export function encodeClosePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new RangeError('A close reason needs a close code');
    return Buffer.alloc(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`Close code ${code} may not be sent`);
  const reasonLength = Buffer.byteLength(reason, 'utf8');
  if (reasonLength > MAX_CLOSE_REASON) {
    throw new RangeError(`Close reason is ${reasonLength} bytes; the limit is ${MAX_CLOSE_REASON}`);
  }
  const out = Buffer.allocUnsafe(2 + reasonLength);
  out.writeUInt16BE(code, 0);
  out.write(reason, 2, 'utf8');
  return out;
}
