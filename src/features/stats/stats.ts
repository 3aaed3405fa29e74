/**
 * `stats()`: counters of what a socket did, as a feature, so that a socket that does not read
 * them does not pay for counting (bytes are measured on every frame).
 */
import { byteLength } from '../../binary/bytes';
import type { DropReason } from '../../core/events';
import type { Feature } from '../../core/feature';
import type { State } from '../../core/state';
import type { SendData } from '../../core/transport';

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
  /** Why the socket last went to `reconnecting`. */
  readonly lastReconnectReason: string | undefined;
  /** Code and reason of the last link that ended. */
  readonly lastCloseCode: number | undefined;
  readonly lastCloseReason: string | undefined;
  /** Last heartbeat round trip in ms. */
  readonly rtt: number | undefined;
  /**
   * What the server made of the heartbeat so far: `'answered'` once a pong came back,
   * `'unanswered'` after a `HEARTBEAT` error (a ping no link of this socket has ever answered),
   * `'unknown'` before either.
   */
  readonly heartbeat: 'unknown' | 'answered' | 'unanswered';
  readonly queue: { readonly length: number; readonly bytes: number };
  /** Frames received and sent (heartbeats included), and their sizes in bytes (UTF-8 for text). */
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Discarded messages, by reason. */
  readonly drops: Readonly<Record<DropReason, number>>;
}

/** What `stats()` adds to the socket. */
export interface StatsMethods {
  /** A snapshot of the counters since `connect()`. */
  stats(): Stats;
}

/** Counts attempts, links, frames, bytes and drops; `socket.stats()` returns a snapshot. */
export function stats(): Feature<StatsMethods> {
  return (host) => {
    const { socket, clock } = host;
    const c = {
      attempts: 0,
      connects: 0,
      lastReconnectReason: undefined as string | undefined,
      lastCloseCode: undefined as number | undefined,
      lastCloseReason: undefined as string | undefined,
      messagesIn: 0,
      messagesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    const drops: Record<DropReason, number> = { overflow: 0, expired: 0, closed: 0 };
    let since = clock.now();
    let heartbeat: Stats['heartbeat'] = 'unknown';
    host.hook({
      attempt() {
        c.attempts++;
      },
      frame(data, outbound) {
        // Data of a kind the socket reports as unsupported is counted as a frame of 0 bytes.
        let size = 0;
        try {
          size = byteLength(data as SendData);
        } catch {
          // Not measurable.
        }
        if (outbound) {
          c.messagesOut++;
          c.bytesOut += size;
        } else {
          c.messagesIn++;
          c.bytesIn += size;
        }
      },
    });
    socket.on('state', ({ to, reason }) => {
      since = clock.now();
      if (to === 'reconnecting') c.lastReconnectReason = reason;
    });
    socket.on('open', () => void c.connects++);
    socket.on('close', ({ code, reason }) => {
      c.lastCloseCode = code;
      c.lastCloseReason = reason;
    });
    socket.on('drop', ({ reason }) => void drops[reason]++);
    socket.on('heartbeat', () => void (heartbeat = 'answered'));
    socket.on('error', ({ code }) => void (code === 'HEARTBEAT' && (heartbeat = 'unanswered')));
    return {
      stats: () => ({
        ...c,
        drops: { ...drops },
        state: socket.state,
        stateSince: since,
        timeInState: clock.now() - since,
        reconnects: Math.max(0, c.connects - 1),
        retries: host.retries,
        rtt: socket.rtt,
        heartbeat,
        queue: { length: socket.queue.length, bytes: socket.queue.bytes },
      }),
    };
  };
}
