/**
 * A test Environment: the test flips connectivity and fires signals by hand.
 */
import type { Environment, EnvironmentSignal } from '../../src/core/environment';

export interface FakeEnvironment extends Environment {
  online: boolean;
  /** Number of live subscriptions. */
  readonly subscribers: number;
  emit(signal: EnvironmentSignal): void;
}

export function createFakeEnvironment(online = true): FakeEnvironment {
  const listeners = new Set<(signal: EnvironmentSignal) => void>();
  return {
    online,
    get subscribers() {
      return listeners.size;
    },
    isOnline() {
      return this.online;
    },
    subscribe(listener) {
      const wrapped = (signal: EnvironmentSignal): void => listener(signal);
      listeners.add(wrapped);
      return () => listeners.delete(wrapped);
    },
    emit(signal) {
      if (signal === 'online') this.online = true;
      if (signal === 'offline') this.online = false;
      for (const listener of [...listeners]) listener(signal);
    },
  };
}
