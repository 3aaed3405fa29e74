/**
 * fakeUni: WeChat-shaped, except that `connectSocket` returns uni's Promise wrapper (and no
 * task) unless `success`, `fail` or `complete` is passed.
 */
import type { UniLike } from '../../../src/miniprogram/types';
import { FakeRuntime, plainTaskObject, withApi, type Fake, type FakeConfig } from './core';

export function fakeUni(config: Partial<FakeConfig> = {}): Fake<UniLike> {
  const runtime = new FakeRuntime('uni', config);
  return withApi(runtime, {
    ...runtime.lifecycleApi(),
    connectSocket: (options: Record<string, unknown>) => {
      const promised = !['success', 'fail', 'complete'].some((key) => typeof options[key] === 'function');
      if (promised) {
        return new Promise((resolve) => {
          runtime.connect({ ...options, success: resolve, fail: resolve });
        });
      }
      const task = runtime.connect(options);
      return task ? plainTaskObject(task) : undefined;
    },
  } as unknown as UniLike);
}
