/**
 * Base64 (RFC 4648 §4) for Alipay's `isBuffer` frames. Private to the mini-program entry:
 * mini-program engines have no `atob`/`btoa`, and this must not pull Node's `Buffer` in.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes the bytes of `buffer` as padded base64 text. */
export function encodeBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    out += i + 1 < bytes.length ? ALPHABET.charAt((n >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? ALPHABET.charAt(n & 63) : '=';
  }
  return out;
}

/**
 * Decodes base64 text (standard or URL-safe alphabet, padding optional, whitespace ignored).
 * Throws a `SyntaxError` on any other character or an impossible length.
 */
export function decodeBase64(text: string): ArrayBuffer {
  const clean = text.replace(/[\s=]+$/g, '').replace(/\s+/g, '');
  if (clean.length % 4 === 1) throw new SyntaxError('invalid base64 length');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (let i = 0; i < clean.length; i++) {
    const value = sextet(clean.charCodeAt(i));
    if (value < 0) throw new SyntaxError(`invalid base64 character at ${i}`);
    acc = ((acc << 6) | value) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (acc >> bits) & 0xff;
    }
  }
  return bytes.buffer;
}

function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  if (code === 43 || code === 45) return 62; // + or URL-safe -
  if (code === 47 || code === 95) return 63; // / or URL-safe _
  return -1;
}
