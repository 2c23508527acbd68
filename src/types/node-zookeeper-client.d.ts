// Types for node-zookeeper-client 1.1.3 (the package ships none). Only the surface flinkctl uses;
// src/lib/zk/client.ts is the one module that imports it.
declare module 'node-zookeeper-client' {
  import type {EventEmitter} from 'node:events'

  namespace zookeeper {
    /** Longs travel as 8-byte big-endian buffers (the library predates BigInt). */
    interface Stat {
      czxid: Buffer
      mzxid: Buffer
      ctime: Buffer
      mtime: Buffer
      version: number
      cversion: number
      aversion: number
      ephemeralOwner: Buffer
      dataLength: number
      numChildren: number
      pzxid: Buffer
    }

    interface Exception extends Error {
      readonly code: number
      readonly name: string
      readonly path: string | undefined
      getCode(): number
      getName(): string
      getPath(): string | undefined
    }

    interface Event {
      readonly type: number
      readonly name: string
      readonly path: string
      getType(): number
      getName(): string
      getPath(): string
    }

    interface State {
      readonly name: string
      readonly code: number
      getName(): string
      getCode(): number
    }

    interface Id {
      scheme: string
      id: string
    }

    interface ACL {
      permission: number
      id: Id
    }

    interface ClientOptions {
      /** Requested session timeout in ms (default 30000); the server clamps it. */
      sessionTimeout?: number
      /** Upper bound of the random pause after every server was tried once (default 1000 ms). */
      spinDelay?: number
      /** Retries of an operation after CONNECTION_LOSS (default 0). */
      retries?: number
      sessionId?: Buffer
      sessionPassword?: Buffer
    }

    type Watcher = (event: Event) => void
    type Callback<T extends unknown[] = []> = (error: Exception | Error | null, ...results: T) => void

    interface Client extends EventEmitter {
      connect(): void
      /** Queues CLOSE_SESSION; the socket closes when the server answers. */
      close(): void
      getState(): State
      getSessionId(): Buffer
      getSessionPassword(): Buffer
      getSessionTimeout(): number
      addAuthInfo(scheme: string, auth: Buffer): void

      create(path: string, callback: Callback<[string]>): void
      create(path: string, data: Buffer | null | undefined, callback: Callback<[string]>): void
      create(path: string, data: Buffer | null | undefined, mode: number, callback: Callback<[string]>): void
      create(path: string, data: Buffer | null | undefined, acls: ACL[], mode: number, callback: Callback<[string]>): void

      remove(path: string, callback: Callback): void
      remove(path: string, version: number, callback: Callback): void
      removeRecursive(path: string, callback: Callback): void
      removeRecursive(path: string, version: number, callback: Callback): void

      setData(path: string, data: Buffer | null, callback: Callback<[Stat]>): void
      setData(path: string, data: Buffer | null, version: number, callback: Callback<[Stat]>): void

      getData(path: string, callback: Callback<[Buffer | undefined, Stat]>): void
      getData(path: string, watcher: Watcher | undefined, callback: Callback<[Buffer | undefined, Stat]>): void

      /** The stat is null when the node does not exist. */
      exists(path: string, callback: Callback<[Stat | null]>): void
      exists(path: string, watcher: Watcher | undefined, callback: Callback<[Stat | null]>): void

      getChildren(path: string, callback: Callback<[string[], Stat]>): void
      getChildren(path: string, watcher: Watcher | undefined, callback: Callback<[string[], Stat]>): void

      mkdirp(path: string, callback: Callback<[string]>): void
      listSubTreeBFS(path: string, callback: Callback<[string[]]>): void

      on(event: 'connected' | 'disconnected' | 'connectedReadOnly' | 'expired' | 'authenticationFailed', listener: () => void): this
      on(event: 'state', listener: (state: State) => void): this
      once(event: 'connected' | 'disconnected' | 'connectedReadOnly' | 'expired' | 'authenticationFailed', listener: () => void): this
      once(event: 'state', listener: (state: State) => void): this
      off(event: string, listener: (...args: any[]) => void): this
      removeListener(event: string, listener: (...args: any[]) => void): this
    }

    function createClient(connectionString: string, options?: ClientOptions): Client

    const CreateMode: {
      readonly PERSISTENT: 0
      readonly EPHEMERAL: 1
      readonly PERSISTENT_SEQUENTIAL: 2
      readonly EPHEMERAL_SEQUENTIAL: 3
    }

    const Exception: {
      readonly OK: 0
      readonly SYSTEM_ERROR: -1
      readonly RUNTIME_INCONSISTENCY: -2
      readonly DATA_INCONSISTENCY: -3
      readonly CONNECTION_LOSS: -4
      readonly MARSHALLING_ERROR: -5
      readonly UNIMPLEMENTED: -6
      readonly OPERATION_TIMEOUT: -7
      readonly BAD_ARGUMENTS: -8
      readonly API_ERROR: -100
      readonly NO_NODE: -101
      readonly NO_AUTH: -102
      readonly BAD_VERSION: -103
      readonly NO_CHILDREN_FOR_EPHEMERALS: -108
      readonly NODE_EXISTS: -110
      readonly NOT_EMPTY: -111
      readonly SESSION_EXPIRED: -112
      readonly INVALID_CALLBACK: -113
      readonly INVALID_ACL: -114
      readonly AUTH_FAILED: -115
    }

    const Event: {
      readonly NODE_CREATED: 1
      readonly NODE_DELETED: 2
      readonly NODE_DATA_CHANGED: 3
      readonly NODE_CHILDREN_CHANGED: 4
    }

    const State: {
      readonly DISCONNECTED: State
      readonly SYNC_CONNECTED: State
      readonly AUTH_FAILED: State
      readonly CONNECTED_READ_ONLY: State
      readonly SASL_AUTHENTICATED: State
      readonly EXPIRED: State
    }

    const ACL: {
      readonly OPEN_ACL_UNSAFE: ACL[]
      readonly CREATOR_ALL_ACL: ACL[]
      readonly READ_ACL_UNSAFE: ACL[]
    }
  }

  export = zookeeper
}
