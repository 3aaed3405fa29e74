/**
 * The byte primitives the protocol layer needs: what counts as bytes, and a zero-copy view of
 * them. Pure and platform-free (no Node `Buffer`), so the client, the mini-program adapters and
 * the reference server can all share them; `client/binary.ts` re-exports them publicly.
 */

/** Anything that holds bytes in memory. */
export type BytesLike = ArrayBuffer | ArrayBufferView;

/** `Object.prototype.toString` of a value: realm-independent, e.g. `[object ArrayBuffer]`. */
export const toTag = (value: unknown): string => Object.prototype.toString.call(value);

/**
 * True for an `ArrayBuffer`, including one from another realm (an iframe, a worker, jsdom,
 * uni-app's older JS contexts), where `instanceof ArrayBuffer` would say false.
 */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return toTag(value) === '[object ArrayBuffer]';
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
