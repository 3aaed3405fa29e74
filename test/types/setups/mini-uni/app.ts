// The uni-app (`uni`) block of docs/miniprogram.md as written, minus its `declare const uni`: the
// global comes from the platform's official typings (@dcloudio/types).
import { connect } from 'holdfast';
import { uni as uniSocket, miniProgramEnvironment, type UniLike } from 'holdfast/miniprogram';

const socket = connect('wss://api.example.com/ws', {
  WebSocket: uniSocket(uni),
  environment: miniProgramEnvironment(uni),
});

// @ts-expect-error uni() takes the uni object
uniSocket('uni');
// @ts-expect-error uni.connectSocket has no timeout (manifest.json networkTimeout instead)
uniSocket(uni, { timeout: 5000 });
