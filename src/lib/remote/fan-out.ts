import {ExitCode, isFlinkctlError} from '../errors.ts'

/** What happened on one host: a value, or the error that stopped it there. */
export interface HostOutcome<T> {
  host: string
  ok: boolean
  value?: T
  /** `details` is the command's exit status, timeout and stderr tail when a command failed (assertOk). */
  error?: {code: string; message: string; hint?: string; exit: number; details?: unknown}
  durationMs: number
}

export const DEFAULT_PARALLEL = 32

/**
 * Runs fn for every host with at most `parallel` in flight. A failure stays with its host:
 * the others run to the end, and the caller gets one outcome per host, in input order.
 */
export async function fanOut<T>(hosts: readonly string[], fn: (host: string) => Promise<T>, opts: {parallel?: number} = {}): Promise<HostOutcome<T>[]> {
  const parallel = Math.max(1, opts.parallel ?? DEFAULT_PARALLEL)
  const out = new Array<HostOutcome<T>>(hosts.length)
  let next = 0
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++
      const host = hosts[i]!
      const started = performance.now()
      try {
        const value = await fn(host)
        out[i] = {host, ok: true, value, durationMs: Math.round(performance.now() - started)}
      } catch (err) {
        out[i] = {host, ok: false, error: outcomeError(err), durationMs: Math.round(performance.now() - started)}
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(parallel, hosts.length)}, worker))
  return out
}

export function outcomeError(err: unknown): NonNullable<HostOutcome<unknown>['error']> {
  if (isFlinkctlError(err)) return {code: err.code, message: err.message, hint: err.hint, exit: err.exit, ...(err.details === undefined ? {} : {details: err.details})}
  const e = err as NodeJS.ErrnoException
  return {code: e?.code ?? 'INTERNAL', message: e?.message ?? String(err), exit: ExitCode.Failed}
}
