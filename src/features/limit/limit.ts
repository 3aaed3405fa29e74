/**
 * `maxMessageSize(bytes)`: refuses larger messages at `send()`. A feature, so that a bundle
 * without a size limit counts no bytes on the way out.
 */
import type { Feature } from '../../core/feature';
import { duration } from '../../core/options';
import type { SendData } from '../../core/transport';
import type { PlatformBlob } from '../../protocol/bytes';
import { MessageTooBigError } from '../../protocol/errors';
import { utf8Length } from '../../protocol/utf8';

/**
 * Makes `send()` (and every feature's `host.send()`) throw MessageTooBigError (`MESSAGE_TOO_BIG`,
 * with `size` and `limit`) for a message above `limit` bytes: UTF-8 bytes for text,
 * `byteLength` for binary, `size` for a Blob. It checks in the `send` hook, so list it first in
 * `use` to see every message before another feature takes it over.
 * @throws HoldfastError `OPTIONS` when `limit` is not a number >= 0.
 *
 * @example
 * const socket = connect(url, { use: [maxMessageSize(64 * 1024)] });
 */
export function maxMessageSize(limit: number): Feature {
  const max = duration('maxMessageSize', limit, Infinity);
  return (host) => {
    host.hook({
      send(data: SendData) {
        const size = typeof data === 'string' ? utf8Length(data) : ((data as ArrayBuffer).byteLength ?? (data as PlatformBlob).size);
        if (size > max) throw new MessageTooBigError(size, max);
      },
    });
    return {};
  };
}
