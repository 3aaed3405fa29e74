/**
 * Base64 (RFC 4648 §4) and base64url (§5) without `btoa`/`atob`, which WeChat mini-programs
 * lack, and without Node's `Buffer`. Pure; the decode table is built on first use, not at import.
 */
import { toUint8Array, type BytesLike } from './binary.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Options for {@link base64Encode}. */
export interface Base64EncodeOptions {
  /** Use the URL-safe alphabet (`-` and `_`) and drop the `=` padding (RFC 4648 §5). Default false. */
  url?: boolean;
}

/**
 * Encodes bytes as base64 with `=` padding, or as unpadded base64url with `{ url: true }`.
 * The output decodes back to the same bytes with {@link base64Decode}.
 */
export function base64Encode(bytes: BytesLike, options?: Base64EncodeOptions): string {
  const view = toUint8Array(bytes);
  const url = options?.url === true;
  const chars = url ? URL_ALPHABET : ALPHABET;
  let out = '';
  let i = 0;
  for (; i + 2 < view.length; i += 3) {
    const n = ((view[i] as number) << 16) | ((view[i + 1] as number) << 8) | (view[i + 2] as number);
    out += chars.charAt(n >> 18) + chars.charAt((n >> 12) & 63) + chars.charAt((n >> 6) & 63) + chars.charAt(n & 63);
  }
  const rest = view.length - i;
  if (rest > 0) {
    const n = ((view[i] as number) << 16) | (rest === 2 ? (view[i + 1] as number) << 8 : 0);
    out += chars.charAt(n >> 18) + chars.charAt((n >> 12) & 63);
    if (rest === 2) out += chars.charAt((n >> 6) & 63);
    if (!url) out += rest === 2 ? '=' : '==';
  }
  return out;
}

let table: Int8Array | undefined;

function decodeTable(): Int8Array {
  if (table) return table;
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) {
    t[ALPHABET.charCodeAt(i)] = i;
    t[URL_ALPHABET.charCodeAt(i)] = i;
  }
  table = t;
  return t;
}

const isWhitespace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/**
 * Decodes base64 or base64url (both alphabets are accepted, even mixed). Padding is optional,
 * but when present it must be correct and last; ASCII whitespace (e.g. MIME line breaks) is
 * ignored. Unused low bits of the last character are ignored, as `atob` does.
 * @throws TypeError naming the first invalid character and its position, or the bad length.
 */
export function base64Decode(text: string): Uint8Array {
  const t = decodeTable();
  const values = new Uint8Array(text.length);
  let count = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) continue;
    if (c === 61 /* = */) {
      padding++;
      continue;
    }
    const v = c < 128 ? (t[c] as number) : -1;
    if (v < 0 || padding > 0) {
      const what = v < 0 ? `invalid base64 character ${JSON.stringify(text.charAt(i))}` : "base64 data after '=' padding";
      throw new TypeError(`${what} at position ${i}`);
    }
    values[count++] = v;
  }
  if (count % 4 === 1) throw new TypeError(`invalid base64 length: ${count} characters cannot encode whole bytes`);
  if (padding > 0 && padding !== (4 - (count % 4)) % 4) throw new TypeError('invalid base64 padding');
  const out = new Uint8Array(Math.floor((count * 3) / 4));
  let at = 0;
  for (let i = 0; i < count; i += 4) {
    const n =
      ((values[i] as number) << 18) | ((values[i + 1] as number) << 12) | ((values[i + 2] ?? 0) << 6) | (values[i + 3] ?? 0);
    out[at++] = n >> 16;
    if (at < out.length) out[at++] = (n >> 8) & 255;
    if (at < out.length) out[at++] = n & 255;
  }
  return out;
}
