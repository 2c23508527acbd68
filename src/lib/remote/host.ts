import {FlinkctlError, ExitCode} from '../errors.ts'

export interface ExecOptions {
  /** Bytes for the command's stdin; stdin is closed right after (empty when absent). */
  stdin?: string | Uint8Array
  /** Kill the command (and report timedOut) after this long; default: the host's command timeout. */
  timeoutMs?: number
  signal?: AbortSignal
  /** Streaming callbacks (logs -f); the result still carries the full text unless `discardOutput`. */
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
  discardOutput?: boolean
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal or timed out. */
  code: number | null
  signal?: string
  stdout: string
  stderr: string
  durationMs: number
  timedOut: boolean
}

/**
 * One machine named in the configuration. Everything flinkctl does on a host is a POSIX sh
 * program sent whole (`sh -c <script> sh <args…>`), so hosts need only a shell and Java.
 */
export interface Host {
  /** The name as the conf files write it (masters, workers, zoo.cfg). */
  readonly name: string
  /** True when commands run on this machine without SSH. */
  readonly local: boolean
  /** The account commands run as there ($USER on that host; FLINK_IDENT_STRING defaults to it). */
  readonly user: string
  /** Runs a POSIX sh script; `args` become $1 … $n, each passed as one word. */
  sh(script: string, args?: readonly string[], opts?: ExecOptions): Promise<ExecResult>
  /** Runs one command, every argument quoted. */
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>
  /** Releases the connection; idempotent. */
  close(): Promise<void>
}

/** A host could not be reached or refused us; per-host, never a whole-command failure by itself. */
export class HostError extends FlinkctlError {
  readonly host: string
  constructor(host: string, message: string, opts: {code: string; hint?: string; cause?: unknown; exit?: (typeof ExitCode)[keyof typeof ExitCode]; details?: unknown}) {
    super(message, {code: opts.code, exit: opts.exit ?? ExitCode.Failed, hint: opts.hint, cause: opts.cause, details: opts.details})
    this.name = 'HostError'
    this.host = host
  }
}

/** The last lines of a command's stderr, for per-host reports. */
export function tail(text: string, lines = 5): string {
  const all = text.replace(/\s+$/, '').split('\n')
  return all.slice(-lines).join('\n')
}

/** What a failed command leaves in its HostError's `details` (the per-host result record). */
export interface CommandFailure {
  exitStatus: number | null
  signal?: string
  timedOut: boolean
  durationMs: number
  stderrTail: string
}

/** Throws a HostError describing a failed command (exit status, timeout, stderr tail). */
export function assertOk(host: Host, what: string, r: ExecResult): ExecResult {
  if (r.code === 0) return r
  const why = r.timedOut ? `timed out after ${r.durationMs} ms` : r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`
  const err = tail(r.stderr || r.stdout)
  const details: CommandFailure = {exitStatus: r.code, ...(r.signal ? {signal: r.signal} : {}), timedOut: r.timedOut, durationMs: r.durationMs, stderrTail: tail(r.stderr)}
  throw new HostError(host.name, `${what} failed on ${host.name} (${why})${err ? `: ${err}` : ''}`, {
    code: r.timedOut ? 'REMOTE_TIMEOUT' : 'REMOTE_COMMAND',
    exit: r.timedOut ? ExitCode.Timeout : ExitCode.Failed,
    details,
  })
}
