/**
 * A stand-in for the core's side of the feature seam: a FeatureHost that records what a feature
 * sends (with the fate it attached) and reports, and lets a test drive the hooks the feature
 * registered (`receive`, `up`, `down`, `end`) the way the core would. No socket, no timers of
 * its own: `clock` is the system clock (fake timers apply) unless one is injected.
 */
import type { Feature, FeatureHooks, FeatureHost } from '../../src/core/feature';
import type { DropReason } from '../../src/core/events';
import type { Fate } from '../../src/core/queue';
import type { CloseInfo } from '../../src/core/reconnect';
import type { CoreSocket, SendResult } from '../../src/core/socket';
import type { State } from '../../src/core/state';
import { systemClock, type Clock } from '../../src/core/timers';
import type { SendData } from '../../src/core/transport';
import type { HoldfastError } from '../../src/protocol/errors';

/** One `host.send()` call. */
export interface SentFrame {
  data: SendData;
  fate: Fate | undefined;
}

export interface FakeHostOptions {
  clock?: Clock;
  /** The state `host.socket.state` starts in. Default `'open'`. */
  state?: State;
}

export interface FakeHost {
  readonly host: FeatureHost;
  /** Every `host.send()` call, in order. */
  readonly sent: SentFrame[];
  /** Every `host.write()` call, in order. */
  readonly written: SendData[];
  /** Every `host.error()` call, in order. */
  readonly errors: HoldfastError[];
  /** Every `host.drop()` call, in order. */
  readonly drops: Array<{ data: SendData; reason: DropReason }>;
  /** The hooks registered and not removed, in registration order. */
  readonly hooks: readonly FeatureHooks[];
  /** What `host.socket.state` answers. */
  state: State;
  /** What `host.send()` does: returns this result, or throws when it is a function that throws. Default: `'sent'`. */
  onSend: (data: SendData, fate: Fate | undefined) => SendResult;
  /** Runs the feature with this host, as `connect()` would, and returns what it adds to the socket. */
  install<M extends object>(feature: Feature<M>): M;
  /**
   * An inbound frame, as the core hands it on: the `receive` hooks in order until one consumes it.
   * Returns true when a hook consumed it (false: it would reach `message` listeners).
   */
  receive(data: string | ArrayBuffer | Blob): boolean;
  /** A link opened: every `up` hook. */
  up(): void;
  /** The open link went away and the socket will reconnect: every `down` hook. */
  down(info?: CloseInfo): void;
  /** The socket ends for good: every `end` hook. */
  end(code?: number): void;
  /** The text frames sent so far, parsed as JSON. */
  sentJson(): unknown[];
}

export function createFakeHost(options: FakeHostOptions = {}): FakeHost {
  const sent: SentFrame[] = [];
  const written: SendData[] = [];
  const errors: HoldfastError[] = [];
  const drops: Array<{ data: SendData; reason: DropReason }> = [];
  let hooks: readonly FeatureHooks[] = [];
  const refuse = (what: string) => (): never => {
    throw new Error(`fake host: socket.${what}() is not part of this fake`);
  };
  const fake: FakeHost = {
    host: undefined as unknown as FeatureHost,
    sent,
    written,
    errors,
    drops,
    get hooks() {
      return hooks;
    },
    state: options.state ?? 'open',
    onSend: () => 'sent',
    install: (feature) => feature(fake.host),
    receive(data) {
      for (const h of hooks) if (h.receive?.(data)) return true;
      return false;
    },
    up() {
      for (const h of hooks) h.up?.();
    },
    down(info = { code: 1006, reason: '', wasClean: false }) {
      for (const h of hooks) h.down?.(info);
    },
    end(code = 1000) {
      for (const h of hooks) h.end?.(code);
    },
    sentJson: () => sent.map((frame) => JSON.parse(frame.data as string) as unknown),
  };
  const socket: CoreSocket = {
    get state() {
      return fake.state;
    },
    rtt: undefined,
    queue: { length: 0, bytes: 0 },
    send: refuse('send'),
    on: refuse('on'),
    close: refuse('close'),
    stop: refuse('stop'),
    start: refuse('start'),
    reconnect: refuse('reconnect'),
  };
  (fake as { host: FeatureHost }).host = {
    socket,
    clock: options.clock ?? systemClock(),
    retries: 0,
    send(data, fate) {
      sent.push({ data, fate });
      return fake.onSend(data, fate);
    },
    write(data) {
      written.push(data);
      return true;
    },
    error: (error) => void errors.push(error),
    // As the core: the fate hears the reason first.
    drop(data, reason, fate) {
      fate?.(reason);
      drops.push({ data, reason });
    },
    hook(h) {
      hooks = [...hooks, h];
      return () => {
        hooks = hooks.filter((x) => x !== h);
      };
    },
    transport: refuse('transport') as FeatureHost['transport'],
  };
  return fake;
}
