/**
 * The default Environment in browsers: `online`/`offline` on window, `visibilitychange` on
 * document, and `pageshow`/`pagehide` for the back/forward cache.
 */
import type { Environment, EnvironmentSignal } from './environment';

/** The part of an EventTarget used here (declared, so the types stand without the DOM lib). */
interface Target {
  addEventListener(type: string, listener: (event: object) => void): void;
  removeEventListener(type: string, listener: (event: object) => void): void;
}

/** The globals this environment reads; injectable for tests. */
export interface BrowserGlobals {
  readonly window: Target;
  readonly document?: (Target & { readonly visibilityState?: string }) | undefined;
  readonly navigator?: { readonly onLine?: boolean } | undefined;
}

/**
 * Builds the browser environment. `isOnline()` trusts `navigator.onLine` only when it says
 * false (it can report true without a working network, never the reverse). Subscribing adds one
 * listener per platform event; the returned function removes all of them.
 */
export function browserEnvironment(globals?: BrowserGlobals): Environment {
  const g: BrowserGlobals = globals ?? {
    window,
    document: typeof document === 'undefined' ? undefined : document,
    navigator: typeof navigator === 'undefined' ? undefined : navigator,
  };
  return {
    isOnline: () => g.navigator?.onLine !== false,
    subscribe(listener: (signal: EnvironmentSignal) => void): () => void {
      const persisted = (event: object): boolean => (event as { persisted?: unknown }).persisted === true;
      // A page restored from the back/forward cache gets no visibilitychange, only pageshow with
      // `persisted`; its sockets were closed when it was frozen.
      const table: Array<[Target | undefined, string, (event: object) => EnvironmentSignal | false]> = [
        [g.window, 'online', () => 'online'],
        [g.window, 'offline', () => 'offline'],
        [g.window, 'pageshow', (event) => persisted(event) && 'resume'],
        [g.window, 'pagehide', (event) => persisted(event) && 'suspend'],
        [g.document, 'visibilitychange', () => (g.document?.visibilityState === 'hidden' ? 'suspend' : 'resume')],
      ];
      const bound = table.map(([target, name, signal]) => {
        const handler = (event: object): void => {
          const s = signal(event);
          if (s) listener(s);
        };
        target?.addEventListener(name, handler);
        return () => target?.removeEventListener(name, handler);
      });
      return () => bound.forEach((off) => off());
    },
  };
}
