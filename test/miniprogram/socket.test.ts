/**
 * The shared adapter on its own, over a hand-written SocketTask that never touches a timer:
 * with the global timers faked, any timer the adapter set behind the injected clock's back
 * would show up in `vi.getTimerCount()`.
 */
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { WebSocketLike } from '../../src/core/transport';
import { MiniProgramSocket, wechat } from '../../src/miniprogram';
import type { PlatformCallback, SocketTaskLike, WxLike } from '../../src/miniprogram/types';
import { advance, useFakeClock, watch, WS_URL } from './contract';
import { manualClock } from './manual-clock';

type Kind = 'open' | 'close' | 'error' | 'message';

/** `wx` whose task answers every call synchronously and lets the test fire its events. */
function syncWx() {
  const listeners: Record<Kind, PlatformCallback[]> = { open: [], close: [], error: [], message: [] };
  const sent: unknown[] = [];
  const closed: unknown[] = [];
  const fire = (kind: Kind, payload: unknown): void => listeners[kind].forEach((listener) => listener(payload));
  const task: SocketTaskLike = {
    send: ({ data, success }) => {
      sent.push(data);
      success?.({ errMsg: 'sendSocketMessage:ok' });
    },
    close: ({ code, reason }) => void closed.push({ code, reason }),
    onOpen: (listener) => listeners.open.push(listener),
    onClose: (listener) => listeners.close.push(listener),
    onError: (listener) => listeners.error.push(listener),
    onMessage: (listener) => listeners.message.push(listener),
  };
  const wx: WxLike = { connectSocket: () => task };
  return { wx, fire, sent, closed };
}

describe('MiniProgramSocket', () => {
  useFakeClock();

  it('sets no global timer at all when given a clock: open, send, receive, error, watchdog close', async () => {
    const clock = manualClock();
    const { wx, fire, sent, closed } = syncWx();
    const socket = new (wechat(wx, { clock, closeWatchdog: 250 }))(WS_URL);
    const { events, types } = watch(socket);
    fire('open', {});
    socket.send('up');
    fire('message', { data: 'down' });
    await advance(0);
    expect(sent).toEqual(['up']);
    expect(types()).toEqual(['open', 'message']);
    fire('error', { errMsg: 'link lost' });
    await advance(0);
    expect(closed).toHaveLength(1);
    expect(clock.pending()).toEqual([250]);
    expect(vi.getTimerCount()).toBe(0);
    clock.runAll();
    await advance(0);
    expect(events.at(-1)).toEqual({ type: 'close', code: 1006, reason: 'link lost', wasClean: false });
    expect(clock.pending()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not let a handler that returns a Promise (an async handler) hold back the events after it', async () => {
    const { wx, fire } = syncWx();
    const socket = new (wechat(wx))(WS_URL);
    const seen: string[] = [];
    socket.onopen = () => new Promise(() => seen.push('open'));
    socket.onmessage = (event) => new Promise(() => seen.push(String(event.data)));
    socket.onclose = () => void seen.push('close');
    fire('open', {});
    fire('message', { data: 'one' });
    fire('message', { data: 'two' });
    fire('close', { code: 1000, reason: '' });
    await advance(0);
    expect(seen).toEqual(['open', 'one', 'two', 'close']);
  });

  it('leaves no timer on the clock once the platform reports the close', async () => {
    const clock = manualClock();
    const { wx, fire } = syncWx();
    const socket = new (wechat(wx, { clock }))(WS_URL);
    const { types } = watch(socket);
    fire('open', {});
    socket.close(4000, 'bye');
    expect(clock.pending()).toEqual([3000]);
    fire('close', { code: 4000, reason: 'bye' });
    await advance(0);
    expect(types()).toEqual(['open', 'close']);
    expect(clock.pending()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses the global setTimeout when no clock is given', async () => {
    const { wx, fire } = syncWx();
    const socket = new (wechat(wx, { closeWatchdog: 400 }))(WS_URL);
    const { types } = watch(socket);
    fire('open', {});
    socket.close();
    expect(vi.getTimerCount()).toBe(1);
    await advance(400);
    expect(types()).toEqual(['open', 'close']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is the class behind every adapter, with the WebSocket constants on it', () => {
    const { wx } = syncWx();
    const socket = new (wechat(wx))(WS_URL);
    expect(socket).toBeInstanceOf(MiniProgramSocket);
    expect([MiniProgramSocket.CONNECTING, MiniProgramSocket.OPEN, MiniProgramSocket.CLOSING, MiniProgramSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    expect([socket.onopen, socket.onmessage, socket.onerror, socket.onclose]).toEqual([null, null, null, null]);
    expect((socket as MiniProgramSocket).url).toBe(WS_URL);
    expectTypeOf(MiniProgramSocket.OPEN).toEqualTypeOf<1>();
    expectTypeOf<MiniProgramSocket>().toMatchTypeOf<WebSocketLike>();
    expectTypeOf<MiniProgramSocket['protocol']>().toEqualTypeOf<string>();
  });
});
