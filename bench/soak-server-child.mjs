// One server under attack for bench/soak-server.mjs, in its own process so that only its memory
// is measured. argv[2]: "holdfast" (the built reference server, default options) or "ws" (the `ws`
// package: echo, and `chat` events broadcast to every client, like the reference server's demo).
// Run with --expose-gc. Prints the port on stdout once listening; then each line "mem" on stdin
// is answered with one JSON line: process.memoryUsage() after two full collections.
// Exits when stdin closes.
import { createInterface } from 'node:readline';

const kind = process.argv[2];
const CHAT = '{"type":"event","event":"chat"';

async function start() {
  if (kind === 'holdfast') {
    // SOAK_SERVER_MODULE: another build to test (see bench/soak-server.mjs).
    const { createServer } = await import(process.env.SOAK_SERVER_MODULE ?? '../dist/server.js');
    const server = createServer({ pingInterval: 0 });
    server.on('error', () => undefined); // resets from attackers are expected
    const { port } = await server.listen(0, '127.0.0.1');
    return { port, close: () => server.close() };
  }
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.length >= CHAT.length && data.toString('latin1', 0, CHAT.length) === CHAT) {
          for (const client of wss.clients) client.send(data, { binary: false });
        } else {
          ws.send(data, { binary: isBinary });
        }
      });
    });
    return { port: wss.address().port, close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(resolve); }) };
  }
  throw new Error(`unknown server kind ${kind}`);
}

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const server = await start();
process.stdout.write(`${server.port}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'mem') return;
  globalThis.gc();
  globalThis.gc();
  process.stdout.write(`${JSON.stringify(process.memoryUsage())}\n`);
});
lines.on('close', async () => {
  await server.close();
  process.exit(0);
});
