import { afterEach, describe, expect, it, vi } from 'vitest';
import { HoldfastError } from '../../src/protocol/errors';
import { resolveOptions } from '../../src/core/options';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

const { WebSocket } = createFakeWebSocket();

describe('resolveOptions', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('fills in the documented defaults', () => {
    const o = resolveOptions({ WebSocket, environment: false });
    expect(o.backoff).toEqual({ initialDelay: 1000, maxDelay: 30_000, factor: 2, maxRetries: Infinity, minUptime: 5000, idleInterval: undefined });
    expect(o.heartbeat).toEqual({ interval: 25_000, timeout: 10_000, required: false });
    expect(o.queue).toEqual({ maxMessages: 1000, maxBytes: 1024 * 1024, overflow: 'drop-oldest', ttl: undefined });
    expect([o.connectTimeout, o.closeTimeout]).toEqual([10_000, 1000]);
    expect(o.binaryType).toBe('arraybuffer');
    expect(o.environment).toBeUndefined();
  });

  it('keeps given values and merges partial groups with the defaults', () => {
    const o = resolveOptions({ WebSocket, backoff: { maxDelay: 5000 }, heartbeat: { interval: 200 }, queue: { ttl: 50 } });
    expect(o.backoff.maxDelay).toBe(5000);
    expect(o.backoff.initialDelay).toBe(1000);
    expect(o.heartbeat).toEqual({ interval: 200, timeout: 10_000, required: false });
    expect(o.queue.ttl).toBe(50);
  });

  it('turns the heartbeat off with false', () => {
    expect(resolveOptions({ WebSocket, heartbeat: false }).heartbeat).toBe(false);
  });

  it('uses globalThis.WebSocket by default and throws NO_WEBSOCKET when there is none', () => {
    vi.stubGlobal('WebSocket', WebSocket);
    expect(resolveOptions().WebSocket).toBe(WebSocket);
    vi.stubGlobal('WebSocket', undefined);
    expect(() => resolveOptions()).toThrow(expect.objectContaining({ code: 'NO_WEBSOCKET' }));
  });

  it('has no environment unless one is given, even where window exists: browser signals are opt-in', () => {
    // A browser's global scope, as far as browserEnvironment() would look at it.
    vi.stubGlobal('window', new EventTarget());
    vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }));
    vi.stubGlobal('navigator', { onLine: true });
    expect(resolveOptions({ WebSocket }).environment).toBeUndefined();
    expect(resolveOptions({ WebSocket, environment: false }).environment).toBeUndefined();
    const env = { isOnline: () => false, subscribe: () => () => {} };
    expect(resolveOptions({ WebSocket, environment: env }).environment).toBe(env);
  });

  it.each([
    [{ backoff: { initialDelay: -1 } }, 'backoff.initialDelay'],
    [{ backoff: { factor: 0.5 } }, 'backoff.factor'],
    [{ heartbeat: { timeout: Number.NaN } }, 'heartbeat.timeout'],
    [{ connectTimeout: -5 }, 'connectTimeout'],
    [{ queue: { maxBytes: Number.NaN } }, 'queue.maxBytes'],
    [{ backoff: { factor: Number.NaN } }, 'backoff.factor'],
    [{ shouldReconnect: 'yes' }, 'shouldReconnect'],
    [{ queue: { overflow: 'explode' } }, 'queue.overflow'],
    [{ binaryType: 'nodebuffer' }, 'binaryType'],
    [{ random: 4 }, 'random'],
    [{ connectTimeout: '5' }, 'connectTimeout'],
    [{ start: 'later' }, 'start'],
    [{ heartbeat: { required: 1 } }, 'heartbeat.required'],
    [{ queue: { overflow: 3 } }, 'queue.overflow'],
  ])('rejects %j with an OPTIONS error naming the option', (bad, name) => {
    let caught: unknown;
    try {
      resolveOptions({ WebSocket, ...(bad as object) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HoldfastError);
    expect((caught as HoldfastError).code).toBe('OPTIONS');
    expect((caught as HoldfastError).message).toBe(name);
  });

  it('keeps the default for an option given as undefined, and takes a backoff factor of 1', () => {
    const o = resolveOptions({ WebSocket, connectTimeout: undefined, backoff: { factor: 1, maxDelay: undefined } });
    expect(o.connectTimeout).toBe(10_000);
    expect(o.backoff.maxDelay).toBe(30_000);
    expect(o.backoff.factor).toBe(1);
  });

  it('accepts Infinity as no limit for a timeout too (the timer waits the longest delay a platform allows)', () => {
    expect(resolveOptions({ WebSocket, connectTimeout: Infinity }).connectTimeout).toBe(Infinity);
  });

  it('accepts Infinity where an unbounded limit makes sense', () => {
    const o = resolveOptions({ WebSocket, backoff: { maxRetries: Infinity }, queue: { maxMessages: Infinity } });
    expect(o.queue.maxMessages).toBe(Infinity);
  });
});
