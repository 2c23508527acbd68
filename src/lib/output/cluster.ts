import type {Emit} from '../cluster/events.ts'
import type {ReadyReport, StartReport, StatusReport, StopReport} from '../cluster/ops.ts'
import type {HostProblem} from '../cluster/results.ts'
import {ExitCode, OutcomeError} from '../errors.ts'
import {planJson} from './plans.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

/** Progress on stderr, one line per event, prefixed by its host. */
export function stderrEmitter(s: Style): Emit {
  return (e) => {
    const tag = e.host ? `${s.cyan(`[${e.host}]`)} ` : ''
    const text = e.level === 'error' ? s.red(e.message) : e.level === 'warn' ? s.yellow(e.message) : e.message
    process.stderr.write(`${tag}${text}\n`)
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export function renderReady(r: ReadyReport, s: Style): string {
  if (!r.waited) return s.dim('not waited for readiness (--no-wait)')
  const parts: string[] = []
  if (r.quorum) parts.push(`quorum ${r.quorum.serving}/${r.quorum.total} serving${r.quorum.leader !== undefined ? `, leader server.${r.quorum.leader} (${r.quorum.peers.find((p) => p.id === r.quorum!.leader)?.host})` : ''}`)
  if (r.leader) parts.push(`leader ${r.leader.host} (${r.leader.restUrl})${r.standbys?.length ? `, standby ${r.standbys.join(', ')}` : ''}`)
  if (r.taskmanagers) parts.push(`${r.taskmanagers.registered}/${r.taskmanagers.expected} TaskManagers, ${r.taskmanagers.slotsTotal} slots`)
  const head = r.ok ? s.green(`ready after ${secs(r.waitedMs)}`) : s.red(`not ready after ${secs(r.waitedMs)}`)
  const missing = r.missing.map((m) => `  ${s.yellow('missing')} ${m.host}: ${m.reason}`)
  return [`${head}: ${parts.join('; ')}`, ...missing].join('\n')
}

/** Per host and daemon what a start did; then readiness, for the commands that wait. */
export function renderStart(r: Pick<StartReport, 'daemons'> & {ready?: ReadyReport}, s: Style): string {
  const rows = r.daemons.map((d) => [
    d.host,
    d.daemon,
    d.error ? s.red(`failed: ${d.error.code}`) : [
      d.started.length ? s.green(`started ${d.started.map((x) => x.pid).join(', ')}`) : '',
      d.already.length ? `already running ${d.already.map((x) => x.pid).join(', ')}` : '',
      d.died.length ? s.red(`died ${d.died.length}`) : '',
    ].filter(Boolean).join('; '),
  ])
  const head = table(['HOST', 'DAEMON', 'RESULT'], rows, s)
  return r.ready ? [head, '', renderReady(r.ready, s)].join('\n') : head
}

export function renderStop(r: StopReport, s: Style): string {
  const rows = r.daemons.map((d) => [
    d.host,
    d.daemon,
    d.error ? s.red(`failed: ${d.error.code}`) : [
      d.stopped.length ? `stopped ${d.stopped.map((x) => `${x.pid}${x.signal === 'KILL' ? ' (KILL)' : ''}`).join(', ')}` : 'none running',
      d.stale.length ? `stale ${d.stale.join(', ')}` : '',
      d.foreign.length ? s.yellow(`left alone (pid reused) ${d.foreign.join(', ')}`) : '',
      d.failed.length ? s.red(`still running ${d.failed.join(', ')}`) : '',
    ].filter(Boolean).join('; '),
  ])
  return table(['HOST', 'DAEMON', 'RESULT'], rows, s)
}

const uptime = (sec: number | undefined): string => {
  if (sec === undefined) return '-'
  if (sec < 120) return `${sec}s`
  if (sec < 7200) return `${Math.floor(sec / 60)}m`
  if (sec < 172800) return `${Math.floor(sec / 3600)}h`
  return `${Math.floor(sec / 86400)}d`
}

export function renderStatus(r: StatusReport, s: Style): string {
  const leader = r.jobmanager.leader?.host
  const rows: string[][] = []
  for (const h of r.hosts) {
    if (!h.reachable) {
      rows.push([h.host, '-', '-', s.red(`unreachable: ${h.error?.code ?? ''}`), '-', h.error?.message ?? ''])
      continue
    }
    if (h.daemons.length === 0) rows.push([h.host, '-', '-', s.dim('nothing running'), '-', ''])
    for (const d of h.daemons) {
      for (const i of d.instances) {
        const role = d.daemon === 'standalonesession' && i.state === 'running' ? (leader === h.host ? s.green('leader') : r.jobmanager.standbys.includes(h.host) ? 'standby' : leader?.startsWith(`${h.host}:`) ? `leader is ${leader}` : '') :
          // several peers on one host cannot be told apart by pid here; the ZooKeeper line below names each
          d.daemon === 'zookeeper' && i.state === 'running' && r.quorum?.peers.filter((p) => p.host === h.host).length === 1 ? r.quorum.peers.find((p) => p.host === h.host)?.mode ?? '' : ''
        const state = i.state === 'running' ? s.green('running') : i.state === 'stale' ? s.yellow('stale pid') : s.yellow('pid reused')
        rows.push([h.host, d.daemon, String(i.pid), state, uptime(i.uptimeSeconds), role])
      }
      for (const u of d.unrecorded) rows.push([h.host, d.daemon, String(u.pid), s.yellow('unrecorded'), uptime(u.uptimeSeconds), 'not in the pid file'])
    }
  }
  const lines = [table(['HOST', 'DAEMON', 'PID', 'STATE', 'UPTIME', 'ROLE'], rows, s), '']
  const jm = r.jobmanager
  lines.push(`JobManager: ${jm.leader ? `leader ${jm.leader.host} (${jm.leader.restUrl})` : s.red('no leader')}${jm.standbys.length ? `, standby ${jm.standbys.join(', ')}` : ''}`)
  lines.push(`REST: ${jm.rest.ok ? `${jm.rest.url} answers` : s.red(`${jm.rest.url ?? '-'}: ${jm.rest.error ?? 'no answer'}`)}`)
  if (r.taskmanagers) lines.push(`TaskManagers: ${r.taskmanagers.registered}/${r.taskmanagers.expected} registered, ${r.taskmanagers.slotsAvailable}/${r.taskmanagers.slotsTotal} slots free`)
  if (r.quorum) {
    const peers = r.quorum.peers.map((p) => `server.${p.id} ${p.host}:${p.port} ${p.ok ? p.mode ?? 'serving' : s.red(p.error ?? 'down')}`).join(', ')
    lines.push(`ZooKeeper: ${r.quorum.healthy ? s.green('healthy') : s.red('unhealthy')} (${r.quorum.serving}/${r.quorum.total} serving): ${peers}`)
  }
  return lines.join('\n')
}

/** --json shape of a start: plans rendered like `--dry-run` elsewhere. */
export const startJson = (r: StartReport) => ({...r, plans: r.plans?.map(planJson)})

/** Turns a partial or failed outcome into the error that carries it (exit 4, 5 or 6). */
export function outcomeFailure(what: string, exit: number, problems: readonly HostProblem[], result: unknown, ready?: ReadyReport): OutcomeError | undefined {
  if (exit === ExitCode.Ok) return undefined
  const hosts = [...new Set(problems.map((p) => p.host))]
  const first = problems[0]
  const message = exit === ExitCode.Timeout
    ? `${what}: not ready before the timeout${ready?.missing.length ? ` (missing: ${ready.missing.map((m) => `${m.host}: ${m.reason}`).join('; ')})` : ''}`
    : `${what}: ${problems.length} problem(s) on ${hosts.join(', ')}${first ? ` — ${first.host}: ${first.message}` : ''}`
  const hint = exit === ExitCode.Timeout ? 'what started keeps running; check `flinkctl status` and `flinkctl logs`, or raise --timeout'
    : `${first?.hint ? `${first.hint}; ` : ''}what started on the other hosts keeps running (see \`flinkctl status\`)`
  const code = exit === ExitCode.Timeout ? 'NOT_READY' : exit === ExitCode.PartialFailure ? 'PARTIAL_FAILURE' : 'FAILED'
  return new OutcomeError(message, {code, exit: exit as never, hint, result})
}
