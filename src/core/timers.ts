/**
 * Every timeout the client core uses goes through one `Timers`: the only place in the core that
 * schedules anything. Owning them in one object makes "no timer left after close()" one call.
 */
import type { Clock } from '../protocol/clock';

export { systemClock, type Clock } from '../protocol/clock';

/**
 * Named timer slots. Setting a slot replaces (cancels) what was in it, so a slot never holds two
 * timers; a fired timer leaves its slot empty before its callback runs.
 */
export interface Timers<K extends string> {
  /** Runs `callback` once after `ms` (negative counts as 0, above 2^31-1 as 2^31-1), replacing any timer in `slot`. */
  set(slot: K, ms: number, callback: () => void): void;
  /** Cancels the timer in `slot`, if any. */
  clear(slot: K): void;
  /** True while a timer is pending in `slot`. */
  has(slot: K): boolean;
  /** Cancels every pending timer. */
  clearAll(): void;
}

/** Timer slots scheduled through `clock`. */
export function createTimers<K extends string>(clock: Clock): Timers<K> {
  // A plain object, not a Map: its members would survive minification.
  const handles: Partial<Record<K, unknown>> = {};
  const clear = (slot: K): void => {
    if (slot in handles) clock.clearTimeout(handles[slot]);
    delete handles[slot];
  };
  return {
    set(slot, ms, callback) {
      clear(slot);
      // Longer delays overflow to about 1 ms in browsers and Node: Infinity waits 24.8 days.
      handles[slot] = clock.setTimeout(() => {
        delete handles[slot];
        callback();
      }, Math.max(0, Math.min(ms, 2_147_483_647)));
    },
    clear,
    has: (slot) => slot in handles,
    clearAll() {
      for (const slot in handles) clear(slot);
    },
  };
}
