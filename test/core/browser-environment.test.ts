// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserEnvironment } from '../../src/core/browser-environment';
import type { EnvironmentSignal } from '../../src/core/environment';

describe('browserEnvironment', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
    vi.restoreAllMocks();
  });

  function subscribe(): EnvironmentSignal[] {
    const signals: EnvironmentSignal[] = [];
    cleanups.push(browserEnvironment().subscribe((s) => signals.push(s)));
    return signals;
  }

  it('maps online and offline window events', () => {
    const signals = subscribe();
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    expect(signals).toEqual(['offline', 'online']);
  });

  it('maps visibilitychange to suspend when hidden and resume when visible', () => {
    const signals = subscribe();
    const visibility = vi.spyOn(document, 'visibilityState', 'get');
    visibility.mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(signals).toEqual(['suspend', 'resume']);
  });

  it('reports a back/forward-cache restore (pageshow persisted) as resume, a normal load not', () => {
    const signals = subscribe();
    const show = (persisted: boolean) => {
      const event = new Event('pageshow');
      Object.defineProperty(event, 'persisted', { value: persisted });
      window.dispatchEvent(event);
    };
    show(false);
    show(true);
    expect(signals).toEqual(['resume']);
  });

  it('removes every listener when unsubscribed', () => {
    const signals: EnvironmentSignal[] = [];
    const off = browserEnvironment().subscribe((s) => signals.push(s));
    off();
    window.dispatchEvent(new Event('offline'));
    document.dispatchEvent(new Event('visibilitychange'));
    expect(signals).toEqual([]);
  });

  it('believes navigator.onLine only when it says offline', () => {
    const onLine = vi.spyOn(navigator, 'onLine', 'get');
    onLine.mockReturnValue(false);
    expect(browserEnvironment().isOnline()).toBe(false);
    onLine.mockReturnValue(true);
    expect(browserEnvironment().isOnline()).toBe(true);
  });

  it('works with injected globals and no document', () => {
    const target = new EventTarget();
    const env = browserEnvironment({ window: target as unknown as Window, navigator: {} });
    const signals: EnvironmentSignal[] = [];
    const off = env.subscribe((s) => signals.push(s));
    target.dispatchEvent(new Event('online'));
    off();
    target.dispatchEvent(new Event('online'));
    expect(signals).toEqual(['online']);
    expect(env.isOnline()).toBe(true);
  });
});
