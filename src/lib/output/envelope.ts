import {ExitCode, isFlinkctlError, OutcomeError} from '../errors.ts'
import type {Style} from './style.ts'

/** The --json envelope of a successful command. */
export const successEnvelope = (command: string | undefined, result: unknown) => ({ok: true, command, result})

/** The --json envelope of a failed command; `error.exit` is the process exit code. */
export function errorEnvelope(command: string | undefined, err: unknown) {
  const e = err as Error & {oclif?: {exit?: number}}
  const error = isFlinkctlError(err)
    ? {code: err.code, message: err.message, hint: err.hint, exit: err.exit, details: err.details}
    : e.oclif?.exit === ExitCode.Usage
      ? {code: 'USAGE', message: e.message, exit: ExitCode.Usage}
      : {code: 'INTERNAL', message: e.message, exit: ExitCode.Internal}
  // a partial outcome keeps its per-host result next to the error
  const result = err instanceof OutcomeError ? err.result : undefined
  return result === undefined ? {ok: false, command, error} : {ok: false, command, result, error}
}

/** `error: …` and `  hint: …` for a user mistake; never a stack trace. */
export function renderUserError(err: {message: string; hint?: string}, s: Style): string {
  return `${s.red('error')}: ${err.message}\n${err.hint ? `  ${s.cyan('hint')}: ${err.hint}\n` : ''}`
}

export function renderInternalError(err: Error, debug: boolean): string {
  return `internal error: ${err.message}\n  hint: this is a bug in flinkctl; rerun with FLINKCTL_DEBUG=1 to see where, and report it\n${debug ? `${err.stack}\n` : ''}`
}
