/**
 * Base64 (RFC 4648 §4) and base64url (§5) without `btoa`/`atob`, which WeChat mini-programs
 * lack, and without Node's `Buffer`. Shared by the public API and the Alipay adapter's
 * `isBuffer` frames. Pure; nothing is computed at import.
 */
import { toUint8Array, type BytesLike } from './bytes.js';

// Both alphabets: base64url swaps the last two characters for "-" and "_".
const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_';

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
  const url = options?.url;
  let out = '';
  for (let i = 0; i < view.length; i += 3) {
    const n = ((view[i] as number) << 16) | ((view[i + 1] as number) << 8) | (view[i + 2] as number); // undefined is 0
    // 3 bytes make 4 characters; k bytes left make k + 1 characters, then padding.
    for (let j = 0; j < 4; j++) {
      const c = (n >> (18 - 6 * j)) & 63;
      out += j <= view.length - i ? CHARS.charAt(url && c > 61 ? c + 2 : c) : url ? '' : '=';
    }
  }
  return out;
}

/**
 * Decodes base64 or base64url (both alphabets are accepted, even mixed). Padding is optional,
 * but when present it must be correct and last; ASCII whitespace (e.g. MIME line breaks) is
 * ignored. Unused low bits of the last character are ignored, as `atob` does. The result owns
 * its whole buffer (`result.buffer` holds exactly the decoded bytes).
 * @throws TypeError naming the first invalid character and its position, or the bad length.
 */
export function base64Decode(text: string): Uint8Array {
  const out = new Uint8Array((text.length * 3) >>> 2);
  let at = 0;
  let acc = 0;
  let count = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '=') padding++;
    else if (!' \t\n\f\r'.includes(ch)) {
      const v = CHARS.indexOf(ch);
      if (v < 0 || padding) throw new TypeError(`base64: "${ch}" at ${i}`);
      // Every character adds 6 bits; each one after the first of a group of 4 completes a byte.
      acc = ((acc << 6) | (v > 63 ? v - 2 : v)) & 0xfff;
      const slot = count++ & 3;
      if (slot) out[at++] = acc >> (6 - 2 * slot);
    }
  }
  if ((count & 3) === 1) throw new TypeError('base64 length');
  if (padding && padding !== ((4 - (count & 3)) & 3)) throw new TypeError('base64 padding');
  return at === out.length ? out : out.slice(0, at);
}
