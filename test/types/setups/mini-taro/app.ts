// The Taro block of docs/miniprogram.md as written, against @tarojs/taro's own typings.
import Taro from '@tarojs/taro';
import { connect } from 'holdfast';
import { wechat, miniProgramEnvironment } from 'holdfast/miniprogram';

const socket = connect('wss://api.example.com/ws', {
  WebSocket: wechat(Taro),
  environment: miniProgramEnvironment(Taro),
});

// @ts-expect-error wechat() takes the Taro object
wechat('Taro');
