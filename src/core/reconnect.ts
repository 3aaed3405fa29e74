/**
 * Which close codes end the connection for good. Pure, and the only place this is decided.
 *
 * Codes (RFC 6455 §7.4.1 and the IANA registry) after which we do NOT reconnect by default,
 * because the server told us the client itself is at fault and a new attempt would repeat it:
 * - 1002 protocol error, 1003 unsupported data, 1007 invalid payload data,
 *   1008 policy violation, 1009 message too big, 1010 mandatory extension missing;
 * - 4400–4499, an application convention mirroring HTTP 4xx ("client error, retrying would
 *   repeat it"; e.g. 4401 unauthorized, 4403 forbidden). Servers that want the client to stop
 *   should close with one of these.
 *
 * Everything else reconnects: 1000/1001 from the server (a restart or a deploy), 1005/1006
 * (no close frame: the network dropped), 1011 (server error), 1012 (service restart),
 * 1013 (try again later; the `retryAfter()` feature honours its hint), 4000 (our heartbeat timeout) and other 4xxx.
 * A `close()` by the application never reconnects, whatever the code; that is decided in the
 * socket, not here.
 */

/** What we know about how a link ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The context handed to a `shouldReconnect` option: the close plus the retry counter. */
export interface ReconnectContext extends CloseInfo {
  /** Consecutive failed attempts so far (0 right after a stable link dropped). */
  readonly attempt: number;
}

/**
 * True when the default table says a link closed with `code` should be retried: not 1002, 1003,
 * 1007, 1008, 1009, 1010 nor 4400–4499 (see above). One regex on the code's digits (close codes
 * are integers, RFC 6455 §7.4): smaller than a list and two comparisons.
 */
export const isRetryableCode = (code: number): boolean => !/^(100[23789]|1010|44\d\d)$/.test(String(code));

/**
 * Decides whether to reconnect after a link ended. A user `override` (the `shouldReconnect`
 * option) replaces the table entirely. If it throws, the table decides and `onOverrideError`
 * receives what was thrown.
 */
export function decideReconnect(
  ctx: ReconnectContext,
  override: ((ctx: ReconnectContext) => boolean) | undefined,
  onOverrideError: (error: unknown) => void,
): boolean {
  try {
    if (override) return override(ctx) === true;
  } catch (error) {
    onOverrideError(error);
  }
  return isRetryableCode(ctx.code);
}
