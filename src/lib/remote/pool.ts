// The hosts of one flinkctl command: each name becomes a LocalHost or an SshHost once, SSH
// connections are opened on first use and kept for the whole command, and work fans out over
// the hosts with a bounded number in flight.
import {hostname} from 'node:os'
import {DEFAULT_PARALLEL, fanOut, type HostOutcome} from './fan-out.ts'
import {assertOk, type ExecOptions, type ExecResult, type Host} from './host.ts'
import {LOCAL_NAMES, LocalHost} from './local.ts'
import {type LocalContext, localContext, type SshConfig} from './ssh-config.ts'
import {JumpConnections, loadRemoteSshConfig, type RemoteOptions, SshHost} from './ssh.ts'
import {connectionBudget, DEFAULT_MAX_STARTUPS, HandshakePacer, openFileLimit} from './wire.ts'

export type {RemoteOptions} from './ssh.ts'
export {remoteOptionsFromSshOpts} from './ssh-opts.ts'

/** True for names that mean this machine (LOCAL_NAMES and os.hostname(), short or full). */
export function isLocalName(name: string, localHostname = hostname()): boolean {
  const n = name.toLowerCase()
  const h = localHostname.toLowerCase()
  return LOCAL_NAMES.has(n) || n === h || n === h.split('.')[0]
}

export class HostPool {
  readonly opts: RemoteOptions
  readonly #hosts = new Map<string, Host>()
  readonly #jumps = new JumpConnections()
  /** Handshakes per sshd for the whole command (MaxStartups), separate from `parallel`. */
  readonly #handshakes: HandshakePacer
  readonly #context: LocalContext
  #config: SshConfig | undefined

  /** SSH connections that may be open at once within this process's file descriptor limit. */
  readonly #connectionBudget: number

  constructor(opts: RemoteOptions = {}, deps: {context?: LocalContext; config?: SshConfig; openFileLimit?: number} = {}) {
    this.opts = opts
    this.#connectionBudget = connectionBudget(deps.openFileLimit ?? openFileLimit())
    this.#handshakes = new HandshakePacer(opts.maxStartups ?? DEFAULT_MAX_STARTUPS)
    this.#context = deps.context ?? localContext()
    this.#config = deps.config
  }

  /** The ssh configuration, read once (a ConfigError when it is unreadable or wrong). */
  sshConfig(): SshConfig {
    this.#config ??= loadRemoteSshConfig(this.opts, this.#context)
    return this.#config
  }

  /** The host for a name from the conf files; the same object for the same name. */
  get(name: string): Host {
    let host = this.#hosts.get(name)
    if (!host) {
      host =
        !this.opts.forceSsh && isLocalName(name, this.#context.hostname)
          ? new LocalHost(name, {commandTimeoutMs: this.opts.commandTimeoutMs})
          : new SshHost(name, {...this.opts, config: this.sshConfig(), context: this.#context, jumps: this.#jumps, handshakes: this.#handshakes})
      this.#hosts.set(name, host)
    }
    return host
  }

  /**
   * Runs fn on every named host, at most `parallel` at once (default: the pool's, else 32).
   * One outcome per name, in order; a failure stays with its host. Duplicates are the caller's.
   */
  async forEach<T>(names: readonly string[], fn: (host: Host) => Promise<T>, opts: {parallel?: number} = {}): Promise<HostOutcome<T>[]> {
    // a broken ssh config fails the whole command, not each host: resolve every host first
    for (const n of names) this.get(n)
    const budget = this.#connectionBudget
    // connections stay open for the command; beyond the file descriptor budget, a host done with
    // gives its connection back (reopened if used again) instead of a later host failing with EMFILE
    const parallel = Math.min(opts.parallel ?? this.opts.parallel ?? DEFAULT_PARALLEL, budget)
    return fanOut(names, async (name) => {
      const host = this.get(name)
      try {
        return await fn(host)
      } finally {
        if (host instanceof SshHost && this.#hosts.size > budget && this.#openConnections() > budget - parallel) await host.disconnect()
      }
    }, {parallel})
  }

  #openConnections(): number {
    let open = 0
    for (const h of this.#hosts.values()) if (h instanceof SshHost && h.connected) open++
    return open
  }

  /** The same script on every host; a non-zero exit is a failed outcome carrying exit status and stderr tail. */
  shEach(names: readonly string[], what: string, script: string, args: readonly string[] = [], opts: ExecOptions & {parallel?: number} = {}): Promise<HostOutcome<ExecResult>[]> {
    const {parallel, ...exec} = opts
    return this.forEach(names, async (host) => assertOk(host, what, await host.sh(script, args, exec)), {parallel})
  }

  /**
   * The address a name stands for from this machine: the ssh config's HostName for SSH hosts
   * (the conf may say h1 where ~/.ssh/config maps h1 to 10.0.0.11), the name itself otherwise.
   * Never connects.
   */
  addressOf(name: string): string {
    if (!this.opts.forceSsh && isLocalName(name, this.#context.hostname)) return name
    try {
      const host = this.get(name)
      return host instanceof SshHost ? host.resolved.hostName : name
    } catch {
      return name
    }
  }

  /** Notes from the SSH hosts so far (skipped Match blocks and keys, recorded host keys). */
  notes(): string[] {
    const all = [...this.#hosts.values()].flatMap((h) => (h instanceof SshHost ? h.notes : []))
    return [...new Set(all)]
  }

  /** Closes every connection (hosts, then jump hosts); the pool can be used again afterwards. */
  async close(): Promise<void> {
    const hosts = [...this.#hosts.values()]
    this.#hosts.clear()
    await Promise.all(hosts.map((h) => h.close().catch(() => {})))
    await this.#jumps.close()
  }
}
