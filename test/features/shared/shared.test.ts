// shared(): election and routing between fake tabs (fake Web Locks and BroadcastChannels), on the
// fake WebSocket with fake timers. One fake WebSocket kit stands for the server: its instances
// are the physical links.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type ConnectOptions } from '../../../src/core/connect';
import { rpc } from '../../../src/features/rpc/rpc';
import { envelopeCodec } from '../../../src/codecs/envelope';
import { jsonRpcCodec } from '../../../src/codecs/json-rpc';
import type { Codec } from '../../../src/codecs/codec';
import { decodeEnvelope, encodeEnvelope } from '../../../src/protocol/envelope';
import { blobToArrayBuffer, isBlob } from '../../../src/binary/bytes';
import { shared, SHARED_TICK, SHARED_VERSION } from '../../../src/features/shared/shared';
import { createFakeEnvironment } from '../../helpers/client-fake-environment';
import { createFakeWebSocket, type FakeWebSocket } from '../../helpers/client-fake-ws';
import { createOrigin, type FakeOrigin, type FakeTab } from './fake-tabs';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});
/**
 * Advances `ms`, then lets the channel hops that follow run: each is a 0 ms timer, which fake
 * timers run only once the clock moves, so each hop costs 1 ms of fake time.
 */
async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < HOPS; i++) await vi.advanceTimersByTimeAsync(1);
}
const HOPS = 6;
const isArrayBuffer = (v: unknown): boolean => Object.prototype.toString.call(v) === '[object ArrayBuffer]';

let origin: FakeOrigin;
let kit: ReturnType<typeof createFakeWebSocket>;
beforeEach(() => {
  origin = createOrigin();
  kit = createFakeWebSocket();
});

type Options = Omit<ConnectOptions, 'use' | 'binaryType' | 'WebSocket'> & { key?: string; codec?: Codec; binaryType?: 'blob' };

/** A tab with one socket using shared() and rpc(), recording what the socket reports. */
function open(options: Options = {}, tab: FakeTab = origin.tab()) {
  const { key, codec, ...rest } = options;
  const socket = connect('ws://x/', {
    WebSocket: kit.WebSocket,
    environment: createFakeEnvironment(),
    heartbeat: false,
    random: () => 1,
    backoff: { initialDelay: 100, maxDelay: 100 },
    ...rest,
    use: [shared({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel }), rpc({ timeout: 5000, codec })],
  });
  const messages: unknown[] = [];
  const errors: string[] = [];
  const states: string[] = [];
  socket.on('message', (data) => messages.push(data));
  socket.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  socket.on('state', (e) => states.push(e.to));
  return { tab, socket, messages, errors, states };
}

/** Opens `count` tabs, lets the first lead, and opens the one physical link. */
async function tabs(count: number, options: Options = {}) {
  const list = [];
  for (let i = 0; i < count; i++) {
    list.push(open(options));
    await tick();
  }
  await tick();
  expect(kit.instances).toHaveLength(1);
  kit.last().open();
  await tick();
  return list;
}

const live = (): FakeWebSocket[] => kit.instances.filter((ws) => ws.readyState < 2);

describe('shared(): one link for every tab', () => {
  it('three tabs open one WebSocket; every socket opens when it does, and the first tab leads', async () => {
    const [a, b, c] = await tabs(3);
    expect([a, b, c].map((t) => t!.socket.state)).toEqual(['open', 'open', 'open']);
    expect([a, b, c].map((t) => t!.socket.leader)).toEqual([true, false, false]);
    expect(origin.holder()).toBe(a!.tab);
    expect(origin.waiting).toBe(2);
  });

  it('sends from every tab reach the link once each and in order per tab', async () => {
    const [a, b, c] = await tabs(3);
    for (let i = 1; i <= 3; i++) {
      a!.socket.send(`a${i}`);
      b!.socket.send(`b${i}`);
      c!.socket.send(`c${i}`);
    }
    await tick();
    const sent = kit.last().sent as string[];
    expect(sent.slice().sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2', 'c3']);
    for (const who of ['a', 'b', 'c']) expect(sent.filter((m) => m.startsWith(who))).toEqual([`${who}1`, `${who}2`, `${who}3`]);
  });

  it('an inbound message reaches every tab exactly once; binary arrives as an exact ArrayBuffer copy', async () => {
    const [a, b, c] = await tabs(3);
    kit.last().receive('hello all');
    kit.last().receive(new Uint8Array([1, 2, 3]).buffer);
    await tick();
    for (const t of [a, b, c]) {
      expect(t!.messages).toHaveLength(2);
      expect(t!.messages[0]).toBe('hello all');
      expect(isArrayBuffer(t!.messages[1])).toBe(true);
      expect([...new Uint8Array(t!.messages[1] as ArrayBuffer)]).toEqual([1, 2, 3]);
    }
  });

  it("binary reaches a socket made with binaryType 'blob' as a Blob, leader or follower, and the others as an ArrayBuffer", async () => {
    const a = open({ binaryType: 'blob' });
    await tick();
    const b = open({ binaryType: 'blob' });
    const c = open();
    await tick();
    kit.last().open();
    await tick();
    expect([a.socket.leader, b.socket.state, c.socket.state]).toEqual([true, 'open', 'open']);
    kit.last().receive(new Uint8Array([1, 2, 3]).buffer);
    kit.last().receive('text stays text');
    await tick();
    for (const t of [a, b]) {
      expect(t.messages).toHaveLength(2);
      expect(isBlob(t.messages[0])).toBe(true);
      expect([...new Uint8Array(await blobToArrayBuffer(t.messages[0] as Blob))]).toEqual([1, 2, 3]);
      expect(t.messages[1]).toBe('text stays text');
    }
    expect(isArrayBuffer(c.messages[0])).toBe(true);
    expect([...new Uint8Array(c.messages[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it('a view sent by a follower goes out as its own bytes only, not its whole buffer', async () => {
    const [, b] = await tabs(2);
    const big = new Uint8Array([9, 8, 7, 6, 5]);
    b!.socket.send(big.subarray(1, 3));
    await tick();
    const out = kit.last().sent[0] as ArrayBuffer;
    expect(isArrayBuffer(out)).toBe(true);
    expect([...new Uint8Array(out)]).toEqual([8, 7]);
  });

  it('requests from two tabs with the same rpc id get distinct wire ids, and each answer reaches only its tab', async () => {
    const [a, b] = await tabs(2);
    const fromA = a!.socket.request('echo', 'A');
    const fromB = b!.socket.request('echo', 'B');
    await tick();
    const requests = (kit.last().sent as string[]).map((s) => JSON.parse(s) as { id: string; params: string; method: string });
    expect(requests).toHaveLength(2);
    expect(requests[0]!.id).not.toBe(requests[1]!.id);
    for (const r of requests) expect(r).toMatchObject({ type: 'request', method: 'echo', id: expect.stringMatching(/^~\w+~1$/) });
    // Answer B first, then A, each with the id it came with.
    for (const r of requests.slice().reverse()) kit.last().receive(JSON.stringify({ type: 'response', id: r.id, result: `to ${r.params}` }));
    await tick();
    await expect(fromA).resolves.toBe('to A');
    await expect(fromB).resolves.toBe('to B');
    expect(a!.errors).toEqual([]);
    expect(b!.errors).toEqual([]);
    expect(a!.messages).toEqual([]);
    expect(b!.messages).toEqual([]);
  });

  it('binary envelope requests (envelope codec) from two tabs with the same id get distinct wire ids, and each answer reaches only its tab', async () => {
    const [a, b] = await tabs(2, { codec: envelopeCodec });
    const fromA = a!.socket.request('echo', { file: new Uint8Array([1, 2]) });
    const fromB = b!.socket.request('echo', { file: new Uint8Array([3, 4, 5]) });
    await tick();
    const frames = kit.last().sent.map((f) => decodeEnvelope(new Uint8Array(f as ArrayBuffer))!);
    expect(frames).toHaveLength(2);
    const ids = frames.map((f) => f.message.type === 'request' && f.message.id);
    expect(ids[0]).not.toBe(ids[1]);
    for (const [i, f] of frames.entries()) {
      expect(f.message).toMatchObject({ type: 'request', method: 'echo', id: expect.stringMatching(/^~\w+~1$/) });
      expect([...f.attachments[0]!]).toEqual(i === 0 ? [1, 2] : [3, 4, 5]);
    }
    // Answer B first, then A: each with its request's id and its attachment, as an envelope.
    for (const [i, f] of [...frames.entries()].reverse()) {
      const id = (f.message as { id: string }).id;
      kit.last().receive(encodeEnvelope({ type: 'response', id, result: { $binary: 0 } }, [Uint8Array.of(i === 0 ? 10 : 20, 99)]).slice().buffer);
    }
    await tick();
    expect([...((await fromA) as Uint8Array)]).toEqual([10, 99]);
    expect([...((await fromB) as Uint8Array)]).toEqual([20, 99]);
    expect([a!.errors, b!.errors, a!.messages, b!.messages]).toEqual([[], [], [], []]);
  });

  it("a server request in a binary envelope reaches only the leader's socket and is answered once", async () => {
    const [a, b] = await tabs(2, { codec: envelopeCodec });
    for (const t of [a, b]) t!.socket.handle('size', (p) => (t === a ? (p as Uint8Array).length : -1));
    kit.last().receive(encodeEnvelope({ type: 'request', id: 7, method: 'size', params: { $binary: 0 } }, [Uint8Array.of(1, 2, 3)]).slice().buffer);
    await tick();
    expect(kit.last().sent).toEqual([JSON.stringify({ type: 'response', id: 7, result: 3 })]);
  });

  it("JSON-RPC batches: each tab's request ids are tagged, and each tab gets back only its own answers, with its ids", async () => {
    const [a, b] = await tabs(2);
    a!.socket.send(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'sum', params: [1, 2] }, { jsonrpc: '2.0', method: 'log', params: ['x'] }]));
    b!.socket.send(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'sum', params: [3, 4] }]));
    await tick();
    type Item = { id?: string; method: string; params: unknown };
    const [batchA, batchB] = (kit.last().sent as string[]).map((s) => JSON.parse(s) as Item[]);
    expect(batchA![0]!.id).toMatch(/^~\w+~1$/);
    expect(batchB![0]!.id).toMatch(/^~\w+~1$/);
    expect(batchA![0]!.id).not.toBe(batchB![0]!.id);
    expect(batchA![1]).toEqual({ jsonrpc: '2.0', method: 'log', params: ['x'] }); // a notification has no id to tag
    const answer = (item: Item, result: number) => ({ jsonrpc: '2.0', id: item.id, result });
    // One server batch answering both tabs, then one for a only, then one with a tag of no tab here.
    kit.last().receive(JSON.stringify([answer(batchA![0]!, 3), answer(batchB![0]!, 7)]));
    kit.last().receive(JSON.stringify([answer(batchA![0]!, 30)]));
    kit.last().receive(JSON.stringify([{ jsonrpc: '2.0', id: '~zz~1', result: 0 }, { jsonrpc: '2.0', id: 'plain', result: 0 }]));
    await tick();
    const plain = JSON.stringify([{ jsonrpc: '2.0', id: 'plain', result: 0 }]);
    expect(a!.messages).toEqual([JSON.stringify([{ jsonrpc: '2.0', id: 1, result: 3 }]), JSON.stringify([{ jsonrpc: '2.0', id: 1, result: 30 }]), plain]);
    expect(b!.messages).toEqual([JSON.stringify([{ jsonrpc: '2.0', id: 1, result: 7 }]), plain]);
  });

  it("a server's JSON-RPC batch: its requests reach only the leader's socket (answered once), its notifications every socket", async () => {
    const [a, b, c] = await tabs(3, { codec: jsonRpcCodec() });
    const seen: string[] = [];
    for (const t of [a, b, c]) {
      t!.socket.handle('whoami', () => (t === a ? 'a' : 'other'));
      t!.socket.onEvent('news', (d) => seen.push(String(d)));
    }
    kit.last().receive(JSON.stringify([{ jsonrpc: '2.0', id: 5, method: 'whoami' }, { jsonrpc: '2.0', method: 'news', params: ['n'] }]));
    await tick();
    expect(kit.last().sent).toEqual([JSON.stringify({ jsonrpc: '2.0', id: 5, result: 'a' })]);
    expect(seen).toEqual(['n', 'n', 'n']);
    expect([a!.errors, b!.errors, c!.errors]).toEqual([[], [], []]);
  });

  it('a request for a string id keeps its type through the tag', async () => {
    const [, b] = await tabs(2);
    b!.socket.send(JSON.stringify({ type: 'request', id: 'mine-7', method: 'raw' }));
    await tick();
    const wire = JSON.parse(kit.last().sent[0] as string) as { id: string };
    expect(wire.id).toMatch(/^~\w+~"mine-7"$/);
    kit.last().receive(JSON.stringify({ type: 'response', id: wire.id, result: 1 }));
    await tick();
    // rpc() did not send it, so the restored response reaches rpc as a response for an unknown id.
    expect(b!.errors).toEqual(['PROTOCOL: response for unknown or settled request id "mine-7"']);
  });

  it("a server request reaches only the leader's socket and is answered once", async () => {
    const [a, b, c] = await tabs(3);
    for (const t of [a, b, c]) t!.socket.handle('whoami', () => (t === a ? 'a' : 'other'));
    kit.last().receive(JSON.stringify({ type: 'request', id: 99, method: 'whoami' }));
    await tick();
    expect(kit.last().sent).toEqual([JSON.stringify({ type: 'response', id: 99, result: 'a' })]);
  });

  it('a server request for a method the leader does not handle is answered once, METHOD_NOT_FOUND, even when followers handle it', async () => {
    const [, b, c] = await tabs(3);
    const ran: string[] = [];
    for (const t of [b, c]) t!.socket.handle('whoami', () => void ran.push('follower'));
    kit.last().receive(JSON.stringify({ type: 'request', id: 5, method: 'whoami' }));
    await tick();
    expect(ran).toEqual([]);
    expect(kit.last().sent).toHaveLength(1);
    expect(JSON.parse(kit.last().sent[0] as string)).toMatchObject({ type: 'response', id: 5, error: { code: 'METHOD_NOT_FOUND' } });
  });

  it('events reach every tab', async () => {
    const [a, b] = await tabs(2);
    const seen: string[] = [];
    a!.socket.onEvent('news', (d) => seen.push(`a:${String(d)}`));
    b!.socket.onEvent('news', (d) => seen.push(`b:${String(d)}`));
    kit.last().receive(JSON.stringify({ type: 'event', event: 'news', data: 'x' }));
    await tick();
    expect(seen.sort()).toEqual(['a:x', 'b:x']);
  });

  it("only the leader's heartbeat reaches the link; a follower's ping is answered in its tab", async () => {
    const [a, b] = await tabs(2, { heartbeat: { interval: 1000, timeout: 500 } });
    await tick(1000);
    const sent = kit.last().sent as string[];
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^\{"type":"ping","ts":\d+\}$/);
    kit.last().receive(sent[0]!.replace('ping', 'pong'));
    await tick();
    expect(a!.socket.rtt).toBeGreaterThan(0); // the server's answer, a few channel hops later
    expect(b!.socket.rtt).toBe(0); // answered in its own tab, in a microtask
    // Several follower intervals later: still only the leader's pings on the link, each answered.
    for (let i = 0; i < 3; i++) {
      await tick(1000);
      const last = (kit.last().sent as string[]).at(-1)!;
      kit.last().receive(last.replace('ping', 'pong'));
    }
    await tick();
    expect((kit.last().sent as string[]).every((s) => s.startsWith('{"type":"ping"'))).toBe(true);
    expect(kit.last().sent).toHaveLength(4);
    expect([a!.socket.state, b!.socket.state]).toEqual(['open', 'open']);
    expect(b!.errors).toEqual([]);
    // The server's heartbeat frames stay with the leader: the follower never sees its pings.
    kit.last().receive('{"type":"ping","ts":5}');
    await tick();
    expect((kit.last().sent as string[]).filter((s) => s === '{"type":"pong","ts":5}')).toHaveLength(1);
  });

  it('a message of another channel version is ignored', async () => {
    const [a, b] = await tabs(2);
    const stranger = new a!.tab.BroadcastChannel(`holdfast/${SHARED_VERSION} ${JSON.stringify(['ws://x/', undefined])}`);
    stranger.postMessage([SHARED_VERSION + 1, 'c', Date.now() * 2, 1000, 'from the future']);
    stranger.postMessage({ not: 'ours' });
    await tick();
    expect([a!.socket.state, b!.socket.state]).toEqual(['open', 'open']);
    stranger.postMessage([SHARED_VERSION, 'm', 1, 'stale link']);
    await tick();
    expect(b!.messages).toEqual([]);
    stranger.close();
  });

  it('sockets with another url, or another key, use their own link', async () => {
    const a = open({ key: 'chat' });
    const b = open({ key: 'chat' });
    const c = open({ key: 'other' });
    await tick();
    await tick();
    expect(kit.instances).toHaveLength(2);
    expect([a.socket.leader, b.socket.leader, c.socket.leader]).toEqual([true, false, true]);
  });

  it('close() in a follower ends only that socket; the last one to close closes the link', async () => {
    const [a, b, c] = await tabs(3);
    b!.socket.close();
    await tick();
    expect(b!.socket.state).toBe('closed');
    expect(b!.tab.openChannels).toBe(0);
    expect([a!.socket.state, c!.socket.state]).toEqual(['open', 'open']);
    expect(kit.instances).toHaveLength(1);
    expect(kit.last().closeCalls).toEqual([]);
    c!.socket.close();
    a!.socket.close();
    await tick();
    expect(kit.last().closeCalls).toEqual([{ code: 1000, reason: 'leader left' }]);
    expect(origin.holder()).toBeUndefined();
    expect(origin.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the server closing the link closes every socket, and only the leader reconnects it', async () => {
    const [a, b, c] = await tabs(3);
    kit.last().closed(1012, 'restart');
    await tick();
    for (const t of [a, b, c]) expect(t!.states.slice(-1)).toEqual(['reconnecting']);
    b!.socket.send('while down');
    await tick(100);
    expect(kit.instances).toHaveLength(2);
    kit.last().open();
    await tick();
    expect([a, b, c].map((t) => t!.socket.state)).toEqual(['open', 'open', 'open']);
    expect(kit.last().sent).toEqual(['while down']);
  });
});

describe('shared(): leadership moves', () => {
  it('the leader closing hands over: a follower opens a new link at once, and what followers queued goes out on it', async () => {
    const [a, b, c] = await tabs(3);
    a!.socket.close();
    await tick();
    expect(kit.instances).toHaveLength(2); // the new leader's link, opened without waiting for a backoff
    expect(b!.socket.leader).toBe(true);
    expect(c!.socket.state).toBe('reconnecting');
    b!.socket.send('b queued');
    c!.socket.send('c queued');
    await tick(100); // the followers' own backoff
    kit.last().open();
    await tick();
    expect([b!.socket.state, c!.socket.state]).toEqual(['open', 'open']);
    expect((kit.last().sent as string[]).sort()).toEqual(['b queued', 'c queued']);
    expect(live()).toHaveLength(1);
  });

  it('a crashed leader tab (lock released, nothing said) is replaced within one channel hop of the release', async () => {
    const [a, b, c] = await tabs(3);
    a!.tab.crash();
    await tick();
    expect(kit.instances).toHaveLength(2);
    const newLeader = [b, c].find((t) => t!.socket.leader);
    expect(newLeader).toBe(b);
    expect(c!.socket.state).toBe('reconnecting'); // told by the new leader's first word
    c!.socket.send('queued in c');
    await tick(100);
    kit.last().open();
    await tick();
    expect(kit.last().sent).toEqual(['queued in c']);
    expect([b!.socket.state, c!.socket.state]).toEqual(['open', 'open']);
  });

  it('a frozen leader is taken over within 3–4 ticks, and steps down (closing its link) when it thaws', async () => {
    const [a, b, c] = await tabs(3);
    a!.tab.freeze();
    await tick(3 * SHARED_TICK - 2 * HOPS);
    expect(kit.instances).toHaveLength(1);
    await tick(SHARED_TICK);
    expect(kit.instances).toHaveLength(2);
    const leaders = [b, c].filter((t) => t!.socket.leader);
    expect(leaders).toHaveLength(1);
    kit.last().open();
    await tick(100);
    await tick();
    expect([b!.socket.state, c!.socket.state]).toEqual(['open', 'open']);
    a!.tab.thaw();
    await tick();
    expect(a!.socket.leader).toBe(false);
    expect(kit.instances[0]!.readyState).toBe(2); // the old link, closed by its old leader
    await tick(100);
    expect(a!.socket.state).toBe('open'); // back, through the new leader
    expect(live()).toEqual([kit.last()]);
  });

  it('a frozen leader that still hears the channel (as in Chromium) steps down on hearing the new link, closing its own', async () => {
    const [a, b] = await tabs(2);
    a!.tab.freeze();
    await tick(4 * SHARED_TICK);
    expect(b!.socket.leader).toBe(true);
    expect(kit.instances).toHaveLength(2);
    expect(kit.instances[0]!.readyState).toBe(1);
    a!.tab.hear();
    await tick();
    // Still frozen: it has not learnt that its lock was stolen, but it heard of the new link.
    expect(a!.socket.leader).toBe(false);
    expect(kit.instances[0]!.readyState).toBe(2);
    kit.last().open();
    a!.tab.thaw();
    await tick(100);
    await tick();
    expect([a!.socket.state, b!.socket.state]).toEqual(['open', 'open']);
    expect(live()).toEqual([kit.last()]);
    expect([a, b].filter((t) => t!.socket.leader)).toHaveLength(1);
  });

  it('a thawing leader whose link closes before it learns of the steal opens no new link: it steps down', async () => {
    const [a, b, c] = await tabs(3);
    a!.tab.freeze();
    await tick(4 * SHARED_TICK);
    expect(kit.instances).toHaveLength(2);
    kit.last().open();
    await tick(100);
    await tick();
    expect([b!.socket.state, c!.socket.state]).toEqual(['open', 'open']);
    // What the page runs first when it thaws: its old link's close (then its reconnect), before
    // the news of the steal and the channel's messages.
    kit.instances[0]!.closed(1006);
    await tick(200);
    expect(kit.instances).toHaveLength(2);
    a!.tab.thaw();
    await tick(200);
    await tick(5 * SHARED_TICK);
    expect(kit.instances).toHaveLength(2);
    expect(live()).toEqual([kit.last()]);
    expect([a, b, c].filter((t) => t!.socket.leader)).toHaveLength(1);
    expect(a!.socket.leader).toBe(false);
    expect([a, b, c].map((t) => t!.socket.state)).toEqual(['open', 'open', 'open']);
  });

  it('two followers whose watchdogs fire together take over a frozen leader with one new link, not two', async () => {
    const a = open();
    await tick();
    // Opened in the same millisecond: their watchdogs tick together and give up on the leader together.
    const b = open();
    const c = open();
    await tick();
    kit.last().open();
    await tick();
    a.tab.freeze();
    await tick(5 * SHARED_TICK);
    expect(kit.instances).toHaveLength(2); // the frozen leader's link and one new one
    expect([b, c].filter((t) => t.socket.leader)).toHaveLength(1);
    kit.last().open();
    await tick(100);
    await tick();
    expect([b.socket.state, c.socket.state]).toEqual(['open', 'open']);
    // Much later, and after the old leader thaws: still that one link.
    a.tab.thaw();
    await tick(100);
    await tick(5 * SHARED_TICK);
    expect(kit.instances).toHaveLength(2);
    expect(live()).toEqual([kit.last()]);
    expect([a, b, c].map((t) => t.socket.state)).toEqual(['open', 'open', 'open']);
    expect([a, b, c].filter((t) => t.socket.leader)).toHaveLength(1);
  });

  it('a leader that answers the probes keeps the lead however quiet the link is', async () => {
    const [a, b] = await tabs(2);
    await tick(20 * SHARED_TICK);
    expect(kit.instances).toHaveLength(1);
    expect([a!.socket.leader, b!.socket.leader]).toEqual([true, false]);
  });

  it("the leader's reconnect() reconnects the link for every tab", async () => {
    const [a, b] = await tabs(2);
    a!.socket.reconnect();
    await tick();
    expect(kit.instances).toHaveLength(2);
    expect(kit.instances[0]!.closeCalls).toEqual([{ code: 1000, reason: 'reconnect() called' }]);
    expect(b!.socket.state).toBe('reconnecting');
  });

  it("a follower's reconnect() does not touch the link", async () => {
    const [, b] = await tabs(2);
    b!.socket.reconnect();
    await tick();
    expect(kit.instances).toHaveLength(1);
    expect(b!.socket.state).toBe('open');
  });
});

describe('shared(): without the primitives', () => {
  it('falls back to a link per socket, with no error, when Web Locks or BroadcastChannel is missing', async () => {
    const tab = origin.tab();
    const s1 = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, use: [shared({ BroadcastChannel: tab.BroadcastChannel })] });
    const s2 = connect('ws://x/', { WebSocket: kit.WebSocket, environment: false, heartbeat: false, use: [shared({ locks: tab.locks })] });
    await tick();
    expect(kit.instances).toHaveLength(2);
    expect([s1.leader, s2.leader]).toEqual([true, true]);
    s1.close();
    s2.close();
  });

  it('checks its key', () => {
    expect(() => shared({ key: 5 as unknown as string })).toThrow(expect.objectContaining({ code: 'OPTIONS', message: 'key' }));
  });
});
