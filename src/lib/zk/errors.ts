import {ExitCode, FlinkctlError, type ExitCodeValue} from '../errors.ts'

/**
 * Codes: ZK_CONNECT (no session within the connect timeout), ZK_UNREACHABLE (TCP connect failed),
 * ZK_NO_ANSWER (port open, nothing answered), ZK_TIMEOUT (an operation got no reply),
 * ZK_OP (the server refused an operation; `zkCode` holds ZooKeeper's code), ZK_BAD_PATH,
 * ZK_CLOSED (the client was closed), ZK_SESSION_EXPIRED.
 */
export class ZkError extends FlinkctlError {
  /** ZooKeeper's numeric error (e.g. -101 NO_NODE, -4 CONNECTION_LOSS) when the server gave one. */
  readonly zkCode: number | undefined
  readonly path: string | undefined

  constructor(message: string, opts: {code: string; hint?: string; cause?: unknown; zkCode?: number; path?: string; exit?: ExitCodeValue}) {
    super(message, {code: opts.code, exit: opts.exit ?? ExitCode.Failed, hint: opts.hint, cause: opts.cause})
    this.name = 'ZkError'
    this.zkCode = opts.zkCode
    this.path = opts.path
  }
}
