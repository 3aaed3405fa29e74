/**
 * The ping/pong watchdog on the CONTRACT's JSON `ping`/`pong` shapes. It only reports: it sends
 * pings through a callback and calls `onDead` when the link looks dead; it never closes anything.
 */
import type { TimerSlots } from './timers';

/** Timer slots the heartbeat owns inside the socket's Timers. */
export type HeartbeatSlot = 'heartbeat' | 'heartbeat-timeout';

/** What the heartbeat needs from its owner. */
export interface HeartbeatHooks {
  readonly interval: number;
  readonly timeout: number;
  readonly timers: TimerSlots<HeartbeatSlot>;
  now(): number;
  /** Writes `{"type":"ping","ts":ts}` to the link. */
  sendPing(ts: number): void;
  /** A matching pong arrived after `rtt` ms. */
  onRtt(rtt: number): void;
  /** No pong and no other inbound message within `timeout` of a ping. */
  onDead(): void;
}

interface Pending {
  readonly ts: number;
  readonly timeout: number;
}

/**
 * Sends a ping `interval` ms after the link opened and after each answered ping, and declares the
 * link dead when neither the matching pong nor any other message arrives within `timeout`: a
 * half-open link is detected within `interval + timeout`.
 *
 * Decisions use timestamps, not the assumption that timers fire on time. Background tabs and
 * sleeping machines fire timers late; a timeout timer that fires more than `timeout` after it was
 * due sends one fresh ping instead of declaring the link dead, because the pong may simply not
 * have had a chance to arrive while the machine was asleep.
 */
export class Heartbeat {
  readonly #hooks: HeartbeatHooks;
  #pending: Pending | undefined;
  #lastInbound = -Infinity;
  #latePings = 0;

  constructor(hooks: HeartbeatHooks) {
    this.#hooks = hooks;
  }

  /** Begins the cycle on a freshly opened link. */
  start(): void {
    this.stop();
    this.#schedulePing(this.#hooks.interval);
  }

  /** Cancels both timers and forgets the outstanding ping. */
  stop(): void {
    this.#hooks.timers.clear('heartbeat');
    this.#hooks.timers.clear('heartbeat-timeout');
    this.#pending = undefined;
    this.#latePings = 0;
  }

  /** Records that something arrived: whatever inbound message arrives proves the link is alive. */
  noteInbound(): void {
    this.#lastInbound = this.#hooks.now();
  }

  /** Handles a pong; returns true when it answered the outstanding ping. */
  onPong(ts: number): boolean {
    const pending = this.#pending;
    if (pending === undefined || pending.ts !== ts) return false;
    const rtt = Math.max(0, this.#hooks.now() - pending.ts);
    this.#settle(pending);
    this.#hooks.onRtt(rtt);
    return true;
  }

  /**
   * Checks liveness now (e.g. the page became visible again): pings at once and waits `timeout`
   * (default: the configured one). Does nothing while a ping is already outstanding.
   */
  check(timeout: number = this.#hooks.timeout): void {
    if (this.#pending === undefined) this.#ping(timeout);
  }

  #schedulePing(delay: number): void {
    this.#hooks.timers.set('heartbeat', delay, () => this.#ping(this.#hooks.timeout));
  }

  #ping(timeout: number): void {
    const ts = this.#hooks.now();
    this.#pending = { ts, timeout };
    this.#hooks.timers.clear('heartbeat');
    this.#hooks.timers.set('heartbeat-timeout', timeout, () => this.#onTimeout());
    this.#hooks.sendPing(ts);
  }

  #onTimeout(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const elapsed = this.#hooks.now() - pending.ts;
    if (this.#lastInbound >= pending.ts) {
      this.#settle(pending);
    } else if (elapsed > 2 * pending.timeout && this.#latePings === 0) {
      this.#latePings++;
      this.#ping(pending.timeout);
    } else {
      this.stop();
      this.#hooks.onDead();
    }
  }

  // Keeps the ping cadence at `interval` from the last ping, whatever the answer time was.
  #settle(pending: Pending): void {
    this.#pending = undefined;
    this.#latePings = 0;
    this.#hooks.timers.clear('heartbeat-timeout');
    this.#schedulePing(Math.max(0, this.#hooks.interval - (this.#hooks.now() - pending.ts)));
  }
}
