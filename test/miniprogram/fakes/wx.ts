/** fakeWx: `wx.connectSocket` returns a SocketTask synchronously; errors are `{errMsg}`. */
import type { WxLike } from '../../../src/miniprogram/types';
import { FakeRuntime, plainTaskObject, withApi, type Fake, type FakeConfig } from './core';

export function fakeWx(config: Partial<FakeConfig> = {}): Fake<WxLike> {
  const runtime = new FakeRuntime('wx', config);
  return withApi(runtime, {
    ...runtime.lifecycleApi(),
    connectSocket: (options: Record<string, unknown>) => {
      const task = runtime.connect(options);
      return task ? plainTaskObject(task) : undefined;
    },
  } as unknown as WxLike);
}
