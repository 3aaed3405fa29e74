// @vitest-environment node
// The server's small typed emitter: registration, removal, firing over a copy, and what happens
// to a listener's throw (reported, or re-raised in a microtask).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HoldfastError } from '../../src/protocol/errors.js';
import { Emitter } from '../../src/server/emitter.js';

type Events = { message: [data: string, n: number]; error: [error: Error] };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs queued microtasks synchronously, collecting what they throw. */
function catchMicrotasks(): unknown[] {
  const raised: unknown[] = [];
  vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
    try {
      task();
    } catch (error) {
      raised.push(error);
    }
  });
  return raised;
}

describe('Emitter', () => {
  it('calls listeners in order with the arguments, counts them, and the returned function removes one', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    expect(emitter.count('message')).toBe(0);
    emitter.fire('message', 'nobody', 0);
    const offA = emitter.on('message', (data, n) => void seen.push(`a ${data} ${n}`));
    emitter.on('message', (data, n) => void seen.push(`b ${data} ${n}`));
    expect(emitter.count('message')).toBe(2);
    emitter.fire('message', 'x', 1);
    offA();
    offA(); // safe twice
    expect(emitter.count('message')).toBe(1);
    emitter.fire('message', 'y', 2);
    expect(seen).toEqual(['a x 1', 'b x 1', 'b y 2']);
  });

  it('off() removes one registration; removing the last leaves the event with none', () => {
    const emitter = new Emitter<Events>();
    const seen: number[] = [];
    const listener = (_: string, n: number): void => void seen.push(n);
    emitter.off('message', listener); // never added: nothing happens
    emitter.on('message', listener);
    emitter.on('message', listener);
    emitter.off('message', listener);
    emitter.fire('message', '', 1);
    emitter.off('message', listener);
    expect(emitter.count('message')).toBe(0);
    emitter.fire('message', '', 2);
    emitter.on('message', listener);
    emitter.fire('message', '', 3);
    expect(seen).toEqual([1, 3]);
  });

  it('fires over a copy: a listener removing a later one or adding one does not change this round', () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    let offB = (): void => {};
    emitter.on('message', () => {
      seen.push('a');
      offB();
      emitter.on('message', () => void seen.push('late'));
    });
    offB = emitter.on('message', () => void seen.push('b'));
    emitter.fire('message', '', 0);
    expect(seen).toEqual(['a', 'b']);
    emitter.fire('message', '', 0);
    expect(seen).toEqual(['a', 'b', 'a', 'late']);
  });

  it('a lone listener that removes itself runs once', () => {
    const emitter = new Emitter<Events>();
    let calls = 0;
    const off = emitter.on('message', () => {
      calls++;
      off();
    });
    emitter.fire('message', '', 0);
    emitter.fire('message', '', 0);
    expect(calls).toBe(1);
  });

  it('hands a throw to report as a LISTENER HoldfastError with the cause, event and arguments, and runs the rest', () => {
    const reports: Array<[HoldfastError, string, unknown]> = [];
    const emitter = new Emitter<Events>((error, event, args) => void reports.push([error, String(event), args]));
    const bug = new Error('bug');
    const seen: string[] = [];
    emitter.on('message', () => {
      throw bug;
    });
    emitter.on('message', (data) => void seen.push(data));
    emitter.fire('message', 'x', 7);
    expect(seen).toEqual(['x']);
    expect(reports).toHaveLength(1);
    const [error, event, args] = reports[0]!;
    expect(error).toBeInstanceOf(HoldfastError);
    expect([error.code, error.message, (error as { cause?: unknown }).cause]).toEqual(['LISTENER', 'a "message" listener threw', bug]);
    expect([event, args]).toEqual(['message', ['x', 7]]);
  });

  it('re-raises in a microtask what an error listener throws, and any throw when there is no report', () => {
    const raised = catchMicrotasks();
    const reports: unknown[] = [];
    const reporting = new Emitter<Events>((error) => void reports.push(error));
    const first = new Error('in an error listener');
    reporting.on('error', () => {
      throw first;
    });
    const after: string[] = [];
    reporting.on('error', (error) => void after.push(error.message));
    reporting.fire('error', new Error('e'));
    const bare = new Emitter<Events>();
    const second = new Error('no report');
    bare.on('message', () => {
      throw second;
    });
    bare.fire('message', '', 0);
    expect(raised).toEqual([first, second]);
    expect(after).toEqual(['e']);
    expect(reports).toEqual([]);
  });
});
