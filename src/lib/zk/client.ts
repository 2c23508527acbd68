import type {Socket} from 'node:net'
import zookeeper from 'node-zookeeper-client'
import type {Client as RawClient, Event as RawEvent, Stat as RawStat, Watcher as RawWatcher} from 'node-zookeeper-client'
import {ZkError} from './errors.ts'

/** A znode's stat with longs made readable: zxids and session ids as `0x…` (ZooKeeper's own log form). */
export interface ZkStat {
  czxid: string
  mzxid: string
  pzxid: string
  /** Milliseconds since the epoch. */
  ctime: number
  mtime: number
  version: number
  cversion: number
  aversion: number
  /** Session owning an ephemeral node (`0x…`), `0x0` for persistent nodes; compare with ZkClient.sessionId. */
  ephemeralOwner: string
  dataLength: number
  numChildren: number
}

export interface ZkNode {
  /** undefined when the node holds no data (Flink's "no leader" is empty data). */
  data: Buffer | undefined
  stat: ZkStat
}

export type ZkCreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential'

/**
 * What ended a wait. ZooKeeper events: created, deleted, dataChanged, childrenChanged. The others
 * end a wait without a change: timeout/aborted (the caller's limits), closed (close() was
 * called), sessionExpired (watches are gone with the session; reconnect and read again).
 */
export type ZkWatchEvent = {
  type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged' | 'timeout' | 'aborted' | 'closed' | 'sessionExpired'
  path: string
}

export interface WaitOptions {
  signal?: AbortSignal
  /** Resolve with {type: 'timeout'} after this long (the timer starts when the watch is armed). */
  timeoutMs?: number
}

export interface ConnectOptions {
  /** Requested session timeout; the server clamps it to [2, 20] × tickTime. Default 10000. */
  sessionTimeoutMs?: number
  /** Reject with ZK_CONNECT when no session is established within this. Default 5000. */
  connectTimeoutMs?: number
  /** Per operation: reject with ZK_TIMEOUT when the server does not answer. Default 10000. */
  opTimeoutMs?: number
  signal?: AbortSignal
}

export type ZkClientState = 'connected' | 'disconnected' | 'expired' | 'closed'

export interface ZkClient {
  /** The connect string as used (whitespace removed, as Flink does). */
  readonly connectString: string
  /** This session's id as `0x…`, comparable with ZkStat.ephemeralOwner. */
  readonly sessionId: string
  /** The session timeout the server granted. */
  readonly sessionTimeoutMs: number
  readonly state: ZkClientState
  /** Subscribe to connection changes; returns the unsubscribe function. */
  on(event: 'connected' | 'disconnected' | 'expired', listener: () => void): () => void
  exists(path: string): Promise<ZkStat | undefined>
  /** undefined when the node does not exist. */
  getData(path: string): Promise<ZkNode | undefined>
  /** Child names (not paths) as the server lists them; undefined when the node does not exist. */
  getChildren(path: string): Promise<string[] | undefined>
  /** Creates a node, with missing parents as empty persistent nodes when `parents`; returns the path (sequential: with its suffix). */
  create(path: string, data?: Buffer | string, opts?: {mode?: ZkCreateMode; parents?: boolean}): Promise<string>
  setData(path: string, data: Buffer | string, version?: number): Promise<ZkStat>
  /** false when the node did not exist. */
  remove(path: string, opts?: {recursive?: boolean; version?: number}): Promise<boolean>
  /**
   * Reads a node and leaves a watch in one step, so no change between the read and the watch is
   * lost. On a missing node the watch fires when it is created. `changed` never rejects.
   */
  watchData(path: string, opts?: WaitOptions): Promise<{node: ZkNode | undefined; changed: Promise<ZkWatchEvent>}>
  /** As watchData for the child list: `changed` fires on a child added/removed, or the node deleted/created. */
  watchChildren(path: string, opts?: WaitOptions): Promise<{children: string[] | undefined; changed: Promise<ZkWatchEvent>}>
  /** Arms a watch now and waits for the next change of the node's data (or existence) or of its children. */
  nextChange(path: string, what: 'data' | 'children', opts?: WaitOptions): Promise<ZkWatchEvent>
  /** Watched paths and waiting callers; both return to 0 once every wait has ended. */
  watchStats(): {paths: number; waiters: number}
  /** Ends the session (its ephemeral nodes go at once) and releases the socket; idempotent. */
  close(): Promise<void>
}

const SPIN_DELAY_MS = 200
const {CreateMode: MODES, Exception: CODES, Event: EVENTS} = zookeeper

const hex64 = (b: Buffer): string => `0x${b.readBigUInt64BE(0).toString(16)}`

function toStat(s: RawStat): ZkStat {
  return {
    czxid: hex64(s.czxid),
    mzxid: hex64(s.mzxid),
    pzxid: hex64(s.pzxid),
    ctime: Number(s.ctime.readBigInt64BE(0)),
    mtime: Number(s.mtime.readBigInt64BE(0)),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: hex64(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  }
}

/** The library's checks (Path.validate), done up front so a bad path is a typed error and not an assertion. */
function checkPath(path: string): void {
  const bad = typeof path !== 'string' || !path.startsWith('/') ? 'must start with /'
    : path.length > 1 && path.endsWith('/') ? 'must not end with /'
      : path.includes('//') ? 'must not contain an empty node name'
        : /\/\.\.?(\/|$)/.test(path) ? 'must not contain . or .. segments' : undefined
  if (bad) throw new ZkError(`bad znode path '${String(path)}': ${bad}`, {code: 'ZK_BAD_PATH', path})
}

const codeName = (code: number): string => Object.entries(CODES).find(([, v]) => v === code)?.[0] ?? String(code)

const EVENT_TYPES: Record<number, ZkWatchEvent['type']> = {
  [EVENTS.NODE_CREATED]: 'created',
  [EVENTS.NODE_DELETED]: 'deleted',
  [EVENTS.NODE_DATA_CHANGED]: 'dataChanged',
  [EVENTS.NODE_CHILDREN_CHANGED]: 'childrenChanged',
}

/** Internals of ConnectionManager, touched to stop a client that never connected and to notice a silent server. */
interface RawInternals {
  socket?: Socket
  servers?: unknown[]
  connectTimeout?: number
  connectTimeoutHandler?: ReturnType<typeof setTimeout> | null
  findNextServer: (cb: (server: unknown) => void) => void
  onSocketData: (buf: Buffer) => void
  onSocketConnected: () => void
}
const internals = (raw: RawClient): RawInternals | undefined => (raw as unknown as {connectionManager?: RawInternals}).connectionManager

/**
 * Stops a client whatever its state. The library's close() only queues CLOSE_SESSION, which is
 * never sent while disconnected, so its reconnect loop would keep the process alive for ever.
 */
function hardClose(raw: RawClient): void {
  const cm = internals(raw)
  try {
    raw.close()
  } catch {
    // close() writes to a socket that may not exist yet; the socket is destroyed below anyway
  }
  if (!cm) return
  cm.findNextServer = () => {}
  const kill = () => {
    if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler)
    cm.socket?.destroy()
  }
  kill()
  // A reconnect already scheduled (at most one spin delay away) may still open one socket.
  setTimeout(kill, SPIN_DELAY_MS + 20)
}

/**
 * node-zookeeper-client has no read timeout (it is commented out in its source), so a server that
 * goes silent — host gone, network cut — would leave it "connected" and every watch waiting for
 * ever. Like the Java client, drop a connection that has said nothing for 2/3 of the session
 * timeout (pings are answered every 1/3); the library then reconnects, to another server if any.
 */
function installWatchdog(raw: RawClient, requestedTimeoutMs: number): () => void {
  const cm = internals(raw)
  if (!cm) return () => {}
  let heard = Date.now()
  const onData = cm.onSocketData
  const onConnected = cm.onSocketConnected
  // The library binds these per socket when it opens one, so instance overrides reach every later socket.
  cm.onSocketData = function (this: RawInternals, buf: Buffer) {
    heard = Date.now()
    onData.call(this, buf)
  }
  cm.onSocketConnected = function (this: RawInternals) {
    heard = Date.now()
    onConnected.call(this)
  }
  const timer = setInterval(() => {
    const socket = cm.socket
    if (!socket || socket.destroyed || socket.connecting) return
    if (Date.now() - heard > (raw.getSessionTimeout() * 2) / 3) {
      heard = Date.now()
      socket.destroy()
    }
  }, Math.max(50, Math.min(1000, Math.floor(requestedTimeoutMs / 10))))
  timer.unref()
  return () => clearInterval(timer)
}

/** Connects and resolves once a session exists; on failure the client is closed so the process can exit. */
export function connectZk(connectString: string, opts: ConnectOptions = {}): Promise<ZkClient> {
  const cs = connectString.replace(/\s+/g, '')
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000
  const hint = 'check high-availability.zookeeper.quorum, that the ZooKeeper servers run and that a quorum has formed'
  if (!cs) return Promise.reject(new ZkError('empty ZooKeeper connect string', {code: 'ZK_CONNECT', hint}))
  let raw: RawClient
  try {
    raw = zookeeper.createClient(cs, {sessionTimeout: sessionTimeoutMs, spinDelay: SPIN_DELAY_MS, retries: 0})
  } catch (cause) {
    return Promise.reject(new ZkError(`bad ZooKeeper connect string '${cs}'`, {code: 'ZK_CONNECT', hint: 'write host:port[,host:port…][/chroot]', cause}))
  }
  const stopWatchdog = installWatchdog(raw, sessionTimeoutMs)
  // The library gives each server sessionTimeout / servers to accept the connection (3.3 s of 10 s
  // for 3); within a shorter connect budget, one dead server tried first would use all of it and
  // the live ones would never be asked. Share the budget between the servers instead.
  const cm = internals(raw)
  const servers = cm?.servers?.length ?? 1
  if (cm && servers > 1 && typeof cm.connectTimeout === 'number') cm.connectTimeout = Math.min(cm.connectTimeout, Math.max(250, Math.floor(connectTimeoutMs / servers)))
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer)
      raw.removeListener('connected', onConnected)
      raw.removeListener('authenticationFailed', onAuthFailed)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: unknown) => {
      cleanup()
      stopWatchdog()
      hardClose(raw)
      reject(err)
    }
    const onConnected = () => {
      cleanup()
      resolve(new Zk(raw, cs, opts.opTimeoutMs ?? 10_000, stopWatchdog))
    }
    const onAuthFailed = () => fail(new ZkError(`ZooKeeper at ${cs} refused our authentication`, {code: 'ZK_CONNECT', hint: 'check the ZooKeeper SASL/ACL settings'}))
    const onAbort = () => fail(opts.signal?.reason ?? new ZkError('connect aborted', {code: 'ZK_CONNECT'}))
    const timer = setTimeout(() => fail(new ZkError(`no ZooKeeper session with ${cs} within ${connectTimeoutMs} ms`, {code: 'ZK_CONNECT', hint})), connectTimeoutMs)
    raw.on('connected', onConnected)
    raw.on('authenticationFailed', onAuthFailed)
    if (opts.signal?.aborted) return onAbort()
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    raw.connect()
  })
}

interface Waiter {
  resolve: (e: ZkWatchEvent) => void
  path: string
}

interface Armed {
  /** Stable per kind and path: the library keeps one copy of a function per path, so re-arming never piles up listeners. */
  fire: RawWatcher
  waiters: Set<Waiter>
  /** Watched reads sent and not yet answered: their watch may still be registered with `fire`. */
  inflight: number
  registered: boolean
}

type WatchKind = 'data' | 'exists' | 'children'

/** Fans ZooKeeper's one-shot watches out to promises, one library watcher per kind and path. */
class WatchHub {
  readonly #armed = new Map<string, Armed>()

  entry(kind: WatchKind, path: string): Armed {
    const key = `${kind}:${path}`
    let armed = this.#armed.get(key)
    if (!armed) {
      const entry: Armed = {
        waiters: new Set(),
        inflight: 0,
        registered: false,
        fire: (event: RawEvent) => {
          entry.registered = false
          const type = EVENT_TYPES[event.getType()] ?? 'dataChanged'
          this.#settle(entry, {type, path})
          this.#prune(key, entry)
        },
      }
      this.#armed.set(key, entry)
      armed = entry
    }
    return armed
  }

  /** Runs a watched read: `read` receives the stable watcher to hand to the library. */
  async read<T>(kind: WatchKind, path: string, read: (fire: RawWatcher) => Promise<T>): Promise<T> {
    const key = `${kind}:${path}`
    const entry = this.entry(kind, path)
    entry.inflight++
    try {
      const value = await read(entry.fire)
      entry.registered = true
      return value
    } finally {
      entry.inflight--
      this.#prune(key, entry)
    }
  }

  /** A promise for the next event on an armed watch; never rejects. */
  wait(kind: WatchKind, path: string, opts: WaitOptions = {}): Promise<ZkWatchEvent> {
    const key = `${kind}:${path}`
    const entry = this.entry(kind, path)
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const end = (e: ZkWatchEvent) => {
        if (timer) clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        entry.waiters.delete(waiter)
        this.#prune(key, entry)
        resolve(e)
      }
      const waiter: Waiter = {resolve: end, path}
      const onAbort = () => end({type: 'aborted', path})
      if (opts.signal?.aborted) return end({type: 'aborted', path})
      entry.waiters.add(waiter)
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => end({type: 'timeout', path}), opts.timeoutMs)
    })
  }

  endAll(type: 'closed' | 'sessionExpired'): void {
    for (const [key, entry] of this.#armed) {
      entry.registered = false
      this.#settle(entry, undefined, type)
      this.#armed.delete(key)
    }
  }

  stats(): {paths: number; waiters: number} {
    let waiters = 0
    for (const e of this.#armed.values()) waiters += e.waiters.size
    return {paths: this.#armed.size, waiters}
  }

  #settle(entry: Armed, event: ZkWatchEvent | undefined, type?: ZkWatchEvent['type']): void {
    for (const w of [...entry.waiters]) w.resolve(event ?? {type: type!, path: w.path})
  }

  // An entry whose watch may still fire keeps its function: re-creating it would orphan that watch.
  #prune(key: string, entry: Armed): void {
    if (entry.waiters.size === 0 && entry.inflight === 0 && !entry.registered && this.#armed.get(key) === entry) this.#armed.delete(key)
  }
}

const isNoNode = (err: unknown): boolean => err instanceof ZkError && err.zkCode === CODES.NO_NODE

class Zk implements ZkClient {
  readonly connectString: string
  readonly #raw: RawClient
  readonly #opTimeoutMs: number
  readonly #hub = new WatchHub()
  readonly #stopWatchdog: () => void
  #state: ZkClientState = 'connected'
  #closing: Promise<void> | undefined

  constructor(raw: RawClient, connectString: string, opTimeoutMs: number, stopWatchdog: () => void) {
    this.#raw = raw
    this.connectString = connectString
    this.#opTimeoutMs = opTimeoutMs
    this.#stopWatchdog = stopWatchdog
    raw.on('connected', () => {
      if (this.#state === 'disconnected') this.#state = 'connected'
    })
    raw.on('disconnected', () => {
      if (this.#state === 'connected') this.#state = 'disconnected'
    })
    raw.on('expired', () => {
      if (this.#state === 'closed') return
      this.#state = 'expired'
      this.#stopWatchdog()
      this.#hub.endAll('sessionExpired')
      hardClose(raw)
    })
  }

  get sessionId(): string {
    return hex64(this.#raw.getSessionId())
  }

  get sessionTimeoutMs(): number {
    return this.#raw.getSessionTimeout()
  }

  get state(): ZkClientState {
    return this.#state
  }

  on(event: 'connected' | 'disconnected' | 'expired', listener: () => void): () => void {
    this.#raw.on(event, listener)
    return () => this.#raw.removeListener(event, listener)
  }

  /** One library call as a promise, with a deadline and ZooKeeper errors made typed. */
  #call<T extends unknown[]>(op: string, path: string, invoke: (cb: (err: Error | null, ...r: T) => void) => void): Promise<T> {
    checkPath(path)
    if (this.#state === 'closed') return Promise.reject(new ZkError(`ZooKeeper ${op} ${path}: client closed`, {code: 'ZK_CLOSED', path}))
    if (this.#state === 'expired') {
      return Promise.reject(new ZkError(`ZooKeeper ${op} ${path}: session expired`, {code: 'ZK_SESSION_EXPIRED', path, hint: 'connect again; ephemeral nodes and watches of the old session are gone'}))
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ZkError(`ZooKeeper ${op} ${path}: no answer within ${this.#opTimeoutMs} ms`, {
        code: 'ZK_TIMEOUT', path, hint: 'the connection to ZooKeeper is down or the server is overloaded',
      })), this.#opTimeoutMs)
      try {
        invoke((err, ...results) => {
          clearTimeout(timer)
          if (!err) return resolve(results)
          const zkCode = typeof (err as {code?: unknown}).code === 'number' ? (err as unknown as {code: number}).code : undefined
          const code = zkCode === CODES.SESSION_EXPIRED ? 'ZK_SESSION_EXPIRED' : 'ZK_OP'
          reject(new ZkError(`ZooKeeper ${op} ${path}: ${zkCode === undefined ? err.message : codeName(zkCode)}`, {code, zkCode, path, cause: err}))
        })
      } catch (cause) {
        clearTimeout(timer)
        reject(new ZkError(`ZooKeeper ${op} ${path}: ${(cause as Error).message}`, {code: 'ZK_OP', path, cause}))
      }
    })
  }

  async exists(path: string): Promise<ZkStat | undefined> {
    const [stat] = await this.#call<[RawStat | null]>('exists', path, (cb) => this.#raw.exists(path, cb))
    return stat ? toStat(stat) : undefined
  }

  async getData(path: string): Promise<ZkNode | undefined> {
    try {
      const [data, stat] = await this.#call<[Buffer | undefined, RawStat]>('getData', path, (cb) => this.#raw.getData(path, cb))
      return {data, stat: toStat(stat)}
    } catch (err) {
      if (isNoNode(err)) return undefined
      throw err
    }
  }

  async getChildren(path: string): Promise<string[] | undefined> {
    try {
      const [children] = await this.#call<[string[], RawStat]>('getChildren', path, (cb) => this.#raw.getChildren(path, cb))
      return children
    } catch (err) {
      if (isNoNode(err)) return undefined
      throw err
    }
  }

  async create(path: string, data?: Buffer | string, opts: {mode?: ZkCreateMode; parents?: boolean} = {}): Promise<string> {
    checkPath(path)
    if (opts.parents) {
      const parts = path.split('/').filter(Boolean)
      for (let i = 1; i < parts.length; i++) {
        const parent = `/${parts.slice(0, i).join('/')}`
        try {
          await this.#call<[string]>('create', parent, (cb) => this.#raw.create(parent, null, MODES.PERSISTENT, cb))
        } catch (err) {
          if (!(err instanceof ZkError && err.zkCode === CODES.NODE_EXISTS)) throw err
        }
      }
    }
    const mode = {
      persistent: MODES.PERSISTENT,
      ephemeral: MODES.EPHEMERAL,
      'persistent-sequential': MODES.PERSISTENT_SEQUENTIAL,
      'ephemeral-sequential': MODES.EPHEMERAL_SEQUENTIAL,
    }[opts.mode ?? 'persistent']
    const buf = data === undefined ? null : Buffer.isBuffer(data) ? data : Buffer.from(data)
    const [created] = await this.#call<[string]>('create', path, (cb) => this.#raw.create(path, buf, mode, cb))
    return created
  }

  async setData(path: string, data: Buffer | string, version = -1): Promise<ZkStat> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data)
    const [stat] = await this.#call<[RawStat]>('setData', path, (cb) => this.#raw.setData(path, buf, version, cb))
    return toStat(stat)
  }

  async remove(path: string, opts: {recursive?: boolean; version?: number} = {}): Promise<boolean> {
    try {
      // Depth first by hand: the library's removeRecursive lists only one level with async 3.
      if (opts.recursive) {
        const children = await this.getChildren(path)
        if (children === undefined) return false
        for (const child of children) await this.remove(path === '/' ? `/${child}` : `${path}/${child}`, {recursive: true})
      }
      await this.#call('remove', path, (cb) => this.#raw.remove(path, opts.version ?? -1, cb))
      return true
    } catch (err) {
      if (isNoNode(err)) return false
      throw err
    }
  }

  async watchData(path: string, opts: WaitOptions = {}): Promise<{node: ZkNode | undefined; changed: Promise<ZkWatchEvent>}> {
    // getData cannot watch a missing node, exists can; loop in case the node appears or vanishes in between.
    for (let attempt = 0; ; attempt++) {
      try {
        const [data, stat] = await this.#hub.read('data', path, (fire) =>
          this.#call<[Buffer | undefined, RawStat]>('getData', path, (cb) => this.#raw.getData(path, fire, cb)))
        return {node: {data, stat: toStat(stat)}, changed: this.#hub.wait('data', path, opts)}
      } catch (err) {
        if (!isNoNode(err)) throw err
      }
      const [stat] = await this.#hub.read('exists', path, (fire) =>
        this.#call<[RawStat | null]>('exists', path, (cb) => this.#raw.exists(path, fire, cb)))
      if (!stat) return {node: undefined, changed: this.#hub.wait('exists', path, opts)}
      if (attempt >= 2) return {node: undefined, changed: this.#hub.wait('exists', path, opts)} // flapping: the exists watch still fires
    }
  }

  async watchChildren(path: string, opts: WaitOptions = {}): Promise<{children: string[] | undefined; changed: Promise<ZkWatchEvent>}> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [children] = await this.#hub.read('children', path, (fire) =>
          this.#call<[string[], RawStat]>('getChildren', path, (cb) => this.#raw.getChildren(path, fire, cb)))
        return {children, changed: this.#hub.wait('children', path, opts)}
      } catch (err) {
        if (!isNoNode(err)) throw err
      }
      const [stat] = await this.#hub.read('exists', path, (fire) =>
        this.#call<[RawStat | null]>('exists', path, (cb) => this.#raw.exists(path, fire, cb)))
      if (!stat || attempt >= 2) return {children: undefined, changed: this.#hub.wait('exists', path, opts)}
    }
  }

  async nextChange(path: string, what: 'data' | 'children', opts: WaitOptions = {}): Promise<ZkWatchEvent> {
    const {changed} = what === 'data' ? await this.watchData(path, opts) : await this.watchChildren(path, opts)
    return changed
  }

  watchStats(): {paths: number; waiters: number} {
    return this.#hub.stats()
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing
    const wasConnected = this.#state === 'connected'
    this.#state = 'closed'
    this.#stopWatchdog()
    this.#hub.endAll('closed')
    const raw = this.#raw
    this.#closing = new Promise<void>((resolve) => {
      const socket = internals(raw)?.socket
      if (!wasConnected || !socket || socket.destroyed) {
        hardClose(raw)
        return resolve()
      }
      // Let CLOSE_SESSION reach the server so our ephemeral nodes vanish now, not after the session timeout.
      const grace = setTimeout(() => {
        hardClose(raw)
        resolve()
      }, 2000)
      socket.once('close', () => {
        clearTimeout(grace) // the library does not reconnect after a close it asked for
        resolve()
      })
      try {
        raw.close()
      } catch {
        clearTimeout(grace)
        hardClose(raw)
        resolve()
      }
    })
    return this.#closing
  }
}
