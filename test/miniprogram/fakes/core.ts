/**
 * The common core of the platform fakes (fakeWx, fakeUni, fakeMy, fakeTt), built from
 * docs/MINIPROGRAM research §8. It owns the tasks, a scripted server, the app lifecycle, the
 * network status and a call log. Time comes from `setTimeout`/`Date.now`, so tests drive it
 * with `vi.useFakeTimers()`. Every behaviour the research marks as a guess is a config switch.
 *
 * Platform files only build the API object (`api`) from this core; payload shapes differ by
 * `dialect` inside the core so each platform file stays small.
 */
import { runInNewContext } from 'node:vm';

export type Dialect = 'wx' | 'uni' | 'my' | 'tt';
export type ListenerKind = 'open' | 'close' | 'error' | 'message';
type Callback = (result: unknown) => void;
type Dict = Record<string, unknown>;

export interface FakeConfig {
  /** Live tasks the platform allows (5 on every platform). */
  maxTasks: number;
  /** `auto`: open after `openDelay`; `immediate`: right after connectSocket returns, before any timer; `manual`: `task.accept()`. */
  openMode: 'auto' | 'immediate' | 'manual';
  openDelay: number;
  /** Delay of call-result callbacks (`success`/`fail`, then `complete`). */
  callbackDelay: number;
  /** Delay of `onClose` after a client `close()`. */
  closeDelay: number;
  /** `false`: a client close never produces `onClose` (seen after backgrounding). */
  reportClose: boolean;
  /** Client close while CONNECTING: `ignore` = WeChat doc (mode A, still opens); `cancel` = mode B. */
  closeBeforeOpen: 'ignore' | 'cancel';
  /** Hosts allowed by the console whitelist; undefined = everything allowed. */
  allowedHosts: string[] | undefined;
  /** Where a whitelist failure is reported: WeChat uses `onError` [field]. */
  domainErrorVia: 'onError' | 'fail';
  /** Production mode: `ws://` refused. */
  requireWss: boolean;
  /** Abrupt loss: `error-then-close` (observed) or `error-only` (no onClose ever). */
  dropMode: 'error-then-close' | 'error-only';
  /** `send` fails (no close) while the socket is open. */
  sendFailsWhileOpen: boolean;
  /** The scripted server echoes every frame it receives. */
  echo: boolean;
  /** The subprotocol the server picks (sent back in the open header). */
  serverProtocol: string | undefined;
  /** Binary frames arrive as ArrayBuffers from another realm (old uni-app). */
  foreignArrayBuffers: boolean;
  /** ms after hide before the JS thread is suspended / network APIs stop working. */
  suspendAfter: number;
  /** What happens to open sockets at suspension. */
  backgroundClose: 'interrupted' | 'silent' | 'going-away';
  /** On show: flush queued callbacks before or after the onAppShow listeners. */
  flushOrder: 'close-first' | 'show-first';
  /** tt: close codes are strings. */
  stringCloseCodes: boolean;
  /** my: listener payloads nested under `data`. */
  nestedPayloads: boolean;
  /** my: `send` accepts an ArrayBuffer (client 10.5.16+); otherwise base64 + isBuffer only. */
  arrayBufferSend: boolean;
  /** my: `multiple: true` is honoured (base lib 2.9.1+); false = always the single global socket. */
  multipleSupported: boolean;
  /** my single-instance: a second socket auto-closes the first (old doc) or fails with error 3. */
  singleInstance: 'auto-close' | 'fail';
  /** Binary frames arrive as Blobs (Taro H5: its WebSocket keeps the default binaryType). */
  blobFrames: boolean;
}

const DEFAULTS: FakeConfig = {
  maxTasks: 5,
  openMode: 'auto',
  openDelay: 10,
  callbackDelay: 0,
  closeDelay: 5,
  reportClose: true,
  closeBeforeOpen: 'ignore',
  allowedHosts: undefined,
  domainErrorVia: 'onError',
  requireWss: false,
  dropMode: 'error-then-close',
  sendFailsWhileOpen: false,
  echo: true,
  serverProtocol: undefined,
  foreignArrayBuffers: false,
  suspendAfter: 5000,
  backgroundClose: 'interrupted',
  flushOrder: 'close-first',
  stringCloseCodes: false,
  nestedPayloads: false,
  arrayBufferSend: false,
  multipleSupported: true,
  singleInstance: 'fail',
  blobFrames: false,
};

export interface LogEntry {
  at: number;
  kind: 'call' | 'event';
  name: string;
  taskId?: number;
  detail?: unknown;
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/** Copies bytes into an ArrayBuffer created in another realm (`instanceof ArrayBuffer` is false there). */
export function foreignArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = runInNewContext(`new ArrayBuffer(${bytes.length})`) as ArrayBuffer;
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

export function toBase64(buffer: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}

export function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

type Listeners = Record<ListenerKind, Callback[]>;

function emptyListeners(): Listeners {
  return { open: [], close: [], error: [], message: [] };
}

/** One platform socket, plus the scripted server's controls for it. */
export class FakeTask {
  state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  /** tt: the connect `success` callback has run. */
  ready = false;
  /** Frames the server received, decoded (base64 frames become ArrayBuffers). */
  readonly received: Array<string | ArrayBuffer> = [];
  /** The raw `send` options, for asserting on exact payloads. */
  readonly sent: Dict[] = [];

  constructor(
    readonly runtime: FakeRuntime,
    readonly id: number,
    readonly options: Dict,
    readonly listeners: Listeners,
  ) {}

  get url(): string {
    return String(this.options['url']);
  }

  /** Alipay's global socket: `my.onSocketClose` carries `{reason}` only [doc]. */
  get isGlobal(): boolean {
    return this.listeners === this.runtime.globalListeners;
  }

  closePayload(code: number, reason: string): Dict {
    return this.isGlobal ? { reason } : this.runtime.closePayload(code, reason);
  }

  listenerCount(kind?: ListenerKind): number {
    if (kind) return this.listeners[kind].length;
    return Object.values(this.listeners).reduce((n, list) => n + list.length, 0);
  }

  on(kind: ListenerKind, listener: Callback): void {
    this.runtime.record('call', `SocketTask.on${kind}`, this.id);
    this.listeners[kind].push(listener);
  }

  off(kind: ListenerKind, listener?: Callback): void {
    this.runtime.record('call', `SocketTask.off${kind}`, this.id);
    const list = this.listeners[kind];
    if (!listener) list.length = 0;
    else {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    }
  }

  /** Delivers a platform event to the listeners registered at that moment (late ones miss it). */
  fire(kind: ListenerKind, payload: unknown): void {
    this.runtime.deliver(() => {
      this.runtime.record('event', kind, this.id, payload);
      for (const listener of [...this.listeners[kind]]) listener(payload);
    });
  }

  send(options: Dict): void {
    const rt = this.runtime;
    rt.record('call', 'SocketTask.send', this.id, options['data']);
    if (rt.dialect === 'tt' && !this.ready) return rt.result(options, 'fail', rt.error('SocketTask.send:fail task is not ready', 10));
    if (this.state !== 'open') return rt.result(options, 'fail', rt.error('sendSocketMessage:fail WebSocket is not connected', 10));
    const data = options['data'];
    let frame: string | ArrayBuffer;
    if (typeof data === 'string') frame = rt.dialect === 'my' && options['isBuffer'] === true ? fromBase64(data) : data;
    // Alipay's global sendSocketMessage takes text only (binary as base64); a SocketTask takes an
    // ArrayBuffer on client 10.5.16+ (`arrayBufferSend`).
    else if (isArrayBuffer(data) && (rt.dialect !== 'my' || (rt.config.arrayBufferSend && this !== rt.globalTask))) frame = data;
    else return rt.result(options, 'fail', rt.error('sendSocketMessage:fail parameter error: data must be a string or an ArrayBuffer', 2));
    if (rt.config.sendFailsWhileOpen) return rt.result(options, 'fail', rt.error('sendSocketMessage:fail send error', 11));
    this.sent.push(options);
    this.received.push(frame);
    rt.result(options, 'success', rt.ok('sendSocketMessage'));
    if (rt.config.echo) setTimeout(() => this.serverSend(frame), 1);
  }

  close(options: Dict = {}): void {
    const rt = this.runtime;
    rt.record('call', 'SocketTask.close', this.id, { code: options['code'], reason: options['reason'] });
    if (rt.dialect === 'tt' && !this.ready) return rt.result(options, 'fail', rt.error('SocketTask.close:fail task is not ready', 10));
    if (this.state === 'closed') return rt.result(options, 'fail', rt.error('closeSocket:fail WebSocket is not connected', 10));
    const code = options['code'] as number | undefined;
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      return rt.result(options, 'fail', rt.error('closeSocket:fail invalid code', 2));
    }
    rt.result(options, 'success', rt.ok('closeSocket'));
    const reason = options['reason'] as string | undefined;
    if (this.state === 'connecting') {
      if (rt.config.closeBeforeOpen === 'ignore') return;
      this.state = 'closed';
      setTimeout(() => this.fire('close', this.closePayload(1006, 'abnormal closure')), rt.config.closeDelay);
      return;
    }
    if (this.state !== 'open') return;
    this.state = 'closing';
    setTimeout(() => {
      if (this.state !== 'closing') return;
      this.state = 'closed';
      if (rt.config.reportClose) this.fire('close', this.closePayload(code ?? 1000, reason || 'normal closure'));
    }, rt.config.closeDelay);
  }

  // ---- scripted server ----

  /** The server accepts the handshake: `onOpen`. */
  accept(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    const protocols = this.options['protocols'];
    const chosen = Array.isArray(protocols) && protocols.length > 0 ? this.runtime.config.serverProtocol : undefined;
    const header: Dict = { 'Content-Type': 'text/plain', ...(chosen ? { 'Sec-WebSocket-Protocol': chosen } : {}) };
    this.fire('open', this.runtime.openPayload(this.id, header));
  }

  /** The server sends a frame: `onMessage`. */
  serverSend(data: string | ArrayBuffer): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    this.fire('message', this.runtime.messagePayload(this.id, data));
  }

  /** The server closes with a close frame: `onClose` only. */
  serverClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fire('close', this.closePayload(code, reason));
  }

  /** The link dies: `onError`, then (unless `dropMode` is `error-only`) `onClose` 1006. */
  drop(message = 'network error'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fire('error', this.runtime.error(message, 50));
    if (this.runtime.config.dropMode === 'error-then-close') this.fire('close', this.closePayload(1006, 'abnormal closure'));
  }

  /** Background suspension kills the socket the configured way. */
  suspend(): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    this.state = 'closed';
    const mode = this.runtime.config.backgroundClose;
    if (mode === 'interrupted') this.fire('close', this.closePayload(0, 'interrupted'));
    if (mode === 'going-away') this.fire('close', this.closePayload(1001, 'app in background'));
  }
}

/** The platform runtime shared by every fake task of one fake API object. */
export class FakeRuntime {
  readonly config: FakeConfig;
  readonly log: LogEntry[] = [];
  readonly tasks: FakeTask[] = [];
  /** Alipay's single global socket. */
  readonly globalListeners: Listeners = emptyListeners();
  globalTask: FakeTask | undefined;
  network = { isConnected: true, networkType: 'wifi' };
  app: 'foreground' | 'background' | 'suspended' = 'foreground';
  /** Network APIs refuse to work (5 s after hide). */
  networkBlocked = false;
  readonly lifecycle: Record<'show' | 'hide' | 'network', Callback[]> = { show: [], hide: [], network: [] };
  /** The highest number of live tasks seen at once. */
  peakLive = 0;
  #nextId = 1;
  #queued: Array<() => void> = [];
  #suspendTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly dialect: Dialect,
    config: Partial<FakeConfig> = {},
  ) {
    this.config = { ...DEFAULTS, ...config };
  }

  record(kind: LogEntry['kind'], name: string, taskId?: number, detail?: unknown): void {
    this.log.push({ at: Date.now(), kind, name, ...(taskId !== undefined ? { taskId } : {}), ...(detail !== undefined ? { detail } : {}) });
  }

  calls(name: string): LogEntry[] {
    return this.log.filter((entry) => entry.kind === 'call' && entry.name === name);
  }

  liveTasks(): FakeTask[] {
    return this.tasks.filter((task) => task.state !== 'closed');
  }

  lastTask(): FakeTask {
    const task = this.tasks[this.tasks.length - 1];
    if (!task) throw new Error('no task was created');
    return task;
  }

  /** Runs a platform callback now, or queues it while the JS thread is suspended. */
  deliver(fn: () => void): void {
    if (this.app === 'suspended') this.#queued.push(fn);
    else fn();
  }

  /** `success`/`fail` then `complete`, asynchronously. */
  result(options: Dict, outcome: 'success' | 'fail', payload: unknown): void {
    setTimeout(() => {
      this.deliver(() => {
        const callback = options[outcome];
        if (typeof callback === 'function') callback(payload);
        const complete = options['complete'];
        if (typeof complete === 'function') complete(payload);
      });
    }, this.config.callbackDelay);
  }

  ok(api: string, extra: Dict = {}): Dict {
    return this.dialect === 'my' ? { success: true, ...extra } : { errMsg: `${api}:ok`, ...extra };
  }

  /** The platform's error payload: `{errMsg}` (wx, uni), `{errMsg, errNo}` (tt), `{error, errorMessage}` (my). */
  error(errMsg: string, code: number): Dict {
    if (this.dialect === 'my') {
      const payload = { error: code, errorMessage: errMsg.replace(/^[\w.]+:fail /, '') };
      return this.config.nestedPayloads ? { data: payload } : payload;
    }
    return this.dialect === 'tt' ? { errMsg, errNo: code } : { errMsg };
  }

  openPayload(id: number, header: Dict): Dict {
    switch (this.dialect) {
      case 'my':
        return this.config.nestedPayloads ? { data: { socketTaskID: id, header } } : { header };
      case 'tt':
        return { header, protocolType: 'ws', socketType: 'tradition' };
      default:
        return { header, profile: { fetchStart: Date.now(), rtt: 1, cost: 2 } };
    }
  }

  closePayload(code: number, reason: string): Dict {
    switch (this.dialect) {
      case 'my':
        return this.config.nestedPayloads ? { code, reason, data: { code, reason } } : { code, reason };
      case 'tt':
        return { code: this.config.stringCloseCodes ? String(code) : code, reason, errMsg: 'onClose:ok', protocolType: 'ws', socketType: 'tradition' };
      default:
        return { code, reason };
    }
  }

  messagePayload(id: number, data: string | ArrayBuffer): Dict {
    let wire: string | ArrayBuffer = data;
    if (typeof data !== 'string' && this.config.foreignArrayBuffers) wire = foreignArrayBuffer(new Uint8Array(data));
    if (typeof data !== 'string' && this.config.blobFrames) return { data: new Blob([data]) };
    switch (this.dialect) {
      case 'my': {
        const isBuffer = typeof data !== 'string';
        const frame = { data: isBuffer && !this.config.arrayBufferSend ? toBase64(data as ArrayBuffer) : wire, isBuffer };
        return this.config.nestedPayloads ? { data: { ...frame, socketTaskID: id } } : frame;
      }
      case 'tt':
        return { data: wire, protocolType: 'ws', socketType: 'tradition' };
      default:
        return { data: wire };
    }
  }

  /**
   * The common `connectSocket` path. Returns the task (also for calls that then fail through
   * `fail`/`onError`), or `undefined` when the platform refused before creating one.
   */
  connect(options: Dict, listeners: Listeners = emptyListeners()): FakeTask | undefined {
    this.record('call', 'connectSocket', undefined, { ...options });
    const url = String(options['url'] ?? '');
    const task = new FakeTask(this, this.#nextId++, options, listeners);
    const refuse = (errMsg: string, code: number, via: 'fail' | 'onError'): FakeTask => {
      task.state = 'closed';
      this.tasks.push(task);
      if (via === 'fail') this.result(options, 'fail', this.error(errMsg, code));
      else {
        this.result(options, 'success', this.ok('connectSocket', { socketTaskId: task.id }));
        setTimeout(() => task.fire('error', this.error(errMsg, code)), this.config.openDelay);
      }
      return task;
    };
    if (this.networkBlocked) {
      return refuse(this.dialect === 'tt' ? 'connectSocket:fail app in background' : 'connectSocket:fail interrupted', 1, 'fail');
    }
    if (!/^wss?:\/\//i.test(url)) return refuse('connectSocket:fail invalid url: must start with ws:// or wss://', 5, 'fail');
    if (this.config.requireWss && /^ws:/i.test(url)) return refuse('connectSocket:fail ws not supported, use wss', 20, 'fail');
    const host = url.replace(/^wss?:\/\//i, '').split(/[/:?#]/)[0] ?? '';
    if (this.config.allowedHosts && !this.config.allowedHosts.includes(host)) {
      return refuse('createSocketTask:fail url not in domain list', 4, this.config.domainErrorVia);
    }
    if (this.liveTasks().length >= this.config.maxTasks) {
      // WeChat reports the limit on onError [field]; the others through fail [guess].
      const via = this.dialect === 'wx' || this.dialect === 'uni' ? 'onError' : 'fail';
      return refuse(`createSocketTask:fail wcwss taskID=${task.id} exceed max concurrent count`, 1, via);
    }
    if (!this.network.isConnected) return refuse('connectSocket:fail network is down', 50, 'fail');
    const protocols = options['protocols'];
    if (this.dialect === 'tt' && Array.isArray(protocols) && protocols.length > 0 && !this.config.serverProtocol) {
      // tt: with subprotocols the server must echo one or creation fails [doc]; channel [guess].
      return refuse('connectSocket:fail server did not accept the subprotocol', 8, 'fail');
    }
    this.tasks.push(task);
    this.peakLive = Math.max(this.peakLive, this.liveTasks().length);
    setTimeout(() => {
      this.deliver(() => {
        task.ready = true;
        const success = options['success'];
        if (typeof success === 'function') success(this.ok('connectSocket', { socketTaskId: task.id }));
        const complete = options['complete'];
        if (typeof complete === 'function') complete(this.ok('connectSocket'));
      });
    }, this.config.callbackDelay);
    // Mode A (`closeBeforeOpen: 'ignore'`): a close while connecting was dropped, so this opens anyway.
    const open = (): void => task.accept();
    if (this.config.openMode === 'immediate') void Promise.resolve().then(open);
    else if (this.config.openMode === 'auto') setTimeout(open, this.config.openDelay);
    return task;
  }

  // ---- app lifecycle and network ----

  hide(): void {
    this.record('event', 'appHide');
    this.app = 'background';
    for (const listener of [...this.lifecycle.hide]) listener({});
    this.#suspendTimer = setTimeout(() => {
      this.networkBlocked = true;
      // WeChat/uni/Alipay stop the JS thread (callbacks wait for show); tt keeps running but network APIs fail.
      if (this.dialect !== 'tt') this.app = 'suspended';
      for (const task of this.tasks) task.suspend();
    }, this.config.suspendAfter);
  }

  show(): void {
    this.record('event', 'appShow');
    clearTimeout(this.#suspendTimer);
    this.networkBlocked = false;
    this.app = 'foreground';
    const queued = this.#queued;
    this.#queued = [];
    const fireShow = (): void => {
      for (const listener of [...this.lifecycle.show]) listener({ path: 'pages/index/index', scene: 1001 });
    };
    if (this.config.flushOrder === 'show-first') fireShow();
    for (const fn of queued) fn();
    if (this.config.flushOrder === 'close-first') fireShow();
  }

  setNetwork(status: { isConnected: boolean; networkType: string }): void {
    this.network = status;
    this.record('event', 'networkStatusChange', undefined, status);
    for (const listener of [...this.lifecycle.network]) listener({ ...status });
    if (!status.isConnected) for (const task of this.tasks) if (task.state === 'open') task.drop('network is down');
  }

  getNetworkType(options: Dict): void {
    this.record('call', 'getNetworkType');
    const { networkType, isConnected } = this.network;
    this.result(options, 'success', this.dialect === 'my' ? { networkType, networkAvailable: isConnected } : { networkType, errMsg: 'getNetworkType:ok' });
  }

  /** `on*`/`off*` for the lifecycle lists; `off` without a listener removes them all. */
  lifecycleApi(): Dict {
    const on = (kind: 'show' | 'hide' | 'network') => (listener: Callback) => {
      this.record('call', `on:${kind}`);
      this.lifecycle[kind].push(listener);
    };
    const off = (kind: 'show' | 'hide' | 'network') => (listener?: Callback) => {
      this.record('call', `off:${kind}`);
      const list = this.lifecycle[kind];
      if (!listener) list.length = 0;
      else if (list.includes(listener)) list.splice(list.indexOf(listener), 1);
    };
    return {
      onAppShow: on('show'),
      offAppShow: off('show'),
      onAppHide: on('hide'),
      offAppHide: off('hide'),
      onNetworkStatusChange: on('network'),
      offNetworkStatusChange: off('network'),
      getNetworkType: (options: Dict) => this.getNetworkType(options),
    };
  }
}

/** The SocketTask object a wx/uni/tt app sees: no `off*` (calling one throws a TypeError). */
/** A fake runtime together with the platform API object built on it. */
export type Fake<Api> = FakeRuntime & { readonly api: Api };

export function withApi<Api>(runtime: FakeRuntime, api: Api): Fake<Api> {
  return Object.assign(runtime, { api });
}

export function plainTaskObject(task: FakeTask): Dict {
  return {
    send: (options: Dict) => task.send(options),
    close: (options?: Dict) => task.close(options),
    onOpen: (listener: Callback) => task.on('open', listener),
    onClose: (listener: Callback) => task.on('close', listener),
    onError: (listener: Callback) => task.on('error', listener),
    onMessage: (listener: Callback) => task.on('message', listener),
  };
}
