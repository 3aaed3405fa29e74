import { parseArgs } from 'node:util';
import { createServer, type HoldfastServer } from './index.js';

/** Where `runCli` writes, and the signal that stops the server. */
export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Aborting it closes the server; `runCli` then resolves with 0. */
  signal?: AbortSignal;
}

export const USAGE = `Usage: holdfast-server [--port <n>] [--host <h>] [--protocol <name>]... [--demo]

Starts the holdfast reference WebSocket server, with its demo page.

Options:
  --port <n>         TCP port, 0 picks a free one (default 8080)
  --host <h>         interface to bind (default 127.0.0.1)
  --protocol <name>  accept this subprotocol (repeatable); of those a client offers, its
                     first accepted one is selected; '*' accepts any (default: none)
  --demo             enable the demo's fault controls: POST /demo/drop, /demo/outage and
                     /demo/freeze let anyone who can reach the port break connections
                     (default: off)
  --help             show this help`;

interface CliArgs {
  port: number;
  host: string;
  protocols: string[];
  demo: boolean;
  help: boolean;
}

/** Parses argv; throws an Error whose message says what is wrong. */
function parseCliArgs(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      protocol: { type: 'string', multiple: true },
      demo: { type: 'boolean' },
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
  // The names are checked by createServer (HTTP tokens).
  return { port, host, protocols: values.protocol ?? [], demo: values.demo ?? false, help: values.help ?? false };
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
  let server: HoldfastServer;
  try {
    args = parseCliArgs(argv);
    if (args.help) {
      io.stdout(USAGE);
      return 0;
    }
    server = createServer({ demo: args.demo, protocols: args.protocols.length > 0 ? args.protocols : undefined });
  } catch (error) {
    io.stderr(`holdfast-server: ${error instanceof Error ? error.message : String(error)}`);
    io.stderr(USAGE);
    return 2;
  }
  let url: string;
  let httpUrl: string;
  try {
    ({ url, httpUrl } = await server.listen(args.port, args.host));
  } catch (error) {
    io.stderr(`holdfast-server: cannot listen on ${args.host}:${args.port}: ${error instanceof Error ? error.message : String(error)}`);
    await server.close();
    return 1;
  }
  io.stdout(`holdfast-server listening on ${url} (${args.demo ? 'demo with fault controls' : 'demo page'}: ${httpUrl}/)`);
  await waitForAbort(io.signal);
  await server.close();
  return 0;
}
