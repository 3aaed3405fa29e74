/**
 * fakeTaro: `Taro.connectSocket` as Taro's mini-program targets build it (its promisified native
 * API): the native call runs at once with wrapped callbacks; the returned Promise resolves with
 * the native task one microtask after `success`, and rejects on `fail`. The listeners are thus
 * registered only once the call has succeeded. `blobFrames` makes binary arrive as Blobs, as on
 * Taro's H5 runtime. `openMode: 'immediate'` opens the task at the earliest moment anyone can see
 * a Taro task open: in the microtask right after its Promise settles (an open before that is
 * lost to every caller, Taro's own included).
 */
import type { WxLike } from '../../../src/miniprogram/types';
import { FakeRuntime, plainTaskObject, withApi, type Fake, type FakeConfig } from './core';

type Dict = Record<string, unknown>;
type Callback = (result: unknown) => void;

export function fakeTaro(config: Partial<FakeConfig> = {}): Fake<WxLike> {
  const immediate = config.openMode === 'immediate';
  const runtime = new FakeRuntime('wx', { ...config, ...(immediate && { openMode: 'manual' }) });
  return withApi(runtime, {
    ...runtime.lifecycleApi(),
    connectSocket: (options: Dict) =>
      new Promise((resolve, reject) => {
        let task: Dict | undefined;
        const { success, fail } = options as { success?: Callback; fail?: Callback };
        const created = runtime.connect({
          ...options,
          success: (result: unknown) => {
            success?.(result);
            void Promise.resolve().then(() => {
              resolve(task);
              if (immediate) void Promise.resolve().then(() => created?.accept());
            });
          },
          fail: (result: unknown) => {
            fail?.(result);
            reject(result);
          },
        });
        task = created ? plainTaskObject(created) : undefined;
      }),
  } as unknown as WxLike);
}
