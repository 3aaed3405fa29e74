import { describe, expect, it } from 'vitest';
import { HoldfastError, isHoldfastError, TimeoutError } from '../../src/protocol/errors';

describe('HoldfastError', () => {
  it('carries its code, message, name and context fields', () => {
    const e = new HoldfastError('REMOTE', 'nope', { method: 'sum', id: 7, remoteCode: 'E_SUM', data: [1] });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message]).toEqual(['HoldfastError', 'REMOTE', 'nope']);
    expect(e).toMatchObject({ method: 'sum', id: 7, remoteCode: 'E_SUM', data: [1] });
    expect(isHoldfastError(e)).toBe(true);
  });

  it('keeps cause like a native Error does: own, not enumerable, writable and configurable', () => {
    const reason = new Error('root');
    const e = new HoldfastError('CONNECT', 'failed', { cause: reason, method: 'm' });
    expect(e.cause).toBe(reason);
    expect(Object.getOwnPropertyDescriptor(e, 'cause')).toEqual({ value: reason, writable: true, enumerable: false, configurable: true });
    expect(Object.keys(e)).not.toContain('cause');
    expect(Object.keys(e)).toContain('method');
  });

  it('has an own cause when one is given as undefined, and none when it is not given', () => {
    expect(Object.hasOwn(new HoldfastError('URL', 'x', { cause: undefined }), 'cause')).toBe(true);
    expect(Object.hasOwn(new HoldfastError('URL', 'x', {}), 'cause')).toBe(false);
    expect(Object.hasOwn(new HoldfastError('URL', 'x'), 'cause')).toBe(false);
  });

  it('lets a plain HoldfastError name the subclass that instanceof finds by code', () => {
    const e = new HoldfastError('TIMEOUT', 'late', { name: 'TimeoutError' });
    expect(e.name).toBe('TimeoutError');
    expect(e).toBeInstanceOf(TimeoutError);
  });
});
