// A host reached over SSH with the ssh2 package, the way an operator's `ssh host` reaches it:
// ~/.ssh/config (or -F), keys from the agent and ~/.ssh/id_*, known_hosts checked strictly,
// ProxyJump/ProxyCommand, keepalives, never a prompt. One connection per host, opened on first
// use and reused by every command until close().
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Duplex, type Writable} from 'node:stream'
import ssh2 from 'ssh2'
import type {AnyAuthMethod, Client, ClientChannel, ConnectConfig, ParsedKey} from 'ssh2'
import {printable, splitUserHost} from '../conf/names.ts'
import {ConfigError, ExitCode} from '../errors.ts'
import {quoteArg, quoteArgv} from '../launch/shell.ts'
import {type ExecOptions, type ExecResult, type Host, HostError, tail} from './host.ts'
import {proxyCommand} from './proxy-command.ts'
import {assertSafeNames} from './safe-names.ts'
import {coalesceWrites, DEFAULT_MAX_STARTUPS, HandshakePacer} from './wire.ts'
import {appendHostKey, fingerprint, keyTypeOfBlob, type KnownHostEntry, lookupInEntries, readKnownHosts} from './known-hosts.ts'
import {
  concatConfigs,
  defaultUserConfigFile,
  type LocalContext,
  loadSshConfig,
  localContext,
  type ResolvedHost,
  resolveHost,
  type SshConfig,
  SYSTEM_CONFIG_FILE,
} from './ssh-config.ts'

/** How flinkctl reaches hosts: the remote flags, Flink's env.ssh.opts, and defaults. */
export interface RemoteOptions {
  /** ssh -F: this file only. Default: ~/.ssh/config then /etc/ssh/ssh_config, as ssh reads them. */
  sshConfigFile?: string
  /** ssh -i: tried before the config's IdentityFile entries. */
  identityFiles?: string[]
  /** Replaces the configured UserKnownHostsFile (~/.ssh/known_hosts by default). */
  knownHostsFiles?: string[]
  /** ssh -l */
  user?: string
  /** ssh -p */
  port?: number
  /** ssh -J */
  proxyJump?: string
  /** Trust and record the key of a host not in known_hosts; a changed key is always refused. */
  acceptNewHostKeys?: boolean
  /** Per hop, TCP connect through authentication. Default: ConnectTimeout from the config, else 10 s. */
  connectTimeoutMs?: number
  /** Per command (ExecOptions.timeoutMs wins). Default 120 s. */
  commandTimeoutMs?: number
  /** Keepalive interval. Default: ServerAliveInterval from the config, else 15 s (3 unanswered end the connection). */
  keepaliveMs?: number
  /** Hosts in flight at once in HostPool.forEach. Default 32. */
  parallel?: number
  /** SSH handshakes (connect through authentication) in flight at once to one sshd, whatever --parallel says. Default 10 (sshd's MaxStartups). */
  maxStartups?: number
  /** Use SSH even for localhost and this machine's name. */
  forceSsh?: boolean
  /** ssh -o Key=Value, applied before the config file (so they win, as on ssh's command line). */
  extraOptions?: Record<string, string>
}

export interface SshHostOptions extends RemoteOptions {
  /** A parsed configuration (HostPool parses once for all hosts). Default: read per sshConfigFile. */
  config?: SshConfig
  context?: LocalContext
  /** Connections to jump hosts, shared between the hosts of a pool. Default: private to this host. */
  jumps?: JumpConnections
  /** Paces handshakes per destination; shared between the hosts of a pool. Default: private to this host (maxStartups). */
  handshakes?: HandshakePacer
  /** ssh-agent socket when the config names none. Default: $SSH_AUTH_SOCK. */
  agentSocket?: string
  /** Commands in flight at once on the connection (sshd's MaxSessions defaults to 10). Default 8. */
  maxSessions?: number
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000
export const DEFAULT_KEEPALIVE_MS = 15_000
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa']
/** After a KILL request, how long the channel may take to close before we close it ourselves. */
const KILL_GRACE_MS = 3_000
const MAX_JUMP_DEPTH = 8

/** Reads the ssh configuration the options name (-F), else the user's and the system's. */
export function loadRemoteSshConfig(opts: Pick<RemoteOptions, 'sshConfigFile'>, context: LocalContext = localContext()): SshConfig {
  if (opts.sshConfigFile) {
    if (!existsSync(opts.sshConfigFile)) {
      throw new ConfigError(`ssh config file ${opts.sshConfigFile} does not exist`, {code: 'SSH_CONFIG', hint: 'fix --ssh-config / the -F in env.ssh.opts'})
    }
    return loadSshConfig(opts.sshConfigFile, {context})
  }
  return concatConfigs(
    loadSshConfig(defaultUserConfigFile(context.home), {context}),
    loadSshConfig(SYSTEM_CONFIG_FILE, {context, includeDir: '/etc/ssh'}),
  )
}

/** RemoteOptions as ssh command-line options (they come before the config file, so they win). */
function cliOptions(opts: RemoteOptions, userFromName?: string): [string, string][] {
  const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`
  const out: [string, string][] = []
  if (userFromName) out.push(['User', q(userFromName)])
  if (opts.user) out.push(['User', q(opts.user)])
  if (opts.port !== undefined) out.push(['Port', String(opts.port)])
  if (opts.proxyJump) out.push(['ProxyJump', q(opts.proxyJump)])
  for (const f of opts.identityFiles ?? []) out.push(['IdentityFile', q(f)])
  if (opts.knownHostsFiles) out.push(['UserKnownHostsFile', opts.knownHostsFiles.length ? opts.knownHostsFiles.map(q).join(' ') : 'none'])
  for (const [k, v] of Object.entries(opts.extraOptions ?? {})) out.push([k, v])
  return out
}

/** A bounded number of channels at once on one connection. */
class Slots {
  #free: number
  #waiting: (() => void)[] = []
  constructor(n: number) {
    this.#free = Math.max(1, n)
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }
  release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}

/** What a connection needs besides where it goes. */
interface ConnectSettings {
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

function endClient(c: Client): Promise<void> {
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

export class SshHost implements Host {
  readonly local = false
  readonly name: string
  readonly user: string
  /** The ssh configuration as it applies to this host. */
  readonly resolved: ResolvedHost
  /** Things worth telling the user (Match blocks skipped, encrypted keys skipped, agent trouble). */
  readonly notes: string[] = []
  readonly #settings: ConnectSettings
  readonly #commandTimeoutMs: number
  readonly #ownJumps: boolean
  readonly #slots: Slots
  #client: Promise<Client> | undefined
  #closed = false

  constructor(name: string, opts: SshHostOptions = {}) {
    this.name = name
    const context = opts.context ?? localContext()
    const config = opts.config ?? loadRemoteSshConfig(opts, context)
    const {user, host} = splitUserHost(name)
    assertSafeNames(name, {host, user, what: ''})
    if (opts.user !== undefined) assertSafeNames(name, {user: opts.user, what: 'the SSH user (-l)'})
    const cli = cliOptions(opts, user)
    this.resolved = resolveHost(config, host, {options: cli, context})
    assertSafeNames(name, {host: this.resolved.hostName, user: this.resolved.user, what: `${printable(name)} as the ssh config resolves it (HostName/User)`})
    this.user = this.resolved.user
    this.notes.push(...config.notes)
    this.#ownJumps = !opts.jumps
    this.#settings = {
      config,
      context,
      cli: cliOptions({...opts, user: undefined, port: undefined, proxyJump: undefined}),
      acceptNew: opts.acceptNewHostKeys === true,
      connectTimeoutMs: opts.connectTimeoutMs,
      keepaliveMs: opts.keepaliveMs,
      agentSocket: opts.agentSocket ?? context.env.SSH_AUTH_SOCK,
      jumps: opts.jumps ?? new JumpConnections(),
      handshakes: opts.handshakes ?? new HandshakePacer(opts.maxStartups ?? DEFAULT_MAX_STARTUPS),
      notes: this.notes,
    }
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
    this.#slots = new Slots(opts.maxSessions ?? 8)
  }

  sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.#exec(`sh -c ${quoteArg(script)} sh${args.length ? ` ${quoteArgv(args)}` : ''}`, opts)
  }

  run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.#exec(quoteArgv(argv), opts)
  }

  /** Opens the connection now (it opens on first use otherwise); throws a HostError. */
  async connect(): Promise<void> {
    await this.#connection()
  }

  async close(): Promise<void> {
    this.#closed = true
    const c = this.#client
    this.#client = undefined
    if (c) await c.then(endClient, () => {})
    if (this.#ownJumps) await this.#settings.jumps.close()
  }

  #connection(): Promise<Client> {
    if (this.#closed) return Promise.reject(new HostError(this.name, `connection to ${this.name} was closed`, {code: 'SSH_CLOSED'}))
    if (!this.#client) {
      const p = openChain(this.name, this.resolved, this.#settings, 0)
      this.#client = p
      // a dropped connection (keepalive, sshd restart) is reopened by the next command
      p.then(
        (c) => c.once('close', () => this.#client === p && (this.#client = undefined)),
        () => this.#client === p && (this.#client = undefined),
      )
    }
    return this.#client
  }

  async #exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const started = performance.now()
    const client = await this.#connection()
    await this.#slots.acquire()
    try {
      return await execOn(this.name, client, command, opts, opts.timeoutMs ?? this.#commandTimeoutMs, started)
    } finally {
      this.#slots.release()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Connecting

/** Opens a connection to `target`, through its ProxyJump chain or ProxyCommand if any. */
async function openChain(label: string, target: ResolvedHost, s: ConnectSettings, depth: number): Promise<Client> {
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

interface AuthPlan {
  methods: AnyAuthMethod[]
  tried: string[]
}

function readPublicBlob(file: string): Buffer | undefined {
  try {
    const key = ssh2.utils.parseKey(readFileSync(`${file}.pub`))
    if (!(key instanceof Error)) return (Array.isArray(key) ? key[0]! : key).getPublicSSH()
  } catch {}
  return undefined
}

/** Agent first (filtered to the IdentityFiles when IdentitiesOnly), then the key files that are usable without a passphrase. */
function planAuth(label: string, target: ResolvedHost, s: ConnectSettings): AuthPlan {
  const methods: AnyAuthMethod[] = []
  const tried: string[] = []
  const username = target.user
  const explicit = target.identityFiles.length > 0
  const files = explicit ? target.identityFiles : DEFAULT_IDENTITIES.map((f) => join(s.context.home, '.ssh', f))
  const allowedBlobs: Buffer[] = []
  const keys: {file: string; key: ParsedKey}[] = []
  for (const file of files) {
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch (err) {
      const pub = readPublicBlob(file)
      if (pub) allowedBlobs.push(pub)
      else if (explicit) s.notes.push(`${label}: identity file ${file} not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
      continue
    }
    const parsed = ssh2.utils.parseKey(data)
    if (parsed instanceof Error) {
      const pub = readPublicBlob(file)
      if (pub) allowedBlobs.push(pub)
      if (/encrypted|passphrase/i.test(parsed.message)) {
        s.notes.push(`${label}: skipped ${file}: it is protected by a passphrase and flinkctl never prompts; load it into ssh-agent with ssh-add`)
      } else {
        s.notes.push(`${label}: skipped ${file}: ${parsed.message}`)
      }
      continue
    }
    const key = Array.isArray(parsed) ? parsed[0]! : parsed
    if (!key.isPrivateKey()) {
      allowedBlobs.push(key.getPublicSSH())
      continue
    }
    allowedBlobs.push(key.getPublicSSH())
    keys.push({file, key})
  }
  const agentPath = target.identityAgent === 'none' ? undefined : (target.identityAgent ?? s.agentSocket)
  if (agentPath) {
    const agent = new ssh2.OpenSSHAgent(agentPath)
    methods.push({type: 'agent', username, agent: target.identitiesOnly ? filteredAgent(agent, allowedBlobs) : agent})
    tried.push(`ssh-agent (${agentPath}${target.identitiesOnly ? ', IdentitiesOnly' : ''})`)
  }
  for (const {file, key} of keys) {
    methods.push({type: 'publickey', username, key})
    tried.push(file)
  }
  return {methods, tried}
}

/** IdentitiesOnly: only the agent keys whose public half matches a configured IdentityFile. */
function filteredAgent(inner: InstanceType<typeof ssh2.OpenSSHAgent>, allowed: Buffer[]): InstanceType<typeof ssh2.BaseAgent> {
  class Filtered extends ssh2.BaseAgent<ParsedKey> {
    getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
      inner.getIdentities((err, keys) => {
        if (err) return cb(err)
        cb(undefined, ((keys ?? []) as ParsedKey[]).filter((k) => allowed.some((b) => b.equals(k.getPublicSSH()))))
      })
    }
    sign(pubKey: ParsedKey, data: Buffer, options: any, cb?: any): void {
      inner.sign(pubKey, data, options, cb)
    }
  }
  return new Filtered()
}

const ED25519_FIRST = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

/** Host key algorithms with the types known_hosts has for this host first, as ssh orders them. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const algsOf = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])
  const first = knownTypes.flatMap(algsOf).filter((a) => ED25519_FIRST.includes(a))
  return [...new Set([...first, ...ED25519_FIRST])]
}

type Verdict =
  | {kind: 'unknown' | 'changed' | 'revoked'; keyType: string; blob: Buffer; entry?: KnownHostEntry}
  | {kind: 'record-failed'; error: Error}

/** One SSH connection: TCP (or the given stream), key exchange, host key check, authentication. */
function handshake(label: string, target: ResolvedHost, s: ConnectSettings, sock?: Duplex): Promise<Client> {
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

function hostKeyError(label: string, v: Verdict, target: ResolvedHost, keyName: string, keyPort: number, userFiles: string[]): HostError {
  const where = keyPort === 22 ? keyName : `[${keyName}]:${keyPort}`
  const kh = userFiles[0] ?? '~/.ssh/known_hosts'
  if (v.kind === 'record-failed') {
    return new HostError(label, `could not record the host key of ${where} in ${kh}: ${v.error.message}`, {code: 'HOST_KEY_RECORD', cause: v.error})
  }
  const fp = `${v.keyType} ${fingerprint(v.blob)}`
  const short = v.keyType.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa')
  if (v.kind === 'unknown') {
    return new HostError(label, `host key of ${where} is not in known_hosts (${fp}); refusing to connect`, {
      code: 'HOST_KEY_UNKNOWN',
      hint: `check that fingerprint, then run again with --accept-new-host-keys to record it, or add it yourself: ssh-keyscan -p ${target.port} -t ${short} ${target.hostName} >> ${kh}`,
    })
  }
  if (v.kind === 'revoked') {
    return new HostError(label, `host key of ${where} (${fp}) is marked @revoked in ${v.entry?.file}:${v.entry?.line}; refusing to connect`, {
      code: 'HOST_KEY_REVOKED',
      hint: 'the host presents a key its administrators revoked: ask them for its new key',
    })
  }
  return new HostError(label, `host key of ${where} has CHANGED: it presents ${fp}, but ${v.entry?.file}:${v.entry?.line} has another ${v.keyType} key; this could be a man-in-the-middle attack, refusing to connect`, {
    code: 'HOST_KEY_CHANGED',
    hint: `if the host was reinstalled and you trust its new key, remove the old one with: ssh-keygen -R ${quoteArg(where)} -f ${v.entry?.file ?? kh}`,
  })
}

// ---------------------------------------------------------------------------------------------
// Running commands

/**
 * Runs one command on its own channel. The command is prefixed with `echo <marker> $$ >&2`:
 * sshd makes the command's shell a session (and process group) leader, so that pid names the
 * group to kill on timeout. The marker line is taken out of stderr before anyone sees it.
 */
function execOn(name: string, client: Client, command: string, opts: ExecOptions, timeoutMs: number, started: number): Promise<ExecResult> {
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
