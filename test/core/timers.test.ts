import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import type { ConnectOptions } from '../../src/core/connect';
import type { Clock } from '../../src/core/timers';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

// The socket keeps every timer in a named slot (one per waiting state, and the heartbeat's):
// these tests watch them through the platform timers (fake) or an injected clock.
const closeAll: Array<() => void> = [];

function setup(options: ConnectOptions = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://timers.invalid/', { WebSocket: kit.WebSocket, heartbeat: false, random: () => 1, ...options });
  closeAll.push(() => socket.close());
  const errors: string[] = [];
  socket.on('error', (e) => errors.push(e.message));
  return { kit, socket, errors };
}

/** A clock that records what is scheduled and cleared, and runs nothing by itself. */
function recordingClock() {
  let now = 0;
  let next = 0;
  const pending = new Map<number, () => void>();
  const scheduled: number[] = [];
  const cleared: unknown[] = [];
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      scheduled.push(ms);
      pending.set(++next, fn);
      return next;
    },
    clearTimeout(handle) {
      cleared.push(handle);
      pending.delete(handle as number);
    },
  };
  return { clock, scheduled, cleared, pending, handles: () => next, advance: (ms: number) => (now += ms) };
}

describe('the socket timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const close of closeAll.splice(0)) close();
    vi.useRealTimers();
  });

  it('runs a slot once after its delay (connectTimeout)', async () => {
    const { errors } = setup({ connectTimeout: 100, backoff: { maxRetries: 0 } });
    await vi.advanceTimersByTimeAsync(0);
    vi.advanceTimersByTime(99);
    expect(errors).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(errors).toEqual(['connect timeout']);
    vi.advanceTimersByTime(1000);
    expect(errors).toHaveLength(1);
  });

  it('replaces the timer in a slot instead of adding a second one (the heartbeat, ping after ping)', async () => {
    const { kit } = setup({ heartbeat: { interval: 100, timeout: 50 }, backoff: { minUptime: Infinity } });
    await vi.advanceTimersByTimeAsync(0);
    const ws = kit.last();
    ws.open();
    // One timer for minUptime (state open), one for the heartbeat.
    expect(vi.getTimerCount()).toBe(2);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(100);
      const ping = JSON.parse(ws.sent.at(-1) as string) as { ts: number };
      ws.receive(`{"type":"pong","ts":${ping.ts}}`);
      expect(vi.getTimerCount()).toBe(2);
    }
  });

  it('leaves no timer behind once closed', async () => {
    const { kit, socket } = setup({ heartbeat: { interval: 100, timeout: 50 } });
    await vi.advanceTimersByTimeAsync(0);
    kit.last().open();
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    socket.close();
    kit.last().closed(1000, '', true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('schedules through an injected clock, clamping delays, and clears only what it scheduled', async () => {
    const rec = recordingClock();
    const { kit, socket } = setup({ clock: rec.clock, connectTimeout: 42, heartbeat: { interval: 100, timeout: 50 }, backoff: { minUptime: Infinity } });
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.scheduled).toEqual([42]);
    const ws = kit.last();
    ws.open();
    // minUptime Infinity waits the longest delay platforms allow; the heartbeat its interval.
    expect(rec.scheduled).toEqual([42, 2_147_483_647, 100]);
    // The heartbeat's timer fires.
    const [handle, ping] = [...rec.pending].at(-1) as [number, () => void];
    rec.pending.delete(handle);
    rec.advance(100);
    ping();
    const { ts } = JSON.parse(ws.sent.at(-1) as string) as { ts: number };
    // The pong comes far later than the interval: the next ping is due at once (0), not in the past.
    rec.advance(500);
    ws.receive(`{"type":"pong","ts":${ts}}`);
    expect(rec.scheduled.at(-1)).toBe(0);
    socket.close();
    ws.closed(1000, '', true);
    expect(rec.pending.size).toBe(0);
    // Every handle cleared is one the clock handed out, each at most once (an empty slot hands it nothing).
    expect(rec.cleared.every((h) => typeof h === 'number' && h >= 1 && h <= rec.handles())).toBe(true);
    expect(new Set(rec.cleared).size).toBe(rec.cleared.length);
  });
});
