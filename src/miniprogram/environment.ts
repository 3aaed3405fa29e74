/**
 * The client's Environment built from a mini-program's app lifecycle and network status:
 * `onAppHide` → `'suspend'`, `onAppShow` → `'resume'`, `onNetworkStatusChange` →
 * `'online'`/`'offline'`. Works with `wx`, `uni`, `my` and `tt`; any API the object lacks is
 * simply not listened to.
 */
import type { Environment, EnvironmentSignal } from '../core/environment';
import type { MyLike, PlatformCallback, TtLike, UniLike, WxLike } from './types';

/**
 * Reads connectivity from a network payload: `isConnected` (status change events),
 * `networkAvailable` (Alipay `getNetworkType`), else the `networkType`, where `'none'` (wx, uni,
 * tt) and Alipay's `'NOTREACHABLE'` mean offline. `undefined` if the payload says nothing.
 */
function onlineFrom(result: unknown): boolean | undefined {
  const { isConnected, networkAvailable, networkType } = (result ?? {}) as Record<string, unknown>;
  if (typeof isConnected === 'boolean') return isConnected;
  if (typeof networkAvailable === 'boolean') return networkAvailable;
  return typeof networkType === 'string' ? !/^(none|notreachable)$/i.test(networkType) : undefined;
}

/**
 * An Environment whose `subscribe` also takes `report`: where a platform API throws while
 * subscribing, the error goes there (a client that passes it can make it an `error` event).
 */
export interface MiniProgramEnvironment extends Environment {
  subscribe(listener: (signal: EnvironmentSignal) => void, report?: (error: unknown) => void): () => void;
}

/**
 * An Environment for `connect(url, { environment: miniProgramEnvironment(wx) })`.
 * Guarantees: `isOnline()` is `true` until the platform says otherwise (the first
 * `getNetworkType` answer, then every status change); each `subscribe` adds its own platform
 * listeners and its unsubscribe removes exactly those (with the platform's `off*` and the same
 * function objects; where `off*` is missing, the listeners go quiet instead). On every app show
 * the network type is read again, because status changes made while suspended can be lost.
 */
export function miniProgramEnvironment(api: WxLike | UniLike | MyLike | TtLike): MiniProgramEnvironment {
  const platform = api as unknown as Record<string, ((arg: unknown) => unknown) | undefined>;
  let online = true;
  /** Bumped on every status change, so a slower `getNetworkType` answer cannot overwrite it. */
  let version = 0;

  const query = (onChange?: (next: boolean) => void): void => {
    const asked = version;
    // Compared with the belief at asking time, not at answer time: with several subscribers,
    // another subscriber's answer may already have updated `online`, and this one must still
    // learn of the change.
    const was = online;
    try {
      api.getNetworkType?.({
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
    /**
     * A platform API that throws while subscribing or unsubscribing (uni-app's H5 runtime outside
     * an initialised app: `UniServiceJSBridge is not defined`) does not fail `connect()` or
     * `close()`: the other listeners are still added or removed, and the error goes to `report`
     * (a caller that can turn it into an `error` event), or is re-thrown on a timer, as an
     * uncaught error, when there is none.
     */
    subscribe(listener: (signal: EnvironmentSignal) => void, report?: (error: unknown) => void): () => void {
      let active = true;
      const signal = (next: boolean): void => {
        if (active) listener(next ? 'online' : 'offline');
      };
      const on: Record<string, PlatformCallback> = {
        NetworkStatusChange: (result) => {
          const next = onlineFrom(result);
          if (!active || next === undefined) return;
          version++;
          online = next;
          signal(next);
        },
        AppShow: () => {
          if (!active) return;
          listener('resume');
          query(signal);
        },
        AppHide: () => {
          if (active) listener('suspend');
        },
      };
      /** Calls `on*` or `off*` for every listener; one that throws does not stop the others. */
      const each = (prefix: string): void => {
        for (const name in on) {
          try {
            platform[prefix + name]?.(on[name]);
          } catch (error) {
            if (report) report(error);
            else
              setTimeout(() => {
                throw error;
              });
          }
        }
      };
      each('on');
      return () => {
        if (!active) return;
        active = false;
        each('off');
      };
    },
  };
}
