import {getValue} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ConfigError} from '../errors.ts'
import {HostPool, remoteOptionsFromSshOpts, type RemoteOptions} from '../remote/pool.ts'
import {hostNames} from '../validate/names.ts'
import type {Emit} from './events.ts'
import {silent} from './events.ts'

/** What the command line says about reaching hosts (remote flags). */
export interface ReachOptions {
  parallel?: number
  sshConfigFile?: string
  acceptNewHostKeys?: boolean
  connectTimeoutMs?: number
  commandTimeoutMs?: number
}

/** Everything a cluster operation needs: the configuration, the hosts, where progress goes. */
export interface Session {
  conf: ClusterConf
  pool: HostPool
  parallel: number | undefined
  emit: Emit
}

/**
 * env.ssh.opts is what Flink passes to ssh; flinkctl reads the same options (-F, -i, -p, -l,
 * -J, -o) so a cluster Flink's scripts reach is reached the same way. Flags win over it.
 */
export function remoteOptions(conf: ClusterConf, reach: ReachOptions): RemoteOptions {
  const fromConf = remoteOptionsFromSshOpts(getValue(conf, 'env.ssh.opts')?.value ?? '')
  const opts: RemoteOptions = {...fromConf}
  if (reach.sshConfigFile) opts.sshConfigFile = reach.sshConfigFile
  else if (!opts.sshConfigFile && process.env.FLINKCTL_SSH_CONFIG) opts.sshConfigFile = process.env.FLINKCTL_SSH_CONFIG
  if (reach.acceptNewHostKeys) opts.acceptNewHostKeys = true
  if (reach.connectTimeoutMs !== undefined) opts.connectTimeoutMs = reach.connectTimeoutMs
  if (reach.commandTimeoutMs !== undefined) opts.commandTimeoutMs = reach.commandTimeoutMs
  if (reach.parallel !== undefined) opts.parallel = reach.parallel
  return opts
}

/**
 * Every command that reaches hosts refuses a conf whose host or user names a shell would read
 * as code, before it touches any host, pointing at the file and line as `validate` does.
 */
export function assertSafeHostNames(conf: ClusterConf): void {
  const bad = hostNames.check({conf, catalog: undefined, yarnSite: undefined, others: []})
  if (bad.length === 0) return
  const f = bad[0]!
  const at = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}${f.col ? `:${f.col}` : ''}: ` : ''
  throw new ConfigError(`${at}${f.message}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}; nothing was touched`, {
    code: 'HOST_NAME', hint: `${f.hint} (flinkctl validate lists every one)`,
  })
}

export function openSession(conf: ClusterConf, reach: ReachOptions = {}, emit: Emit = silent): Session {
  assertSafeHostNames(conf)
  return {conf, pool: new HostPool(remoteOptions(conf, reach)), parallel: reach.parallel, emit}
}

/** Runs fn with a session and always closes its connections. */
export async function withSession<T>(conf: ClusterConf, reach: ReachOptions, emit: Emit, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = openSession(conf, reach, emit)
  try {
    return await fn(session)
  } finally {
    // what the SSH layer decided on its own (keys recorded on first use, keys skipped)
    for (const note of session.pool.notes()) emit({level: 'warn', message: note})
    await session.pool.close()
  }
}

/** Unique host names, in first-seen order. */
export const uniqueHosts = (names: Iterable<string>): string[] => [...new Set(names)]
