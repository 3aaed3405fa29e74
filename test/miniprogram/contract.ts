/**
 * The behaviour every mini-program adapter must show, whatever its platform. Each platform's
 * test file calls `adapterContract` with a factory that builds its fake and its adapter.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocketConstructorLike, WebSocketLike } from '../../src/core/transport';
import type { AdapterOptions } from '../../src/miniprogram/types';
import type { FakeConfig, FakeRuntime } from './fakes';
import { manualClock } from './manual-clock';

export interface AdapterHarness {
  runtime: FakeRuntime;
  Socket: WebSocketConstructorLike;
}

export type HarnessFactory = (config?: Partial<FakeConfig>, options?: AdapterOptions) => AdapterHarness;

export const WS_URL = 'wss://example.com/ws';

export interface Recorded {
  type: string;
  data?: unknown;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  message?: string;
}

/** Attaches every handler and records what the socket dispatches, in order. */
export function watch(socket: WebSocketLike): { events: Recorded[]; types: () => string[] } {
  const events: Recorded[] = [];
  socket.onopen = () => events.push({ type: 'open' });
  socket.onmessage = (event) => events.push({ type: 'message', data: event.data });
  socket.onerror = (event) => events.push({ type: 'error', message: (event as { message?: string }).message ?? '' });
  socket.onclose = (event) => events.push({ type: 'close', code: event.code, reason: event.reason, wasClean: event.wasClean });
  return { events, types: () => events.map((event) => event.type) };
}

/** Advances the fake clock and flushes the microtasks in between. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

export function bytesOf(buffer: unknown): number[] {
  expect(Object.prototype.toString.call(buffer)).toBe('[object ArrayBuffer]');
  return [...new Uint8Array(buffer as ArrayBuffer)];
}

export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });
}

export function adapterContract(platform: string, setup: HarnessFactory): void {
  describe(`${platform}: adapter contract`, () => {
    useFakeClock();

    async function opened(config?: Partial<FakeConfig>, options?: AdapterOptions) {
      const harness = setup(config, options);
      const socket = new harness.Socket(WS_URL);
      const watched = watch(socket);
      await advance(20);
      expect(socket.readyState).toBe(1);
      return { ...harness, socket, ...watched, task: harness.runtime.lastTask() };
    }

    it('starts CONNECTING, then dispatches open asynchronously and reports OPEN', async () => {
      const { Socket } = setup();
      const socket = new Socket(WS_URL);
      const { types } = watch(socket);
      expect(socket.readyState).toBe(0);
      await advance(0);
      expect(types()).toEqual([]);
      await advance(20);
      expect(types()).toEqual(['open']);
      expect(socket.readyState).toBe(1);
    });

    it('registers platform listeners synchronously, so an open fired right after connectSocket returns is seen', async () => {
      const { Socket, runtime } = setup({ openMode: 'immediate' });
      const socket = new Socket(WS_URL);
      const { types } = watch(socket);
      await advance(0);
      expect(runtime.lastTask().state).toBe('open');
      expect(types()).toEqual(['open']);
    });

    it('reports a connect-call failure as error then close 1006 carrying the platform text, after handlers are set', async () => {
      const { Socket } = setup();
      const socket = new Socket('http://example.com/ws');
      const { events, types } = watch(socket);
      await advance(10);
      expect(types()).toEqual(['error', 'close']);
      expect(events[1]).toMatchObject({ code: 1006, wasClean: false });
      expect(events[1]?.reason).toContain('invalid url');
      expect(socket.readyState).toBe(3);
    });

    it('sends and receives text unchanged', async () => {
      const { socket, task, events } = await opened();
      const text = 'héllo ✓ 😀 {"type":"event"}';
      socket.send(text);
      await advance(5);
      expect(task.received).toEqual([text]);
      expect(events.at(-1)).toEqual({ type: 'message', data: text });
    });

    it('sends an ArrayBufferView as the exact bytes of the view and receives binary as an ArrayBuffer', async () => {
      const { socket, task, events } = await opened();
      const backing = Uint8Array.from({ length: 16 }, (_, i) => i);
      socket.send(backing.subarray(4, 8));
      socket.send(Uint16Array.from([0x0102]).buffer);
      await advance(5);
      expect(bytesOf(task.received[0])).toEqual([4, 5, 6, 7]);
      expect(bytesOf(task.received[1])).toHaveLength(2);
      const message = events.find((event) => event.type === 'message');
      expect(message?.data).toBeInstanceOf(ArrayBuffer);
      expect(bytesOf(message?.data)).toEqual([4, 5, 6, 7]);
    });

    it('delivers binary that comes from another realm as an ArrayBuffer of this realm', async () => {
      const { task, events } = await opened({ foreignArrayBuffers: true, echo: false });
      task.serverSend(Uint8Array.from([9, 8, 7]).buffer);
      await advance(0);
      expect(events.at(-1)?.data).toBeInstanceOf(ArrayBuffer);
      expect(bytesOf(events.at(-1)?.data)).toEqual([9, 8, 7]);
    });

    it('throws InvalidStateError on send while CONNECTING and never reaches the platform', () => {
      const { Socket, runtime } = setup();
      const socket = new Socket(WS_URL);
      expect(() => socket.send('early')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
      expect(runtime.calls('SocketTask.send')).toHaveLength(0);
    });

    it('drops sends silently once CLOSING or CLOSED', async () => {
      const { socket, runtime } = await opened();
      socket.close();
      expect(() => socket.send('late')).not.toThrow();
      await advance(20);
      expect(socket.readyState).toBe(3);
      socket.send('later');
      expect(runtime.calls('SocketTask.send')).toHaveLength(0);
    });

    it('keeps send order behind a Blob that is still being read', async () => {
      const { socket, task } = await opened();
      socket.send(new Blob([Uint8Array.from([1, 2, 3])]));
      socket.send('after the blob');
      await advance(5);
      expect(task.received).toHaveLength(2);
      expect(bytesOf(task.received[0])).toEqual([1, 2, 3]);
      expect(task.received[1]).toBe('after the blob');
    });

    it('counts bufferedAmount in bytes until the platform confirms the send', async () => {
      const { socket } = await opened({ callbackDelay: 3, echo: false });
      socket.send('abc€');
      socket.send(new Uint8Array(10));
      expect(socket.bufferedAmount).toBe(16);
      await advance(5);
      expect(socket.bufferedAmount).toBe(0);
    });

    it('treats a send that fails while open as a dead transport: error, then close 1006, and gives the task up', async () => {
      const { socket, task, events, types } = await opened({ sendFailsWhileOpen: true });
      socket.send('doomed');
      await advance(5);
      expect(types()).toEqual(['open', 'error', 'close']);
      expect(events.at(-1)).toMatchObject({ code: 1006, wasClean: false });
      expect(socket.bufferedAmount).toBe(0);
      await advance(10);
      expect(task.state).toBe('closed');
    });

    it('close() goes CLOSING at once, then dispatches exactly one clean close with the requested code and reason', async () => {
      const { socket, events, types, runtime } = await opened();
      socket.close(4000, 'bye');
      expect(socket.readyState).toBe(2);
      socket.close(4001, 'again');
      await advance(20);
      expect(types()).toEqual(['open', 'close']);
      expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'bye', wasClean: true });
      expect(socket.readyState).toBe(3);
      expect(runtime.calls('SocketTask.close')[0]?.detail).toEqual({ code: 4000, reason: 'bye' });
    });

    it('refuses close codes and reasons a browser would refuse, and stays open', async () => {
      const { socket } = await opened();
      for (const code of [999, 1001, 1006, 2999, 5000, 3000.5]) {
        expect(() => socket.close(code)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
      }
      expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
      expect(socket.readyState).toBe(1);
      expect(() => socket.close(1000, '€'.repeat(41))).not.toThrow();
    });

    it('reports a server close with its code and reason, without an error', async () => {
      const { task, events, types } = await opened();
      task.serverClose(4001, 'kicked');
      await advance(0);
      expect(types()).toEqual(['open', 'close']);
      expect(events.at(-1)).toEqual({ type: 'close', code: 4001, reason: 'kicked', wasClean: true });
    });

    it('dispatches in platform order: messages before the close that followed them', async () => {
      const { task, types } = await opened({ echo: false });
      task.serverSend('a');
      task.serverSend('b');
      task.serverClose(1000, 'done');
      await advance(0);
      expect(types()).toEqual(['open', 'message', 'message', 'close']);
    });

    it('reports an abrupt loss as error then one close 1006, not clean', async () => {
      const { task, events, types } = await opened();
      task.drop();
      await advance(10);
      expect(types()).toEqual(['open', 'error', 'close']);
      expect(events.at(-1)).toMatchObject({ code: 1006, wasClean: false });
    });

    it('synthesizes the close after closeWatchdog when the platform reports only an error', async () => {
      const { task, socket, events, types } = await opened({ dropMode: 'error-only' }, { closeWatchdog: 1000 });
      task.drop('link lost');
      await advance(999);
      expect(types()).toEqual(['open', 'error']);
      expect(socket.readyState).toBe(2);
      await advance(1);
      expect(types()).toEqual(['open', 'error', 'close']);
      expect(events.at(-1)).toMatchObject({ code: 1006, wasClean: false });
      expect(events.at(-1)?.reason).toContain('link lost');
    });

    it('synthesizes the close after closeWatchdog when close() never gets an onClose', async () => {
      const { socket, events, types } = await opened({ reportClose: false });
      socket.close(4000, 'leaving');
      await advance(2999);
      expect(types()).toEqual(['open']);
      await advance(1);
      expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'leaving', wasClean: false });
    });

    it('waits for the platform forever with a closeWatchdog above what timers take', async () => {
      const { socket, types } = await opened({ reportClose: false }, { closeWatchdog: Infinity });
      socket.close(4000, 'leaving');
      await advance(60_000);
      // A platform setTimeout would have fired an Infinity delay at once.
      expect(types()).toEqual(['open']);
      expect(socket.readyState).toBe(2);
    });

    it('ignores platform events after CLOSED', async () => {
      const { socket, task, types } = await opened({ reportClose: false });
      socket.close();
      await advance(3000);
      expect(types()).toEqual(['open', 'close']);
      task.state = 'open';
      task.serverSend('ghost');
      task.fire('error', { errMsg: 'late' });
      task.fire('close', { code: 1000, reason: 'late' });
      await advance(10);
      expect(types()).toEqual(['open', 'close']);
    });

    it('close before open, when the platform ignores it (WeChat doc): never dispatches open and closes the task once open', async () => {
      const { Socket, runtime } = setup({ closeBeforeOpen: 'ignore' });
      const socket = new Socket(WS_URL);
      const { types } = watch(socket);
      socket.close(4000, 'never mind');
      expect(socket.readyState).toBe(2);
      await advance(100);
      expect(types()).toEqual(['close']);
      expect(runtime.lastTask().state).toBe('closed');
    });

    it('close before open, when the platform cancels: one close, no open', async () => {
      const { Socket, runtime } = setup({ closeBeforeOpen: 'cancel' });
      const socket = new Socket(WS_URL);
      const { types } = watch(socket);
      socket.close();
      await advance(100);
      expect(types()).toEqual(['close']);
      expect(runtime.lastTask().state).toBe('closed');
    });

    it('fails fast beyond maxSockets without calling the platform, and accepts a new socket once one closed', async () => {
      const { Socket, runtime } = setup({}, { maxSockets: 2 });
      const first = new Socket(WS_URL);
      new Socket(WS_URL);
      const third = new Socket(WS_URL);
      const { events, types } = watch(third);
      await advance(20);
      expect(types()).toEqual(['error', 'close']);
      expect(events[0]?.message).toContain('maxSockets 2');
      expect(runtime.calls('connectSocket')).toHaveLength(2);
      first.close();
      await advance(20);
      const fourth = new Socket(WS_URL);
      const watched = watch(fourth);
      await advance(20);
      expect(watched.types()).toEqual(['open']);
    });

    it('never holds more than one platform task across ten close-then-reconnect cycles', async () => {
      const { Socket, runtime } = setup();
      for (let i = 0; i < 10; i++) {
        const socket = new Socket(WS_URL);
        await advance(20);
        expect(socket.readyState).toBe(1);
        socket.close();
        await advance(20);
        expect(socket.readyState).toBe(3);
      }
      expect(runtime.tasks).toHaveLength(10);
      expect(runtime.peakLive).toBe(1);
    });

    it('exposes the subprotocol the server chose, or an empty string', async () => {
      const { Socket } = setup({ serverProtocol: 'chat.v1' });
      const chosen = new Socket(WS_URL, ['chat.v1', 'chat.v0']);
      const plain = new Socket(WS_URL);
      await advance(20);
      expect(chosen.protocol).toBe('chat.v1');
      expect(plain.protocol).toBe('');
    });

    it("keeps binaryType 'arraybuffer' even when set to 'blob'", () => {
      const { Socket } = setup();
      const socket = new Socket(WS_URL);
      socket.binaryType = 'blob';
      expect(socket.binaryType).toBe('arraybuffer');
    });

    it('throws a TypeError for send() data that is not a string, an ArrayBuffer, a view or a Blob', async () => {
      const { socket, runtime } = await opened();
      expect(() => socket.send(42 as unknown as string)).toThrow(TypeError);
      expect(runtime.calls('SocketTask.send')).toHaveLength(0);
    });

    it('arms the close watchdog on options.clock and clears it when the platform reports the close', async () => {
      const clock = manualClock();
      const { socket, events } = await opened({}, { clock, closeWatchdog: 1500 });
      expect(clock.pending()).toEqual([]);
      socket.close(4000, 'bye');
      expect(clock.pending()).toEqual([1500]);
      await advance(20);
      expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'bye', wasClean: true });
      expect(clock.pending()).toEqual([]);
    });

    it('synthesizes the watchdog close only when the injected clock fires, never from the global timers', async () => {
      const clock = manualClock();
      const { socket, events, types } = await opened({ reportClose: false }, { clock });
      socket.close(4000, 'leaving');
      await advance(10_000);
      expect(types()).toEqual(['open']);
      expect(socket.readyState).toBe(2);
      expect(clock.pending()).toEqual([3000]);
      clock.runAll();
      await advance(0);
      expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'leaving', wasClean: false });
      expect(clock.pending()).toEqual([]);
    });

    it('times the error-only close on the injected clock too', async () => {
      const clock = manualClock();
      const { task, events, types } = await opened({ dropMode: 'error-only' }, { clock, closeWatchdog: 700 });
      task.drop('link lost');
      await advance(5000);
      expect(types()).toEqual(['open', 'error']);
      expect(clock.pending()).toEqual([700]);
      clock.runAll();
      await advance(0);
      expect(events.at(-1)).toMatchObject({ type: 'close', code: 1006, wasClean: false });
      expect(events.at(-1)?.reason).toContain('link lost');
      expect(clock.pending()).toEqual([]);
    });

    it('reports a throwing handler through a clock timer and still dispatches the events after it', async () => {
      const clock = manualClock();
      const { socket, task, types } = await opened({ echo: false }, { clock });
      const boom = new Error('handler bug');
      socket.onmessage = () => {
        throw boom;
      };
      task.serverSend('a');
      task.serverClose(1000, 'done');
      await advance(0);
      expect(types()).toEqual(['open', 'close']);
      expect(clock.pending()).toEqual([0]);
      expect(() => clock.runAll()).toThrow(boom);
      expect(clock.pending()).toEqual([]);
    });

    it('still ends with a close event when background suspension killed the socket silently', async () => {
      const { runtime, socket, events } = await opened({ backgroundClose: 'silent' });
      runtime.hide();
      await advance(6000);
      runtime.show();
      await advance(0);
      expect(socket.readyState).toBe(1);
      socket.close();
      await advance(3000);
      expect(events.at(-1)).toMatchObject({ type: 'close', code: 1000, wasClean: false });
    });
  });
}
