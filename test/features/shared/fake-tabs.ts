/**
 * Fake tabs of one origin for shared(): a Web Locks lock manager (queue, `signal`, `steal`, `ifAvailable`) and
 * BroadcastChannels, both shared by every tab of one `createOrigin()`. Channel messages are
 * structured-cloned and delivered in a macrotask (`setTimeout(0)`, so fake timers drive them), in
 * order, to every other open channel of the same name. A tab can crash (its locks are released,
 * its channels go silent) or freeze (messages to it, and the outcomes of its lock requests, wait
 * until it thaws, as a frozen page runs no task; it keeps its locks). Its timers and its
 * WebSockets are not frozen: a test can so run what a page does first when it thaws.
 */
import type { BroadcastChannelLike, LockManagerLike } from '../../../src/features/shared/shared';

interface Request {
  readonly tab: FakeTab;
  readonly callback: (lock: unknown) => Promise<unknown> | void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface FakeTab {
  readonly locks: LockManagerLike;
  readonly BroadcastChannel: new (name: string) => BroadcastChannelLike;
  /** Every message this tab's channels posted, in order (clones). */
  readonly posted: unknown[];
  /** The tab is gone: its locks are released, its queued requests dropped, its channels silent. */
  crash(): void;
  /** Messages to this tab and the outcomes of its lock requests wait (its locks stay held) until `thaw()`. */
  freeze(): void;
  /**
   * Still frozen, the tab's channels get their messages again (those that waited first), as
   * Chromium hands them to a frozen page; its lock outcomes keep waiting.
   */
  hear(): void;
  thaw(): void;
  /** Channels of this tab that are open. */
  readonly openChannels: number;
}

export interface FakeOrigin {
  tab(): FakeTab;
  /** The tab holding the lock `name`, if any. */
  holder(name?: string): FakeTab | undefined;
  /** Requests waiting for a lock, over all names. */
  readonly waiting: number;
}

const abortError = (): Error => Object.assign(new Error('The request was aborted.'), { name: 'AbortError' });

export function createOrigin(): FakeOrigin {
  const held = new Map<string, Request>();
  const queues = new Map<string, Request[]>();
  const channels = new Set<{ name: string; tab: FakeTab; deliver(data: unknown): void; closed: boolean }>();

  const grant = (name: string, request: Request): void => {
    held.set(name, request);
    void Promise.resolve()
      .then(() => request.callback({ name }))
      .then(
        (value) => {
          if (held.get(name) === request) {
            held.delete(name);
            pump(name);
          }
          request.resolve(value);
        },
        (error: unknown) => request.reject(error),
      );
  };
  const pump = (name: string): void => {
    const next = held.has(name) ? undefined : queues.get(name)?.shift();
    if (next) grant(name, next);
  };

  return {
    tab() {
      let frozen = false;
      let hears = false;
      let crashed = false;
      const pending: Array<() => void> = [];
      /** The runs in `pending` that are lock outcomes. */
      const locked = new Set<() => void>();
      const lockRun = (run: () => void): (() => void) => (locked.add(run), run);
      const posted: unknown[] = [];
      const tab: FakeTab = {
        locks: {
          request(name, options, lockCallback) {
            return new Promise((settle, fail) => {
              // A frozen tab learns of its lock (granted, stolen, refused) once it thaws.
              const later =
                <A extends unknown[]>(f: (...args: A) => void) =>
                (...args: A): void =>
                  frozen ? void pending.push(lockRun(() => f(...args))) : f(...args);
              const resolve = later(settle);
              const reject = later(fail);
              const callback = (lock: unknown): Promise<unknown> =>
                new Promise((done, failed) => later(() => Promise.resolve().then(() => lockCallback(lock)).then(done, failed))());
              if (crashed) return;
              const signal = options.signal as AbortSignal | undefined;
              if (signal?.aborted) return reject(abortError());
              const request: Request = { tab, callback, resolve, reject };
              if (options.ifAvailable && (held.has(name) || queues.get(name)?.length)) {
                // Not available now: the callback runs at once with no lock.
                void Promise.resolve()
                  .then(() => callback(null))
                  .then(resolve, reject);
                return;
              }
              if (options.steal) {
                const old = held.get(name);
                held.delete(name);
                old?.reject(abortError());
                grant(name, request);
                return;
              }
              const queue = queues.get(name) ?? [];
              queues.set(name, queue);
              queue.push(request);
              signal?.addEventListener('abort', () => {
                const at = queue.indexOf(request);
                if (at < 0) return;
                queue.splice(at, 1);
                reject(abortError());
              });
              pump(name);
            });
          },
        },
        BroadcastChannel: class {
          onmessage: ((event: { readonly data: unknown }) => void) | null = null;
          readonly entry: { name: string; tab: FakeTab; deliver(data: unknown): void; closed: boolean };
          constructor(name: string) {
            this.entry = {
              name,
              tab,
              closed: false,
              deliver: (data) => {
                const run = (): void => {
                  if (!this.entry.closed && !crashed) this.onmessage?.({ data });
                };
                if (frozen && !hears) pending.push(run);
                else run();
              },
            };
            channels.add(this.entry);
          }
          postMessage(message: unknown): void {
            if (this.entry.closed) throw new Error('InvalidStateError: channel closed');
            if (crashed) return;
            const data = structuredClone(message);
            posted.push(data);
            for (const other of channels) {
              if (other !== this.entry && other.name === this.entry.name && !other.closed) setTimeout(() => other.deliver(structuredClone(data)), 0);
            }
          }
          close(): void {
            this.entry.closed = true;
            channels.delete(this.entry);
          }
        },
        posted,
        crash() {
          crashed = true;
          for (const entry of channels) if (entry.tab === tab) channels.delete(entry);
          for (const [name, queue] of queues) queues.set(name, queue.filter((r) => r.tab !== tab));
          for (const [name, request] of [...held]) {
            if (request.tab !== tab) continue;
            held.delete(name);
            pump(name);
          }
        },
        freeze() {
          frozen = true;
        },
        hear() {
          hears = true;
          for (const run of pending.filter((r) => !locked.has(r))) {
            pending.splice(pending.indexOf(run), 1);
            run();
          }
        },
        thaw() {
          frozen = hears = false;
          for (const run of pending.splice(0)) run();
        },
        get openChannels() {
          return [...channels].filter((entry) => entry.tab === tab).length;
        },
      };
      return tab;
    },
    holder(name) {
      const request = name === undefined ? [...held.values()][0] : held.get(name);
      return request?.tab;
    },
    get waiting() {
      return [...queues.values()].reduce((sum, queue) => sum + queue.length, 0);
    },
  };
}
