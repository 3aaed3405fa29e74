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

/**
 * The platform clock. Globals are looked up on every call (not captured at import) so that
 * fake timers installed later, and platforms that patch them, are honoured.
 */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
