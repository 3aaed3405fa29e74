import { describe, expect, it, vi } from 'vitest';
import { connect } from '../../src';
import { wechat } from '../../src/miniprogram';
import type { EnvironmentSignal } from '../../src/core/environment';
import { miniProgramEnvironment } from '../../src/miniprogram';
import type { PlatformCallback, TtLike } from '../../src/miniprogram/types';
import { advance, useFakeClock, WS_URL } from './contract';
import { fakeMy, fakeTt, fakeUni, fakeWx } from './fakes';

describe('miniProgramEnvironment', () => {
  useFakeClock();

  it('believes it is online until the platform says otherwise, then takes getNetworkType into account', async () => {
    const fake = fakeWx();
    fake.network = { isConnected: false, networkType: 'none' };
    const env = miniProgramEnvironment(fake.api);
    expect(env.isOnline()).toBe(true);
    await advance(0);
    expect(env.isOnline()).toBe(false);
  });

  it("treats Alipay's NOTREACHABLE as offline and its other types as online", async () => {
    const fake = fakeMy();
    fake.network = { isConnected: false, networkType: 'NOTREACHABLE' };
    const env = miniProgramEnvironment(fake.api);
    const signals: EnvironmentSignal[] = [];
    env.subscribe((signal) => signals.push(signal));
    await advance(0);
    expect(env.isOnline()).toBe(false);
    fake.setNetwork({ isConnected: true, networkType: 'WWAN' });
    expect(env.isOnline()).toBe(true);
    expect(signals).toEqual(['online']);
  });

  it('maps network changes to online/offline, app show to resume and app hide to suspend', () => {
    const fake = fakeUni();
    const env = miniProgramEnvironment(fake.api);
    const signals: EnvironmentSignal[] = [];
    env.subscribe((signal) => signals.push(signal));
    fake.setNetwork({ isConnected: false, networkType: 'none' });
    expect(env.isOnline()).toBe(false);
    fake.setNetwork({ isConnected: true, networkType: '4g' });
    fake.hide();
    fake.show();
    expect(signals).toEqual(['offline', 'online', 'suspend', 'resume']);
  });

  it('does not let a slow initial getNetworkType answer overwrite a newer status change', async () => {
    const fake = fakeWx({ callbackDelay: 100 });
    fake.network = { isConnected: false, networkType: 'none' };
    const env = miniProgramEnvironment(fake.api);
    env.subscribe(() => {});
    fake.setNetwork({ isConnected: true, networkType: 'wifi' });
    await advance(100);
    expect(env.isOnline()).toBe(true);
  });

  it('tells every subscriber that the network came back while the app was hidden', async () => {
    const fake = fakeWx();
    fake.network = { isConnected: false, networkType: 'none' };
    const env = miniProgramEnvironment(fake.api);
    await advance(0);
    expect(env.isOnline()).toBe(false);
    const a: string[] = [];
    const b: string[] = [];
    env.subscribe((signal) => a.push(signal));
    env.subscribe((signal) => b.push(signal));
    fake.hide();
    fake.network = { isConnected: true, networkType: 'wifi' }; // the change event is lost while suspended
    fake.show();
    await advance(0);
    expect(a).toEqual(['suspend', 'resume', 'online']);
    expect(b).toEqual(['suspend', 'resume', 'online']);
    expect(env.isOnline()).toBe(true);
  });

  it('re-reads the network on app show, since changes made while suspended can be lost', async () => {
    const fake = fakeWx();
    const env = miniProgramEnvironment(fake.api);
    const signals: EnvironmentSignal[] = [];
    env.subscribe((signal) => signals.push(signal));
    await advance(0);
    fake.hide();
    await advance(6000);
    fake.network = { isConnected: false, networkType: 'none' };
    fake.show();
    await advance(0);
    expect(signals).toEqual(['suspend', 'resume', 'offline']);
    expect(env.isOnline()).toBe(false);
  });

  it('unsubscribes with off* and the very same function objects, leaving other subscribers alone', () => {
    const fake = fakeTt();
    const env = miniProgramEnvironment(fake.api);
    const first: EnvironmentSignal[] = [];
    const second: EnvironmentSignal[] = [];
    const stopFirst = env.subscribe((signal) => first.push(signal));
    env.subscribe((signal) => second.push(signal));
    expect(fake.lifecycle.show).toHaveLength(2);
    stopFirst();
    stopFirst();
    expect(fake.lifecycle.show).toHaveLength(1);
    expect(fake.lifecycle.hide).toHaveLength(1);
    expect(fake.lifecycle.network).toHaveLength(1);
    fake.hide();
    expect(first).toEqual([]);
    expect(second).toEqual(['suspend']);
  });

  it('goes quiet after unsubscribe on a platform without off*', () => {
    const hide: PlatformCallback[] = [];
    const network: PlatformCallback[] = [];
    const api: TtLike = {
      connectSocket: () => undefined,
      onAppHide: (listener) => hide.push(listener),
      onNetworkStatusChange: (listener) => network.push(listener),
    };
    const env = miniProgramEnvironment(api);
    const signals: EnvironmentSignal[] = [];
    const stop = env.subscribe((signal) => signals.push(signal));
    hide[0]?.({});
    stop();
    hide[0]?.({});
    network[0]?.({ isConnected: false, networkType: 'none' });
    expect(signals).toEqual(['suspend']);
    expect(env.isOnline()).toBe(true);
  });

  it('works with an API object that has no lifecycle or network functions at all', () => {
    const env = miniProgramEnvironment({ connectSocket: () => undefined });
    expect(env.isOnline()).toBe(true);
    const stop = env.subscribe(() => {});
    expect(() => stop()).not.toThrow();
  });

  describe('a platform API that throws while subscribing (uni-app H5 outside an app)', () => {
    /** uni whose onNetworkStatusChange throws as uni-h5's does without UniServiceJSBridge. */
    function throwingUni() {
      const fake = fakeUni();
      const bridge = new ReferenceError('UniServiceJSBridge is not defined');
      const api = {
        ...fake.api,
        onNetworkStatusChange: () => {
          throw bridge;
        },
      };
      return { fake, api, bridge };
    }

    it('still subscribes to the rest and hands the error to report', () => {
      const { fake, api, bridge } = throwingUni();
      const env = miniProgramEnvironment(api);
      const signals: EnvironmentSignal[] = [];
      const reported: unknown[] = [];
      const off = env.subscribe((signal) => signals.push(signal), (error) => reported.push(error));
      expect(reported).toEqual([bridge]);
      fake.hide();
      fake.show();
      expect(signals).toEqual(['suspend', 'resume']);
      off();
    });

    it('unsubscribes from the rest when an off* throws too, and reports it', () => {
      const { fake, api, bridge } = throwingUni();
      const offThrows = {
        ...api,
        offNetworkStatusChange: () => {
          throw bridge;
        },
      };
      const signals: EnvironmentSignal[] = [];
      const reported: unknown[] = [];
      const off = miniProgramEnvironment(offThrows).subscribe((signal) => signals.push(signal), (error) => reported.push(error));
      expect(() => off()).not.toThrow();
      expect(reported).toEqual([bridge, bridge]);
      expect(fake.lifecycle.show).toHaveLength(0);
      expect(fake.lifecycle.hide).toHaveLength(0);
      fake.hide();
      expect(signals).toEqual([]);
    });

    it('through connect(): an ENVIRONMENT error event, and connect() does not fail', async () => {
      const { api, bridge } = throwingUni();
      const fake = fakeWx();
      const socket = connect(WS_URL, { WebSocket: wechat(fake.api), environment: miniProgramEnvironment(api), heartbeat: false });
      const errors: Array<{ code: string; cause: unknown }> = [];
      socket.on('error', (e) => errors.push({ code: e.code, cause: e.cause }));
      expect(() => vi.advanceTimersByTime(0)).not.toThrow();
      await advance(20);
      expect(errors).toEqual([{ code: 'ENVIRONMENT', cause: bridge }]);
      expect(socket.state).toBe('open');
      socket.close();
      await advance(3000);
    });
  });
});
