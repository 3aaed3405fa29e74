import { describe, expect, it } from 'vitest';
import { connect } from '../../src';
import { alipay } from '../../src/miniprogram';
import type { MyLike } from '../../src/miniprogram';
import { adapterContract, advance, bytesOf, useFakeClock, watch, WS_URL } from './contract';
import { fakeMy } from './fakes';

adapterContract('alipay', (config, options) => {
  const fake = fakeMy(config);
  return { runtime: fake, Socket: alipay(fake.api, options) };
});

adapterContract('alipay (nested listener payloads)', (config, options) => {
  const fake = fakeMy({ nestedPayloads: true, ...config });
  return { runtime: fake, Socket: alipay(fake.api, options) };
});

adapterContract("alipay (binary: 'arraybuffer')", (config, options) => {
  const fake = fakeMy({ arrayBufferSend: true, ...config });
  return { runtime: fake, Socket: alipay(fake.api, { binary: 'arraybuffer', ...options }) };
});

describe('alipay: platform quirks', () => {
  useFakeClock();

  async function openedAlipay(config: Parameters<typeof fakeMy>[0] = {}, options: Parameters<typeof alipay>[1] = {}) {
    const fake = fakeMy(config);
    const socket = new (alipay(fake.api, options))(WS_URL);
    const watched = watch(socket);
    await advance(20);
    return { fake, socket, ...watched };
  }

  it('asks for a SocketTask with multiple: true, and passes timeout only when set', () => {
    const fake = fakeMy();
    new (alipay(fake.api))(WS_URL);
    new (alipay(fake.api, { timeout: 8000 }))(WS_URL);
    const [first, second] = fake.calls('connectSocket').map((call) => call.detail as Record<string, unknown>);
    expect(first).toMatchObject({ url: WS_URL, multiple: true });
    expect('timeout' in (first ?? {})).toBe(false);
    expect(second).toMatchObject({ url: WS_URL, multiple: true, timeout: 8000 });
  });

  it('sees a connect failure on onError when my.connectSocket calls neither success nor fail', async () => {
    // @mini-types/alipay lists no success/fail/complete on my.connectSocket (the docs do): without them
    // an early failure still arrives on the task's onError.
    const fake = fakeMy({ allowedHosts: ['api.example.com'], domainErrorVia: 'onError' });
    const api: MyLike = { ...fake.api, connectSocket: (options) => fake.api.connectSocket({ url: options.url, multiple: true }) };
    const socket = new (alipay(api))(WS_URL);
    const { events } = watch(socket);
    await advance(50);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[0]?.message).toContain('url not in domain list');
  });

  it('ends an attempt that hears nothing at all with the client connectTimeout, and closes its task', async () => {
    const fake = fakeMy({ openMode: 'manual', closeBeforeOpen: 'cancel' });
    const api: MyLike = { ...fake.api, connectSocket: (options) => fake.api.connectSocket({ url: options.url, multiple: true }) };
    const socket = connect(WS_URL, { WebSocket: alipay(api), connectTimeout: 1000, backoff: { initialDelay: 100, maxDelay: 100 }, heartbeat: false });
    const closes: Array<{ code: number; reason: string }> = [];
    socket.on('close', ({ code, reason }) => closes.push({ code, reason }));
    socket.on('error', () => {});
    await advance(1050);
    expect(closes[0]).toMatchObject({ code: 1006, reason: 'connect timeout' });
    expect(fake.tasks[0]?.state).toBe('closed');
    await advance(200);
    expect(fake.tasks).toHaveLength(2);
    expect(fake.peakLive).toBe(1);
    socket.close();
    await advance(5000);
    expect(fake.liveTasks()).toHaveLength(0);
  });

  it('turns {error, errorMessage} failures into a readable message', async () => {
    const fake = fakeMy();
    const socket = new (alipay(fake.api))('ftp://example.com');
    const { events } = watch(socket);
    await advance(10);
    expect(events[0]?.message).toBe('my.connectSocket: invalid url: must start with ws:// or wss:// (error 5)');
  });

  it('sends binary as base64 with isBuffer by default, and text as plain data', async () => {
    const { fake, socket } = await openedAlipay({ echo: false });
    socket.send(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    socket.send('text');
    await advance(5);
    expect(fake.lastTask().sent.map(({ data, isBuffer }) => ({ data, isBuffer }))).toEqual([
      { data: '3q2+7w==', isBuffer: true },
      { data: 'text', isBuffer: undefined },
    ]);
  });

  it("passes the ArrayBuffer itself with binary: 'arraybuffer'", async () => {
    const { fake, socket } = await openedAlipay({ echo: false, arrayBufferSend: true }, { binary: 'arraybuffer' });
    socket.send(Uint8Array.from([1, 2]));
    await advance(5);
    const sent = fake.lastTask().sent[0];
    expect(sent?.['isBuffer']).toBeUndefined();
    expect(bytesOf(sent?.['data'])).toEqual([1, 2]);
  });

  it('decodes isBuffer frames; a frame whose base64 is broken is an error event, and the socket stays open', async () => {
    const { fake, socket, events } = await openedAlipay({ echo: false });
    const task = fake.lastTask();
    task.fire('message', { data: '!!!not base64', isBuffer: true });
    task.fire('message', { data: 'AAEC', isBuffer: true });
    await advance(0);
    expect(events.map((event) => event.type)).toEqual(['open', 'error', 'message']);
    expect(events[1]).toEqual({ type: 'error', message: 'unreadable message' });
    expect(bytesOf(events[2]?.data)).toEqual([0, 1, 2]);
    expect(socket.readyState).toBe(1);
  });

  it('sends every length remainder as the base64 btoa gives, and the platform gets the same bytes', async () => {
    const { fake, socket } = await openedAlipay({ echo: false });
    const inputs = Array.from({ length: 8 }, (_, length) => Uint8Array.from({ length }, (_, i) => (i * 97 + 251) & 0xff));
    for (const bytes of inputs) socket.send(bytes);
    await advance(5);
    const task = fake.lastTask();
    expect(task.sent.map(({ data }) => data)).toEqual(inputs.map((bytes) => btoa(String.fromCharCode(...bytes))));
    expect(task.received.map(bytesOf)).toEqual(inputs.map((bytes) => [...bytes]));
  });

  it('decodes isBuffer frames in the URL-safe alphabet, without padding or with line breaks', async () => {
    const { fake, events } = await openedAlipay({ echo: false });
    const task = fake.lastTask();
    task.fire('message', { data: '-_8', isBuffer: true });
    task.fire('message', { data: '+/8=', isBuffer: true });
    task.fire('message', { data: 'AAEC\r\nAw==', isBuffer: true });
    task.fire('message', { data: 'A', isBuffer: true });
    await advance(0);
    const messages = events.filter((event) => event.type === 'message');
    expect(messages.map((event) => event.data instanceof ArrayBuffer)).toEqual([true, true, true]);
    expect(messages.map((event) => bytesOf(event.data))).toEqual([[0xfb, 0xff], [0xfb, 0xff], [0, 1, 2, 3]]);
  });

  it('removes its listeners from the task with off* when closed', async () => {
    const { fake, socket } = await openedAlipay();
    expect(fake.lastTask().listenerCount()).toBe(4);
    socket.close();
    await advance(20);
    expect(socket.readyState).toBe(3);
    expect(fake.lastTask().listenerCount()).toBe(0);
  });

  describe('single-instance mode (connectSocket returns no task)', () => {
    it('drives the global socket API: open, echo, close, and removes the global listeners', async () => {
      const { fake, socket, events, types } = await openedAlipay({ multipleSupported: false });
      expect(types()).toEqual(['open']);
      socket.send('over the global socket');
      await advance(5);
      expect(events.at(-1)).toEqual({ type: 'message', data: 'over the global socket' });
      socket.close(4000, 'done');
      await advance(20);
      // my.onSocketClose carries only {reason}: the requested code fills in.
      expect(events.at(-1)).toEqual({ type: 'close', code: 4000, reason: 'done', wasClean: true });
      expect(Object.values(fake.globalListeners).every((list) => list.length === 0)).toBe(true);
    });

    it("sends binary over the global socket as base64 with isBuffer, even with binary: 'arraybuffer'", async () => {
      // my.sendSocketMessage takes text only (official docs and typings); only a SocketTask may take an ArrayBuffer.
      const { fake, socket, events } = await openedAlipay({ multipleSupported: false, arrayBufferSend: true }, { binary: 'arraybuffer' });
      socket.send(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
      await advance(5);
      expect(fake.calls('SocketTask.send').map((call) => call.detail)).toEqual(['3q2+7w==']);
      expect(bytesOf(events.at(-1)?.data)).toEqual([0xde, 0xad, 0xbe, 0xef]);
      expect(events.map((event) => event.type)).toEqual(['open', 'message']);
    });

    /** An open first socket on the single global socket, and a second one created after it. */
    async function twoSockets() {
      const fake = fakeMy({ multipleSupported: false });
      const Socket = alipay(fake.api);
      const first = new Socket(WS_URL);
      await advance(20);
      const second = new Socket(WS_URL);
      return { fake, first, second, ...watch(second) };
    }

    it('makes a second socket wait for the first one to close, then connects it', async () => {
      const { fake, first, second, types } = await twoSockets();
      await advance(50);
      expect(fake.calls('connectSocket')).toHaveLength(1);
      expect(second.readyState).toBe(0);
      first.close();
      await advance(50);
      expect(fake.calls('connectSocket')).toHaveLength(2);
      expect(types()).toEqual(['open']);
      expect(fake.peakLive).toBe(1);
    });

    it('lets a waiting socket be closed without ever connecting it', async () => {
      const { fake, first, second, events } = await twoSockets();
      second.close(4000, 'not needed');
      await advance(0);
      expect(events).toEqual([{ type: 'close', code: 4000, reason: 'not needed', wasClean: false }]);
      first.close();
      await advance(50);
      expect(fake.calls('connectSocket')).toHaveLength(1);
    });

    it('fails clearly when there is neither a task nor a global socket API', async () => {
      const Socket = alipay({ connectSocket: () => undefined });
      const socket = new Socket(WS_URL);
      const { events } = watch(socket);
      await advance(0);
      expect(events.map((event) => event.type)).toEqual(['error', 'close']);
      // Named once, with what connectSocket returned.
      expect(events[0]?.message).toBe('my.connectSocket returned no SocketTask (got undefined)');
    });
  });
});
