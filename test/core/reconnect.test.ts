import { describe, expect, it, vi } from 'vitest';
import { decideReconnect, isRetryableCode } from '../../src/core/reconnect';

describe('isRetryableCode', () => {
  it.each([1002, 1003, 1007, 1008, 1009, 1010])('does not retry after %i (the client is at fault)', (code) => {
    expect(isRetryableCode(code)).toBe(false);
  });

  it.each([4400, 4401, 4403, 4499])('does not retry in the client-error range (%i)', (code) => {
    expect(isRetryableCode(code)).toBe(false);
  });

  it.each([1000, 1001, 1004, 1005, 1006, 1011, 1012, 1013, 1014, 4000, 4399, 4500, 10_020, 14_400, 44_000])('retries after %i', (code) => {
    expect(isRetryableCode(code)).toBe(true);
  });
});

describe('decideReconnect', () => {
  const ctx = { code: 1008, reason: 'policy', wasClean: true, attempt: 3 };

  it('follows the table without an override', () => {
    expect(decideReconnect(ctx, undefined, () => {})).toBe(false);
    expect(decideReconnect({ ...ctx, code: 1006 }, undefined, () => {})).toBe(true);
  });

  it('lets the override replace the table and hands it the full context', () => {
    const override = vi.fn(() => true);
    expect(decideReconnect(ctx, override, () => {})).toBe(true);
    expect(override).toHaveBeenCalledWith(ctx);
    expect(decideReconnect({ ...ctx, code: 1006 }, () => false, () => {})).toBe(false);
  });

  it('falls back to the table and reports the error when the override throws', () => {
    const onError = vi.fn();
    const boom = new Error('boom');
    expect(
      decideReconnect(ctx, () => {
        throw boom;
      }, onError),
    ).toBe(false);
    expect(onError).toHaveBeenCalledWith(boom);
  });
});
