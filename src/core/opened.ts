/**
 * `opened(socket)`: a promise for the link. A function rather than a socket method, so that a
 * bundle that never waits for the link does not pay for it.
 */
import type { PlatformAbortSignal } from '../protocol/bytes';
import { HoldfastError } from '../protocol/errors';
import type { CoreSocket } from './socket';

/**
 * Resolves once `socket` is open: at once when it is, else at its next `open` event. Rejects with
 * HoldfastError `CLOSED` when the socket ends first (a `close` event that will not reconnect:
 * `close()`, `stop()`, a final close code, retries exhausted) or already is closing or closed,
 * and with `ABORTED` (`cause`: the signal's reason) when `options.signal` aborts first. Whichever
 * way it settles, it leaves no listener behind.
 *
 * @example
 * const socket = connect(url);
 * await opened(socket, { signal: AbortSignal.timeout(5000) });
 */
export function opened(socket: Pick<CoreSocket<unknown>, 'state' | 'on'>, options?: { signal?: PlatformAbortSignal }): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = options?.signal;
    const state = socket.state;
    const settle = (e?: HoldfastError): void => {
      offOpen();
      offClose();
      signal?.removeEventListener('abort', abort);
      if (e) reject(e);
      else resolve();
    };
    const closed = (): void => settle(new HoldfastError('CLOSED', 'socket closed'));
    const abort = (): void => settle(new HoldfastError('ABORTED', 'aborted', { cause: (signal as PlatformAbortSignal).reason }));
    const offOpen = socket.on('open', () => settle());
    const offClose = socket.on('close', (c) => c.willReconnect || closed());
    if (state === 'open') settle();
    else if (state === 'closing' || state === 'closed') closed();
    else if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort);
  });
}
