/**
 * The numbers `socket.stats()` reports.
 */
import type { DropReason } from './events';
import type { State } from './state';

/** A snapshot of a socket's counters; later activity does not change it. */
export interface Stats {
  readonly state: State;
  /** `clock.now()` when the current state was entered. */
  readonly stateSince: number;
  /** Milliseconds spent in the current state so far. */
  readonly timeInState: number;
  /** Connection attempts started (each call of the url provider counts). */
  readonly attempts: number;
  /** Times a link opened. */
  readonly connects: number;
  /** Times a link opened again after the first open. */
  readonly reconnects: number;
  /** Consecutive failed attempts: the backoff counter, reset after `minUptime` of a stable link. */
  readonly retries: number;
  /** Why the last reconnection was scheduled. */
  readonly lastReconnectReason: string | undefined;
  /** Code and reason of the last link that ended. */
  readonly lastCloseCode: number | undefined;
  readonly lastCloseReason: string | undefined;
  /** Last heartbeat round trip in ms. */
  readonly rtt: number | undefined;
  readonly queue: { readonly length: number; readonly bytes: number };
  /** Frames received and sent (heartbeats included), and their sizes in bytes. */
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Discarded messages, by reason. */
  readonly drops: Readonly<Record<DropReason, number>>;
}

