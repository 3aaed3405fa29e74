/** A `Clock` whose timers run only when the test says so, and which shows what is pending. */
import type { Clock } from '../../src/protocol/clock';

export interface ManualClock extends Clock {
  /** The delays of the timers still pending, in the order they were set. */
  pending(): number[];
  /** Runs every pending timer (not those they set), in order. */
  runAll(): void;
}

export function manualClock(): ManualClock {
  let next = 1;
  const timers = new Map<number, { callback: () => void; ms: number }>();
  return {
    now: () => 0,
    setTimeout(callback, ms) {
      const id = next++;
      timers.set(id, { callback, ms });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => [...timers.values()].map(({ ms }) => ms),
    runAll() {
      for (const [id, { callback }] of [...timers]) {
        timers.delete(id);
        callback();
      }
    },
  };
}
