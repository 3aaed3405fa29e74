import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortError, ClosedError, HoldfastError, RemoteError, TimeoutError } from '../../src/protocol/errors';
import { createPending, type PendingRequests } from '../../src/protocol/pending';
import type { Clock } from '../../src/core/timers';

/** Timers that delegate to the (faked) globals and count how many are still live. */
function countingTimers(): Clock & { live(): number } {
  const live = new Set<unknown>();
  return {
    now: () => Date.now(),
    setTimeout(callback, ms) {
      const handle = setTimeout(() => {
        live.delete(handle);
        callback();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
    live: () => live.size,
  };
}

/** An AbortController whose signal counts the abort listeners currently attached. */
function trackedController(): { controller: AbortController; listeners(): number } {
  const controller = new AbortController();
  const { signal } = controller;
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  vi.spyOn(signal, 'addEventListener').mockImplementation((type, listener, options) => {
    if (type === 'abort') count++;
    add(type, listener, options);
  });
  vi.spyOn(signal, 'removeEventListener').mockImplementation((type, listener, options) => {
    if (type === 'abort') count--;
    remove(type, listener, options);
  });
  return { controller, listeners: () => count };
}

/** Records how a promise settled without leaving an unhandled rejection behind. */
function settled<T>(promise: Promise<T>): { state(): 'pending' | 'resolved' | 'rejected'; value(): unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let value: unknown;
  promise.then(
    (v) => {
      state = 'resolved';
      value = v;
    },
    (e: unknown) => {
      state = 'rejected';
      value = e;
    },
  );
  return { state: () => state, value: () => value };
}

let timers: ReturnType<typeof countingTimers>;
let table: PendingRequests;

beforeEach(() => {
  vi.useFakeTimers();
  timers = countingTimers();
  table = createPending(timers);
});

afterEach(() => {
  table.rejectAll(new ClosedError('CLOSED', 'test over'));
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('PendingRequests ids and size', () => {
  it('hands out increasing numeric ids and counts pending requests', () => {
    const a = table.add('a');
    const b = table.add('b');
    a.promise.catch(() => {});
    b.promise.catch(() => {});
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(table.size).toBe(2);
    expect(table.has(1)).toBe(true);
    expect(table.has('1')).toBe(false);
  });
});

describe('PendingRequests.resolve', () => {
  it('resolves with the result, clears the timer and removes the abort listener', async () => {
    const { controller, listeners } = trackedController();
    const { id, promise } = table.add<string>('echo', { timeout: 1000, signal: controller.signal });
    expect(timers.live()).toBe(1);
    expect(listeners()).toBe(1);

    expect(table.resolve({ type: 'response', id, result: 'ok' })).toBe(true);
    await expect(promise).resolves.toBe('ok');
    expect(table.size).toBe(0);
    expect(timers.live()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it('rejects with a RemoteError carrying method, id, remote code, message and data', async () => {
    const { id, promise } = table.add('room.join');
    table.resolve({ type: 'response', id, error: { code: 'FULL', message: 'room is full', data: { max: 2 } } });
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'REMOTE', method: 'room.join', id, remoteCode: 'FULL', message: 'room is full', data: { max: 2 } });
  });

  it('returns false and changes nothing for an unknown or late id', async () => {
    const { id, promise } = table.add('a');
    expect(table.resolve({ type: 'response', id: 99, result: 1 })).toBe(false);
    expect(table.resolve({ type: 'response', id: String(id), result: 1 })).toBe(false);
    expect(table.size).toBe(1);
    expect(table.resolve({ type: 'response', id, result: 1 })).toBe(true);
    expect(table.resolve({ type: 'response', id, result: 2 })).toBe(false);
    await expect(promise).resolves.toBe(1);
  });
});

describe('PendingRequests timeouts', () => {
  it('uses the default timeout of the table unless the request gives its own', async () => {
    const defaulted = createPending(timers, 500);
    const a = settled(defaulted.add('a').promise);
    const b = settled(defaulted.add('b', { timeout: 0 }).promise);
    const c = settled(defaulted.add('c', { timeout: 800 }).promise);
    await vi.advanceTimersByTimeAsync(499);
    expect(a.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(a.value()).toMatchObject({ code: 'TIMEOUT', method: 'a', id: 1 });
    await vi.advanceTimersByTimeAsync(299);
    expect(c.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.value()).toBeInstanceOf(TimeoutError);
    expect(b.state()).toBe('pending');
    defaulted.rejectAll(new ClosedError('CLOSED', 'test over'));
    await Promise.resolve();
    expect(b.state()).toBe('rejected');
    expect(timers.live()).toBe(0);
  });

  it('rejects with TimeoutError exactly when the timeout elapses, then ignores the late response', async () => {
    const { id, promise } = table.add('slow', { timeout: 500 });
    const outcome = settled(promise);
    await vi.advanceTimersByTimeAsync(499);
    expect(outcome.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.state()).toBe('rejected');
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
    expect(outcome.value()).toMatchObject({ code: 'TIMEOUT' });
    expect(table.size).toBe(0);
    expect(table.resolve({ type: 'response', id, result: 1 })).toBe(false);
  });

  it('counts the timeout from the call, also while the request waits across a disconnect', async () => {
    const { promise } = table.add('sync', { timeout: 1000, retry: true });
    const outcome = settled(promise);
    await vi.advanceTimersByTimeAsync(600);
    expect(table.onDisconnect()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
  });

  it('rejects each request at its own deadline, whatever order they were added in, with one timer', async () => {
    const outcomes = ([['a', 300], ['b', 100], ['c', 200]] as const).map(([method, timeout]) => settled(table.add(method, { timeout }).promise));
    expect(timers.live()).toBe(1);
    const states = () => outcomes.map((o) => o.state());
    await vi.advanceTimersByTimeAsync(99);
    expect(states()).toEqual(['pending', 'pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    expect(states()).toEqual(['pending', 'rejected', 'pending']);
    await vi.advanceTimersByTimeAsync(100);
    expect(states()).toEqual(['pending', 'rejected', 'rejected']);
    expect(timers.live()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(states()).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes[0]?.value()).toMatchObject({ code: 'TIMEOUT', message: 'request "a" (id 1) timed out after 300 ms' });
    expect(timers.live()).toBe(0);
  });

  it('keeps a later request on time after the request the timer was set for has settled', async () => {
    const first = table.add('first', { timeout: 1000 });
    await vi.advanceTimersByTimeAsync(500);
    const second = settled(table.add('second', { timeout: 1000 }).promise);
    await vi.advanceTimersByTimeAsync(100);
    table.resolve({ type: 'response', id: first.id, result: 1 });
    await vi.advanceTimersByTimeAsync(899);
    expect(second.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(second.value()).toBeInstanceOf(TimeoutError);
    expect(timers.live()).toBe(0);
  });

  it('holds no timer while nothing is pending, and a single one for many pending requests', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => table.add('x', { timeout: 1000 + i }));
    expect(timers.live()).toBe(1);
    for (const { id, promise } of calls) {
      table.resolve({ type: 'response', id, result: id });
      await promise;
    }
    expect(timers.live()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps its one timer for a request made when the previous one settles, and still times that one out on time', async () => {
    const setTimeoutSpy = vi.spyOn(timers, 'setTimeout');
    const first = table.add('first', { timeout: 1000 });
    let second: ReturnType<typeof settled> | undefined;
    void first.promise.then(() => {
      second = settled(table.add('second', { timeout: 1000 }).promise);
    });
    await vi.advanceTimersByTimeAsync(400);
    table.resolve({ type: 'response', id: first.id, result: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(second?.state()).toBe('pending');
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(timers.live()).toBe(1);
    await vi.advanceTimersByTimeAsync(999); // t = 1399: the timer fired at 1000 and was set for 1400
    expect(second?.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(second?.value()).toBeInstanceOf(TimeoutError);
    expect(timers.live()).toBe(0);
  });

  it('clears the timer when no request follows the last one to settle', async () => {
    const { id } = table.add('only', { timeout: 1000 });
    table.resolve({ type: 'response', id, result: 1 });
    await Promise.resolve();
    expect(timers.live()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits out a timeout longer than setTimeout can take in one go (2^31 - 1 ms)', async () => {
    const timeout = 2 ** 31 + 5000;
    const outcome = settled(table.add('long', { timeout }).promise);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(outcome.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(5000);
    expect(outcome.state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
  });

  it('starts no timer when the timeout is undefined, 0 or Infinity', () => {
    for (const timeout of [undefined, 0, Infinity]) table.add('x', { timeout }).promise.catch(() => {});
    expect(timers.live()).toBe(0);
    expect(table.size).toBe(3);
  });

  it('throws a RangeError for a negative or NaN timeout, without registering anything', () => {
    expect(() => table.add('x', { timeout: -1 })).toThrow(RangeError);
    expect(() => table.add('x', { timeout: Number.NaN })).toThrow(RangeError);
    expect(table.size).toBe(0);
    const { id, promise } = table.add('y');
    promise.catch(() => {});
    expect(id).toBe(1);
  });

  it('uses the global timers when none are injected', async () => {
    const plain = createPending();
    const outcome = settled(plain.add('x', { timeout: 20 }).promise);
    await vi.advanceTimersByTimeAsync(20);
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
  });
});

describe('PendingRequests abort', () => {
  it('rejects at once for an already-aborted signal, with its reason as cause, and keeps nothing', async () => {
    const { controller, listeners } = trackedController();
    const reason = new Error('user left');
    controller.abort(reason);
    const { id, promise } = table.add('x', { timeout: 100, signal: controller.signal });
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).code).toBe('ABORTED');
    expect((error as AbortError).cause).toBe(reason);
    expect(table.has(id)).toBe(false);
    expect(table.size).toBe(0);
    expect(timers.live()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it('rejects on abort, removes the entry, clears its timer and detaches its listener', async () => {
    const { controller, listeners } = trackedController();
    const { id, promise } = table.add('x', { timeout: 5000, signal: controller.signal });
    const outcome = settled(promise);
    controller.abort('stop');
    await Promise.resolve();
    expect(outcome.value()).toBeInstanceOf(AbortError);
    expect((outcome.value() as AbortError).cause).toBe('stop');
    expect(table.has(id)).toBe(false);
    expect(timers.live()).toBe(0);
    expect(listeners()).toBe(0);
    expect(table.resolve({ type: 'response', id, result: 1 })).toBe(false);
  });

  it('leaves no timer and no abort listener after a timeout', async () => {
    const { controller, listeners } = trackedController();
    const outcome = settled(table.add('x', { timeout: 10, signal: controller.signal }).promise);
    await vi.advanceTimersByTimeAsync(10);
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
    expect(listeners()).toBe(0);
    controller.abort();
    await Promise.resolve();
    expect(outcome.value()).toBeInstanceOf(TimeoutError);
  });
});

describe('PendingRequests teardown', () => {
  it('rejectAll rejects every request with the given error and clears every timer and listener', async () => {
    const { controller, listeners } = trackedController();
    const promises = [
      table.add('a', { timeout: 100 }).promise,
      table.add('b', { signal: controller.signal }).promise,
      table.add('c', { timeout: 100, retry: true }).promise,
    ];
    const error = new ClosedError('CLOSED', 'closed by user', 1000);
    table.rejectAll(error);
    const results = await Promise.allSettled(promises);
    expect(results.map((r) => r.status === 'rejected' && r.reason)).toEqual([error, error, error]);
    expect(table.size).toBe(0);
    expect(timers.live()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it('onDisconnect rejects requests not marked retry with ClosedError DISCONNECTED and returns the retry ones', async () => {
    const plain = table.add('read', { timeout: 100 });
    const retried = table.add<number>('sync', { retry: true, timeout: 1000 }, { since: 4 });
    const retries = table.onDisconnect(1006);

    const error = await plain.promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ code: 'DISCONNECTED', closeCode: 1006 });
    expect(retries).toEqual([{ id: retried.id, method: 'sync', params: { since: 4 } }]);
    expect(table.size).toBe(1);
    expect(timers.live()).toBe(1);

    expect(table.resolve({ type: 'response', id: retried.id, result: 5 })).toBe(true);
    await expect(retried.promise).resolves.toBe(5);
  });

  it('reject settles one request with the given error and reports unknown ids', async () => {
    const { id, promise } = table.add('x', { timeout: 100 });
    const error = new HoldfastError('MESSAGE_TOO_BIG', 'too big');
    expect(table.reject(id, error)).toBe(true);
    expect(table.reject(id, error)).toBe(false);
    await expect(promise).rejects.toBe(error);
    expect(timers.live()).toBe(0);
  });
});
