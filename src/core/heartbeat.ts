/**
 * The ping/pong watchdog on the CONTRACT's JSON `ping`/`pong` shapes. It only reports: it sends
 * pings through a callback and calls `dead` when the link looks dead; it never closes anything.
 */
import type { Timers } from './timers';

/** The timer slot the heartbeat owns inside the socket's Timers. */
export type HeartbeatSlot = 'heartbeat';

/** What the heartbeat needs from its owner. */
export interface HeartbeatHooks {
  readonly interval: number;
  readonly timeout: number;
  readonly timers: Timers<HeartbeatSlot>;
  now(): number;
  /** Writes `{"type":"ping","ts":ts}` to the link. */
  ping(ts: number): void;
  /** A matching pong arrived after `rtt` ms. */
  rtt(rtt: number): void;
  /** No pong and no other inbound message within `timeout` of a ping. */
  dead(): void;
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
export function createHeartbeat(h: HeartbeatHooks): Heartbeat {
  let sent: number | undefined; // ts of the outstanding ping
  let limit = h.timeout;
  let late: boolean | undefined; // start() resets it
  let lastIn = -Infinity;
  const schedule = (ms: number): void => {
    sent = undefined;
    h.timers.set('heartbeat', ms, () => ping(h.timeout));
  };
  const ping = (timeout: number): void => {
    const ts = h.now();
    sent = ts;
    limit = timeout;
    h.timers.set('heartbeat', timeout, expire);
    h.ping(ts);
  };
  // Keeps the ping cadence at `interval` from the last ping, whatever the answer time was.
  const settle = (ts: number): void => {
    late = false;
    schedule(h.interval - (h.now() - ts));
  };
  const stop = (): void => {
    h.timers.clear('heartbeat');
    sent = undefined;
    late = false;
  };
  const expire = (): void => {
    const ts = sent as number;
    if (lastIn >= ts) settle(ts);
    else if (h.now() - ts > 2 * limit && !late) {
      late = true;
      ping(limit);
    } else {
      stop();
      h.dead();
    }
  };
  return {
    start() {
      stop();
      schedule(h.interval);
    },
    stop,
    seen() {
      lastIn = h.now();
    },
    pong(ts) {
      if (sent !== ts) return false;
      const rtt = Math.max(0, h.now() - ts);
      settle(ts);
      h.rtt(rtt);
      return true;
    },
    check(timeout = h.timeout) {
      if (sent === undefined) ping(timeout);
    },
  };
}
