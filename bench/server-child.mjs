// Runs one echo server in its own process for the benchmarks, so the load generator and the
// server each get a core. argv[2]: "holdfast" (the built reference server) or "ws" (the ws package).
// argv[3] "defaults": the holdfast server with its default options (liveness pings every 30 s),
// as for the memory measurement; otherwise pings are off (they are noise in the throughput runs).
// Prints the port on stdout once listening. Each line "cpu" on stdin is answered with one JSON
// line, process.cpuUsage(); run with --expose-gc, each line "mem" with process.memoryUsage()
// after two full collections.
// Exits when stdin closes.
import { createInterface } from 'node:readline';

const kind = process.argv[2];
const defaults = process.argv[3] === 'defaults';

async function start() {
  if (kind === 'holdfast') {
    const { createServer } = await import('../dist/server.js');
    const server = createServer(defaults ? {} : { pingInterval: 0 });
    const { port } = await server.listen(0, '127.0.0.1');
    return { port, close: () => server.close() };
  }
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    return {
      port: wss.address().port,
      close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(resolve); }),
    };
  }
  throw new Error(`unknown server kind ${kind}`);
}

const server = await start();
process.stdout.write(`${server.port}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = line.trim();
  if (command === 'cpu') {
    process.stdout.write(`${JSON.stringify(process.cpuUsage())}\n`);
    return;
  }
  if (command !== 'mem' || typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  globalThis.gc();
  process.stdout.write(`${JSON.stringify(process.memoryUsage())}\n`);
});
lines.on('close', async () => {
  await server.close();
  process.exit(0);
});
