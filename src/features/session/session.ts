/**
 * `session()`: every application message exactly once and in order, both ways, across dropped
 * links (and page reloads, with a persistent `storage`). No envelope: both sides count the
 * application frames of the session and exchange cumulative counts (docs/protocol.md §6).
 * It reaches the socket only through its FeatureHost.
 */
import type { Feature } from '../../core/feature';
import { createEmitter } from '../../core/events';
import { badOption } from '../../core/options';
import type { Fate, OverflowPolicy } from '../../core/queue';
import { sizeOf, type SendResult } from '../../core/socket';
import type { SendData } from '../../core/transport';
import { HoldfastError } from '../../protocol/errors';
import type { SessionPersistence } from './storage';

/** Why a session was not resumed (docs/protocol.md §6): the server's reasons, and `unsupported` when it does not speak sessions. */
export type SessionReason = 'new' | 'unknown' | 'overflow' | 'mismatch' | 'unsupported';

/** What `onSession` listeners get each time a link's session handshake settles. */
export interface SessionEvent {
  /** The session's id (undefined when the server does not speak sessions). */
  id: string | undefined;
  /** True: nothing was lost, the session carries on. False: a new session began (`reason` says why); fetch your state again. */
  resumed: boolean;
  reason?: SessionReason;
  /** Messages of the outbox that were sent (again) right after the handshake. */
  resent: number;
}

/**
 * Where the session is: `offline` (no link), `handshake` (hello sent, no answer yet: messages
 * wait in the outbox), `active`, `unsupported` (the server does not speak sessions: plain
 * delivery), `closed`.
 */
export type SessionState = 'offline' | 'handshake' | 'active' | 'unsupported' | 'closed';

/** A snapshot of the session. */
export interface SessionInfo {
  readonly id: string | undefined;
  readonly state: SessionState;
  /** Messages not yet acknowledged by the server (waiting or on the wire), and their bytes. */
  readonly outbox: { readonly length: number; readonly bytes: number };
  /** Application frames received from the server in this session. */
  readonly received: number;
  /** Our application frames the server has acknowledged in this session. */
  readonly acked: number;
  /**
   * True unless `unsupported` or `closed`: what is in flight when a link drops is carried over
   * to the next one. `rpc()` reads it: its requests then stay pending across a drop.
   */
  readonly durable: boolean;
}

/** What `session()` adds to the socket. */
export interface Session {
  /** The session now (a snapshot). */
  readonly session: SessionInfo;
  /** Calls `listener` after every session handshake (and on the fallback to plain delivery); returns the function that unsubscribes. */
  onSession(listener: (event: SessionEvent) => void): () => void;
}

/** Options of `session()`. Times are in milliseconds. */
export interface SessionOptions {
  /** Most messages the outbox holds (waiting, or sent and not acknowledged). Default 1000. */
  maxMessages?: number;
  /** Most bytes the outbox holds. Default 1 MiB. */
  maxBytes?: number;
  /**
   * When a message does not fit: `'drop-oldest'` (default) drops the oldest messages not yet on
   * the wire, then the new one if that is not enough (messages on the wire stay until
   * acknowledged: dropping one would leave a gap); `'drop-newest'` drops the new one; `'throw'`
   * throws QueueFullError. Every drop is a `drop` event with reason `overflow`.
   */
  overflow?: OverflowPolicy;
  /** How long to wait for the server's answer to the hello before falling back (or, once answered before, reconnecting). Default 5000. */
  timeout?: number;
  /** Acknowledge after this many frames received (0 or 1: every frame)... Default 64. */
  ackEvery?: number;
  /** ...or this long after the first unacknowledged one. Default 100. */
  ackDelay?: number;
  /**
   * Keeps the session (id, counts, outbox) across page reloads and app restarts:
   * `browserStorage()`, `miniProgramStorage(wx)`, `keyValueStorage(yours)`. Default: memory only.
   */
  storage?: SessionPersistence;
}

interface Entry {
  readonly d: SendData;
  readonly s: number;
  /** Our frame number once it went on the wire; 0 before. */
  n: number;
  /** Its fate, until it is called. */
  f: Fate | undefined;
}

const PREFIX = '{"type":"session"';

const count = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;

/**
 * The session feature. List it first in `use`, so that it sees every frame before another
 * feature consumes it. Throws HoldfastError `OPTIONS` for a bad option.
 */
export function session(options: SessionOptions = {}): Feature<Session> {
  const limits = { maxMessages: 1000, maxBytes: 1 << 20, timeout: 5000, ackEvery: 64, ackDelay: 100 };
  // Each a number >= 0 (Infinity included) when given, as the core's options; kept at most
  // 2^31-1, which also keeps the timers from overflowing (to about 1 ms in browsers and Node).
  for (const k in limits) {
    const name = k as keyof typeof limits;
    const value: unknown = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) throw badOption(`session.${name}`);
    limits[name] = Math.min((value as number | undefined) ?? limits[name], 2_147_483_647);
  }
  const { maxMessages, maxBytes, timeout, ackEvery, ackDelay } = limits;
  const overflow = options.overflow ?? 'drop-oldest';
  if (!/^(drop-oldest|drop-newest|throw)$/.test(overflow)) throw badOption('session.overflow');
  const storage = options.storage;
  if (storage && typeof storage.load !== 'function') throw badOption('session.storage');

  return (host) => {
    const clock = host.clock;
    /**
     * The one timer: the hello's answer while in handshake, the next ack while active (never both:
     * a welcome clears the first before an ack is counted, and every change of mode clears it).
     */
    let timer: unknown;
    const listeners = createEmitter<{ s: SessionEvent }>((cause) => host.error(new HoldfastError('LISTENER', 'onSession listener threw', { cause })));
    let outbox: Entry[] = [];
    let bytes = 0;
    let id: string | undefined;
    /** Server frames received; our last frame number; the server's last ack of ours. */
    let rx = 0;
    let seq = 0;
    let acked = 0;
    /** Frames received since our last ack; frames still to skip as duplicates. */
    let unacked = 0;
    let dups = 0;
    let mode: SessionState = 'offline';
    /** This socket had a welcome: from then on a missing one means a bad link, not a server without sessions. */
    let welcomed = false;
    // Stryker disable next-line BooleanLiteral: read only while active, and flush() sets it as a link becomes active
    let flushing = false;
    /** False while the stored state loads: the hello waits for it. */
    let loaded = !storage;
    let saving = false;

    /** PROTOCOL errors, made as plain HoldfastErrors (as the core does) so that the subclasses do not ship; `name` as theirs would be. */
    const bad = (message: string): void => host.error(new HoldfastError('PROTOCOL', message, { name: 'ProtocolError' }));

    const save = (): void => {
      if (!storage || saving || !loaded) return;
      // One write per task, however many messages it sent: a reload always comes in a later task.
      saving = true;
      void Promise.resolve().then(() => {
        saving = false;
        // Without sessions on the server there is nothing to keep: the stored state goes.
        storage.save(mode === 'unsupported' ? undefined : { id, rx, seq, acked, outbox }, maxBytes, host.error);
      });
    };

    const remove = (at: number): Entry => {
      const e = outbox.splice(at, 1)[0] as Entry;
      bytes -= e.s;
      return e;
    };


    /** Drops what the server has acknowledged (frame numbers up to `n`): numbered messages come first in the outbox. */
    const trim = (n: number): void => {
      // One splice at the end: one per message would move the rest each time.
      let k = 0;
      for (const e of outbox) {
        if (!e.n || e.n > n) break;
        bytes -= e.s;
        k++;
      }
      outbox.splice(0, k);
    };

    /** A new session: no id, counts from 0, and what waits in the outbox is numbered afresh. */
    const fresh = (): void => {
      id = undefined;
      rx = seq = acked = 0;
      for (const e of outbox) e.n = 0;
    };

    /** Runs only while active with frames unacknowledged: every other path clears its timer. */
    const writeAck = (): void => {
      clock.clearTimeout(timer);
      unacked = 0;
      host.write(`${PREFIX},"ack":${rx}}`);
      save();
    };

    /** Sends the outbox in order from `i` on (numbering what goes out for the first time); stops when a fate moves `mode` on. */
    const flush = (i: number): void => {
      // Fates are not guarded, as in the core's queue flush. A fate that closes or reconnects
      // moves `mode` on: the rest waits for the next link.
      flushing = true;
      while (outbox[i] && mode === 'active') {
        const e = outbox[i] as Entry;
        const fate = e.f;
        e.f = undefined;
        // Withdrawn by its fate: never sent, never numbered.
        if (fate?.('sent') === false) remove(i);
        else {
          e.n ||= ++seq;
          host.write(e.d);
          i++;
        }
      }
      flushing = false;
    };

    const writeHello = (): void => {
      host.write(`${PREFIX},"id":${JSON.stringify(id ?? null)},"ack":${rx}}`);
      clock.clearTimeout(timer);
      timer = clock.setTimeout(() => {
        if (!welcomed) return unsupported('no welcome');
        host.error(new HoldfastError('SESSION', 'no session welcome: reconnecting'));
        host.socket.reconnect();
      }, timeout);
    };

    /** The server does not speak sessions: say so and deliver plainly from now on (no hook of ours runs any more). */
    const unsupported = (why: string): void => {
      off();
      // (Its save removes the stored state: without sessions there is nothing to keep.)
      halt('unsupported');
      host.error(new HoldfastError('SESSION', `no sessions on the server (${why})`));
      const waiting = outbox.splice(0);
      bytes = 0;
      // The link is open (this runs in `receive` or in the hello's timer, cleared by `down`): these are written now, never queued.
      for (const e of waiting) host.send(e.d, e.f);
      listeners.emit('s', { id, resumed: false, reason: 'unsupported', resent: waiting.length });
    };

    const welcome = (m: { id?: unknown; resumed?: unknown; ack?: unknown; seq?: unknown; reason?: unknown }): void => {
      const resumed = m.resumed;
      if (mode !== 'handshake' || typeof m.id !== 'string' || !m.id || typeof resumed !== 'boolean' || !count(m.ack) || !count(m.seq)) return bad('bad session welcome');
      clock.clearTimeout(timer);
      if (resumed && (m.id !== id || m.ack > seq || m.ack < acked || m.seq > rx)) {
        // The counts are not ours: start a new session on this link rather than lose or repeat frames.
        bad('session counts differ: new session');
        fresh();
        return writeHello();
      }
      trim(m.ack);
      if (resumed) {
        acked = m.ack;
        dups = rx - m.seq;
      } else fresh();
      id = m.id;
      mode = 'active';
      welcomed = true;
      const resent = outbox.length;
      flush(0);
      save();
      listeners.emit('s', { id, resumed, reason: resumed ? undefined : ((m.reason || 'unknown') as SessionReason), resent });
    };

    /** The link went away (`to` offline) or the socket ends (`to` closed). */
    const halt = (to: SessionState): void => {
      clock.clearTimeout(timer);
      unacked = dups = 0;
      mode = to;
      save();
    };

    const fits = (size: number): boolean => outbox.length < maxMessages && bytes + size <= maxBytes;

    if (storage) {
      // Read in a microtask: what it reports reaches listeners added right after connect().
      void Promise.resolve()
        .then(() => storage.load(host.error))
        .catch((cause: unknown) => void host.error(new HoldfastError('STORAGE', 'session storage failed', { cause })))
        .then((state) => {
          // Adopted even after close(): the save below writes it back with what this page added, so a
          // page closed before its state loaded leaves the stored session as it found it.
          if (state) {
            ({ id, rx, seq, acked } = state);
            // Stored messages go before anything sent meanwhile.
            for (const e of state.outbox) bytes += e.s;
            // (Not unshift(...): a foreign state may hold more entries than a call takes arguments.)
            outbox = [...(state.outbox as Entry[]), ...outbox];
          }
          loaded = true;
          // A link that opened meanwhile is waiting for its hello.
          if (mode === 'handshake') writeHello();
          save();
        });
    }

    const off = host.hook({
      receive(data) {
        if (typeof data === 'string' && data.startsWith(PREFIX)) {
          let m: { id?: unknown; resumed?: unknown; ack?: unknown } | undefined;
          try {
            m = Object(JSON.parse(data)) as typeof m;
          } catch {
            // reported below
          }
          if (!m) bad('bad session frame');
          else if ('resumed' in m) welcome(m);
          else if ('id' in m) unsupported('hello echoed');
          else if (!count(m.ack) || m.ack > seq) bad('bad session ack');
          else if (m.ack > acked) {
            trim((acked = m.ack));
            save();
          }
          return true;
        }
        // An application frame (the core took the heartbeats out): counted from the welcome on.
        if (mode !== 'active') return;
        if (dups > 0) {
          dups--;
          return true; // a frame we already had
        }
        rx++;
        if (++unacked >= ackEvery) writeAck();
        else if (unacked < 2) timer = clock.setTimeout(writeAck, ackDelay);
      },
      send(data, fate): SendResult | void {
        if (mode === 'closed') return;
        const size = sizeOf(data);
        if (!fits(size)) {
          if (overflow === 'throw') throw new HoldfastError('QUEUE_FULL', 'session outbox full', { name: 'QueueFullError' });
          // Only messages not yet on the wire may go (they come last): a numbered one would leave a gap.
          for (const at = overflow === 'drop-oldest' ? outbox.findIndex((e) => !e.n) : -1; outbox[at] && !fits(size); ) {
            const e = remove(at);
            host.drop(e.d, 'overflow', e.f);
          }
          if (!fits(size)) {
            host.drop(data, 'overflow', fate);
            return 'dropped';
          }
        }
        outbox.push({ d: data, s: size, n: 0, f: fate });
        bytes += size;
        save();
        if (mode !== 'active' || flushing) return 'queued';
        flush(outbox.length - 1);
        return 'sent';
      },
      up() {
        mode = 'handshake';
        if (loaded) writeHello();
      },
      down: () => halt('offline'),
      end() {
        const wasActive = mode === 'active';
        halt('closed');
        if (storage) return;
        // Without storage the outbox ends here. On an open link its frames are on the wire and the
        // closing handshake delivers them; otherwise each one is reported.
        for (const e of outbox.splice(0)) if (!wasActive || !e.n) host.drop(e.d, 'closed', e.f);
        bytes = 0;
        // ...and so does the session: start() after stop() begins a new one, as a new page would.
        fresh();
      },
    });

    return {
      get session(): SessionInfo {
        return { id, state: mode, outbox: { length: outbox.length, bytes }, received: rx, acked, durable: mode !== 'unsupported' && mode !== 'closed' };
      },
      onSession: (listener) => listeners.on('s', listener),
    };
  };
}
