/**
 * Byte helpers for browsers and mini-programs. Every function is pure and stands alone, so a
 * bundler keeps only the ones you import. No Node `Buffer`. The primitives and the UTF-8 codec
 * live in `protocol/` (the envelope needs them and must not depend on the client); they are
 * re-exported here so the public API has one home.
 */
import { isArrayBuffer, isBinary, toTag, toUint8Array, type BytesLike, type PlatformBlob } from '../protocol/bytes.js';
import { utf8Length } from '../protocol/utf8.js';

export { concatBytes, isArrayBuffer, isBinary, toUint8Array, type BytesLike, type BlobLike, type PlatformBlob, type AbortSignalLike, type PlatformAbortSignal } from '../protocol/bytes.js';
export { utf8Decode, utf8Encode } from '../protocol/utf8.js';

/** True for a `Blob` or `File`, from any realm. Always false where the platform has no Blob. */
export const isBlob = (value: unknown): value is PlatformBlob => /^\[object (Blob|File)]$/.test(toTag(value));

/**
 * An `ArrayBuffer` holding exactly the bytes of `input`. An ArrayBuffer is returned as is; a
 * view is always copied, so a view with an offset never leaks the rest of its buffer and later
 * writes to the view do not show through.
 * @throws TypeError when `input` is neither an ArrayBuffer nor an ArrayBuffer view.
 */
export const toArrayBuffer = (input: BytesLike): ArrayBuffer =>
  // new Uint8Array(view) copies; `slice` would not on a Node Buffer.
  isArrayBuffer(input) ? input : (new Uint8Array(toUint8Array(input)).buffer as ArrayBuffer);

/**
 * Reads a Blob into an ArrayBuffer with `blob.arrayBuffer()`, or with a `FileReader` on
 * platforms whose Blob lacks that method. Rejects with the reader's error if reading fails.
 */
export function blobToArrayBuffer(blob: PlatformBlob): Promise<ArrayBuffer> {
  return blob.arrayBuffer
    ? blob.arrayBuffer()
    : new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as ArrayBuffer);
        reader.onerror = () => reject(reader.error);
        reader.readAsArrayBuffer(blob);
      });
}

/**
 * How many bytes `data` occupies on the wire: the UTF-8 length for a string (counted without
 * encoding it; a lone surrogate counts as the 3-byte U+FFFD it will be sent as), `byteLength`
 * for buffers and views, `size` for a Blob.
 * @throws TypeError for anything else.
 */
export function byteLength(data: string | BytesLike | PlatformBlob): number {
  if (typeof data === 'string') return utf8Length(data);
  if (isBinary(data)) return data.byteLength;
  if (isBlob(data)) return data.size;
  throw new TypeError('cannot measure ' + toTag(data));
}
