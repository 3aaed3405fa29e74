/**
 * Taro: `Taro.connectSocket` returns a Promise of a SocketTask, which every adapter waits for.
 * The whole adapter contract runs over a Taro-shaped fake (mini-program targets) and over one
 * whose binary frames arrive as Blobs (Taro's H5 runtime never sets `binaryType`). Below: what a
 * Promise adds (nothing the platform opened is left behind), Blobs, and Taro H5's task methods
 * returning Promises that reject.
 */
import { describe, expect, it } from 'vitest';
import { connect } from '../../src';
import { wechat } from '../../src/miniprogram';
import type { PlatformCallback, SocketTaskLike, WxLike } from '../../src/miniprogram/types';
import { adapterContract, advance, bytesOf, useFakeClock, watch, WS_URL } from './contract';
import { fakeTaro } from './fakes';

adapterContract('taro (a Promise of a task)', (config, options) => {
  const fake = fakeTaro(config);
  return { runtime: fake, Socket: wechat(fake.api, options) };
});

adapterContract('taro h5 (a Promise of a task, binary as Blobs)', (config, options) => {
  const fake = fakeTaro({ blobFrames: true, ...config });
  return { runtime: fake, Socket: wechat(fake.api, options) };
});

type Kind = 'open' | 'close' | 'error' | 'message';

/**
 * A task built the way Taro H5 builds one: `on*` replace the handler, `send` and `close` return
 * Promises (`send` one that rejects when the socket is not open), plus a log of closes.
 */
function h5Task() {
  const handlers: Partial<Record<Kind, PlatformCallback>> = {};
  const closes: unknown[] = [];
  let open = false;
  const task: SocketTaskLike & { closes: unknown[]; fire(kind: Kind, payload?: unknown): void } = {
    closes,
    fire: (kind, payload = {}) => {
      if (kind === 'open') open = true;
      handlers[kind]?.(payload);
    },
    send: ({ success, fail }) => {
      const result = { errMsg: open ? 'sendSocketMessage:ok' : 'SocketTask.send:fail SocketTask.readState is not OPEN' };
      (open ? success : fail)?.(result);
      return open ? Promise.resolve(result) : Promise.reject(result);
    },
    close: (options) => {
      closes.push(options);
      return Promise.reject({ errMsg: 'closeSocket:fail' });
    },
    onOpen: (listener) => void (handlers.open = listener),
    onClose: (listener) => void (handlers.close = listener),
    onError: (listener) => void (handlers.error = listener),
    onMessage: (listener) => void (handlers.message = listener),
  };
  return task;
}

/** A Taro whose connectSocket resolves with `value` after `delay` ms (0: at once). */
function taroResolving(value: unknown, delay = 0): WxLike & { calls: number } {
  const api = {
    calls: 0,
    connectSocket: () => {
      api.calls++;
      return new Promise((resolve) => (delay ? setTimeout(() => resolve(value), delay) : resolve(value)));
    },
  };
  return api;
}

/** A Blob-like whose read resolves after `delay` ms, or rejects. */
function slowBlob(bytes: number[], delay: number, fails = false) {
  return {
    [Symbol.toStringTag]: 'Blob',
    size: bytes.length,
    arrayBuffer: () =>
      new Promise<ArrayBuffer>((resolve, reject) =>
        setTimeout(() => (fails ? reject(new Error('NotReadableError')) : resolve(Uint8Array.from(bytes).buffer)), delay),
      ),
  };
}

describe('taro: a Promise of a task', () => {
  useFakeClock();

  it('runs a whole client through Taro: queued sends, text and Blob binary echoes, reconnect with one task at a time', async () => {
    const fake = fakeTaro({ blobFrames: true });
    const socket = connect(WS_URL, { WebSocket: wechat(fake.api), backoff: { initialDelay: 100, maxDelay: 100 }, heartbeat: false });
    const messages: Array<string | ArrayBuffer> = [];
    socket.on('message', (data) => messages.push(data));
    socket.send('queued');
    socket.send(Uint8Array.from([1, 2, 3]));
    await advance(30);
    expect(socket.state).toBe('open');
    expect(messages[0]).toBe('queued');
    expect(bytesOf(messages[1])).toEqual([1, 2, 3]);
    fake.lastTask().drop();
    await advance(300);
    expect(socket.state).toBe('open');
    expect(fake.tasks).toHaveLength(2);
    expect(fake.peakLive).toBe(1);
    socket.close();
    await advance(3000);
    expect(socket.state).toBe('closed');
    expect(fake.liveTasks()).toHaveLength(0);
  });

  it('closes a task whose Promise settles after the socket was given up, once it opens (close before open may do nothing)', async () => {
    const task = h5Task();
    const socket = new (wechat(taroResolving(task, 5000), { closeWatchdog: 1000 }))(WS_URL);
    const { events } = watch(socket);
    socket.close(4000, 'not needed');
    await advance(1000);
    expect(events).toEqual([{ type: 'close', code: 4000, reason: 'not needed', wasClean: false }]);
    await advance(4000);
    expect(task.closes).toHaveLength(1);
    task.fire('open');
    await advance(0);
    expect(task.closes).toHaveLength(2);
    expect(task.closes[1]).toMatchObject({ code: 4000, reason: 'not needed' });
    expect(events).toHaveLength(1);
  });

  it('closes a task that comes after the attempt already failed', async () => {
    const task = h5Task();
    const api = taroResolving(task, 50);
    const socket = new (wechat({ connectSocket: (options) => (options.fail?.({ errMsg: 'connectSocket:fail interrupted' }), api.connectSocket(options)) }))(WS_URL);
    const { types } = watch(socket);
    await advance(100);
    expect(types()).toEqual(['error', 'close']);
    expect(task.closes).toHaveLength(1);
  });

  it('closes whatever it cannot use: a half task, from a Promise or handed back at once, over many attempts', async () => {
    const closes: unknown[] = [];
    const half = (): unknown => ({ send: () => {}, close: (options: unknown) => closes.push(options), onOpen: () => {} });
    let n = 0;
    const api: WxLike = { connectSocket: () => (n++ % 2 ? Promise.resolve(half()) : half()) };
    const socket = connect(WS_URL, { WebSocket: wechat(api), backoff: { initialDelay: 50, maxDelay: 50 }, heartbeat: false });
    const errors: string[] = [];
    socket.on('error', (error) => errors.push(error.message));
    await advance(1000);
    socket.close();
    await advance(0);
    expect(n).toBeGreaterThanOrEqual(6);
    expect(closes).toHaveLength(n);
    expect(errors.length).toBeGreaterThanOrEqual(n);
  });

  it('registers its listeners as soon as the Promise settles and drives the task from there', async () => {
    const task = h5Task();
    const socket = new (wechat(taroResolving(task)))(WS_URL);
    const { events, types } = watch(socket);
    await advance(0);
    task.fire('open');
    socket.send('up');
    task.fire('message', { data: 'down' });
    await advance(0);
    expect(types()).toEqual(['open', 'message']);
    expect(events[1]).toEqual({ type: 'message', data: 'down' });
  });

  it('absorbs the Promises that Taro H5 task methods return, rejected ones included', async () => {
    const task = h5Task();
    const socket = new (wechat(taroResolving(task), { closeWatchdog: 100 }))(WS_URL);
    const { types } = watch(socket);
    await advance(0);
    task.fire('open');
    task.fire('close', { code: 1006, reason: 'abnormal closure' }); // the page's socket died; Taro's send now rejects
    await advance(0);
    expect(types()).toEqual(['open', 'close']);
    const second = new (wechat(taroResolving(h5Task()), { closeWatchdog: 100 }))(WS_URL);
    await advance(0);
    second.close(); // Taro H5's close() Promise rejects here: no unhandled rejection may follow
    await advance(200);
    expect(second.readyState).toBe(3);
  });

  it('a send that fails (fail, then a rejected Promise) kills the transport: error, close 1006, nothing unhandled', async () => {
    const task = h5Task();
    const rejecting: SocketTaskLike = {
      ...task,
      send: ({ fail }) => {
        fail?.({ errMsg: 'SocketTask.send:fail SocketTask.readState is not OPEN' });
        return Promise.reject(new Error('send:fail'));
      },
    };
    const socket = new (wechat(taroResolving(rejecting), { closeWatchdog: 100 }))(WS_URL);
    const { events, types } = watch(socket);
    await advance(0);
    task.fire('open');
    await advance(0);
    socket.send('x');
    await advance(200);
    expect(types()).toEqual(['open', 'error', 'close']);
    expect(events[2]).toMatchObject({ code: 1006, wasClean: false });
    expect(task.closes).toHaveLength(1);
  });
});

describe('binary from Blobs', () => {
  useFakeClock();

  async function opened() {
    const task = h5Task();
    const socket = new (wechat(taroResolving(task)))(WS_URL);
    const watched = watch(socket);
    await advance(0);
    task.fire('open');
    await advance(0);
    return { task, socket, ...watched };
  }

  it('reads a Blob frame into an ArrayBuffer, and keeps the frames behind a slow Blob in order, close last', async () => {
    const { task, events } = await opened();
    task.fire('message', { data: slowBlob([1, 2, 3], 50) });
    task.fire('message', { data: 'after the blob' });
    task.fire('message', { data: new Blob([Uint8Array.from([4, 5])]) });
    task.fire('close', { code: 1000, reason: 'bye' });
    await advance(10);
    expect(events.map((event) => event.type)).toEqual(['open']);
    await advance(50);
    expect(events.map((event) => event.type)).toEqual(['open', 'message', 'message', 'message', 'close']);
    expect(bytesOf(events[1]?.data)).toEqual([1, 2, 3]);
    expect(events[2]?.data).toBe('after the blob');
    expect(bytesOf(events[3]?.data)).toEqual([4, 5]);
  });

  it('reports a Blob it cannot read, and a frame with nothing readable, as error events; the socket stays open', async () => {
    const { task, socket, events } = await opened();
    task.fire('message', { data: slowBlob([1], 5, true) });
    task.fire('message', { data: 42 });
    task.fire('message', {});
    task.fire('message', { data: 'still here' });
    await advance(10);
    expect(events).toEqual([
      { type: 'open' },
      { type: 'error', message: 'unreadable message' },
      { type: 'error', message: 'unreadable message' },
      { type: 'error', message: 'unreadable message' },
      { type: 'message', data: 'still here' },
    ]);
    expect(socket.readyState).toBe(1);
  });

  it('reads the Blob inside a browser MessageEvent, whose data lives on the prototype', async () => {
    const { task, events } = await opened();
    task.fire('message', new MessageEvent('message', { data: new Blob([Uint8Array.from([7, 8, 9])]) }));
    task.fire('message', new MessageEvent('message', { data: 'text in an event' }));
    await advance(0);
    expect(bytesOf(events[1]?.data)).toEqual([7, 8, 9]);
    expect(events[2]).toEqual({ type: 'message', data: 'text in an event' });
  });
});
