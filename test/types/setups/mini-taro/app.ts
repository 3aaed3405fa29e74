// The Taro block of docs/miniprogram.md as written, against @tarojs/taro's own typings.
import Taro from '@tarojs/taro';
import { connect } from 'holdfast';
import { wechat, miniProgramEnvironment } from 'holdfast/miniprogram';

// Read member by member: on H5, Taro's build turns each `Taro.xxx` into an import of that API.
const api = {
  connectSocket: Taro.connectSocket,
  getNetworkType: Taro.getNetworkType,
  onNetworkStatusChange: Taro.onNetworkStatusChange,
  offNetworkStatusChange: Taro.offNetworkStatusChange,
  onAppShow: Taro.onAppShow,
  offAppShow: Taro.offAppShow,
  onAppHide: Taro.onAppHide,
  offAppHide: Taro.offAppHide,
};

const socket = connect('wss://api.example.com/ws', {
  WebSocket: wechat(api),
  environment: miniProgramEnvironment(api),
});

// @ts-expect-error wechat() takes an object with connectSocket
wechat({ getNetworkType: Taro.getNetworkType });
