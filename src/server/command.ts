import { parseArgs } from 'node:util';
import { createServer } from './index.js';

/** Where `runCli` writes, and the signal that stops the server. */
export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Aborting it closes the server; `runCli` then resolves with 0. */
  signal?: AbortSignal;
}

export const USAGE = `Usage: holdfast-server [--port <n>] [--host <h>]

Starts the holdfast reference WebSocket server with its demo page.

Options:
  --port <n>   TCP port, 0 picks a free one (default 8080)
  --host <h>   interface to bind (default 127.0.0.1)
  --help       show this help`;

interface CliArgs {
  port: number;
  host: string;
  help: boolean;
}

/** Parses argv; throws an Error whose message says what is wrong. */
function parseCliArgs(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const portText = values.port ?? '8080';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new Error('--host must not be empty');
  return { port, host, help: values.help ?? false };
}

function waitForAbort(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return; // no way to stop: serve until the process ends
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * The whole `holdfast-server` command: parses `argv`, listens, prints one line containing the
 * `ws://host:port` URL, and serves until `io.signal` aborts. Resolves with the exit code once the
 * server has closed: 0 after a clean stop or `--help`, 1 if the port cannot be bound, 2 for bad
 * arguments (with the usage on stderr).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.stderr(`holdfast-server: ${error instanceof Error ? error.message : String(error)}`);
    io.stderr(USAGE);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  const server = createServer({ demo: true });
  let url: string;
  let httpUrl: string;
  try {
    ({ url, httpUrl } = await server.listen(args.port, args.host));
  } catch (error) {
    io.stderr(`holdfast-server: cannot listen on ${args.host}:${args.port}: ${error instanceof Error ? error.message : String(error)}`);
    await server.close();
    return 1;
  }
  io.stdout(`holdfast-server listening on ${url} (demo: ${httpUrl}/)`);
  await waitForAbort(io.signal);
  await server.close();
  return 0;
}
