/**
 * The socket's lifecycle events and a small typed emitter.
 */
import type { HoldfastError } from '../protocol/errors';
import type { State } from './state';
import type { SendData } from './transport';

/** Why a queued or sent-while-closed message was discarded. */
export type DropReason = 'overflow' | 'expired' | 'closed';

/** Lifecycle events of a socket, by name, with the payload each listener receives. */
export interface SocketEvents {
  /** The link is open; the send queue has already been flushed. */
  open: { attempt: number; protocol: string };
  /**
   * Application data: a string for text, an ArrayBuffer for binary (views are converted to an
   * exact ArrayBuffer slice). Protocol messages (heartbeats, requests, responses, events, binary
   * envelopes) never appear here: they go to `request()`, `handle()` and `onEvent()`.
   */
  message: string | ArrayBuffer;
  /** A link ended. `willReconnect` says whether another attempt follows. */
  close: { code: number; reason: string; wasClean: boolean; willReconnect: boolean };
  /** A retry is scheduled after `delay` ms; `attempt` counts retries since the last stable link (1-based). */
  reconnecting: { attempt: number; delay: number; reason: string };
  /** Every state change, with the reason for it. */
  state: { from: State; to: State; reason: string };
  /** Something went wrong; the socket carries on unless a `close` event says otherwise. */
  error: HoldfastError;
  /** A message was discarded instead of sent. */
  drop: { data: SendData; reason: DropReason };
  /** A heartbeat pong arrived; `rtt` is the round trip in ms. */
  heartbeat: { rtt: number };
}

/** A listener for event `E` of map `M`. */
export type Listener<M, E extends keyof M> = (payload: M[E]) => void;

/**
 * Typed emitter. Listener lists are replaced, never mutated, so emitting iterates a stable list
 * without copying it: a listener that (un)subscribes during an emit affects the next emit only.
 * A throwing listener does not stop the others; what it threw goes to `onListenerError`.
 */
export class Emitter<M> {
  // No prototype: an event named "constructor" or "toString" (a server can send any name) must
  // not find Object.prototype's members.
  #lists: { [E in keyof M]?: readonly Listener<M, E>[] } = Object.create(null) as { [E in keyof M]?: readonly Listener<M, E>[] };
  readonly #onListenerError: (error: unknown, event: keyof M) => void;

  constructor(onListenerError: (error: unknown, event: keyof M) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; the returned function removes it (calling it again does nothing). */
  on<E extends keyof M>(event: E, listener: Listener<M, E>): () => void {
    this.#lists[event] = [...(this.#lists[event] ?? []), listener];
    let removed = false;
    return () => {
      // Removes this registration only (once): a listener added twice stays registered once.
      if (removed) return;
      removed = true;
      const list = this.#lists[event];
      const at = list ? list.indexOf(listener) : -1;
      if (list && at !== -1) this.#lists[event] = [...list.slice(0, at), ...list.slice(at + 1)];
    };
  }


  /** Calls every listener of `event` in subscription order. */
  emit<E extends keyof M>(event: E, payload: M[E]): void {
    const list = this.#lists[event];
    if (!list) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }
}
