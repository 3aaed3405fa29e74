/**
 * UTF-8 for the protocol layer (envelope headers) and, through `binary/bytes.ts`, the public
 * API. `TextEncoder`/`TextDecoder` are used when the platform has them (looked up at call time)
 * and a small pure codec otherwise, because some mini-program engines ship without them.
 */
import { toUint8Array, type BytesLike } from './bytes.js';

/**
 * Calls `fn` with each code point of `text`; a lone surrogate comes out as itself (0xd800 to
 * 0xdfff), which takes 3 bytes like the U+FFFD it is encoded as.
 */
function eachCodePoint(text: string, fn: (c: number) => void): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i) as number;
    if (c > 0xffff) i++;
    fn(c);
  }
}

/**
 * How many bytes `text` takes as UTF-8, counted without encoding it. A lone surrogate counts as
 * the 3-byte U+FFFD it will be encoded as.
 */
export function utf8Length(text: string): number {
  // ASCII (the usual JSON frame) is as long in UTF-8 as in UTF-16: one native regex test instead
  // of a per-character loop on the hot path.
  if (!/[^\0-\x7f]/.test(text)) return text.length;
  let bytes = 0;
  eachCodePoint(text, (c) => (bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4));
  return bytes;
}

/**
 * UTF-8 bytes of `text`. Lone surrogates become U+FFFD (EF BF BD), as with `TextEncoder`.
 * The result is always a fresh `Uint8Array` of this realm.
 */
export function utf8Encode(text: string): Uint8Array {
  if (typeof TextEncoder === 'function') return toUint8Array(new TextEncoder().encode(text));
  const out: number[] = [];
  eachCodePoint(text, (c) => {
    if (c >> 11 === 27) c = 0xfffd; // 0xd800 to 0xdfff: a lone surrogate
    // n continuation bytes, each carrying 6 bits; the lead byte has n + 1 high bits set.
    let n = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    out.push(n ? ((0xff00 >> (n + 1)) & 0xff) | (c >> (6 * n)) : c);
    while (n--) out.push(0x80 | ((c >> (6 * n)) & 63));
  });
  return new Uint8Array(out);
}

/**
 * The text in UTF-8 `bytes`. Never throws on bad input: each invalid sequence becomes one
 * U+FFFD exactly as a non-fatal `TextDecoder` does (WHATWG Encoding, "maximal subpart"), and a
 * leading byte order mark is kept, not stripped.
 */
export function utf8Decode(bytes: BytesLike): string {
  const view = toUint8Array(bytes);
  if (typeof TextDecoder === 'function') return new TextDecoder(undefined, { ignoreBOM: true }).decode(view);
  let text = '';
  for (let i = 0; i < view.length; ) {
    const b = view[i++] as number;
    // Continuation bytes to come; -1 for a byte that cannot start a sequence.
    const need = b < 0x80 ? 0 : b < 0xc2 ? -1 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : b < 0xf5 ? 3 : -1;
    let c = need < 0 ? 0xfffd : need ? b & (0x3f >> need) : b;
    // The second byte's range excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 0; k < need; k++) {
      const next = view[i] as number; // undefined past the end: fails both comparisons
      if (!(next >= (k ? 0x80 : low) && next <= (k ? 0xbf : high))) {
        c = 0xfffd;
        break;
      }
      c = (c << 6) | (next & 63);
      i++;
    }
    text += String.fromCodePoint(c);
  }
  return text;
}
