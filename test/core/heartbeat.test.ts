import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/core/connect';
import { createFakeEnvironment } from '../helpers/client-fake-environment';
import { createFakeWebSocket, type FakeWebSocket } from '../helpers/client-fake-ws';

// The heartbeat lives inside the core socket: these tests open a link on a fake WebSocket and
// watch its pings (`ws.sent`), answer them with pongs, and count the times the link was declared
// dead (`required: true`: a missing pong closes the link with 4000 and reports a TIMEOUT error).
const closeAll: Array<() => void> = [];

function setup(interval = 1000, timeout = 500) {
  const kit = createFakeWebSocket();
  const env = createFakeEnvironment();
  const socket = connect('ws://heartbeat.invalid/', {
    WebSocket: kit.WebSocket,
    environment: env,
    random: () => 1,
    heartbeat: { interval, timeout, required: true },
  });
  closeAll.push(() => socket.close());
  const rtts: number[] = [];
  socket.on('heartbeat', ({ rtt }) => rtts.push(rtt));
  let dead = 0;
  socket.on('error', (e) => {
    if (e.code === 'TIMEOUT' && e.message === 'heartbeat timeout') dead++;
  });
  let ws: FakeWebSocket | undefined;
  /** Opens the first link: the heartbeat starts. */
  const start = async () => {
    await vi.advanceTimersByTimeAsync(0);
    ws = kit.last();
    ws.open();
  };
  const link = () => ws as FakeWebSocket;
  /** The ts of every ping written to the link. */
  const pings = (): number[] =>
    link()
      .sent.filter((d): d is string => typeof d === 'string' && d.startsWith('{"type":"ping"'))
      .map((d) => (JSON.parse(d) as { ts: number }).ts);
  const pong = (ts: number) => link().receive(`{"type":"pong","ts":${ts}}`);
  return { socket, env, start, link, pings, pong, rtts, deaths: () => dead };
}

describe('the heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
  });
  afterEach(() => {
    for (const close of closeAll.splice(0)) close();
    vi.useRealTimers();
  });

  it('pings every interval with the clock time as ts while answered', async () => {
    const { start, pings, pong, rtts } = setup();
    await start();
    vi.advanceTimersByTime(999);
    expect(pings()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(pings()).toEqual([11_000]);
    vi.advanceTimersByTime(50);
    pong(11_000);
    expect(rtts).toHaveLength(1);
    vi.advanceTimersByTime(950);
    expect(pings()).toEqual([11_000, 12_000]);
  });

  it('reports the round trip of the matching pong', async () => {
    const { start, pong, rtts } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(42);
    pong(11_000);
    expect(rtts).toEqual([42]);
  });

  it('ignores a pong whose ts does not match the outstanding ping (it only proves the link alive)', async () => {
    const { start, pings, pong, rtts, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    pong(123);
    expect(rtts).toEqual([]);
    vi.advanceTimersByTime(500);
    // Not an answer: no rtt, and the ping stays outstanding until its timeout, where the frame
    // that arrived counts as proof of life; the cadence stays at interval from the ping.
    expect(deaths()).toBe(0);
    expect(pings()).toEqual([11_000]);
    vi.advanceTimersByTime(500);
    expect(pings()).toEqual([11_000, 12_000]);
    expect(rtts).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(deaths()).toBe(1);
  });

  it('declares the link dead exactly interval + timeout after the last answer, and pings it no more', async () => {
    const { start, link, pings, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1499);
    expect(deaths()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(deaths()).toBe(1);
    expect(link().closeCalls).toEqual([{ code: 4000, reason: 'heartbeat timeout' }]);
    vi.advanceTimersByTime(5000);
    expect(pings()).toHaveLength(1);
  });

  it('counts any inbound message since the ping as proof of life', async () => {
    const { start, link, pings, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1200);
    link().receive('hello');
    vi.advanceTimersByTime(300);
    expect(deaths()).toBe(0);
    vi.advanceTimersByTime(500);
    expect(pings()).toHaveLength(2);
  });

  it('re-pings instead of declaring death when the timeout timer fires far too late (machine slept)', async () => {
    const { start, pings, pong, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    // The machine sleeps: wall time jumps an hour, then the overdue timer fires.
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    expect(deaths()).toBe(0);
    expect(pings()).toHaveLength(2);
    pong(pings()[1] as number);
    vi.advanceTimersByTime(1000);
    expect(pings()).toHaveLength(3);
    expect(deaths()).toBe(0);
  });

  it('does declare death when the fresh ping after a late timer goes unanswered too', async () => {
    const { start, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    vi.advanceTimersByTime(500);
    expect(deaths()).toBe(1);
  });

  it('resume pings at once, and not twice while one is outstanding', async () => {
    const { start, env, pings, deaths } = setup(25_000, 10_000);
    await start();
    env.emit('resume');
    env.emit('resume');
    expect(pings()).toEqual([10_000]);
    vi.advanceTimersByTime(10_000);
    expect(deaths()).toBe(1);
  });

  it('stops with the link: close() leaves no timer and no outstanding ping', async () => {
    const { socket, start, link, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    socket.close();
    link().closed(1000, '', true);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(deaths()).toBe(0);
  });

  it('counts a message that arrives in the same millisecond as the ping as proof of life', async () => {
    const { start, link, pings, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    link().receive('hello'); // same clock time as the ping just sent
    vi.advanceTimersByTime(500);
    expect(deaths()).toBe(0);
    vi.advanceTimersByTime(500);
    expect(pings()).toHaveLength(2);
  });

  it('declares death, without a fresh ping, when the timeout timer fires exactly twice the timeout after the ping', async () => {
    const { start, pings, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 500); // the timer is due at +500 and fires at +1000: not more than twice
    vi.advanceTimersByTime(500);
    expect(pings()).toHaveLength(1);
    expect(deaths()).toBe(1);
  });

  it('grants the sleep grace again once a ping was answered', async () => {
    const { start, pings, pong, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500); // late: one fresh ping
    pong(pings()[1] as number);
    vi.advanceTimersByTime(1000); // next ping, answered on time
    pong(pings()[2] as number);
    vi.advanceTimersByTime(1000); // next ping, then the machine sleeps again
    expect(pings()).toHaveLength(4);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    expect(deaths()).toBe(0);
    expect(pings()).toHaveLength(5);
  });

  it('grants one fresh ping per outstanding ping: a second late timer declares death', async () => {
    const { start, pings, deaths } = setup();
    await start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500); // late: the fresh ping
    expect(pings()).toHaveLength(2);
    vi.setSystemTime(Date.now() + 3_600_000); // asleep again before its answer
    vi.advanceTimersByTime(500);
    expect(pings()).toHaveLength(2);
    expect(deaths()).toBe(1);
  });
});
