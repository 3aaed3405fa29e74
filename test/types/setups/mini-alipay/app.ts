// The Alipay (`my`) block of docs/miniprogram.md as written, minus its `declare const my`: the
// global comes from the platform's official typings (@mini-types/alipay).
import { connect } from 'holdfast';
import { alipay, miniProgramEnvironment, type MyLike } from 'holdfast/miniprogram';

const socket = connect('wss://api.example.com/ws', {
  WebSocket: alipay(my, { binary: 'base64' }), // or 'arraybuffer' on Alipay client 10.5.16+
  environment: miniProgramEnvironment(my),
});

alipay(my, { binary: 'arraybuffer', timeout: 8000 });
// @ts-expect-error binary is 'base64' or 'arraybuffer'
alipay(my, { binary: 'blob' });
