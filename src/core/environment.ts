/**
 * Signals from the platform that matter to a long-lived connection. The browser implementation
 * listens to `online`/`offline`, `visibilitychange` and `pageshow`; mini-program adapters build
 * one from `onNetworkStatusChange` and `onAppShow`/`onAppHide`. Tests inject their own.
 */
export type EnvironmentSignal =
  /** The network came back: an attempt should start at once. */
  | 'online'
  /** The network is gone: attempts should pause without burning retries. */
  | 'offline'
  /** The page/app is visible again (incl. a return from the back/forward cache): check liveness now. */
  | 'resume'
  /** The page/app went to the background. */
  | 'suspend';

export interface Environment {
  /** Current belief about connectivity; `true` when unknown. */
  isOnline(): boolean;
  /**
   * Subscribes to signals; returns a function that removes every listener it added. Where the
   * platform throws while (un)subscribing, the environment passes the error to `report` (the
   * socket emits it as an `ENVIRONMENT` error) instead of throwing.
   */
  subscribe(listener: (signal: EnvironmentSignal) => void, report?: (error: unknown) => void): () => void;
}
