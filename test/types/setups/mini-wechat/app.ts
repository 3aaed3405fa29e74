// The WeChat (`wx`) block of docs/miniprogram.md as written, minus its `declare const wx`: the
// global comes from the platform's official typings (miniprogram-api-typings).
import { connect } from 'holdfast';
import { wechat, miniProgramEnvironment, type WxLike } from 'holdfast/miniprogram';
declare const token: string;

const socket = connect('wss://api.example.com/ws', {
  WebSocket: wechat(wx, { header: { Authorization: `Bearer ${token}` }, perMessageDeflate: true }),
  environment: miniProgramEnvironment(wx),
});

// @ts-expect-error wechat() takes the wx object
wechat(42);
// @ts-expect-error alipay()'s binary option is not a WeChat option
wechat(wx, { binary: 'base64' });
