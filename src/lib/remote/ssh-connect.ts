// Opening an SSH connection: TCP or a proxy stream (ProxyCommand, a ProxyJump chain), the key
// exchange, the host key checked against known_hosts, then authentication; never a prompt.
import {join} from 'node:path'
import {Duplex, type Writable} from 'node:stream'
import ssh2 from 'ssh2'
import type {Client, ConnectConfig} from 'ssh2'
import {printable} from '../conf/names.ts'
import {ConfigError, ExitCode} from '../errors.ts'
import {type Host, HostError} from './host.ts'
import {proxyCommand} from './proxy-command.ts'
import {assertSafeNames} from './safe-names.ts'
import {coalesceWrites, HandshakePacer} from './wire.ts'
import {appendHostKey, fingerprint, keyTypeOfBlob, lookupInEntries, readKnownHosts} from './known-hosts.ts'
import {type LocalContext, type ResolvedHost, resolveHost, type SshConfig} from './ssh-config.ts'

import {hostKeyAlgorithms, hostKeyError, planAuth, type Verdict} from './ssh-auth.ts'

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_KEEPALIVE_MS = 15_000
const MAX_JUMP_DEPTH = 8

/** What a connection needs besides where it goes. */
export interface ConnectSettings {
  config: SshConfig
  context: LocalContext
  cli: [string, string][]
  acceptNew: boolean
  connectTimeoutMs?: number
  keepaliveMs?: number
  agentSocket?: string
  jumps: JumpConnections
  handshakes: HandshakePacer
  /** Notes (skipped keys, agent trouble) go here. */
  notes: string[]
}

/** Connections to jump hosts, keyed by the chain that reaches them; shared by a pool's hosts. */
export class JumpConnections {
  #clients = new Map<string, Promise<Client>>()

  get(key: string, open: () => Promise<Client>): Promise<Client> {
    let p = this.#clients.get(key)
    if (!p) {
      p = open()
      this.#clients.set(key, p)
      p.then(
        (c) => c.once('close', () => this.#clients.get(key) === p && this.#clients.delete(key)),
        () => this.#clients.get(key) === p && this.#clients.delete(key),
      )
    }
    return p
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()]
    this.#clients.clear()
    await Promise.all(all.map((p) => p.then((c) => endClient(c), () => {})))
  }
}

export function endClient(c: Client): Promise<void> {
  return new Promise((resolve) => {
    const sock = (c as unknown as {_sock?: Writable})._sock
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      c.destroy()
      resolve()
    }
    const timer = setTimeout(finish, 2000)
    c.once('close', finish)
    // once our DISCONNECT and FIN are flushed, the server's own close is not worth a round trip
    sock?.once('finish', finish)
    c.end()
    if (!sock || sock.destroyed) finish()
  })
}

// ---------------------------------------------------------------------------------------------
// Connecting

/** Opens a connection to `target`, through its ProxyJump chain or ProxyCommand if any. */
export async function openChain(label: string, target: ResolvedHost, s: ConnectSettings, depth: number): Promise<Client> {
  if (depth > MAX_JUMP_DEPTH) {
    throw new HostError(label, `ProxyJump chain to ${target.alias} is longer than ${MAX_JUMP_DEPTH} hops`, {
      code: 'SSH_CONFIG',
      hint: 'a jump host probably matches its own ProxyJump (e.g. "Host *"); exclude it with "Host * !bastion"',
    })
  }
  let sock: Duplex | undefined
  let cleanup: (() => void) | undefined
  // jump hosts are connected (and paced) first: a slot is never held while waiting for another
  const jump = target.proxyJump ? await viaJumps(label, target, s, depth) : undefined
  // paced per sshd that sees the connection (every ProxyCommand's may be the same bastion's), from
  // the first byte it sees to authentication
  const release = await s.handshakes.acquire(
    jump ? `${target.proxyJump}>${target.hostName}:${target.port}` : target.proxyCommand ? `proxy ${target.proxyCommand}` : `${target.hostName}:${target.port}`,
  )
  try {
    if (jump) sock = await forwardOut(label, jump, target.hostName, target.port)
    else if (target.proxyCommand) ({sock, cleanup} = proxyCommand(label, target))
    const client = await handshake(label, target, s, sock)
    if (cleanup) client.once('close', cleanup)
    return client
  } catch (err) {
    cleanup?.()
    throw err
  } finally {
    release()
  }
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, one hop of a ProxyJump list. */
export function parseJumpSpec(spec: string): {user?: string; host: string; port?: number} {
  let s = spec.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = s.lastIndexOf('@')
  if (at > 0) {
    user = s.slice(0, at)
    s = s.slice(at + 1)
  }
  let port: number | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  let host = s
  if (v6) {
    host = v6[1]!
    if (v6[2]) port = Number(v6[2])
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s)
    if (m) {
      host = m[1]!
      port = Number(m[2])
    }
  }
  if (!host || (port !== undefined && (port < 1 || port > 65535))) {
    throw new ConfigError(`bad ProxyJump hop '${spec}'`, {code: 'SSH_CONFIG', hint: 'write [user@]host[:port], several separated by commas'})
  }
  return {...(user ? {user} : {}), host, ...(port ? {port} : {})}
}

/**
 * ssh's ProxyJump: the first hop is reached as `ssh hop1` would be (its own config applies,
 * including its own ProxyJump), every later hop through the previous one, the target through
 * the last. Each hop's host key is checked like the target's.
 */
async function viaJumps(label: string, target: ResolvedHost, s: ConnectSettings, depth: number): Promise<Client> {
  const hops = target.proxyJump!.split(',').map(parseJumpSpec)
  let client: Client | undefined
  let key = ''
  for (const [i, hop] of hops.entries()) {
    assertSafeNames(label, {host: hop.host, user: hop.user, what: `ProxyJump hop '${printable(hop.host)}'`})
    const cli: [string, string][] = []
    if (hop.user) cli.push(['User', hop.user])
    if (hop.port) cli.push(['Port', String(hop.port)])
    // hops after the first are reached through the previous one, whatever their config says
    if (i > 0) cli.push(['ProxyJump', 'none'], ['ProxyCommand', 'none'])
    const resolved = resolveHost(s.config, hop.host, {options: [...cli, ...s.cli], context: s.context})
    assertSafeNames(label, {host: resolved.hostName, user: resolved.user, what: `ProxyJump hop '${printable(hop.host)}' as the ssh config resolves it`})
    key += `>${resolved.user}@${resolved.hostName}:${resolved.port}`
    const via = client
    const chain = key
    try {
      client = await s.jumps.get(key, async () => {
        if (!via) return openChain(hop.host, resolved, s, depth + 1)
        return s.handshakes.run(chain, async () => handshake(hop.host, resolved, s, await forwardOut(hop.host, via, resolved.hostName, resolved.port)))
      })
    } catch (err) {
      // the failure belongs to the host we were asked for; the message says which hop failed
      if (!(err instanceof HostError)) throw err
      throw new HostError(label, `via jump host ${hop.host}: ${err.message}`, {code: err.code, hint: err.hint, exit: err.exit, cause: err, details: err.details})
    }
  }
  return client!
}

function forwardOut(label: string, via: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
      if (err) reject(new HostError(label, `jump host could not reach ${host}:${port}: ${err.message}`, {code: 'SSH_CONNECT', cause: err}))
      else resolve(ch)
    })
  })
}

/** One SSH connection: TCP (or the given stream), key exchange, host key check, authentication. */
export function handshake(label: string, target: ResolvedHost, s: ConnectSettings, sock?: Duplex): Promise<Client> {
  const connectTimeoutMs = s.connectTimeoutMs ?? (target.connectTimeout ? target.connectTimeout * 1000 : DEFAULT_CONNECT_TIMEOUT_MS)
  const keepaliveMs = s.keepaliveMs ?? (target.serverAliveInterval > 0 ? target.serverAliveInterval * 1000 : DEFAULT_KEEPALIVE_MS)
  const userFiles = target.userKnownHostsFiles
  const files = [...userFiles, ...target.globalKnownHostsFiles]
  // ssh checks HostKeyAlias instead of the name, and then without a port
  const keyName = target.hostKeyAlias ?? target.hostName
  const keyPort = target.hostKeyAlias ? 22 : target.port
  const acceptNew = s.acceptNew || target.strictHostKeyChecking === 'accept-new' || target.strictHostKeyChecking === 'no'
  const where = `${target.hostName}${target.port === 22 ? '' : `:${target.port}`}`

  return (async () => {
    const entries = await readKnownHosts(files)
    const known = lookupInEntries(entries, keyName, keyPort, '', Buffer.alloc(0)).knownTypes
    // with no usable key we still connect: an unreachable host or a bad host key is the first problem to report
    const auth = planAuth(label, target, s)
    const client = new ssh2.Client()
    return await new Promise<Client>((resolve, reject) => {
      let settled = false
      let verdict: Verdict | undefined
      const errors: (Error & {level?: string; code?: unknown})[] = []
      const methods = [...auth.methods]
      let authStarted = false

      const fail = () => {
        if (settled) return
        settled = true
        clearTimeout(safety)
        reject(classify())
      }
      const classify = (): HostError => {
        if (verdict) return hostKeyError(label, verdict, target, keyName, keyPort, userFiles)
        const timeout = errors.find((e) => e.level === 'client-timeout')
        const sockErr = errors.find((e) => e.level === 'client-socket' || e.level === 'client-dns')
        const authErr = errors.find((e) => e.level === 'client-authentication')
        if (sockErr) {
          const code = String((sockErr as NodeJS.ErrnoException).code ?? '')
          if (code === 'ETIMEDOUT') return new HostError(label, `cannot connect to ${where}: timed out (${code})`, {code: 'SSH_TIMEOUT', exit: ExitCode.Timeout, cause: sockErr})
          if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
            return new HostError(label, `cannot resolve host name ${target.hostName} (${code})`, {code: 'SSH_CONNECT', hint: 'check the name in the conf file and the HostName in your ssh config', cause: sockErr})
          }
          if (sockErr instanceof HostError) return sockErr
          return new HostError(label, `cannot connect to ${where}: ${sockErr.message}`, {
            code: 'SSH_CONNECT',
            hint: code === 'ECONNREFUSED' ? `is sshd running on ${target.hostName} port ${target.port}?` : undefined,
            cause: sockErr,
          })
        }
        if (timeout) {
          return new HostError(label, `no SSH session with ${where} within ${connectTimeoutMs} ms (${timeout.message})`, {
            code: 'SSH_TIMEOUT',
            exit: ExitCode.Timeout,
            hint: 'the host may be down or filtered; raise --connect-timeout if the network is slow',
            cause: timeout,
          })
        }
        if ((authErr || authStarted) && auth.methods.length === 0) {
          return new HostError(label, `no SSH key to log in to ${target.user}@${where} with`, {
            code: 'SSH_AUTH',
            hint: [
              'flinkctl uses ssh-agent ($SSH_AUTH_SOCK) and key files without a passphrase (IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa)',
              ...s.notes.filter((n) => n.startsWith(label)),
            ].join('; '),
          })
        }
        if (authErr || authStarted) {
          return new HostError(label, `${target.user}@${where} refused every key we offered`, {
            code: 'SSH_AUTH',
            hint: [
              `tried: ${auth.tried.join(', ')}`,
              ...s.notes.filter((n) => n.startsWith(label)),
              `add your public key to ~${target.user}/.ssh/authorized_keys there, or load the right key into ssh-agent (ssh-add)`,
            ].join('; '),
            cause: authErr,
          })
        }
        const last = errors.at(-1)
        return new HostError(label, `SSH connection to ${where} failed: ${last?.message ?? 'closed during the handshake'}`, {code: 'SSH_CONNECT', cause: last})
      }
      // ssh2 always emits 'close' in the end; this only guards against a stream that never does
      const safety = setTimeout(() => {
        errors.push(Object.assign(new Error('handshake did not finish'), {level: 'client-timeout'}))
        client.destroy()
        sock?.destroy()
        fail()
      }, connectTimeoutMs + 5_000)

      client.on('error', (err: Error & {level?: string}) => {
        // agent trouble is not fatal: ssh2 moves on to the next method
        if (err.level === 'agent') {
          s.notes.push(`${label}: ssh-agent: ${err.message}`)
          return
        }
        if (!settled) errors.push(err)
      })
      client.on('close', fail)
      client.on('ready', () => {
        if (settled) return
        settled = true
        clearTimeout(safety)
        resolve(client)
      })

      const config: ConnectConfig = {
        host: target.hostName,
        port: target.port,
        username: target.user,
        readyTimeout: connectTimeoutMs,
        keepaliveInterval: keepaliveMs,
        keepaliveCountMax: Math.max(1, target.serverAliveCountMax),
        algorithms: {serverHostKey: hostKeyAlgorithms(known) as any},
        authHandler: (methodsLeft, _partial, next) => {
          authStarted = true
          if (methodsLeft && !methodsLeft.includes('publickey')) return next(false as any)
          const m = methods.shift()
          return next((m ?? false) as any)
        },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          const keyType = keyTypeOfBlob(key) ?? 'unknown'
          const r = lookupInEntries(entries, keyName, keyPort, keyType, key)
          if (r.status === 'match') return verify(true)
          if (r.status === 'unknown' && acceptNew) {
            const file = userFiles[0]
            if (!file) {
              verdict = {kind: 'unknown', keyType, blob: key}
              return verify(false)
            }
            appendHostKey(file, keyName, keyPort, keyType, key, {hash: target.hashKnownHosts}).then(
              () => {
                s.notes.push(`${label}: recorded the ${keyType} key of ${keyName} (${fingerprint(key)}) in ${file}`)
                verify(true)
              },
              (error: Error) => {
                verdict = {kind: 'record-failed', error}
                verify(false)
              },
            )
            return
          }
          verdict = {kind: r.status, keyType, blob: key, ...(r.entry ? {entry: r.entry} : {})}
          verify(false)
        },
      }
      if (sock) {
        config.sock = sock as any
        sock.on('error', (err) => {
          if (!settled) errors.push(Object.assign(err, {level: 'client-socket'}))
        })
        const early = (sock as Duplex & {failure?: Error}).failure
        if (early || sock.destroyed) {
          errors.push(Object.assign(early ?? new Error('the proxy connection closed before the handshake'), {level: 'client-socket'}))
          fail()
          return
        }
      }
      try {
        client.connect(config)
        // Nagle's algorithm against the server's delayed ACK adds ~40 ms to each small
        // request/response exchange (handshake steps, channel open, exec); OpenSSH disables it too.
        client.setNoDelay(true)
        coalesceWrites((client as unknown as {_sock?: Writable})._sock)
      } catch (err) {
        settled = true
        clearTimeout(safety)
        reject(new HostError(label, `SSH connection to ${where} failed: ${(err as Error).message}`, {code: 'SSH_CONNECT', cause: err}))
      }
    }).then((c) => {
      // errors after 'ready' (keepalive timeout, reset) surface as a closed connection
      c.on('error', () => {})
      return c
    })
  })()
}
