/**
 * The ping/pong watchdog on the CONTRACT's JSON `ping`/`pong` shapes. It only reports: it sends
 * pings through a callback and calls `dead` when the link looks dead; it never closes anything.
 */
import type { Timers } from './timers';

/** The timer slot the heartbeat owns inside the socket's Timers. */
export type HeartbeatSlot = 'heartbeat';

/** Heartbeat timing: the CONTRACT's `interval` and `timeout`, in ms. */
export interface HeartbeatTiming {
  readonly interval: number;
  readonly timeout: number;
}

/** The watchdog of one socket; `start` on every opened link, `stop` when it goes away. */
export interface Heartbeat {
  /** Begins the cycle on a freshly opened link. */
  start(): void;
  /** Cancels the timer and forgets the outstanding ping. */
  stop(): void;
  /** Something arrived: every inbound message proves the link is alive. */
  seen(): void;
  /** A pong arrived; returns true when it answered the outstanding ping. */
  pong(ts: number): boolean;
  /** Checks liveness now (the page became visible again): pings at once unless a ping is outstanding. */
  check(timeout?: number): void;
}

/**
 * Sends a ping `interval` ms after the link opened and after each answered ping, and declares the
 * link dead when neither the matching pong nor any other message arrives within `timeout`: a
 * half-open link is detected within `interval + timeout`. Waiting for the next ping and waiting
 * for a pong never overlap, so one timer slot is enough.
 *
 * Decisions use timestamps, not the assumption that timers fire on time. Background tabs and
 * sleeping machines fire timers late; a timeout timer that fires more than twice its timeout after
 * the ping sends one fresh ping instead of declaring the link dead, because the pong may simply
 * not have had a chance to arrive while the machine was asleep.
 */
export function createHeartbeat(
  timing: HeartbeatTiming,
  timers: Timers<HeartbeatSlot>,
  now: () => number,
  /** Writes `{"type":"ping","ts":ts}` to the link. */
  send: (ts: number) => void,
  /** A matching pong arrived after `rtt` ms. */
  rtt: (rtt: number) => void,
  /** No pong and no other inbound message within `timeout` of a ping. */
  dead: () => void,
): Heartbeat {
  // Positional parameters and locals rather than a hooks object: their names minify away.
  const { interval, timeout } = timing;
  let sent: number | undefined; // ts of the outstanding ping
  let limit = timeout;
  let late: boolean | undefined; // start() resets it
  let lastIn = -Infinity;
  const schedule = (ms: number): void => {
    sent = undefined;
    timers.set('heartbeat', ms, () => ping(timeout));
  };
  const ping = (ms: number): void => {
    const ts = now();
    sent = ts;
    limit = ms;
    timers.set('heartbeat', ms, expire);
    send(ts);
  };
  // Keeps the ping cadence at `interval` from the last ping, whatever the answer time was.
  const settle = (ts: number): void => {
    late = false;
    schedule(interval - (now() - ts));
  };
  const stop = (): void => {
    timers.clear('heartbeat');
    sent = undefined;
    late = false;
  };
  const expire = (): void => {
    const ts = sent as number;
    if (lastIn >= ts) settle(ts);
    else if (now() - ts > 2 * limit && !late) {
      late = true;
      ping(limit);
    } else {
      stop();
      dead();
    }
  };
  return {
    start() {
      stop();
      schedule(interval);
    },
    stop,
    seen() {
      lastIn = now();
    },
    pong(ts) {
      if (sent !== ts) return false;
      const ms = Math.max(0, now() - ts);
      settle(ts);
      rtt(ms);
      return true;
    },
    check(ms = timeout) {
      if (sent === undefined) ping(ms);
    },
  };
}
