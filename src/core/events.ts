/**
 * The socket's lifecycle events and a small typed emitter.
 */
import type { HoldfastError } from '../protocol/errors';
import type { State } from './state';
import type { SendData } from './transport';

/** Why a queued or sent-while-closed message was discarded. */
export type DropReason = 'overflow' | 'expired' | 'closed';

/**
 * Lifecycle events of a socket, by name, with the payload each listener receives. `Data` is what
 * a `message` listener gets: `string | ArrayBuffer`, or `string | Blob` with `binaryType: 'blob'`.
 */
export interface SocketEvents<Data = string | ArrayBuffer> {
  /** The link is open; the send queue has already been flushed. */
  open: { attempt: number; protocol: string };
  /**
   * Application data: a string for text, an ArrayBuffer for binary (views are converted to an
   * exact ArrayBuffer copy), or a Blob as the browser delivered it with `binaryType: 'blob'`.
   * Heartbeats and whatever a feature consumes (rpc's requests, responses and events) never
   * appear here.
   */
  message: Data;
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

/** A typed emitter: `on` returns its unsubscribe function. */
export interface Emitter<M> {
  /** Adds a listener; the returned function removes this registration (calling it again does nothing). */
  on<E extends keyof M>(event: E, listener: (payload: M[E]) => void): () => void;
  /** Calls every listener of `event` in subscription order. */
  emit<E extends keyof M>(event: E, payload: M[E]): void;
}

type AnyListener = (payload: never) => void;

/**
 * Listener lists are replaced, never mutated, so emitting iterates a stable list without copying
 * it: a listener that (un)subscribes during an emit affects the next emit only. A throwing
 * listener does not stop the others; what it threw goes to `onListenerError`.
 */
export function createEmitter<M>(onListenerError: (error: unknown, event: keyof M) => void): Emitter<M> {
  // No prototype: an event named "constructor" or "__proto__" (a server can send any name) must
  // not find Object.prototype's members.
  const lists: Record<PropertyKey, readonly AnyListener[]> = Object.create(null);
  const on = <E extends keyof M>(event: E, listener: (payload: M[E]) => void): (() => void) => {
    // Each registration is its own function, so removing it never removes a twin registration.
    const registration = (payload: M[E]): void => listener(payload);
    lists[event] = [...(lists[event] ?? []), registration as AnyListener];
    return () => void (lists[event] = (lists[event] as readonly AnyListener[]).filter((l) => l !== registration));
  };
  return {
    on,
    emit(event, payload) {
      for (const listener of lists[event] ?? []) {
        try {
          (listener as (payload: M[typeof event]) => void)(payload);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
  };
}
