// The page bundle of runtimes.test.mjs: the built holdfast client and mini-program adapters, run
// over the SocketTask implementations of uni-app's H5 runtime (@dcloudio/uni-h5) and Taro's
// (@tarojs/taro-h5), each imported the way its framework's own build does it:
// - uni: `uni.*` on H5 is uni-h5's named exports, with `vue` aliased to @dcloudio/uni-h5-vue;
// - Taro: on H5, Taro's babel plugin rewrites every `Taro.xxx` read into a named import of
//   @tarojs/taro-h5 (the default `Taro` object carries none of these APIs there), and its build
//   defines process.env.TARO_ENV and friends.
import { connect, envelopeCodec, rpc } from '../../dist/index.js';
import { miniProgramEnvironment, uni as uniSocket, wechat } from '../../dist/miniprogram.js';
import {
  connectSocket as uniConnectSocket,
  getNetworkType as uniGetNetworkType,
  offNetworkStatusChange as uniOffNetworkStatusChange,
  onNetworkStatusChange as uniOnNetworkStatusChange,
} from '@dcloudio/uni-h5';
import {
  connectSocket,
  getNetworkType,
  offAppHide,
  offAppShow,
  offNetworkStatusChange,
  onAppHide,
  onAppShow,
  onNetworkStatusChange,
} from '@tarojs/taro-h5';

const uni = {
  connectSocket: uniConnectSocket,
  getNetworkType: uniGetNetworkType,
  onNetworkStatusChange: uniOnNetworkStatusChange,
  offNetworkStatusChange: uniOffNetworkStatusChange,
};
// What `{ connectSocket: Taro.connectSocket, ... }` (docs/miniprogram.md) compiles to on H5.
const taro = { connectSocket, getNetworkType, onNetworkStatusChange, offNetworkStatusChange, onAppShow, offAppShow, onAppHide, offAppHide };

/** Starts a client over one runtime and records what it reports, for page.evaluate. */
window.rtStart = (kind, url) => {
  const api = kind === 'uni' ? uni : taro;
  // Keeps every task the runtime hands out (Taro: once its Promise settles), to show that none
  // is left open behind the client.
  const tasks = [];
  const counted = {
    ...api,
    connectSocket: (options) => {
      const result = api.connectSocket(options);
      if (result && typeof result.then === 'function') result.then((task) => tasks.push(task), () => {});
      else tasks.push(result);
      return result;
    },
  };
  const socket = connect(url, {
    WebSocket: kind === 'uni' ? uniSocket(counted) : wechat(counted),
    environment: miniProgramEnvironment(counted),
    heartbeat: false,
    backoff: { initialDelay: 50, maxDelay: 200 },
    use: [rpc({ codec: envelopeCodec })],
  });
  const rec = { messages: [], opens: 0, closes: [], errors: [] };
  socket.on('message', (data) => {
    rec.messages.push(typeof data === 'string' ? { text: data } : { bytes: Array.from(new Uint8Array(data)), isArrayBuffer: data instanceof ArrayBuffer });
  });
  socket.on('open', () => rec.opens++);
  socket.on('close', (e) => rec.closes.push({ code: e.code, willReconnect: e.willReconnect }));
  socket.on('error', (e) => rec.errors.push(e.code === 'ENVIRONMENT' ? `ENVIRONMENT: ${e.cause && e.cause.message}` : String(e && e.message)));
  window.rt = { socket, rec, tasks };
  return true;
};
window.ready = true;
