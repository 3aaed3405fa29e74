/** Fragments shorter than this are copied into a shared block instead of being kept one Buffer each. */
export const SMALL_FRAGMENT = 4 * 1024;
/** Size of the blocks small fragments are copied into. */
export const FRAGMENT_BLOCK = 16 * 1024;

/**
 * Collects the payloads of one fragmented message so that its heap stays close to its payload
 * whatever the fragment sizes. Keeping every fragment as its own Buffer costs ~100 bytes of
 * object per fragment on top of its bytes: a peer sending one-byte continuations would cost the
 * server a hundred times what it sends. Here an empty fragment costs nothing, small ones are
 * copied side by side into 16 KiB blocks, and only fragments of 4 KiB or more are kept as they
 * are (their object is then under 3 % of their size). Every block but the last is more than
 * three quarters full, so `parts` never exceeds
 * `2 * byteLength / SMALL_FRAGMENT + byteLength / (FRAGMENT_BLOCK - SMALL_FRAGMENT) + 1`, and
 * the bytes held are at most 4/3 of `byteLength` plus one block.
 */
export class FragmentBuffer {
  #parts: Buffer[] = [];
  #bytes = 0;
  /** The block small fragments are being copied into, and where its unflushed run starts and ends. */
  #block: Buffer | undefined;
  #runStart = 0;
  #runEnd = 0;

  /** Payload bytes collected so far. */
  get byteLength(): number {
    return this.#bytes;
  }

  /** Buffers held, counting the unflushed run of small fragments as one. */
  get parts(): number {
    return this.#parts.length + (this.#runEnd > this.#runStart ? 1 : 0);
  }

  /** Adds the next fragment's payload. A large payload is kept, not copied: the caller must not reuse it. */
  push(payload: Buffer): void {
    const length = payload.length;
    if (length === 0) return;
    this.#bytes += length;
    if (length >= SMALL_FRAGMENT) {
      this.#flushRun();
      this.#parts.push(payload);
      return;
    }
    if (this.#block === undefined || this.#runEnd + length > this.#block.length) {
      this.#flushRun();
      this.#block = Buffer.allocUnsafe(FRAGMENT_BLOCK);
      this.#runStart = 0;
      this.#runEnd = 0;
    }
    this.#block.set(payload, this.#runEnd);
    this.#runEnd += length;
  }

  /** Returns the whole message and empties the collector (a lone large fragment is returned as it is, uncopied). */
  take(): Buffer {
    this.#flushRun();
    const message = this.#parts.length === 1 && this.#block === undefined ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#bytes);
    this.clear();
    return message;
  }

  /** Drops everything collected. */
  clear(): void {
    this.#parts = [];
    this.#bytes = 0;
    this.#block = undefined;
    this.#runStart = 0;
    this.#runEnd = 0;
  }

  /** Moves the run of small fragments copied so far into the parts, as one view of the block. */
  #flushRun(): void {
    if (this.#block === undefined || this.#runEnd === this.#runStart) return;
    this.#parts.push(this.#block.subarray(this.#runStart, this.#runEnd));
    this.#runStart = this.#runEnd;
  }
}
