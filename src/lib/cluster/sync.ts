import {ExitCode, UsageError, type ExitCodeValue} from '../errors.ts'
import {flinkPaths, type DaemonType} from '../launch/plan.ts'
import {refuseInvalid} from './guard.ts'
import {listLogs, followLogs, tailLogs, type LogFile} from './logs.ts'
import {jobManagerHosts, taskManagerHosts, zooKeeperHosts} from './ops.ts'
import {diffConfWith, pushConfTo, type DiffHostResult, type PushHostResult} from './push-adapter.ts'
import type {OutcomeError} from './results.ts'
import {uniqueHosts, type Session} from './session.ts'

/** Every host the conf names: masters (or this machine), workers and ZooKeeper servers. */
export function confHosts(session: Session, only?: readonly string[]): string[] {
  const all = uniqueHosts([...jobManagerHosts(session.conf), ...taskManagerHosts(session.conf), ...zooKeeperHosts(session.conf)])
  if (!only?.length) return all
  const unknown = only.filter((h) => !all.includes(h))
  if (unknown.length) throw new UsageError(`${unknown.join(', ')} is not a host of this configuration`, `hosts of ${session.conf.confDir}: ${all.join(', ')}`)
  return [...only]
}

const exitFor = (failed: number, total: number): ExitCodeValue => (failed === 0 ? ExitCode.Ok : failed === total ? ExitCode.Failed : ExitCode.PartialFailure)

export interface PushReport {
  confDir: string
  dryRun: boolean
  hosts: PushHostResult[]
  exit: ExitCodeValue
}

/** config push: validate, then copy the conf dir to every host (changed files only, atomically). */
export async function pushConfig(session: Session, opts: {hosts?: readonly string[]; dryRun?: boolean} = {}): Promise<PushReport> {
  refuseInvalid(session.conf)
  const hosts = await pushConfTo(session, confHosts(session, opts.hosts), {dryRun: opts.dryRun})
  for (const h of hosts) {
    if (!h.ok) session.emit({level: 'error', host: h.host, message: h.error?.message ?? 'failed'})
    else if (h.skipped) session.emit({level: 'info', host: h.host, message: 'is this conf dir itself: skipped'})
  }
  return {confDir: session.conf.confDir, dryRun: Boolean(opts.dryRun), hosts, exit: exitFor(hosts.filter((h) => !h.ok).length, hosts.length)}
}

export interface DiffReport {
  confDir: string
  hosts: DiffHostResult[]
  /** Hosts whose copy differs from the bastion's. */
  differing: string[]
  exit: ExitCodeValue
}

/** config diff: exit 0 when every host has the bastion's copy, 7 when some differ, 4/6 when unreachable. */
export async function diffConfig(session: Session, opts: {hosts?: readonly string[]} = {}): Promise<DiffReport> {
  const hosts = await diffConfWith(session, confHosts(session, opts.hosts))
  const differing = hosts.filter((h) => h.ok && ((h.differs?.length ?? 0) > 0 || (h.missingRemote?.length ?? 0) > 0)).map((h) => h.host)
  const failed = hosts.filter((h) => !h.ok).length
  const exit = failed > 0 ? exitFor(failed, hosts.length) : differing.length > 0 ? ExitCode.CheckFailed : ExitCode.Ok
  return {confDir: session.conf.confDir, hosts, differing, exit}
}

export interface LogsRequest {
  hosts?: readonly string[]
  daemons?: readonly DaemonType[]
  lines: number
  /** Also .out files (default: only .log). */
  out?: boolean
  user?: string
}

export interface HostLogs {
  host: string
  ok: boolean
  error?: OutcomeError
  files: Array<{file: LogFile; lines: string[]; error?: string}>
}

function logDirOf(session: Session, local: boolean): string {
  return flinkPaths(session.conf, local ? process.env : {}).logDir
}

async function filesOn(session: Session, name: string, req: LogsRequest): Promise<LogFile[]> {
  const host = session.pool.get(name)
  const files = await listLogs(host, {logDir: logDirOf(session, host.local), ident: req.user, daemons: req.daemons})
  // a log dir shared by several machines holds their files too: each host shows its own
  return files.filter((f) => f.thisHost && (f.kind === 'log' || Boolean(req.out)))
}

/** logs: the last N lines of every daemon log on every host (one round trip per host for the list, one for the text). */
export async function collectLogs(session: Session, req: LogsRequest): Promise<{hosts: HostLogs[]; exit: ExitCodeValue}> {
  const names = confHosts(session, req.hosts)
  const outcomes = await session.pool.forEach(names, async (host) => {
    const files = await filesOn(session, host.name, req)
    return tailLogs(host, files, {lines: req.lines})
  }, {parallel: session.parallel})
  const hosts = outcomes.map((o) => o.ok ? {host: o.host, ok: true, files: o.value!} : {host: o.host, ok: false, error: o.error, files: []})
  return {hosts, exit: exitFor(hosts.filter((h) => !h.ok).length, hosts.length)}
}

/** logs -f: follows every matching log on every host until the signal aborts. */
export async function followAllLogs(session: Session, req: LogsRequest, signal: AbortSignal, onLine: (host: string, file: LogFile, line: string) => void): Promise<{exit: ExitCodeValue}> {
  const names = confHosts(session, req.hosts)
  const outcomes = await session.pool.forEach(names, async (host) => {
    const files = await filesOn(session, host.name, req)
    if (files.length === 0) {
      session.emit({level: 'warn', host: host.name, message: 'no daemon logs to follow'})
      return
    }
    await followLogs(host, files, {lines: req.lines, signal, onLine, onNotice: (h, m) => session.emit({level: 'warn', host: h, message: m})})
  }, {parallel: Math.max(names.length, 1)})
  for (const o of outcomes) if (!o.ok) session.emit({level: 'error', host: o.host, message: o.error!.message})
  return {exit: exitFor(outcomes.filter((o) => !o.ok).length, outcomes.length)}
}
