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

// websocket.md without the DOM lib: the events fall back to minimal shapes
import { HoldfastWebSocket } from 'holdfast';
const drop = new HoldfastWebSocket('wss://api.example.com/ws', 'v1');
export const seen: unknown[] = [];
drop.addEventListener('close', (event) => seen.push(event.code, event.reason, event.wasClean, event.type));
drop.onmessage = (event) => seen.push(event.data);
drop.send('hello');
// @ts-expect-error close events carry a number code
drop.addEventListener('close', (event) => event.code.toUpperCase());
