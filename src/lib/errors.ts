/**
 * One error hierarchy for the whole library. A FlinkctlError is a problem the user can fix:
 * it carries a stable code, an exit code from the published table and a hint. Anything else
 * that escapes a command is a bug and exits with ExitCode.Internal.
 */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  ConfigInvalid: 3,
  PartialFailure: 4,
  Timeout: 5,
  Failed: 6,
  CheckFailed: 7,
  /** A drill recovered and passed its checks, but a round took longer than --max-recovery. */
  OverBudget: 8,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface ErrorOptions {
  code: string
  exit: ExitCodeValue
  hint?: string
  details?: unknown
  cause?: unknown
}

export class FlinkctlError extends Error {
  readonly code: string
  readonly exit: ExitCodeValue
  readonly hint: string | undefined
  readonly details: unknown

  constructor(message: string, opts: ErrorOptions) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'FlinkctlError'
    this.code = opts.code
    this.exit = opts.exit
    this.hint = opts.hint
    this.details = opts.details
  }
}

/** A file, line or key of the configuration is wrong; nothing was touched. */
export class ConfigError extends FlinkctlError {
  constructor(message: string, opts: Omit<ErrorOptions, 'exit'> & {exit?: ExitCodeValue}) {
    super(message, {exit: ExitCode.ConfigInvalid, ...opts})
    this.name = 'ConfigError'
  }
}

/** Bad flags or arguments that the parser could not catch on its own. */
export class UsageError extends FlinkctlError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'USAGE', exit: ExitCode.Usage, hint})
    this.name = 'UsageError'
  }
}

export function isFlinkctlError(err: unknown): err is FlinkctlError {
  return err instanceof FlinkctlError
}

/**
 * A command that did part of its job (some hosts failed, or readiness timed out): the result
 * is still reported in full, beside the error, and the exit code says which case it was.
 */
export class OutcomeError extends FlinkctlError {
  readonly result: unknown
  constructor(message: string, opts: ErrorOptions & {result: unknown}) {
    super(message, opts)
    this.name = 'OutcomeError'
    this.result = opts.result
  }
}
