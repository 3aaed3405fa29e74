import { describe, expect, it } from 'vitest';
import { uni } from '../../src/miniprogram';
import { adapterContract, advance, useFakeClock, watch, WS_URL } from './contract';
import { fakeUni } from './fakes';

adapterContract('uni', (config, options) => {
  const fake = fakeUni(config);
  return { runtime: fake, Socket: uni(fake.api, options) };
});

describe('uni: platform quirks', () => {
  useFakeClock();

  it('always passes success, fail and complete (else uni returns a Promise), and multiple for uni on Alipay', () => {
    const fake = fakeUni();
    const socket = new (uni(fake.api))(WS_URL);
    const options = fake.calls('connectSocket')[0]?.detail as Record<string, unknown>;
    expect(typeof options['complete']).toBe('function');
    expect(typeof options['success']).toBe('function');
    expect(typeof options['fail']).toBe('function');
    expect(options['multiple']).toBe(true);
    expect(socket.readyState).toBe(0);
  });

  it('waits for a Promise it gets instead of a task; a rejection fails the socket, without an unhandled rejection', async () => {
    const Socket = uni({ connectSocket: () => Promise.reject(new Error('connectSocket:fail')) });
    const socket = new Socket(WS_URL);
    const { events } = watch(socket);
    await advance(0);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[0]?.message).toBe('uni.connectSocket: connectSocket:fail');
    expect(events[1]).toMatchObject({ code: 1006, wasClean: false });
  });

  it('fails clearly when the Promise brings no task (uni 2 resolves [error, result]), and closes what it can', async () => {
    const closed: unknown[] = [];
    const odd = { close: (options: unknown) => closed.push(options) };
    const Socket = uni({ connectSocket: () => Promise.resolve(odd) });
    const socket = new Socket(WS_URL);
    const { events } = watch(socket);
    await advance(0);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[0]?.message).toBe('uni.connectSocket returned no SocketTask (got object)');
    expect(closed).toHaveLength(1);
  });

  it('still opens when the fake would have answered a callback-less call with a Promise', async () => {
    const fake = fakeUni();
    expect(fake.api.connectSocket({ url: WS_URL })).toBeInstanceOf(Promise);
    const socket = new (uni(fake.api))(WS_URL);
    const { types } = watch(socket);
    await advance(20);
    expect(types()).toEqual(['open']);
  });
});
