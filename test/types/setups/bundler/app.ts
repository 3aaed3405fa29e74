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

// websocket.md: the drop-in fits where a library wants the DOM's `typeof WebSocket`
import { HoldfastWebSocket, stats } from 'holdfast';
const impl: typeof globalThis.WebSocket = HoldfastWebSocket;
const Bound: typeof globalThis.WebSocket = HoldfastWebSocket.with({ WebSocket, reconnect: 'until-open' });
const asDom: globalThis.WebSocket = new HoldfastWebSocket('ws://127.0.0.1:8080');
const drop = new HoldfastWebSocket('ws://127.0.0.1:8080', ['v1'], { WebSocket, use: [stats()] });
drop.addEventListener('message', (event) => console.log(event.data, event.origin));
drop.addEventListener('close', (event) => console.log(event.code, event.wasClean));
drop.onclose = (event) => console.log(event.reason);
export const counted: number = drop.socket.stats().connects;
export { impl, Bound, asDom };
// @ts-expect-error close events carry a number code
drop.addEventListener('close', (event) => event.code.toUpperCase());
// @ts-expect-error reconnect is 'always' or 'until-open'
new HoldfastWebSocket('ws://127.0.0.1:8080', undefined, { reconnect: 'never' });
