// The seam features plug into: what a feature function gets (FeatureHost) and when each hook runs.
// Every test builds a small feature of its own, the way a user would for their own protocol.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions } from '../../src/core/connect';
import type { Feature, FeatureHooks, FeatureHost } from '../../src/core/feature';
import type { Fate } from '../../src/core/queue';
import type { SendData, WebSocketConstructorLike } from '../../src/core/transport';
import { HoldfastError } from '../../src/protocol/errors';
import { createFakeEnvironment } from '../helpers/client-fake-environment';
import { createFakeWebSocket } from '../helpers/client-fake-ws';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

/** A feature that hands its host (and a log of its hooks) to the test. */
function probe(hooks: FeatureHooks = {}) {
  const seen: { host?: FeatureHost; log: string[] } = { log: [] };
  const feature: Feature<{ probed: true }> = (host) => {
    seen.host = host;
    host.hook({
      up: () => void seen.log.push(`up ${host.socket.state}`),
      down: (info) => void seen.log.push(`down ${info.code}`),
      end: (code) => void seen.log.push(`end ${code} ${host.socket.state}`),
      ...hooks,
    });
    return { probed: true };
  };
  return { feature, seen, host: () => seen.host as FeatureHost };
}

function setup(features: Feature[], options: ConnectOptions = {}) {
  const kit = createFakeWebSocket();
  const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: createFakeEnvironment(), heartbeat: false, random: () => 1, use: features, ...options });
  return { kit, socket };
}

describe('features', () => {
  it('adds what a feature returns to the socket, getters included, in use order', () => {
    let count = 0;
    const counter: Feature<{ readonly count: number; bump(): void }> = () => ({
      get count() {
        return count;
      },
      bump() {
        count++;
      },
    });
    const later: Feature<{ bump(): void }> = () => ({ bump: () => void (count += 10) });
    const { socket } = setup([counter]);
    (socket as unknown as { bump(): void }).bump();
    expect((socket as unknown as { count: number }).count).toBe(1);
    count = 5;
    expect((socket as unknown as { count: number }).count).toBe(5);
    const second = setup([counter, later]).socket as unknown as { bump(): void };
    second.bump();
    expect(count).toBe(15);
    socket.close();
  });

  it('refuses something in use that is not a feature', () => {
    expect(() => setup([{} as unknown as Feature])).toThrow(TypeError);
  });

  it('runs up before the queue is flushed, so what it writes goes first, and up sees state connecting', async () => {
    const p = probe({ up: () => void p.host().write('hello-first') });
    const { kit, socket } = setup([p.feature]);
    socket.send('queued');
    await tick();
    kit.last().open();
    expect(kit.last().sent).toEqual(['hello-first', 'queued']);
    expect(socket.state).toBe('open');
    socket.close();
  });

  it('tells down when an open link is lost and end once when closing for good', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature]);
    await tick();
    kit.last().open();
    kit.last().closed(1006);
    await tick(1000);
    kit.last().open();
    socket.close(4001);
    kit.last().closed(4001, '', true);
    expect(p.seen.log).toEqual(['up connecting', 'down 1006', 'up connecting', 'end 4001 closing']);
  });

  it('calls down then end when an open link ends with a final close code, and not down for a failed attempt', async () => {
    const p = probe();
    const { kit } = setup([p.feature]);
    await tick();
    kit.last().closed(1006); // attempt failed before opening
    await tick(1000);
    kit.last().open();
    kit.last().closed(1008);
    expect(p.seen.log).toEqual(['up connecting', 'down 1008', 'end 1008 closed']);
  });

  it('lets receive consume frames before message listeners, in use order, and passes the rest on', async () => {
    const order: string[] = [];
    const first = probe({ receive: (data) => (order.push(`first ${String(data)}`), data === 'mine') });
    const second = probe({ receive: (data) => void order.push(`second ${String(data)}`) });
    const { kit, socket } = setup([first.feature, second.feature]);
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(data));
    await tick();
    kit.last().open();
    kit.last().receive('mine');
    kit.last().receive('yours');
    kit.last().receive('{"type":"pong","ts":1}'); // heartbeats never reach features
    expect(order).toEqual(['first mine', 'first yours', 'second yours']);
    expect(messages).toEqual(['yours']);
    socket.close();
  });

  it('lets a send hook take a message over (socket.send and host.send alike)', async () => {
    const taken: SendData[] = [];
    const p = probe({ send: (data) => (data === 'secret' ? (taken.push(data), 'queued') : undefined) });
    const { kit, socket } = setup([p.feature]);
    await tick();
    kit.last().open();
    expect(socket.send('secret')).toBe('queued');
    expect(p.host().send('secret')).toBe('queued');
    expect(socket.send('plain')).toBe('sent');
    expect(taken).toEqual(['secret', 'secret']);
    expect(kit.last().sent).toEqual(['plain']);
    socket.close();
  });

  it('tells each message its fate: sent, overflow, expired, closed', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature], { queue: { maxMessages: 2, ttl: 500 } });
    const fates: string[] = [];
    const fate = (name: string): Fate => (outcome) => void fates.push(`${name} ${outcome}`);
    const host = p.host();
    host.send('a', fate('a'));
    host.send('b', fate('b'));
    host.send('c', fate('c')); // overflow pushes out a
    await tick(600); // b and c expire in the queue
    host.send('d', fate('d'));
    await tick();
    kit.last().open();
    host.send('e', fate('e'));
    socket.close();
    host.send('f', fate('f'));
    expect(fates).toEqual(['a overflow', 'b expired', 'c expired', 'd sent', 'e sent', 'f closed']);
    expect(kit.last().sent).toEqual(['d', 'e']);
  });

  it('reports what a feature discarded itself as a drop event, after telling its fate', async () => {
    const p = probe();
    const { socket } = setup([p.feature]);
    const log: string[] = [];
    socket.on('drop', ({ data, reason }) => void log.push(`drop ${String(data)} ${reason}`));
    p.host().drop('mine', 'overflow', (outcome) => void log.push(`fate ${outcome}`));
    p.host().drop('no fate', 'closed');
    expect(log).toEqual(['fate overflow', 'drop mine overflow', 'drop no fate closed']);
    socket.close();
  });

  it('withdraws a queued message whose fate answers false to sent', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature]);
    const written: unknown[] = [];
    p.host().hook({ frame: (data, outbound) => void (outbound && written.push(data)) });
    p.host().send('stale', () => false);
    p.host().send('fresh');
    await tick();
    kit.last().open();
    expect(kit.last().sent).toEqual(['fresh']);
    expect(written).toEqual(['fresh']);
    socket.close();
  });

  it('lets delay hooks change the wait before the next attempt, in use order, and reports one that throws', async () => {
    const seen: Array<[number, number | undefined]> = [];
    const double = probe({
      delay: (ms, info) => {
        seen.push([ms, info?.code]);
        return ms * 2;
      },
    });
    const plus = probe({ delay: (ms) => ms + 1 });
    const broken = probe({
      delay: () => {
        throw new Error('bug');
      },
    });
    const { kit, socket } = setup([double.feature, plus.feature, broken.feature], { backoff: { initialDelay: 100 } });
    const errors: HoldfastError[] = [];
    const delays: number[] = [];
    socket.on('error', (e) => void errors.push(e));
    socket.on('reconnecting', (e) => void delays.push(e.delay));
    await tick();
    kit.last().open();
    kit.last().closed(1011);
    expect(delays).toEqual([201]);
    expect(seen).toEqual([[100, 1011]]);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['LISTENER', 'hook threw']]);
    await tick(200);
    expect(kit.instances).toHaveLength(1);
    await tick(1);
    expect(kit.instances).toHaveLength(2);
    socket.close();
  });

  it('host.write writes only on an open link and never queues', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature]);
    expect(p.host().write('early')).toBe(false);
    await tick();
    kit.last().open();
    expect(p.host().write('now')).toBe(true);
    expect(socket.queue.length).toBe(0);
    expect(kit.last().sent).toEqual(['now']);
    socket.close();
    expect(p.host().write('late')).toBe(false);
  });

  it('host.error reports on the socket, and a removed hook is not called again', async () => {
    const received: unknown[] = [];
    let off = (): void => {};
    const feature: Feature = (host) => {
      off = host.hook({
        receive(data) {
          received.push(data);
          host.error(new HoldfastError('PROTOCOL', `feature saw ${String(data)}`));
        },
      });
      return {};
    };
    const kit = createFakeWebSocket();
    const errors: string[] = [];
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, use: [feature] });
    socket.on('error', (e) => errors.push(e.message));
    await tick();
    kit.last().open();
    kit.last().receive('one');
    off();
    kit.last().receive('two');
    expect(received).toEqual(['one']);
    expect(errors).toEqual(['feature saw one']);
    socket.close();
  });

  it('host.transport replaces the WebSocket constructor from the next attempt on', async () => {
    const kit = createFakeWebSocket();
    const urls: string[] = [];
    const wrapping: Feature = (host) => {
      host.transport((Inner): WebSocketConstructorLike => {
        return class extends (Inner as unknown as new (url: string, protocols?: string | string[]) => object) {
          constructor(url: string, protocols?: string | string[]) {
            urls.push(url);
            super(`${url}?via=wrapper`, protocols);
          }
        } as unknown as WebSocketConstructorLike;
      });
      return {};
    };
    const socket = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, use: [wrapping] });
    await tick();
    expect(urls).toEqual(['ws://x/']);
    expect(kit.last().url).toBe('ws://x/?via=wrapper');
    socket.close();
  });

  it('copes with a hook that closes the socket: no further hook, no event after the final close', async () => {
    const log: string[] = [];
    const closer = probe({ down: () => void closer.host().socket.close() });
    const after = probe({ down: () => void log.push('second down') });
    const { kit, socket } = setup([closer.feature, after.feature]);
    const closes: boolean[] = [];
    socket.on('close', ({ willReconnect }) => closes.push(willReconnect));
    await tick();
    kit.last().open();
    kit.last().closed(1006);
    expect(socket.state).toBe('closed');
    expect(log).toEqual([]);
    expect(closes).toEqual([false]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports a hook that throws as a LISTENER error and carries on: the link still opens', async () => {
    const p = probe({
      up() {
        throw new Error('feature bug');
      },
    });
    const { kit, socket } = setup([p.feature]);
    const errors: string[] = [];
    socket.on('error', (e) => errors.push(`${e.code} ${(e as { cause?: Error }).cause?.message}`));
    socket.send('queued');
    await tick();
    kit.last().open();
    expect(socket.state).toBe('open');
    expect(kit.last().sent).toEqual(['queued']);
    expect(errors).toEqual(['LISTENER feature bug']);
    socket.close();
  });

  it('delivers no message after a receive hook closed the socket', async () => {
    const p = probe({ receive: () => void p.host().socket.close() });
    const { kit, socket } = setup([p.feature]);
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(data));
    await tick();
    kit.last().open();
    kit.last().receive('bye');
    expect(socket.state).toBe('closing');
    expect(messages).toEqual([]);
  });
});

describe('features: hooks in edge cases', () => {
  it('queues what up sends with host.send behind the messages already waiting, and flushes it in the same flush', async () => {
    const p = probe({ up: () => void p.host().send('from-up') });
    const { kit, socket } = setup([p.feature]);
    socket.send('waiting');
    await tick();
    kit.last().open();
    expect(kit.last().sent).toEqual(['waiting', 'from-up']);
    socket.close();
  });

  it('needs no hook to be given: a feature with none sees a drop, a final close and close() without an error', async () => {
    const bare: Feature = (host) => {
      host.hook({});
      return {};
    };
    const { kit, socket } = setup([bare]);
    const errors: unknown[] = [];
    socket.on('error', (e) => errors.push(e));
    await tick();
    kit.last().open();
    kit.last().closed(1006); // down
    await tick(1000);
    kit.last().open();
    socket.close(); // end, from close()
    const other = setup([bare]);
    other.socket.on('error', (e) => errors.push(e));
    await tick();
    other.kit.last().open();
    other.kit.last().closed(1008); // down, then end, from a final close code
    expect(errors).toEqual([]);
  });

  it('removes only the hooks whose remover was called', async () => {
    const seen: string[] = [];
    let off = (): void => {};
    const feature: Feature = (host) => {
      off = host.hook({ receive: (data) => void seen.push(`first ${String(data)}`) });
      host.hook({ receive: (data) => void seen.push(`second ${String(data)}`) });
      return {};
    };
    const { kit, socket } = setup([feature]);
    await tick();
    kit.last().open();
    off();
    kit.last().receive('x');
    expect(seen).toEqual(['second x']);
    socket.close();
  });

  it('does not call down for an attempt that never opened, also when the socket then ends for good', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature], { backoff: { maxRetries: 0 } });
    await tick();
    kit.last().closed(1006); // never opened; no retry left
    expect(socket.state).toBe('closed');
    expect(p.seen.log).toEqual(['end 1006 closed']);
  });

  it('does not run up hooks for a late open of a replaced platform socket', async () => {
    const p = probe();
    const { kit, socket } = setup([p.feature]);
    await tick();
    const { onopen } = kit.last();
    socket.reconnect();
    onopen?.({});
    expect(p.seen.log).toEqual([]);
    expect(socket.state).toBe('connecting');
    socket.close();
  });
});
