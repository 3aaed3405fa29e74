/**
 * fakeTt: the task has `readyState` (undefined after a parameter error); task methods fail
 * until the connect `success` has run; close codes may be strings (`stringCloseCodes`).
 */
import type { TtLike } from '../../../src/miniprogram/types';
import { FakeRuntime, plainTaskObject, withApi, type Fake, type FakeConfig } from './core';

const READY_STATE = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

export function fakeTt(config: Partial<FakeConfig> = {}): Fake<TtLike> {
  const runtime = new FakeRuntime('tt', config);
  return withApi(runtime, {
    ...runtime.lifecycleApi(),
    connectSocket: (options: Record<string, unknown>) => {
      const task = runtime.connect(options);
      if (!task) return undefined;
      const created = runtime.tasks.includes(task) && task.state !== 'closed';
      return Object.defineProperty(plainTaskObject(task), 'readyState', {
        get: () => (created ? READY_STATE[task.state] : undefined),
      });
    },
  } as unknown as TtLike);
}
