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
  const ceiling = Math.min(curve.maxDelay, curve.initialDelay * curve.factor ** Math.max(0, attempt));
  const r = random();
  // A misbehaving injected random() must not yield a negative or runaway delay.
  const jitter = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 1;
  return Math.round(jitter * (Number.isFinite(ceiling) ? ceiling : curve.maxDelay));
}

const RETRY_AFTER = /retry-after=(\d+(?:\.\d+)?)/i;

/**
 * The minimum wait (ms) a close reason asks for with `retry-after=<seconds>`, or 0 when it asks
 * for none. Servers send this with 1013 (Try Again Later) to shed load.
 */
export function retryAfterMs(reason: string): number {
  const match = RETRY_AFTER.exec(reason);
  return match?.[1] === undefined ? 0 : Math.round(Number(match[1]) * 1000);
}
