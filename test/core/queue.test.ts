import { describe, expect, it } from 'vitest';
import { QueueFullError } from '../../src/protocol/errors';
import type { DropReason } from '../../src/core/events';
import { createQueue, type Fate, type QueueLimits } from '../../src/core/queue';
import type { SendData } from '../../src/core/transport';

function setup(limits: Partial<QueueLimits> = {}) {
  let now = 0;
  const drops: Array<[SendData, DropReason]> = [];
  const queue = createQueue(
    { maxMessages: 3, maxBytes: 100, overflow: 'drop-oldest', ttl: undefined, ...limits },
    () => now,
    (data, reason) => drops.push([data, reason]),
  );
  const flushed = (): SendData[] => {
    const out: SendData[] = [];
    queue.flush(() => true, (data) => out.push(data));
    return out;
  };
  return { queue, drops, flushed, advance: (ms: number) => (now += ms) };
}

describe('SendQueue', () => {
  it('flushes in insertion order and ends empty', () => {
    const { queue, flushed } = setup();
    queue.push('a', 1);
    queue.push('b', 1);
    queue.push('c', 1);
    expect([queue.length, queue.bytes]).toEqual([3, 3]);
    expect(flushed()).toEqual(['a', 'b', 'c']);
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('drop-oldest evicts the oldest messages to make room and reports each', () => {
    const { queue, drops, flushed } = setup();
    for (const m of ['a', 'b', 'c', 'd']) expect(queue.push(m, 1)).toBe('queued');
    expect(drops).toEqual([['a', 'overflow']]);
    expect(flushed()).toEqual(['b', 'c', 'd']);
  });

  it('drop-oldest evicts by bytes as well as by count', () => {
    const { queue, drops, flushed } = setup({ maxMessages: 10 });
    queue.push('a', 40);
    queue.push('b', 40);
    queue.push('c', 50);
    expect(drops.map(([d]) => d)).toEqual(['a']);
    expect(queue.bytes).toBe(90);
    expect(flushed()).toEqual(['b', 'c']);
  });

  it('drops a message that alone exceeds maxBytes and keeps the rest', () => {
    const { queue, drops, flushed } = setup();
    queue.push('a', 10);
    expect(queue.push('huge', 101)).toBe('dropped');
    expect(drops).toEqual([['huge', 'overflow']]);
    expect(flushed()).toEqual(['a']);
  });

  it('drop-newest keeps the queue and discards the new message', () => {
    const { queue, drops, flushed } = setup({ overflow: 'drop-newest' });
    for (const m of ['a', 'b', 'c']) queue.push(m, 1);
    expect(queue.push('d', 1)).toBe('dropped');
    expect(drops).toEqual([['d', 'overflow']]);
    expect(flushed()).toEqual(['a', 'b', 'c']);
  });

  it('throw policy throws QueueFullError and leaves the queue unchanged', () => {
    const { queue, drops } = setup({ overflow: 'throw' });
    for (const m of ['a', 'b', 'c']) queue.push(m, 1);
    expect(() => queue.push('d', 1)).toThrow(QueueFullError);
    expect(queue.length).toBe(3);
    expect(drops).toEqual([]);
  });

  it('drops expired messages at flush time instead of sending them late', () => {
    const { queue, drops, flushed, advance } = setup({ ttl: 1000 });
    queue.push('old', 1);
    advance(600);
    queue.push('new', 1);
    advance(400);
    expect(flushed()).toEqual(['new']);
    expect(drops).toEqual([['old', 'expired']]);
  });

  it('frees the space of expired messages before evicting live ones', () => {
    const { queue, drops, flushed, advance } = setup({ ttl: 1000, maxMessages: 2 });
    queue.push('stale', 1);
    advance(500);
    queue.push('live', 1);
    advance(500);
    queue.push('fresh', 1);
    expect(drops).toEqual([['stale', 'expired']]);
    expect(flushed()).toEqual(['live', 'fresh']);
  });

  it('flushes messages queued by the send callback itself, after the earlier ones', () => {
    const { queue } = setup();
    queue.push('a', 1);
    queue.push('b', 1);
    const out: SendData[] = [];
    queue.flush(
      () => true,
      (data) => {
        out.push(data);
        if (data === 'a') queue.push('late', 1);
      },
    );
    expect(out).toEqual(['a', 'b', 'late']);
  });

  it('tells each entry its own fate on flush and on drop, even when the data of two entries is equal', () => {
    const fates: Array<[number, string]> = [];
    const fate = (n: number): Fate => (outcome) => void fates.push([n, outcome]);
    const dropped: Array<[SendData, DropReason]> = [];
    const queue = createQueue({ maxMessages: 3, maxBytes: 100, overflow: 'drop-oldest', ttl: undefined }, () => 0, (data, reason) => dropped.push([data, reason]));
    queue.push('same', 1, fate(6));
    queue.push('same', 1, fate(7));
    queue.push('other', 1, fate(8));
    queue.push('last', 1);
    expect(fates).toEqual([[6, 'overflow']]);
    expect(dropped).toEqual([['same', 'overflow']]);
    const out: Array<[SendData, Fate | undefined]> = [];
    queue.flush(
      () => true,
      (data, _size, f) => out.push([data, f]),
    );
    expect(out.map(([data]) => data)).toEqual(['same', 'other', 'last']);
    // The write callback gets the entry's fate to call itself; the queue reports only drops.
    out[0]?.[1]?.('sent');
    expect(out[2]?.[1]).toBeUndefined();
    expect(fates).toEqual([[6, 'overflow'], [7, 'sent']]);
    queue.push('same', 1, fate(9));
    queue.discard('closed');
    expect(fates.at(-1)).toEqual([9, 'closed']);
    expect(dropped.at(-1)).toEqual(['same', 'closed']);
  });

  it('reports the fate of a message refused by drop-newest', () => {
    const fates: Array<[number, string]> = [];
    const queue = createQueue({ maxMessages: 1, maxBytes: 100, overflow: 'drop-newest', ttl: undefined }, () => 0, () => {});
    expect(queue.push('same', 1, () => void fates.push([1, 'x']))).toBe('queued');
    expect(queue.push('same', 1, (outcome) => void fates.push([2, outcome]))).toBe('dropped');
    expect(fates).toEqual([[2, 'overflow']]);
  });

  it('stops flushing when ready() turns false and keeps the rest queued in order', () => {
    const { queue } = setup({ maxMessages: 10 });
    for (const m of ['a', 'b', 'c', 'd']) queue.push(m, 1);
    const out: SendData[] = [];
    queue.flush(
      () => out.length < 2,
      (data) => out.push(data),
    );
    expect(out).toEqual(['a', 'b']);
    expect([queue.length, queue.bytes]).toEqual([2, 2]);
    queue.flush(
      () => true,
      (data) => out.push(data),
    );
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  it('discard empties the queue and reports every message with the reason', () => {
    const { queue, drops } = setup();
    queue.push('a', 1);
    queue.push('b', 2);
    queue.discard('closed');
    expect(drops).toEqual([
      ['a', 'closed'],
      ['b', 'closed'],
    ]);
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('takes a message that fills maxBytes exactly, whether the queue is empty or holds others', () => {
    const { queue, drops, flushed } = setup({ maxMessages: 10 });
    expect(queue.push('a', 60)).toBe('queued');
    expect(queue.push('b', 40)).toBe('queued');
    expect(queue.bytes).toBe(100);
    expect(drops).toEqual([]);
    // Exactly maxBytes on its own: drop-oldest makes room instead of refusing it.
    expect(queue.push('whole', 100)).toBe('queued');
    expect(drops).toEqual([
      ['a', 'overflow'],
      ['b', 'overflow'],
    ]);
    expect(flushed()).toEqual(['whole']);
  });

  it('refuses an oversized message into an empty queue with a ttl, as overflow', () => {
    const { queue, drops } = setup({ ttl: 1000 });
    expect(queue.push('huge', 101)).toBe('dropped');
    expect(drops).toEqual([['huge', 'overflow']]);
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('queues nothing with maxMessages 0: every message is dropped as overflow, whatever the policy', () => {
    for (const overflow of ['drop-oldest', 'drop-newest'] as const) {
      const { queue, drops } = setup({ maxMessages: 0, overflow });
      expect(queue.push('a', 1)).toBe('dropped');
      expect(drops).toEqual([['a', 'overflow']]);
      expect(queue.length).toBe(0);
    }
  });

  it('throws a short QueueFullError and leaves the queue as it was (its length and bytes say how full)', () => {
    const { queue } = setup({ overflow: 'throw' });
    for (const m of ['a', 'b', 'c']) queue.push(m, 2);
    expect(() => queue.push('d', 1)).toThrow(expect.objectContaining({ code: 'QUEUE_FULL', message: 'send queue full' }));
    expect([queue.length, queue.bytes]).toEqual([3, 6]);
  });
});
