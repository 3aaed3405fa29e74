import { describe, expect, it } from 'vitest';
import { bytedance } from '../../src/miniprogram';
import { adapterContract, advance, useFakeClock, watch, WS_URL } from './contract';
import { fakeTt } from './fakes';

adapterContract('bytedance', (config, options) => {
  const fake = fakeTt(config);
  return { runtime: fake, Socket: bytedance(fake.api, options) };
});

describe('bytedance: platform quirks', () => {
  useFakeClock();

  it('passes url, header and protocols to tt.connectSocket, never a timeout (not a tt mini-app option)', () => {
    const fake = fakeTt();
    // `timeout` is not in bytedance()'s options; an untyped caller's is not passed on.
    new (bytedance(fake.api, { header: { A: 'b' }, timeout: 5000 } as Parameters<typeof bytedance>[1]))(WS_URL, 'p1');
    const detail = fake.calls('connectSocket')[0]?.detail as Record<string, unknown>;
    expect(detail).toMatchObject({ url: WS_URL, header: { A: 'b' }, protocols: ['p1'] });
    expect(Object.keys(detail).sort()).toEqual(['fail', 'header', 'protocols', 'success', 'url']);
  });

  it('reads close codes that tt sends as strings', async () => {
    const fake = fakeTt({ stringCloseCodes: true });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { events } = watch(socket);
    await advance(20);
    fake.lastTask().serverClose(4001, 'kicked');
    await advance(0);
    expect(events.at(-1)).toEqual({ type: 'close', code: 4001, reason: 'kicked', wasClean: true });
  });

  it('holds sends until the connect success callback even when onOpen came first', async () => {
    const fake = fakeTt({ openMode: 'immediate', callbackDelay: 50, echo: false });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { types } = watch(socket);
    await advance(0);
    expect(types()).toEqual(['open']);
    socket.send('first');
    socket.send('second');
    await advance(10);
    expect(fake.calls('SocketTask.send')).toHaveLength(0);
    await advance(40);
    expect(fake.lastTask().received).toEqual(['first', 'second']);
    await advance(60);
    expect(types()).toEqual(['open']);
  });

  it('holds a close made before the connect success callback, then closes', async () => {
    const fake = fakeTt({ callbackDelay: 50, openMode: 'manual', closeBeforeOpen: 'cancel' });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { types } = watch(socket);
    socket.close(4000, 'early');
    await advance(10);
    expect(fake.calls('SocketTask.close')).toHaveLength(0);
    await advance(40);
    expect(fake.calls('SocketTask.close')).toHaveLength(1);
    await advance(20);
    expect(types()).toEqual(['close']);
    expect(fake.lastTask().state).toBe('closed');
  });

  it('closes the task when the connect success comes only after the close watchdog already gave up', async () => {
    const fake = fakeTt({ callbackDelay: 5000, openMode: 'manual', closeBeforeOpen: 'cancel' });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { types } = watch(socket);
    socket.close(4000, 'early');
    await advance(3000); // the watchdog synthesizes the close
    expect(types()).toEqual(['close']);
    expect(fake.calls('SocketTask.close')).toHaveLength(0);
    await advance(3000); // the slow success arrives: the platform task must not be left alive
    expect(fake.calls('SocketTask.close')).toHaveLength(1);
    expect(types()).toEqual(['close']);
  });

  it('carries out a close made after open but before the connect success as soon as success comes, not at the watchdog', async () => {
    const fake = fakeTt({ openMode: 'immediate', callbackDelay: 50 });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { events, types } = watch(socket);
    await advance(0);
    expect(types()).toEqual(['open']);
    socket.close(4000, 'early');
    await advance(10);
    expect(fake.calls('SocketTask.close')).toHaveLength(0);
    await advance(40);
    expect(fake.calls('SocketTask.close')).toHaveLength(1);
    await advance(20);
    expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'early', wasClean: true });
    expect(fake.lastTask().state).toBe('closed');
  });

  it('gives up the task at connect success when an error came between open and success', async () => {
    const fake = fakeTt({ openMode: 'immediate', callbackDelay: 50, dropMode: 'error-only' });
    const socket = new (bytedance(fake.api))(WS_URL);
    const { types } = watch(socket);
    await advance(0);
    fake.lastTask().fire('error', { errMsg: 'glitch' });
    await advance(10);
    expect(types()).toEqual(['open', 'error']);
    await advance(40);
    expect(fake.calls('SocketTask.close')).toHaveLength(1);
  });

  it('fails the connection when subprotocols are asked for and the server echoes none', async () => {
    const fake = fakeTt({ serverProtocol: undefined });
    const socket = new (bytedance(fake.api))(WS_URL, ['chat.v1']);
    const { events } = watch(socket);
    await advance(20);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[0]?.message).toContain('subprotocol');
  });

  it("does not trust the task's own readyState: it reports CLOSED after the watchdog while tt still says CLOSING", async () => {
    const fake = fakeTt({ reportClose: false, closeDelay: 10_000 });
    const socket = new (bytedance(fake.api))(WS_URL);
    await advance(20);
    socket.close();
    await advance(3000);
    expect(fake.lastTask().state).toBe('closing');
    expect(socket.readyState).toBe(3);
  });
});
