// @vitest-environment node
// session() against both servers that implement its server half, on 127.0.0.1: the reference
// server, and a plain `ws` WebSocketServer with `createApp().attach(wss)`. Numbered streams both
// ways while links are dropped, frozen, delayed and killed at seeded random points.
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, type HoldfastSocket } from '../../src/core/connect';
import type { WebSocketConstructorLike } from '../../src/core/transport';
import { rpc } from '../../src/features/rpc/rpc';
import { session, type SessionEvent, type SessionOptions } from '../../src/features/session/session';
import { sleep, waitFor } from '../helpers/client-wait';
import { createPrng } from '../helpers/prng';
import { SESSION_SERVER_KINDS, startSessionServer, type SessionServer, type SessionServerKind, type SessionServerOptions } from '../helpers/session-servers';

const servers: SessionServer[] = [];
const sockets: HoldfastSocket[] = [];
const totals = new Map<SessionServerKind, { seeds: number; messages: number; faults: number; reconnects: number; lost: number; duplicated: number; reordered: number }>();

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(() => {
  for (const [kind, t] of totals) console.log(`session chaos (${kind}): ${t.seeds} seeds, ${t.messages} messages, ${t.faults} faults, ${t.reconnects} reconnects, lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`);
});

function open(url: string, options: SessionOptions = {}, owned = sockets) {
  const socket = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructorLike,
    environment: false,
    heartbeat: { interval: 100, timeout: 150, required: true },
    backoff: { initialDelay: 10, maxDelay: 50 },
    connectTimeout: 2000,
    use: [session(options)],
  });
  owned.push(socket);
  const received: number[] = [];
  const events: SessionEvent[] = [];
  socket.on('message', (data) => {
    if (typeof data === 'string' && data.startsWith('s:')) received.push(Number(data.slice(2)));
  });
  socket.onSession((e) => void events.push(e));
  return { socket, received, events };
}

/** Lost, duplicated and out-of-order entries of `got` against 1..n. */
function audit(got: readonly number[], n: number) {
  const seen = new Set<number>();
  let duplicated = 0;
  let reordered = 0;
  for (let i = 0; i < got.length; i++) {
    if (seen.has(got[i] as number)) duplicated++;
    seen.add(got[i] as number);
    if (i > 0 && (got[i] as number) < (got[i - 1] as number)) reordered++;
  }
  let lost = 0;
  for (let k = 1; k <= n; k++) if (!seen.has(k)) lost++;
  return { lost, duplicated, reordered };
}

const SEEDS = Number(process.env.SESSION_SEEDS ?? 10);
const COUNT = 150;

describe.each(SESSION_SERVER_KINDS)('session() over the %s', (kind) => {
  async function startServer(options: SessionServerOptions = {}, port = 0, owned = servers) {
    const server = await startSessionServer(kind, options, port);
    owned.push(server);
    return { server, received: server.received, url: server.url, port: server.port };
  }
  const tally = () => {
    let t = totals.get(kind);
    if (!t) totals.set(kind, (t = { seeds: 0, messages: 0, faults: 0, reconnects: 0, lost: 0, duplicated: 0, reordered: 0 }));
    return t;
  };

  it('delivers text and binary exactly once both ways and says resumed: false (new) on the first link', async () => {
    const { url, server, received } = await startServer({ echo: true });
    const { socket, events } = open(url);
    const binary: ArrayBuffer[] = [];
    socket.on('message', (d) => void (d instanceof ArrayBuffer && binary.push(d)));
    socket.send('c:1');
    socket.send(new Uint8Array([1, 2, 3]));
    await waitFor(() => binary.length === 1 && received.length === 1, 5000, 'echoes');
    expect(events).toEqual([{ id: expect.any(String) as string, resumed: false, reason: 'new', resent: 2 }]);
    expect([...new Uint8Array(binary[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
    await waitFor(() => socket.session.outbox.length === 0, 5000, 'the server acknowledges');
    expect(server.sessions?.attached).toBe(1);
  });

  it('a dropped link: what was in flight and what was sent meanwhile, both ways, arrives once and in order (resumed: true)', async () => {
    // Neither side acknowledges before the drop: everything delivered so far is re-sent and must be dropped as a duplicate.
    const { server, url, received: atServer } = await startServer({ sessions: { ackEvery: 1000, ackDelay: 60_000 } });
    const { socket, received: atClient, events } = open(url, { ackEvery: 1000, ackDelay: 60_000 });
    await waitFor(() => events.length === 1, 5000, 'the first session');
    const id = events[0]?.id as string;
    for (let k = 1; k <= 3; k++) socket.send(`c:${k}`);
    for (let k = 1; k <= 2; k++) server.sessions?.send(id, `s:${k}`);
    await waitFor(() => atServer.length === 3 && atClient.length === 2, 5000, 'the first frames');
    server.faults.rejectHandshakes(503);
    server.faults.drop();
    await waitFor(() => socket.state === 'reconnecting', 5000, 'the drop');
    socket.send('c:4'); // offline
    expect(server.sessions?.send(id, 's:3')).toBe(true); // nobody to write to: kept
    server.faults.reset();
    await waitFor(() => events.length === 2 && atServer.length >= 4 && atClient.length >= 3, 10_000, 'the resumed session');
    await sleep(50);
    expect(events[1]).toMatchObject({ id, resumed: true });
    expect(atServer).toEqual([1, 2, 3, 4]);
    expect(atClient).toEqual([1, 2, 3]);
  });

  // The seeds run side by side (vitest's maxConcurrency, 5 at a time): each has its own server
  // and socket, cleaned up when it ends (the afterEach above would close the others' too).
  for (let seed = 1; seed <= SEEDS; seed++) {
    it.concurrent(`seed ${seed}: ${COUNT} numbered messages each way, faults at random points: 0 lost, 0 duplicated, 0 reordered`, async ({ onTestFinished }) => {
      const own = { servers: [] as SessionServer[], sockets: [] as HoldfastSocket[] };
      onTestFinished(async () => {
        for (const socket of own.sockets) socket.close();
        await Promise.all(own.servers.map((server) => server.close()));
      });
      const rng = createPrng(seed);
      const { server, url, received: atServer } = await startServer({ sessions: { ackDelay: rng.int(5, 40), ackEvery: rng.int(4, 64) } }, 0, own.servers);
      const { socket, received: atClient, events } = open(url, { ackDelay: rng.int(5, 40), ackEvery: rng.int(4, 64) }, own.sockets);
      await waitFor(() => events.length === 1, 5000, 'the first session');
      const id = events[0]?.id as string;
      let faults = 0;
      let sentC = 0;
      let sentS = 0;
      const deadline = Date.now() + 30_000;
      while ((sentC < COUNT || sentS < COUNT) && Date.now() < deadline) {
        // A burst of each stream, then maybe a fault.
        for (let i = rng.int(0, 8); i > 0 && sentC < COUNT; i--) socket.send(`c:${++sentC}`);
        for (let i = rng.int(0, 8); i > 0 && sentS < COUNT; i--) server.sessions?.send(id, `s:${++sentS}`);
        const dice = rng.next();
        if (dice < 0.06) {
          faults++;
          server.faults.drop();
        } else if (dice < 0.09) {
          faults++;
          server.faults.freeze();
          await sleep(rng.int(50, 400));
          server.faults.unfreeze();
        } else if (dice < 0.12) {
          faults++;
          server.faults.delay(rng.int(20, 120));
          await sleep(rng.int(20, 200));
          server.faults.delay(0);
        } else if (dice < 0.14) {
          faults++;
          socket.reconnect(); // the client drops its own link
        }
        await sleep(rng.int(0, 15));
      }
      server.faults.reset();
      await waitFor(() => atServer.length >= COUNT && atClient.length >= COUNT, 20_000, `both streams complete (seed ${seed}: server ${atServer.length}, client ${atClient.length})`);
      await sleep(50); // anything extra (a duplicate) would arrive now
      const up = audit(atServer, COUNT);
      const down = audit(atClient, COUNT);
      const totals = tally();
      totals.seeds++;
      totals.messages += 2 * COUNT;
      totals.faults += faults;
      totals.reconnects += events.length - 1;
      totals.lost += up.lost + down.lost;
      totals.duplicated += up.duplicated + down.duplicated;
      totals.reordered += up.reordered + down.reordered;
      expect({ seed, up, down }).toEqual({ seed, up: { lost: 0, duplicated: 0, reordered: 0 }, down: { lost: 0, duplicated: 0, reordered: 0 } });
      expect(atServer).toHaveLength(COUNT);
      expect(atClient).toHaveLength(COUNT);
      // Every reconnect resumed the same session: the server kept it all along.
      expect(events.slice(1).every((e) => e.resumed && e.id === id)).toBe(true);
    }, 60_000);
  }

  it('a server restart (memory store): resumed: false, reason unknown; the outbox goes to the new server, in order', async () => {
    // The first server receives c:1..3 but never acknowledges them (its ack batch is never due).
    const first = await startServer({ sessions: { ackEvery: 1000, ackDelay: 60_000 } });
    const { socket, events } = open(first.url);
    await waitFor(() => events.length === 1, 5000, 'the first session');
    for (let k = 1; k <= 3; k++) socket.send(`c:${k}`);
    await waitFor(() => first.received.length === 3, 5000, 'the first server has them');
    await first.server.close();
    servers.splice(servers.indexOf(first.server), 1);
    for (let k = 4; k <= 5; k++) socket.send(`c:${k}`); // offline: the outbox
    expect(socket.session.outbox.length).toBe(5);
    const second = await startServer({}, first.port);
    await waitFor(() => events.length === 2 && second.received.length === 5, 10_000, 'the new session');
    expect(events[1]).toMatchObject({ resumed: false, reason: 'unknown', resent: 5 });
    expect(events[1]?.id).not.toBe(events[0]?.id);
    // What the old server had without acknowledging it arrives again (at least once); nothing is lost.
    expect(first.received).toEqual([1, 2, 3]);
    expect(second.received).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => socket.session.outbox.length === 0, 5000, 'the new server acknowledges');
  });

  it('a session that expired: resumed: false, reason unknown, after the TTL', async () => {
    const { server, url } = await startServer({ sessions: { ttl: 50 } });
    const { socket, events } = open(url);
    await waitFor(() => events.length === 1, 5000, 'the first session');
    server.sessions?.store.sweep?.(Date.now() + 1000); // nothing to forget while attached
    expect(server.sessions?.send(events[0]?.id as string, 's:1')).toBe(true);
    server.faults.rejectHandshakes(503);
    server.faults.drop();
    await sleep(150);
    server.faults.reset();
    await waitFor(() => events.length === 2, 10_000, 'the next session');
    expect(events[1]).toMatchObject({ resumed: false, reason: 'unknown' });
  });

  it('with rpc(): a request in flight when the link drops runs exactly once and still resolves, with or without retry', async () => {
    const { server, url } = await startServer();
    const runs: number[] = [];
    server.handle('slow', async (params) => {
      runs.push(params as number);
      await sleep(100);
      return (params as number) * 2;
    });
    const socket = connect(url, {
      WebSocket: WebSocket as unknown as WebSocketConstructorLike,
      environment: false,
      heartbeat: false,
      backoff: { initialDelay: 10, maxDelay: 50 },
      use: [session(), rpc({ timeout: 10_000 })],
    });
    sockets.push(socket);
    await waitFor(() => socket.session.state === 'active', 5000, 'the session');
    const plain = socket.request('slow', 1);
    const retried = socket.request('slow', 2, { retry: true });
    await waitFor(() => runs.length === 2, 5000, 'both requests running');
    server.faults.drop(); // the answers are produced while the client is away
    expect(await plain).toBe(2);
    expect(await retried).toBe(4);
    await sleep(100);
    expect(runs).toEqual([1, 2]);
  });

  it('a server with sessions off: SESSION error, plain delivery (the echo server sends the hello back)', async () => {
    const { url } = await startServer({ sessions: false, echo: true });
    const { socket, events } = open(url);
    const errors: string[] = [];
    const echoes: unknown[] = [];
    socket.on('error', (e) => void errors.push(e.code));
    socket.on('message', (d) => void echoes.push(d));
    socket.send('plain');
    await waitFor(() => echoes.includes('plain'), 5000, 'the echo');
    expect(errors).toEqual(['SESSION']);
    expect(events).toEqual([{ id: undefined, resumed: false, reason: 'unsupported', resent: 1 }]);
    expect(socket.session.state).toBe('unsupported');
  });

  it('a silent server without sessions: SESSION error after the timeout, then plain delivery', async () => {
    const { url, received } = await startServer({ sessions: false, echo: false });
    const { socket } = open(url, { timeout: 200 });
    const errors: string[] = [];
    socket.on('error', (e) => void errors.push(e.code));
    socket.send('c:1');
    await waitFor(() => received.length === 1, 5000, 'plain delivery');
    expect(errors).toEqual(['SESSION']);
  });

  it('several sessions on one link (shared() tabs): each answer goes to the channel its request came on, once', async () => {
    const { server, url } = await startServer();
    server.handle('who', (params) => params);
    const raw = new WebSocket(url);
    const got: string[] = [];
    raw.on('message', (data) => void got.push(String(data)));
    await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject));
    const send = (value: unknown) => raw.send(JSON.stringify(value));
    send({ type: 'session', id: null, ack: 0, ch: 'a' });
    send({ type: 'session', id: null, ack: 0, ch: 'b' });
    send({ type: 'session', ch: 'a' });
    send({ type: 'request', id: 1, method: 'who', params: 'from a' });
    send({ type: 'session', ch: 'b' });
    send({ type: 'request', id: 2, method: 'who', params: 'from b' });
    /** Each response as `<the channel selected>:<id>:<result>`. */
    const answers = () => {
      let at = '-';
      const out: string[] = [];
      for (const text of got) {
        const m = JSON.parse(text) as { type: string; ch?: string; ack?: number; id?: number; result?: unknown };
        if (m.type === 'session' && m.ch !== undefined) at = m.ch;
        else if (m.type === 'response') out.push(`${at}:${m.id}:${String(m.result)}`);
      }
      return out;
    };
    try {
      await waitFor(() => answers().length >= 2, 5000, 'both answers');
      await sleep(50); // nothing else follows: an answer sent to every channel would show here
      expect(answers()).toEqual(['a:1:from a', 'b:2:from b']);
      expect(got.filter((t) => t.includes('"resumed":false')).map((t) => (JSON.parse(t) as { ch: string }).ch)).toEqual(['a', 'b']);
      expect(server.sessions?.attached).toBe(2);
    } finally {
      raw.terminate();
    }
  });
});
