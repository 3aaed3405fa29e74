// The Douyin / ByteDance (`tt`) block of docs/miniprogram.md as written, minus its `declare const tt`: the
// global comes from the platform's official typings (@douyin-microapp/typings).
import { connect } from 'holdfast';
import { bytedance, miniProgramEnvironment, type TtLike } from 'holdfast/miniprogram';

const socket = connect('wss://api.example.com/ws', {
  WebSocket: bytedance(tt),
  environment: miniProgramEnvironment(tt),
});

// @ts-expect-error tt.connectSocket has no timeout in mini-apps (mini-games only)
bytedance(tt, { timeout: 5000 });
// @ts-expect-error bytedance() takes the tt object
bytedance(undefined);
