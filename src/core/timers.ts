/**
 * Every timeout the client core uses goes through a `Timers`: the only place in the client that
 * calls setTimeout. Owning them in one object makes "no timer left after close()" one call.
 */

import type { Clock } from '../protocol/clock';

export { systemClock, type Clock } from '../protocol/clock';

/** The part of `Timers` a collaborator (e.g. the heartbeat) needs for its own slots. */
export interface TimerSlots<K extends string> {
  set(slot: K, ms: number, callback: () => void): void;
  clear(slot: K): void;
  has(slot: K): boolean;
}

/**
 * Named timer slots. Setting a slot replaces (cancels) what was in it, so a slot never holds two
 * timers; a fired timer leaves its slot empty before its callback runs.
 */
export class Timers<K extends string> implements TimerSlots<K> {
  readonly #clock: Clock;
  readonly #handles = new Map<K, unknown>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `callback` once after `ms`, replacing any timer in `slot`. */
  set(slot: K, ms: number, callback: () => void): void {
    this.clear(slot);
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(slot);
      callback();
    }, Math.max(0, ms));
    this.#handles.set(slot, handle);
  }

  /** Cancels the timer in `slot`, if any. */
  clear(slot: K): void {
    if (!this.#handles.has(slot)) return;
    this.#clock.clearTimeout(this.#handles.get(slot));
    this.#handles.delete(slot);
  }

  /** True while a timer is pending in `slot`. */
  has(slot: K): boolean {
    return this.#handles.has(slot);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const handle of this.#handles.values()) this.#clock.clearTimeout(handle);
    this.#handles.clear();
  }
}
