// The server half of shared() + session(): several sessions on one link (channels), over fake
// peers with fake timers (docs/protocol.md §6, "Several sessions on one link").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CHANNELS, SessionHub, type SessionLink } from '../../src/server/session';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const frame = (value: unknown) => Buffer.from(JSON.stringify(value));
const hello = (ch: string, id: string | null, ack: number) => frame({ type: 'session', id, ack, ch });
const to = (ch: string) => frame({ type: 'session', ch });
const bye = (ch: string) => frame({ type: 'session', ch, close: true });
const ack = (n: number) => Buffer.from(`{"type":"session","ack":${n}}`);

function setup() {
  const hub = new SessionHub({ ackEvery: 100, ackDelay: 50 });
  const open = () => {
    const written: string[] = [];
    /** What the application got: `<channel>:<text>`. */
    const delivered: string[] = [];
    const channels: Array<SessionLink | undefined> = [];
    const peer = { closed: 0, write: (d: Uint8Array) => void written.push(Buffer.from(d).toString()), close: () => void peer.closed++ };
    const link = hub.link(peer);
    const receive = (data: Buffer | string) =>
      link.receive(typeof data === 'string' ? Buffer.from(data) : data, false, (p, _b, channel) => {
        channels.push(channel);
        delivered.push(`${channel?.channel ?? '-'}:${p.toString()}`);
      });
    /** The frames written, with each application frame given as `<the channel selected>:<text>`. */
    const stream = () => {
      let at = '-';
      const out: unknown[] = [];
      for (const w of written) {
        const m = w.startsWith('{"type":"session"') ? (JSON.parse(w) as { ch?: string; ack?: number; resumed?: boolean }) : undefined;
        if (m && m.ch !== undefined && !('ack' in m)) at = m.ch;
        else if (m?.resumed !== undefined) {
          at = m.ch ?? '-';
          out.push({ welcome: at, resumed: m.resumed, ack: m.ack });
        } else out.push(m ? { ack: m.ack, at } : `${at}:${w}`);
      }
      return out;
    };
    return { link, peer, written, delivered, channels, receive, stream };
  };
  return { hub, open };
}

const idOf = (written: string[], ch: string): string =>
  (written.map((w) => JSON.parse(w.startsWith('{') ? w : 'null') as { ch?: string; id?: string; resumed?: boolean } | null).find((m) => m?.ch === ch && m.resumed !== undefined) as { id: string }).id;

describe('SessionLink with channels (several sessions on one link)', () => {
  it('counts each channel on its own: a hello names its channel and selects it, switches select the frames that follow', () => {
    const { open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive('a1');
    l.receive(hello('B', null, 0));
    l.receive('b1');
    l.receive('b2');
    l.receive(to('A'));
    l.receive('a2');
    expect(l.delivered).toEqual(['A:a1', 'B:b1', 'B:b2', 'A:a2']);
    expect(l.link.ids).toHaveLength(2);
    expect(l.link.id).toBeUndefined();
    vi.advanceTimersByTime(50);
    // Each channel's welcome names it; each ack follows a switch to its channel.
    expect(l.stream()).toEqual([
      { welcome: 'A', resumed: false, ack: 0 },
      { welcome: 'B', resumed: false, ack: 0 },
      { ack: 2, at: 'A' },
      { ack: 2, at: 'B' },
    ]);
  });

  it('answers go to the channel they came on; what the connection sends goes to every channel, numbered in each', () => {
    const { open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(hello('B', null, 0));
    l.receive('b1');
    const b = l.channels.at(-1) as SessionLink;
    b.send(Buffer.from('for b'), false);
    l.link.send(Buffer.from('for all'), false);
    expect(l.stream().slice(2)).toEqual(['B:for b', 'A:for all', 'B:for all']);
  });

  it("a request the connection sends (connection.request()) goes to one session only, the link's first attached one, so it is answered once", () => {
    const { open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(hello('B', null, 0));
    const request = JSON.stringify({ type: 'request', id: 7, method: 'whoami' });
    l.link.send(Buffer.from(request), false);
    // Binary frames, events and other application frames still reach every session.
    l.link.send(Buffer.from(JSON.stringify({ type: 'event', event: 'news', data: 1 })), false);
    expect(l.stream().slice(2)).toEqual([`A:${request}`, 'A:{"type":"event","event":"news","data":1}', 'B:{"type":"event","event":"news","data":1}']);
    // A's session leaves the link: the next request goes to B, the first one still attached.
    l.receive(bye('A'));
    l.link.send(Buffer.from(request), false);
    expect(l.stream().at(-1)).toBe(`B:${request}`);
    expect(l.stream().filter((f) => f === `A:${request}` || f === `B:${request}`)).toHaveLength(2);
  });

  it('a handover: each channel resumes on the new link from its own counts; the old link loses only those channels', () => {
    const { open } = setup();
    const old = open();
    old.receive(hello('A', null, 0));
    old.receive('a1');
    old.receive(hello('B', null, 0));
    old.receive('b1');
    const idA = idOf(old.written, 'A');
    const idB = idOf(old.written, 'B');
    const [a, b] = [old.channels[0] as SessionLink, old.channels[1] as SessionLink];
    a.send(Buffer.from('sa1'), false);
    b.send(Buffer.from('sb1'), false);
    b.send(Buffer.from('sb2'), false);
    // A new leader's link: B says it has sb1 only; its count (1) tells it to re-send nothing.
    const next = open();
    next.receive(hello('B', idB, 1));
    expect(next.stream()).toEqual([{ welcome: 'B', resumed: true, ack: 1 }, 'B:sb2']);
    expect(old.peer.closed).toBe(0); // A still lives on the old link
    expect(old.written.at(-1)).toBe('{"type":"session","ch":"B","close":true}');
    old.receive(to('B'));
    old.receive('b-late'); // B's session moved: not counted, not delivered
    old.receive(to('A'));
    old.receive('a2');
    expect(old.delivered).toEqual(['A:a1', 'B:b1', 'A:a2']);
    next.receive(hello('A', idA, 1));
    expect(next.stream().at(-1)).toEqual({ welcome: 'A', resumed: true, ack: 2 });
    next.receive('a3');
    expect(next.delivered).toEqual(['A:a3']);
  });

  it('a channel close detaches that session only (it can resume later); the others carry on', () => {
    const { hub, open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(hello('B', null, 0));
    const idA = idOf(l.written, 'A');
    l.receive(bye('A'));
    expect(hub.attached).toBe(1);
    expect(l.link.ids).toEqual([idOf(l.written, 'B')]);
    expect(hub.send(idA, 'while away')).toBe(true); // kept for replay
    l.receive(to('B'));
    l.receive('b1');
    expect(l.delivered).toEqual(['B:b1']);
    const back = open();
    back.receive(hello('A', idA, 0));
    expect(back.stream()).toEqual([{ welcome: 'A', resumed: true, ack: 0 }, 'A:while away']);
  });

  it('a link whose channels are all gone, or that drops, detaches every session on it', () => {
    const { hub, open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(hello('B', null, 0));
    expect(hub.attached).toBe(2);
    l.link.detach();
    expect(hub.attached).toBe(0);
    expect(l.channels.every((c) => c === undefined || c.closed)).toBe(true);
  });

  it('frames of a channel that never said hello are delivered as they are, on that channel, never counted', () => {
    const { open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(to(''));
    l.receive('plain');
    const plain = l.channels[0] as SessionLink;
    expect(l.delivered).toEqual([':plain']);
    plain.send(Buffer.from('answer'), false);
    expect(l.written.at(-1)).toBe('answer');
    expect(l.written.at(-2)).toBe('{"type":"session","ch":""}');
  });

  it('an ack is the selected channel\'s; a malformed channel frame is application data', () => {
    const { open } = setup();
    const l = open();
    l.receive(hello('A', null, 0));
    l.receive(hello('B', null, 0));
    l.link.send(Buffer.from('x'), false); // s1 in A and in B
    l.receive(to('A'));
    l.receive(ack(1)); // A has it; B has not said so
    l.receive(ack(5)); // more than A was sent: ignored, never a crash
    l.receive('{"type":"session","ch":7}');
    expect(l.delivered).toEqual(['A:{"type":"session","ch":7}']);
    const [idA, idB] = [idOf(l.written, 'A'), idOf(l.written, 'B')];
    l.link.detach();
    const next = open();
    next.receive(hello('A', idA, 1));
    next.receive(hello('B', idB, 0));
    // A acknowledged s1 (nothing to re-send) and counted the malformed frame; B gets s1 again.
    expect(next.stream()).toEqual([{ welcome: 'A', resumed: true, ack: 1 }, { welcome: 'B', resumed: true, ack: 0 }, 'B:x']);
  });

  it(`bounds the channels of one link: a client that opens more than ${MAX_CHANNELS} loses the link`, () => {
    const { hub, open } = setup();
    const l = open();
    for (let i = 0; i <= MAX_CHANNELS; i++) l.receive(hello(`c${i}`, null, 0));
    expect(l.peer.closed).toBe(1);
    expect(hub.attached).toBe(0);
    l.receive('after');
    expect(l.delivered).toEqual([]);
  });

  it('a hello with a channel on a link that had one session of its own moves that session off the link', () => {
    const { hub, open } = setup();
    const l = open();
    l.receive(frame({ type: 'session', id: null, ack: 0 }));
    const single = l.link.id as string;
    l.receive(hello('A', null, 0));
    expect(l.link.id).toBeUndefined();
    expect(l.link.ids).not.toContain(single);
    expect(hub.attached).toBe(1);
  });
});
