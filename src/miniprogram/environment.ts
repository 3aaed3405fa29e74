/**
 * The client's Environment built from a mini-program's app lifecycle and network status:
 * `onAppHide` → `'suspend'`, `onAppShow` → `'resume'`, `onNetworkStatusChange` →
 * `'online'`/`'offline'`. Works with `wx`, `uni`, `my` and `tt`; any API the object lacks is
 * simply not listened to.
 */
import type { Environment, EnvironmentSignal } from '../core/environment';
import type { MyLike, PlatformCallback, TtLike, UniLike, WxLike } from './types';

/** `networkType` values meaning "no network": `'none'` (wx, uni, tt) and Alipay's `'NOTREACHABLE'`. */
const OFFLINE_TYPES = ['none', 'notreachable'];

/**
 * Reads connectivity from a network payload: `isConnected` (status change events),
 * `networkAvailable` (Alipay `getNetworkType`), else the `networkType`. `undefined` if the
 * payload says nothing.
 */
function onlineFrom(result: unknown): boolean | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const payload = result as { isConnected?: unknown; networkAvailable?: unknown; networkType?: unknown };
  if (typeof payload.isConnected === 'boolean') return payload.isConnected;
  if (typeof payload.networkAvailable === 'boolean') return payload.networkAvailable;
  if (typeof payload.networkType === 'string') return !OFFLINE_TYPES.includes(payload.networkType.toLowerCase());
  return undefined;
}

/**
 * An Environment for `connect(url, { environment: miniProgramEnvironment(wx) })`.
 * Guarantees: `isOnline()` is `true` until the platform says otherwise (the first
 * `getNetworkType` answer, then every status change); each `subscribe` adds its own platform
 * listeners and its unsubscribe removes exactly those (with the platform's `off*` and the same
 * function objects; where `off*` is missing, the listeners go quiet instead). On every app show
 * the network type is read again, because status changes made while suspended can be lost.
 */
export function miniProgramEnvironment(api: WxLike | UniLike | MyLike | TtLike): Environment {
  let online = true;
  /** Bumped on every status change, so a slower `getNetworkType` answer cannot overwrite it. */
  let version = 0;

  const query = (onChange?: (next: boolean) => void): void => {
    if (typeof api.getNetworkType !== 'function') return;
    const asked = version;
    // Compared with the belief at asking time, not at answer time: with several subscribers,
    // another subscriber's answer may already have updated `online`, and this one must still
    // learn of the change.
    const was = online;
    try {
      api.getNetworkType({
        success: (result) => {
          const next = onlineFrom(result);
          if (next === undefined || asked !== version) return;
          online = next;
          if (next !== was) onChange?.(next);
        },
      });
    } catch {
      // No answer means no knowledge: keep the current belief.
    }
  };
  query();

  return {
    isOnline: () => online,
    subscribe(listener: (signal: EnvironmentSignal) => void): () => void {
      let active = true;
      const signal = (next: boolean): void => {
        if (active) listener(next ? 'online' : 'offline');
      };
      const onNetwork: PlatformCallback = (result) => {
        const next = onlineFrom(result);
        if (!active || next === undefined) return;
        version++;
        online = next;
        signal(next);
      };
      const onShow: PlatformCallback = () => {
        if (!active) return;
        listener('resume');
        query(signal);
      };
      const onHide: PlatformCallback = () => {
        if (active) listener('suspend');
      };
      api.onNetworkStatusChange?.(onNetwork);
      api.onAppShow?.(onShow);
      api.onAppHide?.(onHide);
      return () => {
        if (!active) return;
        active = false;
        api.offNetworkStatusChange?.(onNetwork);
        api.offAppShow?.(onShow);
        api.offAppHide?.(onHide);
      };
    },
  };
}
