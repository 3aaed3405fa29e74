/**
 * Test-side frame builders, written independently of src/server/frame-writer.ts so that parser
 * tests do not trust the code they are checking against.
 */

/** Bytes from a hex string; spaces, newlines and `_` are ignored ("81 85 37fa213d"). */
export function hex(text: string): Buffer {
  const clean = text.replace(/[\s_]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`Bad hex literal: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** Lowercase hex with no separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export interface ClientFrameOptions {
  fin?: boolean;
  /** RSV bits as a 3-bit mask: 0x4 RSV1, 0x2 RSV2, 0x1 RSV3. */
  rsv?: number;
  /** Masking key; default 4 fixed bytes. `null` sends the frame unmasked (as a server would). */
  maskKey?: Uint8Array | null;
  /** Force a length encoding, e.g. a non-minimal 64-bit length for a short payload. */
  lengthForm?: 7 | 16 | 64;
  /** Write this value in the length field instead of the real payload length. */
  declaredLength?: bigint;
}

const DEFAULT_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** One frame as a browser client would send it: masked, with the payload XORed byte by byte. */
export function clientFrame(opcode: number, payload: Uint8Array | string, options: ClientFrameOptions = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const key = options.maskKey === undefined ? DEFAULT_KEY : options.maskKey;
  const declared = options.declaredLength ?? BigInt(body.length);
  const form = options.lengthForm ?? (declared < 126n ? 7 : declared < 65536n ? 16 : 64);

  const bytes: number[] = [((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  const maskBit = key ? 0x80 : 0;
  if (form === 7) {
    bytes.push(maskBit | Number(declared));
  } else if (form === 16) {
    bytes.push(maskBit | 126, Number(declared >> 8n) & 0xff, Number(declared) & 0xff);
  } else {
    bytes.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) bytes.push(Number((declared >> shift) & 0xffn));
  }
  if (key) bytes.push(...key);

  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = (body[i] as number) ^ (key ? (key[i % 4] as number) : 0);
  return Buffer.concat([Buffer.from(bytes), masked]);
}

/** Splits `bytes` into pieces at the given offsets (sorted, deduplicated, clamped). */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

/** Every single byte of `bytes` as its own chunk. */
export function byteByByte(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (b) => Buffer.of(b));
}
