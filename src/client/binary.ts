/**
 * Byte helpers for browsers and mini-programs. Every function is pure and stands alone, so a
 * bundler keeps only the ones you import. No Node `Buffer`; `TextEncoder`/`TextDecoder` are
 * used when the platform has them (looked up at call time) and a small UTF-8 codec otherwise,
 * because some mini-program engines ship without them.
 */

/** Anything that holds bytes in memory. */
export type BytesLike = ArrayBuffer | ArrayBufferView;

const toTag = (value: unknown): string => Object.prototype.toString.call(value);

/**
 * True for an `ArrayBuffer`, including one from another realm (an iframe, a worker, jsdom),
 * where `instanceof ArrayBuffer` would say false.
 */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return toTag(value) === '[object ArrayBuffer]';
}

/** True for a `Blob` or `File`, from any realm. Always false where the platform has no Blob. */
export function isBlob(value: unknown): value is Blob {
  const tag = toTag(value);
  return tag === '[object Blob]' || tag === '[object File]';
}

/**
 * A `Uint8Array` over the same memory as `input` (no copy): exactly the bytes a view covers,
 * honouring its `byteOffset` and `byteLength`. A `Uint8Array` from this realm is returned as is.
 * @throws TypeError when `input` is neither an ArrayBuffer nor an ArrayBuffer view.
 */
export function toUint8Array(input: BytesLike): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (isArrayBuffer(input)) return new Uint8Array(input);
  throw new TypeError(`expected an ArrayBuffer or an ArrayBuffer view, got ${toTag(input)}`);
}

/**
 * An `ArrayBuffer` holding exactly the bytes of `input`. An ArrayBuffer is returned as is; a
 * view is always copied (`slice`), so a view with an offset never leaks the rest of its buffer
 * and later writes to the view do not show through.
 * @throws TypeError when `input` is neither an ArrayBuffer nor an ArrayBuffer view.
 */
export function toArrayBuffer(input: BytesLike): ArrayBuffer {
  if (isArrayBuffer(input)) return input;
  const view = toUint8Array(input);
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy.buffer;
}

/**
 * Reads a Blob into an ArrayBuffer with `blob.arrayBuffer()`, or with a `FileReader` on
 * platforms whose Blob lacks that method. Rejects with the reader's error if reading fails.
 */
export function blobToArrayBuffer(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new TypeError('FileReader failed to read the blob'));
    reader.readAsArrayBuffer(blob);
  });
}

/**
 * How many bytes `data` occupies on the wire: the UTF-8 length for a string (counted without
 * encoding it; a lone surrogate counts as the 3-byte U+FFFD it will be sent as), `byteLength`
 * for buffers and views, `size` for a Blob.
 * @throws TypeError for anything else.
 */
export function byteLength(data: string | BytesLike | Blob): number {
  if (typeof data === 'string') return utf8Length(data);
  if (ArrayBuffer.isView(data) || isArrayBuffer(data)) return data.byteLength;
  if (isBlob(data)) return data.size;
  throw new TypeError(`cannot measure ${toTag(data)}`);
}

function utf8Length(text: string): number {
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

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

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
    if (units.length > 8190) text += String.fromCharCode(...units.splice(0));
  }
  return text + String.fromCharCode(...units);
}

/** One fresh `Uint8Array` holding every part's bytes, in order. The parts are not modified. */
export function concatBytes(...parts: BytesLike[]): Uint8Array {
  const views = parts.map(toUint8Array);
  let total = 0;
  for (const view of views) total += view.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const view of views) {
    out.set(view, at);
    at += view.byteLength;
  }
  return out;
}
