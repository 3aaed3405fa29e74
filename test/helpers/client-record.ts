/**
 * The shared setup of the end-to-end tests: record what a real client socket reports, then wait
 * (real timers, bounded) until it is open.
 */
import type { HoldfastError } from '../../src/protocol/errors';
import type { HoldfastSocket } from '../../src/core/connect';
import { waitFor } from './client-wait';

export interface RecordedSocket {
  /** Every `error` event, in order. */
  errors: HoldfastError[];
  /** Every `message` event's payload, in order. */
  messages: unknown[];
}

/** Starts recording `error` and `message` events, then resolves once `socket` is open. */
export async function recordUntilOpen(socket: Pick<HoldfastSocket, 'on' | 'state'>, timeoutMs = 5000): Promise<RecordedSocket> {
  const recorded: RecordedSocket = { errors: [], messages: [] };
  socket.on('error', (error) => recorded.errors.push(error));
  socket.on('message', (data) => recorded.messages.push(data));
  await waitFor(() => socket.state === 'open', timeoutMs, 'the socket to open');
  return recorded;
}
