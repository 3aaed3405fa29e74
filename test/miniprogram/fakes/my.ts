/**
 * fakeMy: Alipay. `multiple: true` returns a SocketTask with `off*`; without it (or with
 * `multipleSupported: false`) `connectSocket` returns nothing and the single global socket is
 * driven through `my.onSocket*`/`sendSocketMessage`/`closeSocket`. Errors are
 * `{error, errorMessage}`; binary arrives as base64 with `isBuffer`.
 */
import type { MyLike } from '../../../src/miniprogram/types';
import { FakeRuntime, plainTaskObject, withApi, type Fake, type FakeConfig, type FakeTask, type ListenerKind } from './core';

type Callback = (result: unknown) => void;
type Dict = Record<string, unknown>;

function withOff(task: FakeTask): Dict {
  const off = (kind: ListenerKind) => (listener?: Callback) => task.off(kind, listener);
  return { ...plainTaskObject(task), offOpen: off('open'), offClose: off('close'), offError: off('error'), offMessage: off('message') };
}

export function fakeMy(config: Partial<FakeConfig> = {}): Fake<MyLike> {
  const runtime = new FakeRuntime('my', config);
  const global = runtime.globalListeners;
  const onGlobal = (kind: ListenerKind) => (listener: Callback) => {
    runtime.record('call', `my.onSocket:${kind}`);
    global[kind].push(listener);
  };
  const offGlobal = (kind: ListenerKind) => (listener?: Callback) => {
    runtime.record('call', `my.offSocket:${kind}`);
    const list = global[kind];
    if (!listener) list.length = 0;
    else if (list.includes(listener)) list.splice(list.indexOf(listener), 1);
  };
  const noGlobalSocket = (options: Dict): void => runtime.result(options, 'fail', runtime.error('not connected', 10));
  return withApi(runtime, {
    ...runtime.lifecycleApi(),
    connectSocket: (options: Dict) => {
      if (options['multiple'] === true && runtime.config.multipleSupported) {
        const task = runtime.connect(options);
        return task ? withOff(task) : undefined;
      }
      const previous = runtime.globalTask;
      if (previous && previous.state !== 'closed') {
        if (runtime.config.singleInstance === 'fail') {
          runtime.record('call', 'connectSocket', undefined, { ...options });
          runtime.result(options, 'fail', runtime.error('the WebSocket already exists; call my.closeSocket first', 3));
          return undefined;
        }
        previous.serverClose(1000, 'replaced by a new socket');
      }
      runtime.globalTask = runtime.connect(options, global);
      return undefined;
    },
    onSocketOpen: onGlobal('open'),
    onSocketClose: onGlobal('close'),
    onSocketError: onGlobal('error'),
    onSocketMessage: onGlobal('message'),
    offSocketOpen: offGlobal('open'),
    offSocketClose: offGlobal('close'),
    offSocketError: offGlobal('error'),
    offSocketMessage: offGlobal('message'),
    sendSocketMessage: (options: Dict) => (runtime.globalTask ? runtime.globalTask.send(options) : noGlobalSocket(options)),
    closeSocket: (options: Dict) => (runtime.globalTask ? runtime.globalTask.close(options) : noGlobalSocket(options)),
  } as unknown as MyLike);
}
