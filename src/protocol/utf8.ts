/**
 * UTF-8 for the protocol layer (envelope headers) and, through `client/binary.ts`, the public
 * API. `TextEncoder`/`TextDecoder` are used when the platform has them (looked up at call time)
 * and a small pure codec otherwise, because some mini-program engines ship without them.
 */
import { toUint8Array, type BytesLike } from './bytes.js';

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

const NON_ASCII = /[^\0-\x7f]/;

/**
 * How many bytes `text` takes as UTF-8, counted without encoding it. A lone surrogate counts as
 * the 3-byte U+FFFD it will be encoded as.
 */
export function utf8Length(text: string): number {
  // ASCII (the usual JSON frame) is as long in UTF-8 as in UTF-16: one native regex test instead
  // of a per-character loop on the hot path.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * UTF-8 bytes of `text`. Lone surrogates become U+FFFD (EF BF BD), as with `TextEncoder`.
 * The result is always a fresh `Uint8Array` of this realm.
 */
export function utf8Encode(text: string): Uint8Array {
  if (typeof TextEncoder === 'function') return toUint8Array(new TextEncoder().encode(text));
  const out = new Uint8Array(utf8Length(text));
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && isLowSurrogate(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x80) out[at++] = c;
    else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 63);
      out[at++] = 0x80 | (c & 63);
    } else {
      out[at++] = 0xf0 | (c >> 18);
      out[at++] = 0x80 | ((c >> 12) & 63);
      out[at++] = 0x80 | ((c >> 6) & 63);
      out[at++] = 0x80 | (c & 63);
    }
  }
  return out;
}

/**
 * The text in UTF-8 `bytes`. Never throws on bad input: each invalid sequence becomes one
 * U+FFFD exactly as a non-fatal `TextDecoder` does (WHATWG Encoding, "maximal subpart"), and a
 * leading byte order mark is kept, not stripped.
 */
export function utf8Decode(bytes: BytesLike): string {
  const view = toUint8Array(bytes);
  if (typeof TextDecoder === 'function') return new TextDecoder('utf-8', { ignoreBOM: true }).decode(view);
  const units: number[] = [];
  let text = '';
  let i = 0;
  while (i < view.length) {
    const b = view[i++] as number;
    let code = 0xfffd;
    // Sequence length and the allowed range of the second byte (excludes overlongs and surrogates).
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need === 0) code = b;
    else if (need > 0) {
      const lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      let value = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
      let seen = 0;
      while (seen < need) {
        const next = view[i];
        if (next === undefined || next < (seen === 0 ? lower : 0x80) || next > (seen === 0 ? upper : 0xbf)) break;
        value = (value << 6) | (next & 63);
        i++;
        seen++;
      }
      if (seen === need) code = value;
    }
    if (code > 0xffff) {
      code -= 0x10000;
      units.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
    } else units.push(code);
    // Flush in slices: spreading too many arguments into fromCharCode overflows the stack.
    if (units.length > 8190) text += String.fromCharCode(...units.splice(0));
  }
  return text + String.fromCharCode(...units);
}
