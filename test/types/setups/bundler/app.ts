import WebSocket from 'ws';
import { connect, rpc } from 'holdfast';

// getting-started.md, as written
const socket = connect('ws://127.0.0.1:8080', { WebSocket });
socket.send('hello');

// the browser's own constructor fits as well
const browser = connect('ws://127.0.0.1:8080', { WebSocket: globalThis.WebSocket, use: [rpc()] });
export const answer: Promise<unknown> = browser.request('echo', 1);

// @ts-expect-error request() comes with rpc()
socket.request('echo', 1);
// @ts-expect-error a number is not a WebSocket constructor
connect('ws://127.0.0.1:8080', { WebSocket: 42 });
