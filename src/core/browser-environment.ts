/**
 * The default Environment in browsers: `online`/`offline` on window, `visibilitychange` on
 * document, and `pageshow`/`pagehide` for the back/forward cache.
 */
import type { Environment, EnvironmentSignal } from './environment';

/** The globals this environment reads; injectable for tests. */
export interface BrowserGlobals {
  readonly window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly document?: Pick<Document, 'addEventListener' | 'removeEventListener' | 'visibilityState'> | undefined;
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
      const onOnline = (): void => listener('online');
      const onOffline = (): void => listener('offline');
      const onVisibility = (): void => listener(g.document?.visibilityState === 'hidden' ? 'suspend' : 'resume');
      // A page restored from the back/forward cache gets no visibilitychange, only pageshow with
      // `persisted`; its sockets were closed when it was frozen.
      const onPageShow = (event: Event): void => {
        if ((event as PageTransitionEvent).persisted) listener('resume');
      };
      const onPageHide = (event: Event): void => {
        if ((event as PageTransitionEvent).persisted) listener('suspend');
      };
      g.window.addEventListener('online', onOnline);
      g.window.addEventListener('offline', onOffline);
      g.window.addEventListener('pageshow', onPageShow);
      g.window.addEventListener('pagehide', onPageHide);
      g.document?.addEventListener('visibilitychange', onVisibility);
      return () => {
        g.window.removeEventListener('online', onOnline);
        g.window.removeEventListener('offline', onOffline);
        g.window.removeEventListener('pageshow', onPageShow);
        g.window.removeEventListener('pagehide', onPageHide);
        g.document?.removeEventListener('visibilitychange', onVisibility);
      };
    },
  };
}
