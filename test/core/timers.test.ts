import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTimers, systemClock } from '../../src/core/timers';

describe('createTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a slot once after its delay and empties the slot first', () => {
    const timers = createTimers<'a'>(systemClock());
    const seen: boolean[] = [];
    timers.set('a', 100, () => seen.push(timers.has('a')));
    vi.advanceTimersByTime(99);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([false]);
    vi.advanceTimersByTime(1000);
    expect(seen).toHaveLength(1);
  });

  it('replaces the timer in a slot instead of adding a second one', () => {
    const timers = createTimers<'a'>(systemClock());
    const fn = vi.fn();
    timers.set('a', 100, fn);
    timers.set('a', 300, fn);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(299);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('clears one slot, and clearAll leaves no timer behind', () => {
    const timers = createTimers<'a' | 'b'>(systemClock());
    const fn = vi.fn();
    timers.set('a', 10, fn);
    timers.set('b', 10, fn);
    timers.clear('a');
    expect(vi.getTimerCount()).toBe(1);
    timers.clearAll();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(fn).not.toHaveBeenCalled();
  });

  it('schedules through an injected clock', () => {
    const scheduled: number[] = [];
    const clock = { now: () => 0, setTimeout: (_fn: () => void, ms: number) => scheduled.push(ms), clearTimeout: vi.fn() };
    const timers = createTimers<'a'>(clock);
    timers.set('a', 42, () => {});
    timers.set('a', -5, () => {});
    timers.set('a', Infinity, () => {});
    expect(scheduled).toEqual([42, 0, 2_147_483_647]);
    expect(clock.clearTimeout).toHaveBeenCalledWith(1);
    // An empty slot hands the clock nothing to clear (no clearTimeout(undefined) for a custom clock).
    const calls = clock.clearTimeout.mock.calls.length;
    timers.clear('a');
    timers.clear('a');
    timers.clearAll();
    expect(clock.clearTimeout.mock.calls.length).toBe(calls + 1);
  });
});
