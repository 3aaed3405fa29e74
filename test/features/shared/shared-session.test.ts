// shared() + session(): each tab's session on its own channel of the leader's link, against the
// real server half (SessionHub) behind the fake WebSocket, between fake tabs, on fake timers.
// Every tab streams numbered messages and the server streams numbered frames to every session
// while leadership moves; the counts must show nothing lost, duplicated or reordered.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../../src/core/connect';
import { rpc } from '../../../src/features/rpc/rpc';
import { session } from '../../../src/features/session/session';
import { keyValueStorage } from '../../../src/features/session/storage';
import { shared, SHARED_TICK } from '../../../src/features/shared/shared';
import { SessionHub, type SessionLink } from '../../../src/server/session';
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

async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 8; i++) await vi.advanceTimersByTimeAsync(1);
}

type Mode = 'channels' | 'one-session' | 'echo';

/**
 * A server behind the fake WebSocket: every link it accepts is a SessionLink of one hub (or, for
 * `one-session`, a hub that never sees a channel: the hellos lose their `ch`, as a server without
 * the extension reads them; for `echo`, no sessions at all). What each channel's application gets
 * is recorded by the tab name in the message (`<tab>:<n>`); every such message is answered on its
 * channel with `echo <tab>:<n>`.
 */
function createServer(kit: ReturnType<typeof createFakeWebSocket>, mode: Mode = 'channels') {
  const hub = new SessionHub({ ackEvery: 8, ackDelay: 20 });
  const got = new Map<string, string[]>();
  /** Every text frame each link carried, both ways. */
  const wire = new Map<FakeWebSocket, { up: string[]; down: string[] }>();
  const links = new Map<FakeWebSocket, SessionLink>();
  /** Links whose page is frozen: what the server sends them waits (the page runs nothing). */
  const frozen = new Map<FakeWebSocket, Array<() => void>>();
  const wired = new Set<FakeWebSocket>();
  const pump = (): void => {
    for (const ws of kit.instances) {
      if (wired.has(ws)) continue;
      wired.add(ws);
      const log = { up: [] as string[], down: [] as string[] };
      wire.set(ws, log);
      let gone = false;
      const link = hub.link({
        write: (data, binary) => {
          if (gone) return false;
          const value = binary ? Uint8Array.prototype.slice.call(data).buffer : Buffer.from(data).toString();
          if (typeof value === 'string') log.down.push(value);
          const run = (): void => void (!gone && ws.readyState === 1 && ws.receive(value));
          setTimeout(() => (frozen.get(ws)?.push(run) ?? run()), 0);
          return true;
        },
        close: () => {
          gone = true;
          link.detach();
          setTimeout(() => ws.closed(1006), 0);
        },
      });
      links.set(ws, link);
      const send = ws.send.bind(ws);
      ws.send = (data) => {
        send(data);
        if (typeof data !== 'string') return;
        log.up.push(data);
        const text = mode === 'one-session' && data.startsWith('{"type":"session"') ? JSON.stringify({ ...(JSON.parse(data) as object), ch: undefined }) : data;
        setTimeout(() => {
          if (gone) return;
          if (mode === 'echo') return void link.send(Buffer.from(text), false);
          link.receive(Buffer.from(text), false, (payload, _binary, channel) => {
            const message = payload.toString();
            const [who] = message.split(':');
            if (message.startsWith('{')) return;
            got.set(who!, [...(got.get(who!) ?? []), message]);
            (channel ?? link).send(Buffer.from(`echo ${message}`), false);
          });
        }, 0);
      };
      ws.close = (code) => {
        gone = true;
        link.detach();
        setTimeout(() => ws.closed(code ?? 1005), 0);
      };
      setTimeout(() => ws.readyState === 0 && ws.open(), 0);
    }
  };
  /** The link dies as when its page goes: the server sees it close, nothing runs in the page. */
  const kill = (ws: FakeWebSocket): void => {
    links.get(ws)?.detach();
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    (ws as { readyState: number }).readyState = 3;
  };
  const freeze = (ws: FakeWebSocket): void => void frozen.set(ws, []);
  const thaw = (ws: FakeWebSocket): void => {
    const waiting = frozen.get(ws) ?? [];
    frozen.delete(ws);
    for (const run of waiting) run();
  };
  return { hub, got, wire, links, pump, kill, freeze, thaw };
}

let origin: FakeOrigin;
let kit: ReturnType<typeof createFakeWebSocket>;
let server: ReturnType<typeof createServer>;
beforeEach(() => {
  origin = createOrigin();
  kit = createFakeWebSocket();
});

/** A tab whose socket uses session() and shared(), recording the messages it gets. */
function open(name: string, tab: FakeTab = origin.tab(), storage?: Map<string, string>, withSession = true) {
  const socket = connect('ws://x/', {
    WebSocket: kit.WebSocket,
    environment: createFakeEnvironment(),
    heartbeat: false,
    random: () => 1,
    backoff: { initialDelay: 100, maxDelay: 100 },
    use: [
      session({ ackEvery: 4, ackDelay: 20, storage: storage && keyValueStorage({ get: (k) => storage.get(k), set: (k, v) => void storage.set(k, v), remove: (k) => void storage.delete(k) }, `s-${name}`) }),
      shared({ locks: tab.locks, BroadcastChannel: tab.BroadcastChannel }),
      rpc(),
    ],
    // A tab without session() (its `session` members are then absent: the test reads them only for session tabs).
    ...(withSession ? {} : { use: [shared({ locks: tab.locks, BroadcastChannel: tab.BroadcastChannel }), rpc()] as never }),
  });
  const messages: string[] = [];
  const errors: string[] = [];
  const sessions: Array<{ resumed: boolean; reason?: string }> = [];
  socket.on('message', (data) => messages.push(String(data)));
  socket.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  if (withSession) socket.onSession(({ resumed, reason }) => sessions.push({ resumed, reason }));
  let sent = 0;
  /** Sends the next `count` numbered messages. */
  const stream = (count: number): void => {
    for (let i = 0; i < count; i++) socket.send(`${name}:${++sent}`);
  };
  return { name, tab, socket, messages, errors, sessions, stream, sent: () => sent };
}
type Tab = ReturnType<typeof open>;

/** Runs fake time in steps, wiring and opening new links, until `done()` or `limit` steps. */
async function settle(done: () => boolean = () => false, limit = 200): Promise<void> {
  for (let i = 0; i < limit && !done(); i++) {
    server.pump();
    await tick(10);
  }
  server.pump();
}

/** What the server's application got from `tab`, and what `tab` got back: each must be 1..n once, in order. */
function check(tab: Tab, pushes: number): void {
  const want = Array.from({ length: tab.sent() }, (_, i) => `${tab.name}:${i + 1}`);
  expect(server.got.get(tab.name) ?? []).toEqual(want);
  expect(tab.messages.filter((m) => m.startsWith('echo '))).toEqual(want.map((m) => `echo ${m}`));
  expect(tab.messages.filter((m) => m.startsWith('push '))).toEqual(Array.from({ length: pushes }, (_, i) => `push ${tab.name} ${i + 1}`));
}

/** Pushes the next numbered frame to every tab's session (by the id the tab holds). */
function pusher(list: Tab[]) {
  const count = new Map<string, number>();
  return {
    push(): void {
      for (const t of list) {
        const id = t.socket.session.id;
        if (!id) continue;
        const n = (count.get(t.name) ?? 0) + 1;
        if (server.hub.send(id, `push ${t.name} ${n}`)) count.set(t.name, n);
      }
    },
    count: (t: Tab) => count.get(t.name) ?? 0,
  };
}

async function group(names: string[], mode: Mode = 'channels'): Promise<Tab[]> {
  server = createServer(kit, mode);
  const list: Tab[] = [];
  for (const name of names) {
    list.push(open(name));
    await tick();
  }
  await settle(() => list.every((t) => t.socket.session.state === 'active' || t.socket.session.state === 'unsupported'));
  return list;
}

const live = (): FakeWebSocket[] => kit.instances.filter((ws) => ws.readyState < 2);

describe('shared() + session(): a channel per tab on the leader\'s link', () => {
  it('three tabs, one link, three sessions: the hellos name channels, application frames go as they are', async () => {
    const tabs = await group(['A', 'B', 'C']);
    expect(live()).toHaveLength(1);
    expect(server.hub.attached).toBe(3);
    expect(new Set(tabs.map((t) => t.socket.session.id)).size).toBe(3);
    for (const t of tabs) t.stream(3);
    await settle();
    for (const t of tabs) check(t, 0);
    const { up } = server.wire.get(kit.last())!;
    const hellos = up.filter((f) => f.includes('"id"')).map((f) => JSON.parse(f) as { ch: string });
    expect(hellos.map((h) => typeof h.ch)).toEqual(['string', 'string', 'string']);
    // The application frames cross unchanged: no envelope, only switch frames between channels.
    expect(up.filter((f) => !f.startsWith('{"type":"session"')).sort()).toEqual(tabs.flatMap((t) => [1, 2, 3].map((i) => `${t.name}:${i}`)).sort());
    expect(up.some((f) => /^\{"type":"session","ch":"\w+"\}$/.test(f))).toBe(true);
    for (const t of tabs) expect(t.errors).toEqual([]);
  });

  it('the leader page dies mid-stream: each tab\'s messages reach the server once, in order, and each tab gets its frames once, in order', async () => {
    const tabs = await group(['A', 'B', 'C']);
    const [a, b, c] = tabs as [Tab, Tab, Tab];
    const push = pusher(tabs);
    for (let round = 0; round < 5; round++) {
      for (const t of tabs) t.stream(4);
      push.push();
      await tick(round); // some rounds are cut mid-flight
    }
    // The leader's page goes: its lock is released, its link dies with it, nothing runs in it.
    const old = kit.last();
    a.tab.crash();
    server.kill(old);
    a.socket.close();
    for (let round = 0; round < 5; round++) {
      b.stream(3);
      c.stream(3);
      push.push();
      await tick(5);
    }
    await settle(() => live().length === 1 && [b, c].every((t) => t.socket.session.state === 'active' && t.socket.session.outbox.length === 0));
    for (let round = 0; round < 3; round++) {
      b.stream(2);
      c.stream(2);
      push.push();
      await tick(5);
    }
    await settle(() => [b, c].every((t) => t.socket.session.outbox.length === 0 && t.messages.filter((m) => m.startsWith('push ')).length === push.count(t)), 400);
    expect(kit.instances).toHaveLength(2);
    expect([b.socket.leader, c.socket.leader].filter(Boolean)).toHaveLength(1);
    for (const t of [b, c]) {
      check(t, push.count(t));
      expect(t.sessions.map((s) => s.resumed)).toEqual([false, true]);
      expect(t.sent()).toBe(41);
      expect(push.count(t)).toBe(13);
    }
  });

  it('a frozen leader: taken over by stealing, each tab exactly once, in order, the thawed one included', async () => {
    const tabs = await group(['A', 'B', 'C']);
    const [a, b, c] = tabs as [Tab, Tab, Tab];
    const push = pusher(tabs);
    for (const t of tabs) t.stream(5);
    push.push();
    await tick(2);
    // A frozen page runs nothing: no timers, no socket events; its lock and its link stay.
    const old = kit.last();
    a.tab.freeze();
    server.freeze(old);
    for (let round = 0; round < 8; round++) {
      b.stream(2);
      c.stream(2);
      push.push();
      await tick(SHARED_TICK / 2);
      server.pump();
    }
    expect(b.socket.leader || c.socket.leader).toBe(true);
    a.tab.thaw();
    server.thaw(old);
    a.stream(16);
    await settle(() => live().length === 1 && tabs.every((t) => t.socket.session.state === 'active' && t.socket.session.outbox.length === 0), 600);
    push.push();
    await settle(() => tabs.every((t) => t.messages.filter((m) => m.startsWith('push ')).length === push.count(t)));
    expect(a.socket.leader).toBe(false);
    for (const t of tabs) {
      check(t, push.count(t));
      expect(t.sent()).toBe(21);
    }
    expect(server.hub.attached).toBe(3);
  });

  it('a request the server sends to the connection as a whole is answered once, by one tab', async () => {
    const tabs = await group(['A', 'B', 'C']);
    const ran: string[] = [];
    for (const t of tabs) t.socket.handle('whoami', () => (ran.push(t.name), t.name));
    server.links.get(kit.last())!.send(Buffer.from(JSON.stringify({ type: 'request', id: 77, method: 'whoami' })), false);
    await settle();
    const answers = server.wire.get(kit.last())!.up.filter((f) => f.includes('"id":77'));
    expect(answers).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(JSON.parse(answers[0]!)).toEqual({ type: 'response', id: 77, result: ran[0] });
    // A broadcast still reaches every tab once.
    server.links.get(kit.last())!.send(Buffer.from('to everyone'), false);
    await settle();
    for (const t of tabs) expect(t.messages.filter((m) => m === 'to everyone')).toHaveLength(1);
  });

  it('close() of a follower ends its session only: its channel leaves the link, the others carry on', async () => {
    const tabs = await group(['A', 'B', 'C']);
    const [a, b, c] = tabs as [Tab, Tab, Tab];
    b.stream(2);
    await settle();
    const idB = b.socket.session.id as string;
    b.socket.close();
    await settle();
    expect(b.socket.state).toBe('closed');
    expect(server.hub.attached).toBe(2);
    expect(server.links.get(kit.last())!.ids).not.toContain(idB);
    expect(server.wire.get(kit.last())!.up.at(-1)).toMatch(/^\{"type":"session","ch":"\w+","close":true\}$/);
    a.stream(2);
    c.stream(2);
    await settle();
    for (const t of tabs) check(t, 0);
    expect(live()).toHaveLength(1);
  });

  it('a follower page that goes without closing its socket: its lock goes with it, and its channel leaves the link', async () => {
    const tabs = await group(['A', 'B', 'C']);
    const [a, b, c] = tabs as [Tab, Tab, Tab];
    expect(server.hub.attached).toBe(3);
    const idB = b.socket.session.id as string;
    b.tab.crash(); // nothing runs in it any more: no close(), no channel message
    await settle();
    expect(server.hub.attached).toBe(2);
    expect(server.links.get(kit.last())!.ids).not.toContain(idB);
    a.stream(2);
    c.stream(2);
    await settle();
    check(a, 0);
    check(c, 0);
    b.socket.close();
  });

  it('a tab that reloads with browser-like storage resumes its own session through the leader: what it had not got acknowledged arrives once', async () => {
    server = createServer(kit);
    const store = new Map<string, string>();
    const a = open('A', origin.tab(), store);
    await tick();
    const bTab = origin.tab();
    const b = open('B', bTab, store);
    await settle(() => [a, b].every((t) => t.socket.session.state === 'active'));
    const idB = b.socket.session.id;
    b.stream(3);
    await settle();
    // B's page reloads before the leader wrote its last messages: they wait in its stored outbox.
    b.stream(2);
    bTab.crash();
    b.socket.close();
    const again = open('B', origin.tab(), store);
    await settle(() => again.socket.session.state === 'active' && again.socket.session.outbox.length === 0);
    expect(again.socket.session.id).toBe(idB);
    expect(again.sessions).toEqual([{ resumed: true, reason: undefined }]);
    expect(server.got.get('B')).toEqual(['B:1', 'B:2', 'B:3', 'B:4', 'B:5']);
    expect(store.has('s-A') && store.has('s-B')).toBe(true);
    expect(JSON.parse(store.get('s-A')!).id).toBe(a.socket.session.id);
  });
});

describe('shared() + session(): a tab without session() in the group', () => {
  it('its frames go on the link\'s own channel, uncounted; its echoes reach it alone; the session tabs keep their counts', async () => {
    server = createServer(kit);
    const a = open('A');
    await tick();
    const p = open('P', origin.tab(), undefined, false);
    const c = open('C');
    await settle(() => [a, c].every((t) => t.socket.session.state === 'active') && p.socket.state === 'open');
    for (const t of [a, p, c]) t.stream(3);
    await settle();
    expect(server.got.get('P')).toEqual(['P:1', 'P:2', 'P:3']);
    expect(p.messages).toEqual(['echo P:1', 'echo P:2', 'echo P:3']);
    check(a, 0);
    check(c, 0);
    expect(server.wire.get(kit.last())!.up).toContain('{"type":"session","ch":""}');
    // The session tabs' counts are the server's: a resume on a new link re-sends and replays nothing.
    for (const t of [a, c]) expect(t.socket.session).toMatchObject({ received: 3, acked: 3, outbox: { length: 0 } });
  });
});

describe('shared() + session(): servers without the extension', () => {
  it('a server with one session per link: every tab gets a SESSION error and a link of its own, and keeps exactly-once', async () => {
    const tabs = await group(['A', 'B', 'C'], 'one-session');
    await settle(() => live().length === 3 && tabs.every((t) => t.socket.session.state === 'active'), 400);
    expect(live()).toHaveLength(3);
    for (const t of tabs) {
      expect(t.errors).toContain('SESSION: one session per link: own link');
      t.stream(3);
    }
    await settle(() => tabs.every((t) => t.socket.session.outbox.length === 0));
    for (const t of tabs) check(t, 0);
  });

  it('a server without sessions (it echoes the hellos): every tab falls back to plain delivery on the one shared link', async () => {
    const tabs = await group(['A', 'B'], 'echo');
    expect(live()).toHaveLength(1);
    for (const t of tabs) {
      expect(t.socket.session.state).toBe('unsupported');
      expect(t.errors).toEqual(['SESSION: no sessions on the server (hello echoed)']);
      expect(t.messages).toEqual([]);
    }
  });
});
