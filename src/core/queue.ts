/**
 * The bounded FIFO that holds messages sent while the link is not open.
 */
import { HoldfastError } from '../protocol/errors';
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

/**
 * What became of a message sent with a fate: `'sent'` is reported just before the frame is
 * written (returning `false` then withdraws it: it is neither written nor counted), a drop reason
 * when it was discarded instead. Called exactly once per message (or not at all when withdrawn).
 */
export type Fate = (outcome: 'sent' | DropReason) => boolean | void;

/** The send queue. */
export interface SendQueue {
  /** Number of queued messages. */
  readonly length: number;
  /** Total size of the queued messages in bytes. */
  readonly bytes: number;
  /**
   * Queues `data` (of `size` bytes). Returns `'dropped'` when the message itself was discarded
   * (policy `drop-newest`, or it alone exceeds the limits), after reporting it; with policy
   * `drop-oldest` older messages are discarded to make room. Throws QueueFullError with policy
   * `throw`, leaving the queue unchanged.
   */
  push(data: SendData, size: number, fate?: Fate): 'queued' | 'dropped';
  /**
   * Sends in order while `ready()` holds: expired messages are dropped (reason `expired`), the
   * others go to `write`. Messages queued during the flush are flushed too; when `ready()` turns
   * false (the link went away mid-flush) the rest stays queued, in order.
   */
  flush(ready: () => boolean, write: (data: SendData, size: number, fate?: Fate) => void): void;
  /** Drops every queued message, reporting each with `reason`. */
  discard(reason: DropReason): void;
}

interface Entry {
  readonly d: SendData;
  readonly s: number;
  readonly t: number;
  readonly f: Fate | undefined;
}

/**
 * Bounded by message count and total bytes. Every message that leaves the queue other than by
 * being written is reported through `onDrop` (after its fate, if it has one).
 */
export function createQueue(limits: QueueLimits, now: () => number, onDrop: (data: SendData, reason: DropReason) => void): SendQueue {
  const entries: Entry[] = [];
  let bytes = 0;
  const fits = (size: number): boolean => entries.length < limits.maxMessages && bytes + size <= limits.maxBytes;
  // Without a ttl the comparison with undefined is false: nothing expires.
  const expired = (): boolean => entries.length > 0 && now() - (entries[0] as Entry).t >= (limits.ttl as number);
  const shift = (): Entry => {
    const entry = entries.shift() as Entry;
    bytes -= entry.s;
    return entry;
  };
  const drop = (entry: Pick<Entry, 'd' | 'f'>, reason: DropReason): void => {
    entry.f?.(reason);
    onDrop(entry.d, reason);
  };
  return {
    get length() {
      return entries.length;
    },
    get bytes() {
      return bytes;
    },
    push(data, size, fate) {
      // Entries are in insertion order, so the expired ones are all at the front.
      while (!fits(size) && expired()) drop(shift(), 'expired');
      if (!fits(size)) {
        if (limits.overflow === 'throw') throw new HoldfastError('QUEUE_FULL', 'send queue full');
        if (limits.overflow === 'drop-newest' || size > limits.maxBytes || limits.maxMessages < 1) {
          drop({ d: data, f: fate }, 'overflow');
          return 'dropped';
        }
        while (!fits(size)) drop(shift(), 'overflow');
      }
      entries.push({ d: data, s: size, t: now(), f: fate });
      bytes += size;
      return 'queued';
    },
    flush(ready, write) {
      while (entries.length > 0 && ready()) {
        if (expired()) drop(shift(), 'expired');
        else {
          const entry = shift();
          write(entry.d, entry.s, entry.f);
        }
      }
    },
    discard(reason) {
      while (entries.length > 0) drop(shift(), reason);
    },
  };
}
