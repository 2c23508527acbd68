import {spawn} from 'node:child_process'
import {userInfo} from 'node:os'
import {quoteArgv} from '../launch/shell.ts'
import type {ExecOptions, ExecResult, Host} from './host.ts'

export const LOCAL_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1', 'localhost.localdomain'])

/** This machine: scripts run under /bin/sh as a child process, with no SSH involved. */
export class LocalHost implements Host {
  readonly local = true
  readonly name: string
  readonly user: string = process.env.USER || userInfo().username
  readonly #defaultTimeoutMs: number

  constructor(name = 'localhost', opts: {commandTimeoutMs?: number} = {}) {
    this.name = name
    this.#defaultTimeoutMs = opts.commandTimeoutMs ?? 120_000
  }

  sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.#spawn(['/bin/sh', '-c', script, 'sh', ...args], opts)
  }

  run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.#spawn(['/bin/sh', '-c', quoteArgv(argv)], opts)
  }

  async close(): Promise<void> {}

  #spawn(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    const started = performance.now()
    const timeoutMs = opts.timeoutMs ?? this.#defaultTimeoutMs
    return new Promise((resolve, reject) => {
      // detached: a timeout kills the whole process group, not only sh
      const child = spawn(argv[0]!, argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe'], detached: true})
      let stdout = ''
      let stderr = ''
      let timedOut = false
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }
      const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; kill() }, timeoutMs) : undefined
      const onAbort = () => kill()
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      child.stdout.setEncoding('utf8').on('data', (c: string) => { opts.onStdout?.(c); if (!opts.discardOutput) stdout += c })
      child.stderr.setEncoding('utf8').on('data', (c: string) => { opts.onStderr?.(c); if (!opts.discardOutput) stderr += c })
      child.stdin.on('error', () => {}) // the script may exit without reading stdin
      child.on('error', (err) => { clearTimeout(timer); reject(err) })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        resolve({code, signal: signal ?? undefined, stdout, stderr, durationMs: Math.round(performance.now() - started), timedOut})
      })
      child.stdin.end(opts.stdin ?? '')
    })
  }
}
