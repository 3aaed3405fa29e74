import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeat, type HeartbeatSlot } from '../../src/core/heartbeat';
import { createTimers, systemClock } from '../../src/core/timers';

function setup(interval = 1000, timeout = 500) {
  const pings: number[] = [];
  const rtts: number[] = [];
  const onDead = vi.fn();
  const timers = createTimers<HeartbeatSlot>(systemClock());
  const heartbeat = createHeartbeat(
    { interval, timeout },
    timers,
    () => Date.now(),
    (ts) => void pings.push(ts),
    (rtt) => void rtts.push(rtt),
    onDead,
  );
  return { heartbeat, pings, rtts, onDead, timers };
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every interval with the clock time as ts while answered', () => {
    const { heartbeat, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(999);
    expect(pings).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(pings).toEqual([11_000]);
    vi.advanceTimersByTime(50);
    expect(heartbeat.pong(11_000)).toBe(true);
    vi.advanceTimersByTime(950);
    expect(pings).toEqual([11_000, 12_000]);
  });

  it('reports the round trip of the matching pong', () => {
    const { heartbeat, rtts } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(42);
    heartbeat.pong(11_000);
    expect(rtts).toEqual([42]);
  });

  it('ignores a pong whose ts does not match the outstanding ping', () => {
    const { heartbeat, rtts, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    expect(heartbeat.pong(123)).toBe(false);
    expect(rtts).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(onDead).toHaveBeenCalledTimes(1);
  });

  it('declares the link dead exactly interval + timeout after the last answer', () => {
    const { heartbeat, onDead, timers } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1499);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(timers.has('heartbeat')).toBe(false);
  });

  it('counts any inbound message since the ping as proof of life', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1200);
    heartbeat.seen();
    vi.advanceTimersByTime(300);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(pings).toHaveLength(2);
  });

  it('re-pings instead of declaring death when the timeout timer fires far too late (machine slept)', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    // The machine sleeps: wall time jumps an hour, then the overdue timer fires.
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    expect(onDead).not.toHaveBeenCalled();
    expect(pings).toHaveLength(2);
    heartbeat.pong(pings[1] as number);
    vi.advanceTimersByTime(1000);
    expect(pings).toHaveLength(3);
    expect(onDead).not.toHaveBeenCalled();
  });

  it('does declare death when the fresh ping after a late timer goes unanswered too', () => {
    const { heartbeat, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    vi.advanceTimersByTime(500);
    expect(onDead).toHaveBeenCalledTimes(1);
  });

  it('check() pings at once with the given timeout, and not twice while one is outstanding', () => {
    const { heartbeat, pings, onDead } = setup(25_000, 10_000);
    heartbeat.start();
    heartbeat.check(200);
    heartbeat.check(200);
    expect(pings).toEqual([10_000]);
    vi.advanceTimersByTime(200);
    expect(onDead).toHaveBeenCalledTimes(1);
  });

  it('stop() cancels every timer and the outstanding ping', () => {
    const { heartbeat, onDead } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(onDead).not.toHaveBeenCalled();
  });

  it('counts a message that arrives in the same millisecond as the ping as proof of life', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    heartbeat.seen(); // same clock time as the ping just sent
    vi.advanceTimersByTime(500);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(pings).toHaveLength(2);
  });

  it('declares death, without a fresh ping, when the timeout timer fires exactly twice the timeout after the ping', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 500); // the timer is due at +500 and fires at +1000: not more than twice
    vi.advanceTimersByTime(500);
    expect(pings).toHaveLength(1);
    expect(onDead).toHaveBeenCalledTimes(1);
  });

  it('grants the sleep grace again once a ping was answered', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500); // late: one fresh ping
    heartbeat.pong(pings[1] as number);
    vi.advanceTimersByTime(1000); // next ping, answered on time
    heartbeat.pong(pings[2] as number);
    vi.advanceTimersByTime(1000); // next ping, then the machine sleeps again
    expect(pings).toHaveLength(4);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    expect(onDead).not.toHaveBeenCalled();
    expect(pings).toHaveLength(5);
  });

  it('grants one fresh ping per outstanding ping: a second late timer declares death', () => {
    const { heartbeat, onDead, pings } = setup();
    heartbeat.start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500); // late: the fresh ping
    expect(pings).toHaveLength(2);
    vi.setSystemTime(Date.now() + 3_600_000); // asleep again before its answer
    vi.advanceTimersByTime(500);
    expect(pings).toHaveLength(2);
    expect(onDead).toHaveBeenCalledTimes(1);
  });
});
