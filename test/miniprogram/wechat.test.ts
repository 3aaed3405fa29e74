import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/core/connect';
import type { CoreOptions } from '../../src/core/options';
import { miniProgramEnvironment, wechat } from '../../src/miniprogram';
import { adapterContract, advance, bytesOf, useFakeClock, watch, WS_URL } from './contract';
import { fakeWx } from './fakes';

adapterContract('wechat', (config, options) => {
  const fake = fakeWx(config);
  return { runtime: fake, Socket: wechat(fake.api, options) };
});

describe('wechat: platform quirks', () => {
  useFakeClock();

  it('passes header, timeout, protocols and the WeChat connect flags through to wx.connectSocket', () => {
    const fake = fakeWx();
    const Socket = wechat(fake.api, { header: { Authorization: 'Bearer t' }, timeout: 5000, tcpNoDelay: true, perMessageDeflate: false });
    new Socket(WS_URL, 'chat.v1');
    expect(fake.calls('connectSocket')[0]?.detail).toMatchObject({
      url: WS_URL,
      header: { Authorization: 'Bearer t' },
      timeout: 5000,
      protocols: ['chat.v1'],
      tcpNoDelay: true,
      perMessageDeflate: false,
    });
  });

  it('reports a domain missing from the whitelist (delivered on onError) as error then close 1006', async () => {
    const fake = fakeWx({ allowedHosts: ['api.example.com'] });
    const socket = new (wechat(fake.api))('wss://evil.example.net/ws');
    const { events, types } = watch(socket);
    await advance(20);
    expect(types()).toEqual(['error', 'close']);
    expect(events[1]).toMatchObject({ code: 1006, wasClean: false, reason: 'createSocketTask:fail url not in domain list' });
  });

  it("turns WeChat's 'exceed max concurrent count' onError into error then close when the guard is raised", async () => {
    const fake = fakeWx();
    const Socket = wechat(fake.api, { maxSockets: 10 });
    for (let i = 0; i < 5; i++) new Socket(WS_URL);
    const sixth = new Socket(WS_URL);
    const { events, types } = watch(sixth);
    await advance(20);
    expect(types()).toEqual(['error', 'close']);
    expect(events[0]?.message).toContain('exceed max concurrent count');
  });

  it("maps the background 'interrupted' close (code 0), delivered on show, to 1006", async () => {
    const fake = fakeWx({ backgroundClose: 'interrupted' });
    const socket = new (wechat(fake.api))(WS_URL);
    const { events, types } = watch(socket);
    await advance(20);
    fake.hide();
    await advance(6000);
    expect(types()).toEqual(['open']);
    fake.show();
    await advance(0);
    expect(events.at(-1)).toEqual({ type: 'close', code: 1006, reason: 'interrupted', wasClean: false });
  });

  it('fails a connect attempted while suspended in the background', async () => {
    const fake = fakeWx();
    const Socket = wechat(fake.api);
    fake.hide();
    await advance(6000);
    fake.show();
    fake.hide();
    await advance(5000);
    const socket = new Socket(WS_URL);
    const { events } = watch(socket);
    fake.show();
    await advance(10);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[1]?.reason).toContain('interrupted');
  });

  it('fails clearly when wx.connectSocket returns no SocketTask (base library below 1.7.0)', async () => {
    const Socket = wechat({ connectSocket: () => undefined });
    const socket = new Socket(WS_URL);
    const { events } = watch(socket);
    await advance(0);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[0]?.message).toBe('wx.connectSocket returned no SocketTask (got undefined)');
  });

  it('reports a connectSocket that throws as error then close instead of throwing from the constructor', async () => {
    const Socket = wechat({
      connectSocket: () => {
        throw new Error('boom');
      },
    });
    let socket: ReturnType<typeof Reflect.construct> | undefined;
    expect(() => {
      socket = new Socket(WS_URL);
    }).not.toThrow();
    const { types } = watch(socket);
    await advance(0);
    expect(types()).toEqual(['error', 'close']);
  });

  it('reads the message of an Error thrown from another JS context', async () => {
    const Socket = wechat({
      connectSocket: () => {
        throw runInNewContext("new Error('createSocketTask:fail boom')");
      },
    });
    const { events } = watch(new Socket(WS_URL));
    await advance(0);
    expect(events[0]).toEqual({ type: 'error', message: 'wx.connectSocket: createSocketTask:fail boom' });
  });

  it('never calls an off* method, which wx tasks do not have', async () => {
    const fake = fakeWx();
    const socket = new (wechat(fake.api))(WS_URL);
    await advance(20);
    socket.close();
    await advance(20);
    expect(fake.log.some((entry) => entry.name.startsWith('SocketTask.off'))).toBe(false);
    expect(socket.readyState).toBe(3);
  });
});

describe('wechat: the full client through the adapter', () => {
  useFakeClock();

  function client(fake: ReturnType<typeof fakeWx>, extra: Omit<CoreOptions, 'binaryType'> = {}) {
    const socket = connect(WS_URL, {
      WebSocket: wechat(fake.api),
      backoff: { initialDelay: 100, maxDelay: 100 },
      heartbeat: false,
      ...extra,
    });
    const messages: Array<string | ArrayBuffer> = [];
    const closes: Array<{ code: number; willReconnect: boolean }> = [];
    socket.on('message', (data) => messages.push(data));
    socket.on('close', ({ code, willReconnect }) => closes.push({ code, willReconnect }));
    return { socket, messages, closes };
  }

  it('flushes sends queued while connecting in order, then echoes text and binary through wx', async () => {
    const fake = fakeWx();
    const { socket, messages } = client(fake);
    expect(socket.send('queued 1')).toBe('queued');
    expect(socket.send(Uint8Array.from([1, 2, 3]))).toBe('queued');
    await advance(20);
    expect(socket.state).toBe('open');
    expect(socket.send('live')).toBe('sent');
    await advance(10);
    expect(fake.lastTask().received.slice(0, 1)).toEqual(['queued 1']);
    expect(messages[0]).toBe('queued 1');
    expect(bytesOf(messages[1])).toEqual([1, 2, 3]);
    expect(messages[2]).toBe('live');
    socket.close();
    await advance(2000);
    expect(socket.state).toBe('closed');
  });

  it('reconnects through a fresh SocketTask after the link drops, never holding two tasks', async () => {
    const fake = fakeWx();
    const { socket, messages, closes } = client(fake);
    await advance(20);
    fake.lastTask().drop();
    await advance(10);
    expect(closes).toEqual([{ code: 1006, willReconnect: true }]);
    await advance(200);
    expect(socket.state).toBe('open');
    expect(fake.tasks).toHaveLength(2);
    expect(fake.peakLive).toBe(1);
    socket.send('after reconnect');
    await advance(10);
    expect(messages).toEqual(['after reconnect']);
    socket.close();
    await advance(2000);
    expect(fake.liveTasks()).toHaveLength(0);
  });

  it('on app show, finds a socket that background suspension killed silently and reconnects', async () => {
    const fake = fakeWx({ backgroundClose: 'silent', echo: false });
    const { socket, closes } = client(fake, {
      environment: miniProgramEnvironment(fake.api),
      heartbeat: { interval: 60_000, timeout: 1000 },
    });
    await advance(20);
    fake.hide();
    await advance(6000);
    expect(socket.state).toBe('open');
    fake.show();
    await advance(3000);
    expect(closes[0]).toMatchObject({ code: 1006, willReconnect: true });
    expect(socket.state).toBe('open');
    expect(fake.tasks).toHaveLength(2);
    socket.close();
    await advance(2000);
  });
});
