/**
 * Base64 (RFC 4648 §4) and base64url (§5) without `btoa`/`atob`, which WeChat mini-programs
 * lack, and without Node's `Buffer`. Shared by the public API and the Alipay adapter's
 * `isBuffer` frames. Pure; nothing is computed at import.
 */
import { toUint8Array, type BytesLike } from './bytes.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

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
  // base64url differs only in the last two characters; built here so importing costs nothing.
  const chars = url ? ALPHABET.slice(0, 62) + '-_' : ALPHABET;
  const pad = url ? '' : '=';
  let out = '';
  for (let i = 0; i < view.length; i += 3) {
    const left = view.length - i;
    const n = ((view[i] as number) << 16) | ((view[i + 1] ?? 0) << 8) | (view[i + 2] ?? 0);
    out += chars.charAt(n >> 18) + chars.charAt((n >> 12) & 63);
    out += (left > 1 ? chars.charAt((n >> 6) & 63) : pad) + (left > 2 ? chars.charAt(n & 63) : pad);
  }
  return out;
}

/** The 6-bit value of a character of either alphabet, or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43 || c === 45) return 62; // + and base64url -
  if (c === 47 || c === 95) return 63; // / and base64url _
  return -1;
}

const isWhitespace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/**
 * Decodes base64 or base64url (both alphabets are accepted, even mixed). Padding is optional,
 * but when present it must be correct and last; ASCII whitespace (e.g. MIME line breaks) is
 * ignored. Unused low bits of the last character are ignored, as `atob` does. The result owns
 * its whole buffer (`result.buffer` holds exactly the decoded bytes).
 * @throws TypeError naming the first invalid character and its position, or the bad length.
 */
export function base64Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let at = 0;
  let acc = 0;
  let count = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */) padding++;
    else if (!isWhitespace(c)) {
      const v = sextet(c);
      if (v < 0 || padding > 0) {
        const what = v < 0 ? `invalid base64 character ${JSON.stringify(text.charAt(i))}` : "base64 data after '=' padding";
        throw new TypeError(`${what} at position ${i}`);
      }
      // Every character adds 6 bits; each one after the first of a group of 4 completes a byte.
      acc = ((acc << 6) | v) & 0xfff;
      const slot = count++ & 3;
      if (slot > 0) out[at++] = acc >> (6 - 2 * slot);
    }
  }
  if ((count & 3) === 1) throw new TypeError(`invalid base64 length: ${count} characters cannot encode whole bytes`);
  if (padding > 0 && padding !== ((4 - (count & 3)) & 3)) throw new TypeError('invalid base64 padding');
  return at === out.length ? out : out.slice(0, at);
}
