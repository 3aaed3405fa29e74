// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DueQueue } from '../../src/server/timers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DueQueue', () => {
  it('calls onDue for each item ms after it was scheduled, in order, on one timer', () => {
    const fired: Array<[string, number]> = [];
    const queue = new DueQueue<string>(1000, (item) => fired.push([item, Date.now()]));
    const start = Date.now();
    queue.schedule('a');
    vi.advanceTimersByTime(300);
    queue.schedule('b');
    vi.advanceTimersByTime(100);
    queue.schedule('c');
    expect(vi.getTimerCount()).toBe(1);
    expect(queue.size).toBe(3);
    vi.advanceTimersByTime(599);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['a', start + 1000]]);
    vi.advanceTimersByTime(400);
    expect(fired).toEqual([['a', start + 1000], ['b', start + 1300], ['c', start + 1400]]);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('schedule() of a waiting item restarts its wait and moves it behind the others', () => {
    const fired: string[] = [];
    const queue = new DueQueue<string>(100, (item) => fired.push(item));
    queue.schedule('a');
    queue.schedule('b');
    vi.advanceTimersByTime(50);
    queue.schedule('a');
    vi.advanceTimersByTime(50);
    expect(fired).toEqual(['b']);
    vi.advanceTimersByTime(49);
    expect(fired).toEqual(['b']);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['b', 'a']);
  });

  it('an item rescheduled from onDue waits a full ms again, and the queue keeps one timer', () => {
    const fired: number[] = [];
    const queue = new DueQueue<string>(100, (item) => {
      fired.push(Date.now());
      queue.schedule(item);
    });
    const start = Date.now();
    queue.schedule('x');
    queue.schedule('y');
    vi.advanceTimersByTime(350);
    expect(fired).toEqual([start + 100, start + 100, start + 200, start + 200, start + 300, start + 300]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('cancel() stops an item; the last one cancelled clears the timer and runs onEmpty', () => {
    const fired: string[] = [];
    let emptied = 0;
    const queue = new DueQueue<string>(100, (item) => fired.push(item), () => emptied++);
    queue.schedule('a');
    queue.schedule('b');
    queue.cancel('a');
    expect(queue.has('a')).toBe(false);
    expect(queue.has('b')).toBe(true);
    expect(emptied).toBe(0);
    queue.cancel('b');
    queue.cancel('b');
    expect(emptied).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
  });

  it('runs onEmpty once the last item has fired, and starts again on the next schedule()', () => {
    const fired: string[] = [];
    let emptied = 0;
    const queue = new DueQueue<string>(100, (item) => fired.push(item), () => emptied++);
    queue.schedule('a');
    vi.advanceTimersByTime(100);
    expect(emptied).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    queue.schedule('b');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['a', 'b']);
  });

  it('an item cancelled by another item’s onDue does not fire', () => {
    const fired: string[] = [];
    const queue = new DueQueue<string>(100, (item) => {
      fired.push(item);
      queue.cancel('b');
    });
    queue.schedule('a');
    queue.schedule('b');
    vi.advanceTimersByTime(500);
    expect(fired).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps its timer when onDue throws, so the other items still fire', () => {
    const fired: string[] = [];
    const queue = new DueQueue<string>(100, (item) => {
      fired.push(item);
      if (item === 'a') throw new Error('boom');
    });
    queue.schedule('a');
    vi.advanceTimersByTime(50);
    queue.schedule('b');
    expect(() => vi.advanceTimersByTime(50)).toThrow('boom');
    vi.advanceTimersByTime(50);
    expect(fired).toEqual(['a', 'b']);
  });

  it('clear() stops every wait, clears the timer and runs onEmpty; a clear() of an empty queue does nothing', () => {
    const fired: string[] = [];
    let emptied = 0;
    const queue = new DueQueue<string>(100, (item) => fired.push(item), () => emptied++);
    queue.clear();
    expect(emptied).toBe(0);
    queue.schedule('a');
    queue.schedule('b');
    queue.clear();
    expect(queue.size).toBe(0);
    expect(emptied).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
  });

  it('clear() from onDue stops the items not yet run, and no timer is left', () => {
    const fired: string[] = [];
    const queue = new DueQueue<string>(100, (item) => {
      fired.push(item);
      queue.clear();
    });
    queue.schedule('a');
    queue.schedule('b');
    vi.advanceTimersByTime(500);
    expect(fired).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
