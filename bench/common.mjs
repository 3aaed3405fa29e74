// Helpers shared by the benchmarks: the dist check, the echo server in its own process
// (bench/server-child.mjs), the median, and a raw WebSocket client (handshake, masked frames).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Exits with a hint when `npm run build` has not produced these dist files. */
export function requireDist(...files) {
  for (const file of files) {
    if (!existsSync(join(here, '..', 'dist', file))) {
      console.error(`dist/${file} is missing: run \`npm run build\` first`);
      process.exit(1);
    }
  }
}

/** Starts bench/server-child.mjs (`kind`: "holdfast" or "ws") and resolves with its url and a stop(). */
export async function startServer(kind = 'holdfast') {
  const child = spawn(process.execPath, [join(here, 'server-child.mjs'), kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  return {
    url: `ws://127.0.0.1:${Number(String(chunk).trim())}`,
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

/**
 * A message count scaled by BENCH_SCALE (default 1): `BENCH_SCALE=0.01` makes every run tiny, for
 * the smoke run (scripts/bench-smoke.mjs) that only checks a benchmark still runs and prints.
 */
export function scaled(count) {
  return Math.max(1, Math.ceil(count * Number(process.env.BENCH_SCALE ?? 1)));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Opens a raw TCP socket to 127.0.0.1:port and completes a WebSocket handshake by hand; resolves
 * with the socket (any bytes after the 101 are unshifted back) or rejects after `ms`.
 */
export function rawHandshake(port, ms = 5000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1').update(key + GUID).digest('base64');
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timed out')); }, ms);
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', function onData(data) {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.removeAllListeners('error');
      clearTimeout(timer);
      const text = head.subarray(0, end).toString('latin1');
      if (!text.startsWith('HTTP/1.1 101') || !text.includes(expected)) {
        socket.destroy();
        reject(new Error(`bad handshake answer: ${text.split('\r\n')[0]}`));
        return;
      }
      if (head.length > end + 4) socket.unshift(head.subarray(end + 4));
      resolve(socket);
    });
  });
}

/** A masked client frame: `opcode`, `payload` (Buffer), FIN unless `fin` is false. */
export function maskedFrame(opcode, payload, fin = true) {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLen + 4 + len);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) frame[1] = 0x80 | len;
  else if (len < 65536) { frame[1] = 0x80 | 126; frame.writeUInt16BE(len, 2); }
  else { frame[1] = 0x80 | 127; frame.writeBigUInt64BE(BigInt(len), 2); }
  const mask = randomBytes(4);
  mask.copy(frame, headerLen);
  for (let i = 0; i < len; i++) frame[headerLen + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}
