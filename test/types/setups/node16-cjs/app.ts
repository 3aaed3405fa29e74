import WebSocket from 'ws';
import { connect } from 'holdfast';
import { createServer } from 'holdfast/server';

// getting-started.md, as written
const socket = connect('ws://127.0.0.1:8080', { WebSocket });
socket.send('hello');
export const server = createServer({ maxPayload: 1024 });

// @ts-expect-error request() comes with rpc()
socket.request('echo', 1);
