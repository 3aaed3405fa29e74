import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY, systemClock } from '../../src/protocol/clock';

describe('systemClock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('schedules and clears through the platform timers, looked up on each call', () => {
    const clock = systemClock();
    const fn = vi.fn();
    const handle = clock.setTimeout(fn, 50);
    expect(vi.getTimerCount()).toBe(1);
    clock.clearTimeout(handle);
    vi.advanceTimersByTime(100);
    expect(fn).not.toHaveBeenCalled();
    clock.setTimeout(fn, 50);
    vi.advanceTimersByTime(49);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(Date.now());
  });

  it('never fires a delay above what platform timers take, instead of firing at once', () => {
    const clock = systemClock();
    const fn = vi.fn();
    for (const ms of [MAX_TIMER_DELAY + 1, 2 ** 32, Infinity]) clock.setTimeout(fn, ms);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(fn).not.toHaveBeenCalled();
    // The longest delay the platform takes is still scheduled.
    clock.setTimeout(fn, MAX_TIMER_DELAY);
    expect(vi.getTimerCount()).toBe(1);
    clock.clearTimeout(undefined);
  });
});
