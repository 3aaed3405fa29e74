/**
 * The bounded FIFO that holds messages sent while the link is not open.
 */
import { QueueFullError } from '../protocol/errors';
import type { DropReason } from './events';
import type { SendData } from './transport';

/** What to do when a message does not fit. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'throw';

/** Queue limits. `ttl` is optional; without it queued messages never expire. */
export interface QueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly overflow: OverflowPolicy;
  readonly ttl: number | undefined;
}

interface Entry<Tag> {
  readonly data: SendData;
  readonly size: number;
  readonly at: number;
  readonly tag: Tag | undefined;
}

/**
 * Bounded by message count and total bytes. Every message that leaves the queue other than by
 * being sent is reported through `onDrop`; `flush` sends in insertion order.
 *
 * Each entry may carry a `tag` (the socket tags request frames with their request id). The tag
 * travels with that one entry to `onDrop` and `flush`, so an entry is known by identity, never by
 * comparing its data with another message's.
 */
export class SendQueue<Tag = never> {
  #entries: Entry<Tag>[] = [];
  #bytes = 0;
  readonly #limits: QueueLimits;
  readonly #now: () => number;
  readonly #onDrop: (data: SendData, reason: DropReason, tag: Tag | undefined) => void;

  constructor(limits: QueueLimits, now: () => number, onDrop: (data: SendData, reason: DropReason, tag: Tag | undefined) => void) {
    this.#limits = limits;
    this.#now = now;
    this.#onDrop = onDrop;
  }

  /** Number of queued messages. */
  get length(): number {
    return this.#entries.length;
  }

  /** Total size of the queued messages in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues `data` (of `size` bytes), with an optional `tag` for this entry. Returns `'dropped'`
   * when the message itself was discarded (policy `drop-newest`, or it alone exceeds `maxBytes`),
   * after reporting it with its tag; with policy `drop-oldest` older messages are discarded to
   * make room. Throws QueueFullError with policy `throw`, leaving the queue unchanged.
   */
  push(data: SendData, size: number, tag?: Tag): 'queued' | 'dropped' {
    const { maxMessages, maxBytes, overflow } = this.#limits;
    if (!this.#fits(size)) this.#dropExpired();
    if (!this.#fits(size)) {
      if (overflow === 'throw') {
        throw new QueueFullError(`send queue full (${this.#entries.length} messages, ${this.#bytes} bytes)`);
      }
      if (overflow === 'drop-newest' || size > maxBytes || maxMessages < 1) {
        this.#onDrop(data, 'overflow', tag);
        return 'dropped';
      }
      while (!this.#fits(size)) this.#shiftAndDrop('overflow');
    }
    this.#entries.push({ data, size, at: this.#now(), tag });
    this.#bytes += size;
    return 'queued';
  }

  /**
   * Empties the queue in order: expired messages are dropped (reason `expired`), the others are
   * passed to `send` with their tags. Messages queued by a listener during the flush are flushed
   * too.
   */
  flush(send: (data: SendData, size: number, tag: Tag | undefined) => void): void {
    while (this.#entries.length > 0) {
      if (this.#isExpired(this.#entries[0] as Entry<Tag>)) {
        this.#shiftAndDrop('expired');
        continue;
      }
      const entry = this.#shift();
      send(entry.data, entry.size, entry.tag);
    }
  }

  /** Drops every queued message, reporting each with `reason` (and its tag). */
  discard(reason: DropReason): void {
    while (this.#entries.length > 0) this.#shiftAndDrop(reason);
  }

  #fits(size: number): boolean {
    return this.#entries.length < this.#limits.maxMessages && this.#bytes + size <= this.#limits.maxBytes;
  }

  #isExpired(entry: Entry<Tag>): boolean {
    const { ttl } = this.#limits;
    return ttl !== undefined && this.#now() - entry.at >= ttl;
  }

  // Entries are in insertion order, so the expired ones are all at the front.
  #dropExpired(): void {
    while (this.#entries.length > 0 && this.#isExpired(this.#entries[0] as Entry<Tag>)) this.#shiftAndDrop('expired');
  }

  #shift(): Entry<Tag> {
    const entry = this.#entries.shift() as Entry<Tag>;
    this.#bytes -= entry.size;
    return entry;
  }

  #shiftAndDrop(reason: DropReason): void {
    const entry = this.#shift();
    this.#onDrop(entry.data, reason, entry.tag);
  }
}
