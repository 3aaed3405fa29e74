import WebSocket from 'ws';
import { startServer } from './common.mjs';
const { connect, rpc } = await import('../dist/index.js');
const server = await startServer();
const socket = connect(server.url, { WebSocket, heartbeat: false, environment: false, use: [rpc({ timeout: 60000 })] });
await new Promise((r) => socket.once('open', r));
const PARAMS = { text: 'hello', n: 42, list: [1, 2, 3] };
function drive(count, inFlight) {
  return new Promise((resolve) => { let started = 0, done = 0; const next = () => { if (started >= count) return; started++; socket.request('echo', PARAMS).then(() => { if (++done === count) resolve(); else next(); }); }; for (let i = 0; i < inFlight; i++) next(); });
}
await drive(200000, 64);
socket.close(); await server.close?.(); process.exit(0);
