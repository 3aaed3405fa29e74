/**
 * Time source and scheduler, shared by the client and the server so that every timer of either
 * can be driven by a test (or an odd platform) through one injectable object.
 */

/** Time source and scheduler. Injectable so tests (and odd platforms) control time. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Longest delay the platform timers take (2^31 - 1 ms, ~24.8 days); they fire at once above it. */
export const MAX_TIMER_DELAY = 0x7fffffff;

/**
 * The platform clock. Globals are looked up on every call (not captured at import) so that
 * fake timers installed later, and platforms that patch them, are honoured. A delay above
 * `MAX_TIMER_DELAY` (`Infinity` included) never fires, instead of firing at once as the platform's
 * `setTimeout` would.
 */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => (ms > MAX_TIMER_DELAY ? undefined : setTimeout(callback, ms)),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
