// ssh's ProxyCommand: `sh -c 'exec <command>'` with %h %n %p %r expanded, its stdin and stdout
// as the SSH connection. Whatever the command does (exits at once, is not found, hangs, talks
// garbage), the outcome reaches the handshake as one HostError for that host, never as an
// 'error' event nobody listens to.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {Duplex} from 'node:stream'
import {HostError, tail} from './host.ts'
import {assertSafeNames} from './safe-names.ts'
import {percentExpand, type ResolvedHost} from './ssh-config.ts'

/** The command's stdio as one stream: writes to a dead command are dropped (its exit says why), its exit ends the stream. */
class ProxyStream extends Duplex {
  readonly #child: ChildProcessWithoutNullStreams
  /** Why the command ended, once it has: undefined for a clean exit 0. */
  failure: HostError | undefined

  constructor(label: string, child: ChildProcessWithoutNullStreams) {
    super()
    this.#child = child
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)))
    child.stdout.on('data', (c: Buffer) => {
      if (!this.push(c)) child.stdout.pause()
    })
    child.stdin.on('error', () => {}) // EPIPE after the command died: its exit status is the story
    child.on('error', (err) => this.#end(new HostError(label, `ProxyCommand failed to start: ${err.message}`, {code: 'SSH_CONNECT'})))
    // 'close': exited and its stdio drained, so every byte it wrote was pushed first
    child.on('close', (code, signal) => {
      if (code === 0 || this.destroyed) return this.#end(undefined)
      const why = code === null ? `was killed by ${signal}` : `exited with ${code}`
      this.#end(new HostError(label, `ProxyCommand ${why}${stderr.trim() ? `: ${tail(stderr, 3)}` : ''}`, {code: 'SSH_CONNECT'}))
    })
  }

  #end(failure: HostError | undefined): void {
    if (this.destroyed) return
    this.failure ??= failure
    if (failure) return void this.destroy(failure)
    // a clean exit: let the reader take what is left, then close both ways as a socket would
    this.once('end', () => this.destroy())
    this.push(null)
    if (this.readableLength === 0 && !this.readableFlowing) this.resume()
  }

  override _read(): void {
    this.#child.stdout.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.#child.stdin.writable) return cb()
    this.#child.stdin.write(chunk, () => cb())
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#child.stdin.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM')
    cb(err)
  }
}

/** Starts the target's ProxyCommand; the stream fails with the command's exit status and stderr tail. */
export function proxyCommand(label: string, target: ResolvedHost): {sock: Duplex & {failure: HostError | undefined}; cleanup: () => void} {
  // %h %n %r go into `sh -c` unquoted, as ssh puts them: they must not hold anything a shell reads
  assertSafeNames(label, {host: target.hostName, user: target.user, what: 'ProxyCommand %h/%r'})
  assertSafeNames(label, {host: target.alias, what: 'ProxyCommand %n'})
  const cmd = percentExpand(target.proxyCommand!, {'%': '%', h: target.hostName, n: target.alias, p: String(target.port), r: target.user})
  // no controlling terminal and no askpass: a ProxyCommand that wants a password fails instead of asking
  const child = spawn('/bin/sh', ['-c', `exec ${cmd}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: {...process.env, SSH_ASKPASS_REQUIRE: 'never', DISPLAY: ''},
  })
  const sock = new ProxyStream(label, child)
  // the command may die before the handshake listens (it reads known_hosts first): keep the
  // error on the stream (`failure`) instead of letting an unheard 'error' event end the process
  sock.on('error', () => {})
  return {sock, cleanup: () => sock.destroy()}
}
