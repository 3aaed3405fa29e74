import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../src/client/events';

type Map = { a: number; b: string };

describe('Emitter', () => {
  it('calls listeners in subscription order with the payload', () => {
    const emitter = new Emitter<Map>(() => {});
    const seen: string[] = [];
    emitter.on('a', (n) => seen.push(`first ${n}`));
    emitter.on('a', (n) => seen.push(`second ${n}`));
    emitter.on('b', (s) => seen.push(`b ${s}`));
    emitter.emit('a', 1);
    expect(seen).toEqual(['first 1', 'second 1']);
  });

  it('returns an unsubscribe function that is safe to call twice', () => {
    const emitter = new Emitter<Map>(() => {});
    const fn = vi.fn();
    const off = emitter.on('a', fn);
    off();
    off();
    emitter.emit('a', 1);
    expect(fn).not.toHaveBeenCalled();
    expect(emitter.has('a')).toBe(false);
  });

  it('lets a listener unsubscribe another during an emit without skipping anyone this round', () => {
    const emitter = new Emitter<Map>(() => {});
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
    const emitter = new Emitter<Map>(onError);
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
});
