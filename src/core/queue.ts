/**
 * The types of the send queue: the bounded FIFO, inside the core socket (`socket.ts`), that holds
 * messages sent while the link is not open.
 */
import type { DropReason } from './events';

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
