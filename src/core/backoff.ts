/**
 * Reconnection delays. Pure: randomness is injected so exact delays can be asserted.
 */

/** The part of the backoff options the delay depends on (milliseconds). */
export interface BackoffCurve {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
}

/**
 * Capped exponential backoff with full jitter:
 * `random() * min(maxDelay, initialDelay * factor ** attempt)`.
 *
 * Full jitter spreads a crowd of clients that lost the same server over the whole window, so a
 * restarted server is not hit by all of them at once (AWS Architecture Blog, "Exponential Backoff
 * and Jitter"). `attempt` counts from 0 for the first retry. The result is always in
 * `[0, maxDelay]` and finite, even for a huge `attempt`.
 */
export function nextDelay(attempt: number, curve: BackoffCurve, random: () => number): number {
  const r = random();
  // A misbehaving injected random() (NaN, out of [0, 1)) must not yield a negative or runaway
  // delay; `|| 0` covers 0 × Infinity (initialDelay 0 with a huge attempt).
  const jitter = Number.isNaN(r) ? 1 : Math.min(1, Math.max(0, r));
  return Math.round(jitter * Math.min(curve.maxDelay, curve.initialDelay * curve.factor ** attempt)) || 0;
}
