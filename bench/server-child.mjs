// Runs one echo server in its own process for bench/server.mjs, so the load generator and the
// server each get a core. argv[2]: "holdfast" (the built reference server) or "ws" (the ws package).
// Prints the port on stdout once listening; exits when stdin closes.
const kind = process.argv[2];

async function start() {
  if (kind === 'holdfast') {
    const { createServer } = await import('../dist/server.js');
    const server = createServer({ pingInterval: 0 });
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
    return { port: wss.address().port, close: () => new Promise((resolve) => wss.close(resolve)) };
  }
  throw new Error(`unknown server kind ${kind}`);
}

const server = await start();
process.stdout.write(`${server.port}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});
