import { runCli } from './command.js';

// Entry of dist/cli.js (bin `holdfast-server`): the first signal closes the server gracefully.
const controller = new AbortController();
for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => controller.abort());
const write = (stream: NodeJS.WriteStream) => (line: string) => void stream.write(`${line}\n`);
runCli(process.argv.slice(2), { stdout: write(process.stdout), stderr: write(process.stderr), signal: controller.signal }).then(
  (code) => void (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`holdfast-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
