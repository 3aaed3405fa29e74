import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { QueueFullError } from '../../src/protocol/errors';
import type { DropReason } from '../../src/core/events';
import type { FeatureHooks, FeatureHost } from '../../src/core/feature';
import type { QueueOptions } from '../../src/core/options';
import type { Fate } from '../../src/core/queue';
import type { SendData } from '../../src/core/transport';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

// The send queue lives inside the core socket: these tests fill it with `send` while the first
// link is still connecting and flush it by opening that link. A message of `n` bytes is a string
// of `n` ASCII characters (the queue counts UTF-8 bytes).
const closeAll: Array<() => void> = [];

function setup(queue: QueueOptions = {}, hooks: FeatureHooks = {}) {
  const kit = createFakeWebSocket();
  let host: FeatureHost | undefined;
  const socket = connect('ws://queue.invalid/', {
    WebSocket: kit.WebSocket,
    heartbeat: false,
    queue: { maxMessages: 3, maxBytes: 100, ...queue },
    use: [
      (h) => {
        host = h;
        h.hook(hooks);
        return {};
      },
    ],
  });
  closeAll.push(() => socket.close());
  const drops: Array<[SendData, DropReason]> = [];
  socket.on('drop', ({ data, reason }) => drops.push([data, reason]));
  /** Sends with a fate, through the seam (`host.send`). */
  const send = (data: SendData, fate?: Fate) => (host as FeatureHost).send(data, fate);
  /** Opens the link of the current attempt and returns what the queue wrote to it. */
  const flushed = async (): Promise<SendData[]> => {
    await vi.advanceTimersByTimeAsync(0);
    const ws = kit.last();
    ws.open();
    return ws.sent;
  };
  const advance = (ms: number) => vi.advanceTimersByTime(ms);
  return { socket, send, drops, flushed, advance, kit };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});

afterEach(() => {
  for (const close of closeAll.splice(0)) close();
  vi.useRealTimers();
});

describe('the send queue', () => {
  it('flushes in insertion order and ends empty', async () => {
    const { socket, flushed } = setup();
    socket.send('a');
    socket.send('b');
    socket.send('c');
    expect([socket.queue.length, socket.queue.bytes]).toEqual([3, 3]);
    expect(await flushed()).toEqual(['a', 'b', 'c']);
    expect([socket.queue.length, socket.queue.bytes]).toEqual([0, 0]);
  });

  it('counts UTF-8 bytes at each encoding boundary (1, 2, 3 and 4 bytes per character)', () => {
    const { socket } = setup({ maxMessages: 20, maxBytes: 1000 });
    const sizes: number[] = [];
    for (const text of ['\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', 'a\u00e9\u20ac\u{1f600}']) {
      const before = socket.queue.bytes;
      socket.send(text);
      sizes.push(socket.queue.bytes - before);
    }
    expect(sizes).toEqual([1, 2, 2, 3, 3, 4, 1 + 2 + 3 + 4]);
    expect(socket.queue.bytes).toBe(new TextEncoder().encode('\u007f\u0080\u07ff\u0800\uffff\u{10000}a\u00e9\u20ac\u{1f600}').length);
  });

  it('drop-oldest evicts the oldest messages to make room and reports each', async () => {
    const { socket, drops, flushed } = setup();
    for (const m of ['a', 'b', 'c', 'd']) expect(socket.send(m)).toBe('queued');
    expect(drops).toEqual([['a', 'overflow']]);
    expect(await flushed()).toEqual(['b', 'c', 'd']);
  });

  it('drop-oldest evicts by bytes as well as by count', async () => {
    const { socket, drops, flushed } = setup({ maxMessages: 10 });
    socket.send('a'.repeat(40));
    socket.send('b'.repeat(40));
    socket.send('c'.repeat(50));
    expect(drops.map(([d]) => d)).toEqual(['a'.repeat(40)]);
    expect(socket.queue.bytes).toBe(90);
    expect(await flushed()).toEqual(['b'.repeat(40), 'c'.repeat(50)]);
  });

  it('drops a message that alone exceeds maxBytes and keeps the rest', async () => {
    const { socket, drops, flushed } = setup();
    socket.send('a'.repeat(10));
    expect(socket.send('h'.repeat(101))).toBe('dropped');
    expect(drops).toEqual([['h'.repeat(101), 'overflow']]);
    expect(await flushed()).toEqual(['a'.repeat(10)]);
  });

  it('drop-newest keeps the queue and discards the new message', async () => {
    const { socket, drops, flushed } = setup({ overflow: 'drop-newest' });
    for (const m of ['a', 'b', 'c']) socket.send(m);
    expect(socket.send('d')).toBe('dropped');
    expect(drops).toEqual([['d', 'overflow']]);
    expect(await flushed()).toEqual(['a', 'b', 'c']);
  });

  it('throw policy throws QueueFullError and leaves the queue unchanged', () => {
    const { socket, drops } = setup({ overflow: 'throw' });
    for (const m of ['a', 'b', 'c']) socket.send(m);
    expect(() => socket.send('d')).toThrow(QueueFullError);
    expect(socket.queue.length).toBe(3);
    expect(drops).toEqual([]);
  });

  it('drops expired messages at flush time instead of sending them late', async () => {
    const { socket, drops, flushed, advance } = setup({ ttl: 1000 });
    socket.send('old');
    advance(600);
    socket.send('new');
    advance(400);
    expect(await flushed()).toEqual(['new']);
    expect(drops).toEqual([['old', 'expired']]);
  });

  it('frees the space of expired messages before evicting live ones', async () => {
    const { socket, drops, flushed, advance } = setup({ ttl: 1000, maxMessages: 2 });
    socket.send('stale');
    advance(500);
    socket.send('live');
    advance(500);
    socket.send('fresh');
    expect(drops).toEqual([['stale', 'expired']]);
    expect(await flushed()).toEqual(['live', 'fresh']);
  });

  it('flushes messages queued while it flushes (by a fate), after the earlier ones', async () => {
    const { socket, send, flushed } = setup();
    send('a', (outcome) => {
      if (outcome === 'sent') socket.send('late');
    });
    socket.send('b');
    expect(await flushed()).toEqual(['a', 'b', 'late']);
  });

  it('tells each entry its own fate on flush and on drop, even when the data of two entries is equal', async () => {
    const { socket, send, drops, flushed } = setup();
    const fates: Array<[number, string]> = [];
    const fate =
      (n: number): Fate =>
      (outcome) =>
        void fates.push([n, outcome]);
    send('same', fate(6));
    send('same', fate(7));
    send('other', fate(8));
    socket.send('last');
    expect(fates).toEqual([[6, 'overflow']]);
    expect(drops).toEqual([['same', 'overflow']]);
    expect(await flushed()).toEqual(['same', 'other', 'last']);
    // Written entries learn 'sent' (just before the write); the one without a fate learns nothing.
    expect(fates).toEqual([
      [6, 'overflow'],
      [7, 'sent'],
      [8, 'sent'],
    ]);
    socket.reconnect(); // not open: the next message waits in the queue
    send('same', fate(9));
    socket.close();
    expect(fates.at(-1)).toEqual([9, 'closed']);
    expect(drops.at(-1)).toEqual(['same', 'closed']);
  });

  it('reports the fate of a message refused by drop-newest', () => {
    const { send } = setup({ maxMessages: 1, overflow: 'drop-newest' });
    const fates: Array<[number, string]> = [];
    expect(send('same', () => void fates.push([1, 'x']))).toBe('queued');
    expect(send('same', (outcome) => void fates.push([2, outcome]))).toBe('dropped');
    expect(fates).toEqual([[2, 'overflow']]);
  });

  it('stops flushing when the link goes away mid-flush and keeps the rest queued in order', async () => {
    let socket: ReturnType<typeof setup>['socket'] | undefined;
    const ctx = setup(
      { maxMessages: 10 },
      {
        frame(data, outbound) {
          // Replaces the link right after 'b' went out.
          if (outbound && data === 'b') socket?.reconnect();
        },
      },
    );
    socket = ctx.socket;
    for (const m of ['a', 'b', 'c', 'd']) socket.send(m);
    expect(await ctx.flushed()).toEqual(['a', 'b']);
    expect([socket.queue.length, socket.queue.bytes]).toEqual([2, 2]);
    expect(ctx.kit.instances).toHaveLength(2);
    expect(await ctx.flushed()).toEqual(['c', 'd']);
  });

  it('discard on close() empties the queue and reports every message with the reason', () => {
    const { socket, drops } = setup();
    socket.send('a');
    socket.send('bb');
    socket.close();
    expect(drops).toEqual([
      ['a', 'closed'],
      ['bb', 'closed'],
    ]);
    expect([socket.queue.length, socket.queue.bytes]).toEqual([0, 0]);
  });

  it('takes a message that fills maxBytes exactly, whether the queue is empty or holds others', async () => {
    const { socket, drops, flushed } = setup({ maxMessages: 10 });
    expect(socket.send('a'.repeat(60))).toBe('queued');
    expect(socket.send('b'.repeat(40))).toBe('queued');
    expect(socket.queue.bytes).toBe(100);
    expect(drops).toEqual([]);
    // Exactly maxBytes on its own: drop-oldest makes room instead of refusing it.
    expect(socket.send('w'.repeat(100))).toBe('queued');
    expect(drops).toEqual([
      ['a'.repeat(60), 'overflow'],
      ['b'.repeat(40), 'overflow'],
    ]);
    expect(await flushed()).toEqual(['w'.repeat(100)]);
  });

  it('refuses an oversized message into an empty queue with a ttl, as overflow', () => {
    const { socket, drops } = setup({ ttl: 1000 });
    expect(socket.send('h'.repeat(101))).toBe('dropped');
    expect(drops).toEqual([['h'.repeat(101), 'overflow']]);
    expect([socket.queue.length, socket.queue.bytes]).toEqual([0, 0]);
  });

  it('queues nothing with maxMessages 0: every message is dropped as overflow, whatever the policy', () => {
    for (const overflow of ['drop-oldest', 'drop-newest'] as const) {
      const { socket, drops } = setup({ maxMessages: 0, overflow });
      expect(socket.send('a')).toBe('dropped');
      expect(drops).toEqual([['a', 'overflow']]);
      expect(socket.queue.length).toBe(0);
    }
  });

  it('throws a short QueueFullError and leaves the queue as it was (its length and bytes say how full)', () => {
    const { socket } = setup({ overflow: 'throw' });
    for (const m of ['aa', 'bb', 'cc']) socket.send(m);
    expect(() => socket.send('d')).toThrow(expect.objectContaining({ code: 'QUEUE_FULL', message: 'send queue full' }));
    expect([socket.queue.length, socket.queue.bytes]).toEqual([3, 6]);
  });
});
