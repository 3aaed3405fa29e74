import { describe, expect, it } from 'vitest';
import { nextDelay } from '../../src/core/backoff';
import { retryAfterMs } from '../../src/features/retry-after/retry-after';

const curve = { initialDelay: 1000, maxDelay: 30_000, factor: 2 };

describe('nextDelay', () => {
  it('grows the ceiling exponentially from initialDelay', () => {
    const one = () => 1;
    expect([0, 1, 2, 3, 4].map((a) => nextDelay(a, curve, one))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('caps the ceiling at maxDelay, even for huge attempt numbers', () => {
    expect(nextDelay(5, curve, () => 1)).toBe(30_000);
    expect(nextDelay(10_000, curve, () => 1)).toBe(30_000);
  });

  it('applies full jitter: the delay is random() times the ceiling', () => {
    expect(nextDelay(2, curve, () => 0.5)).toBe(2000);
    expect(nextDelay(2, curve, () => 0)).toBe(0);
    expect(nextDelay(0, curve, () => 0.25)).toBe(250);
  });

  it('keeps a misbehaving random() inside [0, ceiling]', () => {
    expect(nextDelay(0, curve, () => 7)).toBe(1000);
    expect(nextDelay(0, curve, () => -1)).toBe(0);
    expect(nextDelay(0, curve, () => Number.NaN)).toBe(1000);
  });

  it('uses the injected random on every call', () => {
    const values = [0.1, 0.9];
    const random = () => values.shift() ?? 0;
    expect([nextDelay(1, curve, random), nextDelay(1, curve, random)]).toEqual([200, 1800]);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after=<seconds> from a close reason', () => {
    expect(retryAfterMs('overloaded; retry-after=7')).toBe(7000);
    expect(retryAfterMs('Retry-After=1.5')).toBe(1500);
  });

  it('returns 0 when the reason asks for no wait', () => {
    expect(retryAfterMs('')).toBe(0);
    expect(retryAfterMs('retry-after=soon')).toBe(0);
  });
});
