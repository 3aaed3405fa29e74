import { describe, expect, it, vi } from 'vitest';
import { createEmitter } from '../../src/core/events';

type Map = { a: number; b: string };

describe('createEmitter', () => {
  it('calls listeners in subscription order with the payload', () => {
    const emitter = createEmitter<Map>(() => {});
    const seen: string[] = [];
    emitter.on('a', (n) => seen.push(`first ${n}`));
    emitter.on('a', (n) => seen.push(`second ${n}`));
    emitter.on('b', (s) => seen.push(`b ${s}`));
    emitter.emit('a', 1);
    expect(seen).toEqual(['first 1', 'second 1']);
  });

  it('returns an unsubscribe function that is safe to call twice', () => {
    const emitter = createEmitter<Map>(() => {});
    const fn = vi.fn();
    const off = emitter.on('a', fn);
    off();
    off();
    emitter.emit('a', 1);
    expect(fn).not.toHaveBeenCalled();
  });

  it('lets a listener unsubscribe another during an emit without skipping anyone this round', () => {
    const emitter = createEmitter<Map>(() => {});
    const seen: string[] = [];
    let offSecond = (): void => {};
    emitter.on('a', () => {
      seen.push('first');
      offSecond();
    });
    offSecond = emitter.on('a', () => seen.push('second'));
    emitter.emit('a', 1);
    emitter.emit('a', 2);
    expect(seen).toEqual(['first', 'second', 'first']);
  });

  it('keeps calling the other listeners when one throws and reports what it threw', () => {
    const onError = vi.fn();
    const emitter = createEmitter<Map>(onError);
    const after = vi.fn();
    const boom = new Error('boom');
    emitter.on('b', () => {
      throw boom;
    });
    emitter.on('b', after);
    emitter.emit('b', 'x');
    expect(after).toHaveBeenCalledWith('x');
    expect(onError).toHaveBeenCalledWith(boom, 'b');
  });
  it('handles event names that exist on Object.prototype like any other name', () => {
    const emitter = createEmitter<Record<string, unknown>>(() => {});
    const got: string[] = [];
    expect(() => emitter.emit('constructor', 1)).not.toThrow();
    expect(() => emitter.emit('toString', 1)).not.toThrow();
    emitter.on('constructor', () => got.push('constructor'));
    emitter.on('__proto__', () => got.push('__proto__'));
    emitter.emit('constructor', 1);
    emitter.emit('__proto__', 1);
    expect(got).toEqual(['constructor', '__proto__']);
  });

  it('removes only the registration an unsubscribe belongs to when a listener is added twice', () => {
    const emitter = createEmitter<{ tick: number }>(() => {});
    const calls: number[] = [];
    const listener = (n: number) => calls.push(n);
    const offFirst = emitter.on('tick', listener);
    emitter.on('tick', listener);
    offFirst();
    offFirst(); // a second call does nothing
    emitter.emit('tick', 1);
    expect(calls).toEqual([1]);
  });
});
