/**
 * `once(socket, event, listener)`: a listener for the next such event only. A function rather
 * than a socket method, so that a bundle that never uses it does not pay for it.
 */
import type { SocketEvents } from './events';
import type { CoreSocket } from './socket';

/**
 * Calls `listener` for the next `event` of `socket` only (it is removed before it is called);
 * the returned function removes it before that event came (calling it again does nothing).
 *
 * @example
 * once(socket, 'open', ({ protocol }) => console.log('first link speaks', protocol));
 */
export function once<D, E extends keyof SocketEvents<D>>(
  socket: CoreSocket<D>,
  event: E,
  listener: (payload: SocketEvents<D>[E]) => void,
): () => void {
  const off = socket.on(event, (payload) => {
    off();
    listener(payload);
  });
  return off;
}
