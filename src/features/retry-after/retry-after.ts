/**
 * `retryAfter()`: honours a server's `retry-after=<seconds>` hint in a 1013 close. A feature, so
 * that a bundle whose server never sheds load that way does not pay for it.
 */
import type { Feature } from '../../core/feature';

/**
 * The minimum wait (ms) a close reason asks for with `retry-after=<seconds>`, or 0 when it asks
 * for none. Servers send this with 1013 (Try Again Later) to shed load.
 */
export const retryAfterMs = (reason: string): number => Math.round(Number(/retry-after=([\d.]+)/i.exec(reason)?.[1] ?? 0) * 1000) || 0;

/**
 * After a close with code 1013 (RFC 6455 "Try Again Later"), waits no less than the
 * `retry-after=<seconds>` its reason asks for before the next attempt (the backoff's delay when
 * that is longer). Other closes, and a 1013 without the hint, keep the backoff's delay.
 *
 * @example
 * const socket = connect(url, { use: [retryAfter()] });
 */
export function retryAfter(): Feature {
  return (host) => {
    host.hook({ delay: (ms, info) => (info?.code === 1013 ? Math.max(ms, retryAfterMs(info.reason)) : ms) });
    return {};
  };
}
