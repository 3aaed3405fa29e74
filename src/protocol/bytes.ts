/**
 * The byte primitives the protocol layer needs: what counts as bytes, a zero-copy view of them
 * and joining them. Pure and platform-free (no Node `Buffer`), so the client, the mini-program
 * adapters and the reference server can all share them; `binary/bytes.ts` re-exports them.
 */

/** Anything that holds bytes in memory. */
export type BytesLike = ArrayBuffer | ArrayBufferView;

/** The part of a Blob holdfast relies on, for platforms whose typings have none (mini-programs). */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The platform's `Blob` where its typings declare one (the DOM lib, `@types/node`), otherwise
 * {@link BlobLike}: holdfast's declarations compile without the DOM lib.
 */
export type PlatformBlob = typeof globalThis extends { Blob: { prototype: infer B } } ? B : BlobLike;

/** The part of an AbortSignal holdfast relies on, for platforms whose typings have none. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The platform's `AbortSignal` where its typings declare one, otherwise {@link AbortSignalLike}. */
export type PlatformAbortSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalLike;

/** `Object.prototype.toString` of a value: realm-independent, e.g. `[object ArrayBuffer]`. */
export const toTag = (value: unknown): string => Object.prototype.toString.call(value);

/**
 * True for an `ArrayBuffer`, including one from another realm (an iframe, a worker, jsdom,
 * uni-app's older JS contexts), where `instanceof ArrayBuffer` would say false.
 */
export const isArrayBuffer = (value: unknown): value is ArrayBuffer => toTag(value) === '[object ArrayBuffer]';

/** True for an ArrayBuffer or any ArrayBuffer view (typed array, DataView, Node Buffer), from any realm. */
export const isBinary = (value: unknown): value is BytesLike => ArrayBuffer.isView(value) || isArrayBuffer(value);

/**
 * A `Uint8Array` over the same memory as `input` (no copy): exactly the bytes a view covers,
 * honouring its `byteOffset` and `byteLength`. A `Uint8Array` from this realm is returned as is.
 * @throws TypeError when `input` is neither an ArrayBuffer nor an ArrayBuffer view.
 */
export function toUint8Array(input: BytesLike): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (isArrayBuffer(input)) return new Uint8Array(input);
  throw new TypeError('not an ArrayBuffer or view: ' + toTag(input));
}

/** One fresh `Uint8Array` holding every part's bytes, in order. The parts are not modified. */
export function concatBytes(...parts: BytesLike[]): Uint8Array {
  const views = parts.map(toUint8Array);
  const out = new Uint8Array(views.reduce((n, view) => n + view.length, 0));
  let at = 0;
  for (const view of views) {
    out.set(view, at);
    at += view.length;
  }
  return out;
}
