// The WebSocket stand-in of the type tests: a constructor that never opens, so that the sockets
// `connect()` makes there are real but never reach a network.
import type { WebSocketConstructorLike } from '../../src/index';

class NeverOpens {
  readyState = 0;
  protocol = '';
  binaryType = 'arraybuffer';
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;
  send(): void {}
  close(): void {}
}

export const NEVER_OPENS = NeverOpens as unknown as WebSocketConstructorLike;
