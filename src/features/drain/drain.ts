/**
 * `drain()`: lets `close()` wait for the send queue. A feature, so that a bundle whose `close()`
 * never waits does not pay for it.
 */
import type { Feature } from '../../core/feature';
import type { CloseInfo } from '../../core/reconnect';

/** Options of `close()` with the `drain()` feature. */
export interface CloseOptions {
  /**
   * Milliseconds to wait, at most, for the messages still queued to go out before closing: the
   * socket keeps (re)connecting until the queue is flushed on an open link, then closes. What is
   * still queued when the time is up is dropped (reason `closed`). Default 0: close at once.
   */
  drain?: number;
}

/** What `drain()` adds: `close()` takes {@link CloseOptions}. */
export interface Drain {
  /**
   * `close(code, reason)` as without the feature, or, with `options.drain` and messages queued,
   * after they went out (at most `drain` ms later). Sends made meanwhile are dropped (reason
   * `closed`); a second `close()` with `drain` keeps the first deadline, one without closes now.
   */
  close(code?: number, reason?: string, options?: CloseOptions): void;
}

/**
 * Adds `close(code, reason, { drain: ms })`: the socket closes once its send queue went out on
 * an open link, or when `ms` ran out, whichever comes first.
 *
 * @example
 * const socket = connect(url, { use: [drain()] });
 * socket.send('bye');
 * socket.close(1000, 'done', { drain: 2000 });
 */
export function drain(): Feature<Drain> {
  return (host) => {
    const { socket, clock } = host;
    const close = socket.close;
    let draining: CloseInfo | undefined;
    let timer: unknown;
    let off: (() => void) | undefined;
    const stop = (): void => {
      clock.clearTimeout(timer);
      off?.();
      off = draining = undefined;
    };
    host.hook({
      send(data, fate) {
        if (!draining) return;
        host.drop(data, 'closed', fate);
        return 'dropped';
      },
      end() {
        // However it ended (close(), stop(), a final close code), the close() that drained was final.
        if (draining) close();
        stop();
      },
    });
    return {
      close(code = 1000, reason = '', options) {
        const ms = options?.drain ?? 0;
        const state = socket.state;
        // Nothing to wait for, a plain close() while draining, or nothing left to close: close now.
        if (!(ms > 0) || socket.queue.length === 0 || state === 'closing' || state === 'closed') {
          stop();
          return close(code, reason);
        }
        if (draining) return;
        const info = (draining = { code, reason, wasClean: false });
        // Clamped like the core's timers: a longer delay overflows to about 1 ms on most platforms.
        timer = clock.setTimeout(() => close(info.code, info.reason), Math.min(ms, 2_147_483_647));
        // The core flushes the queue before `open`: once open, everything queued went out.
        off = socket.on('open', () => close(info.code, info.reason));
      },
    };
  };
}
