/**
 * The socket's lifecycle as one value, and the table of the moves it may make. Pure.
 */

/** Where a socket is in its life. `closed` is terminal after `close()`; `start()` revives a stopped socket. */
export type State = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/**
 * Every move the socket makes. The socket never checks it at run time (that would ship bytes to
 * prove an invariant); the tests record every `state` event of every scenario and check each
 * move against this table.
 * - `connecting → closed`: `close()` during an attempt, or the url provider returned `null`.
 * - `open → closed`: the link ended and the close code (or `shouldReconnect`) says not to retry.
 * - `open → closing → closed`: `close()` on an open link waits for the closing handshake.
 * - `closed → connecting`: only `start()`, on a socket that was stopped (`stop()`, or made with
 *   `start: false`). After `close()` (final), or when it ended by itself (a final close code,
 *   retries exhausted, the url provider returned `null`) without `close()`, `start()` may revive
 *   it too; `close()` rules it out for good. `reconnect()` never revives a closed socket.
 */
export const TRANSITIONS: Readonly<Record<State, readonly State[]>> = {
  connecting: ['open', 'reconnecting', 'closed'],
  open: ['reconnecting', 'closing', 'closed'],
  reconnecting: ['connecting', 'closed'],
  closing: ['closed'],
  closed: ['connecting'],
};

/** True when the table allows moving from `from` to `to`. */
export function canTransition(from: State, to: State): boolean {
  return TRANSITIONS[from].includes(to);
}
