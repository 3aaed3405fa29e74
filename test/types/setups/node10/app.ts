import { connect } from 'holdfast';
import { wechat, miniProgramEnvironment, type WxLike } from 'holdfast/miniprogram';
declare const wx: WxLike;

// miniprogram.md, as written
const socket = connect('wss://api.example.com/ws', {
  WebSocket: wechat(wx),
  environment: miniProgramEnvironment(wx),
});
socket.send('hello');

// @ts-expect-error wechat() takes the wx object
wechat(42);
