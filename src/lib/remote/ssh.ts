// A host reached over SSH with the ssh2 package, the way an operator's `ssh host` reaches it:
// ~/.ssh/config (or -F), keys from the agent and ~/.ssh/id_*, known_hosts checked strictly,
// ProxyJump/ProxyCommand, keepalives, never a prompt. One connection per host, opened on first
// use and reused by every command until close().
import {existsSync} from 'node:fs'
import type {Client} from 'ssh2'
import {printable, splitUserHost} from '../conf/names.ts'
import {ConfigError} from '../errors.ts'
import {quoteArg, quoteArgv} from '../launch/shell.ts'
import {type ExecOptions, type ExecResult, type Host, HostError} from './host.ts'
import {assertSafeNames} from './safe-names.ts'
import {DEFAULT_MAX_STARTUPS, HandshakePacer} from './wire.ts'
import {concatConfigs, defaultUserConfigFile, type LocalContext, loadSshConfig, localContext, type ResolvedHost, resolveHost, type SshConfig, SYSTEM_CONFIG_FILE} from './ssh-config.ts'
import {type ConnectSettings, endClient, JumpConnections, openChain} from './ssh-connect.ts'
import {execOn} from './ssh-exec.ts'

export {DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEPALIVE_MS, JumpConnections, parseJumpSpec} from './ssh-connect.ts'
export {hostKeyAlgorithms} from './ssh-auth.ts'
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

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000

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
  /** Commands running (or about to) on the connection. */
  #busy = 0

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

  /** True while a connection is open or being opened. */
  get connected(): boolean {
    return this.#client !== undefined
  }

  /**
   * Ends an idle connection but not the host: the next command opens a new one (HostPool keeps
   * a fan-out within the file descriptor limit this way). False when a command is using it.
   */
  async disconnect(): Promise<boolean> {
    const c = this.#client
    if (!c || this.#busy > 0) return false
    this.#client = undefined
    await c.then(endClient, () => {})
    return true
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
    this.#busy++
    try {
      const client = await this.#connection()
      await this.#slots.acquire()
      try {
        return await execOn(this.name, client, command, opts, opts.timeoutMs ?? this.#commandTimeoutMs, started)
      } finally {
        this.#slots.release()
      }
    } finally {
      this.#busy--
    }
  }
}
