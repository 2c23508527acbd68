// Running one command on its own channel of a connection, and killing it on timeout.
import {randomBytes} from 'node:crypto'
import ssh2 from 'ssh2'
import type {Client, ClientChannel} from 'ssh2'
import {type ExecOptions, type ExecResult, HostError, tail} from './host.ts'


/** After a KILL request, how long the channel may take to close before we close it ourselves. */
const KILL_GRACE_MS = 3_000

// ---------------------------------------------------------------------------------------------
// Running commands

/**
 * Runs one command on its own channel. The command is prefixed with `echo <marker> $$ >&2`:
 * sshd makes the command's shell a session (and process group) leader, so that pid names the
 * group to kill on timeout. The marker line is taken out of stderr before anyone sees it.
 */
export function execOn(name: string, client: Client, command: string, opts: ExecOptions, timeoutMs: number, started: number): Promise<ExecResult> {
  const marker = `flinkctl-pgid-${randomBytes(6).toString('hex')}`
  return new Promise((resolve, reject) => {
    let connectionLost = false
    const onClientClose = () => (connectionLost = true)
    client.once('close', onClientClose)
    try {
      // exec: the command replaces the login shell (one process fewer per command; $$ stays its pid)
      client.exec(`echo ${marker} $$ >&2; exec ${command}`, (err, channel) => {
        if (err) {
          client.removeListener('close', onClientClose)
          const lost = connectionLost || /not connected|no response/i.test(err.message)
          reject(new HostError(name, `cannot start a command on ${name}: ${err.message}`, {code: lost ? 'SSH_DISCONNECTED' : 'SSH_CHANNEL', cause: err}))
          return
        }
        run(channel)
      })
    } catch (err) {
      client.removeListener('close', onClientClose)
      reject(new HostError(name, `cannot start a command on ${name}: ${(err as Error).message}`, {code: 'SSH_DISCONNECTED', cause: err}))
      return
    }

    function run(channel: ClientChannel) {
      let stdout = ''
      let stderr = ''
      let code: number | null = null
      let signal: string | undefined
      let exited = false
      let timedOut = false
      let done = false
      let grace: NodeJS.Timeout | undefined
      let pgid: number | undefined
      // stderr before the marker line (shell start-up noise) is held until the marker is found
      let head: string | undefined = ''

      const emitStderr = (c: string) => {
        if (c === '') return
        opts.onStderr?.(c)
        if (!opts.discardOutput) stderr += c
      }
      const finish = () => {
        if (done) return
        done = true
        clearTimeout(timer)
        clearTimeout(grace)
        opts.signal?.removeEventListener('abort', onAbort)
        client.removeListener('close', onClientClose)
        if (head) emitStderr(head)
        head = undefined
        if (!exited && connectionLost && !timedOut && !opts.signal?.aborted) {
          reject(new HostError(name, `connection to ${name} was lost while a command ran${stderr ? `: ${tail(stderr, 3)}` : ''}`, {code: 'SSH_DISCONNECTED'}))
          return
        }
        resolve({code, ...(signal ? {signal} : {}), stdout, stderr, durationMs: Math.round(performance.now() - started), timedOut})
      }
      const kill = () => {
        if (done || grace) return
        killRemote(client, channel, pgid)
        // sshd closes the channel once the process group is gone; if it does not, stop waiting
        grace = setTimeout(() => {
          try {
            channel.close()
          } catch {}
          grace = setTimeout(finish, 1000)
        }, KILL_GRACE_MS)
      }
      const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; kill() }, timeoutMs) : undefined
      const onAbort = () => kill()
      if (opts.signal?.aborted) onAbort()
      else opts.signal?.addEventListener('abort', onAbort, {once: true})

      channel.setEncoding('utf8')
      channel.stderr.setEncoding('utf8')
      channel.on('data', (c: string) => {
        opts.onStdout?.(c)
        if (!opts.discardOutput) stdout += c
      })
      channel.stderr.on('data', (c: string) => {
        if (head === undefined) return emitStderr(c)
        head += c
        const at = head.indexOf(`${marker} `)
        const nl = at === -1 ? -1 : head.indexOf('\n', at)
        if (nl === -1) {
          // no marker within 64 KiB: not a shell we understand; pass everything on
          if (head.length > 65_536) {
            emitStderr(head)
            head = undefined
          }
          return
        }
        const pid = Number(head.slice(at + marker.length + 1, nl))
        if (Number.isInteger(pid) && pid > 1) pgid = pid
        const rest = head.slice(0, at) + head.slice(nl + 1)
        head = undefined
        emitStderr(rest)
      })
      channel.on('exit', (c: number | null, sig?: string) => {
        exited = true
        if (typeof c === 'number') code = c
        else if (sig) signal = sig.startsWith('SIG') ? sig : `SIG${sig}`
      })
      channel.on('error', () => {}) // reported through 'close' and the exit status
      channel.on('close', finish)
      channel.end(opts.stdin === undefined ? '' : typeof opts.stdin === 'string' ? opts.stdin : Buffer.from(opts.stdin))
    }
  })
}

/**
 * SIGKILL for the remote command's process group, two ways. A "signal" channel request, which
 * OpenSSH's sshd answers with killpg() on the session, but only for non-root logins (it needs
 * privilege separation, which sshd drops for root). And `kill -s KILL -- -<pgid>` on a second
 * channel of the same connection, which works for every account.
 */
function killRemote(client: Client, channel: ClientChannel, pgid: number | undefined): void {
  signalChannel(client, channel, 'KILL')
  if (pgid === undefined) return
  try {
    client.exec(`kill -s KILL -- -${pgid} 2>/dev/null || kill -s KILL ${pgid} 2>/dev/null; true`, (err, ch) => {
      if (err) return
      ch.on('error', () => {})
      ch.resume()
      ch.stderr.resume()
      ch.end()
    })
  } catch {}
}

/**
 * ssh2's channel.signal() refuses once stdin is closed (it checks `writable`), which is always
 * the case here, so the request goes through the protocol object directly.
 */
function signalChannel(client: Client, channel: ClientChannel, name: string): void {
  const out = (channel as unknown as {outgoing?: {id: number; state: string}}).outgoing
  const proto = (client as unknown as {_protocol?: {signal?: (id: number, name: string) => void}})._protocol
  try {
    // after our EOF the state is 'eof': the channel is still open for requests
    if (out && (out.state === 'open' || out.state === 'eof') && typeof proto?.signal === 'function') proto.signal(out.id, name)
    else channel.signal(name)
  } catch {}
}
