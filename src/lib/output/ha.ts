// Rendering of `ha status`, `ha status --watch` and `drill`.
import type {DrillReport, RoundResult} from '../drill/types.ts'
import type {HaChange} from '../ha/watch.ts'
import type {HaStatusReport} from '../ha/status.ts'
import {ExitCode, OutcomeError} from '../errors.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

const time = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'))
const ago = (ms: number | undefined, now = Date.now()) => {
  if (ms === undefined) return ''
  const s = Math.max(0, Math.round((now - ms) / 1000))
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`
}
const sec = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)}s`)

export function renderHaStatus(r: HaStatusReport, s: Style): string {
  const lines: string[] = []
  const l = r.leader
  lines.push(`cluster    ${r.base} (ZooKeeper ${r.zookeeper.connect}${r.zookeeper.ok ? '' : `: ${s.red(r.zookeeper.error ?? 'unreachable')}`})`)
  if (l) {
    lines.push(`leader     ${s.green(l.label ?? '?')}  ${l.restUrl ?? ''}  session ${l.sessionId ?? '-'}  since ${time(l.since)} (${ago(l.since)})`)
    if (l.rpcAddress) lines.push(`           rpc ${l.rpcAddress}`)
    lines.push(`REST       ${l.restAnswers ? `the leader answers: ${l.taskmanagers} TaskManagers, ${l.jobsRunning} jobs running` : s.red(l.restError ?? 'no answer')}`)
  } else {
    lines.push(`leader     ${s.red('none published')}`)
  }
  lines.push(`standbys   ${r.standbys.length ? r.standbys.map((m) => m.label).join(', ') : s.yellow('none')}${r.down.length ? `; ${s.red(`down: ${r.down.map((m) => m.label).join(', ')}`)}` : ''}`)
  if (r.state) lines.push(`latch      ${r.state.contenders.length} contender${r.state.contenders.length === 1 ? '' : 's'}${r.state.consistent === false ? s.yellow(' (leadership changing hands)') : ''}`)
  const q = r.quorum
  lines.push(`quorum     ${q.healthy ? s.green('healthy') : s.red('unhealthy')} ${q.serving}/${q.total} serving`)
  if (q.peers.length) {
    lines.push(table(['PEER', 'HOST', 'PORT', 'MODE'], q.peers.map((p) => [`server.${p.id}`, p.host, String(p.port), p.ok ? (p.mode === 'leader' ? s.green('leader') : p.mode ?? 'serving') : s.red(p.error ?? 'down')]), s).replace(/^/gm, '           '))
  }
  if (r.jobs.length) {
    lines.push('jobs')
    lines.push(table(['JOB', 'STATE', 'STORED', 'LAST CHECKPOINT', 'COUNTER', 'RETAINED'], r.jobs.map((j) => [
      j.jobId, j.state ?? '-', j.stored ? 'yes' : 'no', j.lastCompleted === undefined ? '-' : String(j.lastCompleted),
      j.checkpointCounter === undefined ? '-' : String(j.checkpointCounter), j.retainedCheckpoints.length ? j.retainedCheckpoints.join(',') : '-',
    ]), s).replace(/^/gm, '           '))
  } else {
    lines.push('jobs       none stored')
  }
  for (const p of r.problems) lines.push(s.yellow(`! ${p}`))
  return lines.join('\n')
}

export function renderHaChange(c: HaChange, s: Style): string {
  const stamp = new Date(c.at).toISOString()
  if (c.changes.length === 0) {
    const l = c.state.leader
    return `${stamp} ${l?.restUrl ? `leader ${s.green(l.restUrl)} (session ${l.sessionId?.slice(0, 8)})` : s.red('no leader')}, ${c.state.contenders.length} contenders, ${c.state.jobs.length} jobs`
  }
  return c.changes.map((t) => `${stamp} ${t}`).join('\n')
}

/** The JSON line --watch prints per change (NDJSON). */
export const haChangeJson = (c: HaChange) => ({at: c.at, notifiedAt: c.notifiedAt, changes: c.changes, kinds: c.kinds, state: c.state})

export function renderRound(r: RoundResult, s: Style): string {
  const lines = [r.partition
    ? `round ${r.round}: partition ${r.partition.host} (${r.target.label}, pid ${r.target.pid}) from ${r.partition.peers.join(', ')} at ${time(r.faultAt)}, healed at ${time(r.partition.healedAt)}`
    : `round ${r.round}: ${r.fault} ${r.target.label} (pid ${r.target.pid}) at ${time(r.faultAt)}`]
  for (const p of r.phases) lines.push(`  +${sec(p.ms).padStart(8)}  ${p.name.padEnd(15)} ${p.detail ?? ''}`)
  if (r.timedOut) lines.push(s.red('  timed out waiting for the next phase'))
  for (const c of r.checks) lines.push(`  ${c.ok ? s.green('ok  ') : s.red('FAIL')} ${c.name}: ${c.detail}`)
  for (const e of r.explanation) lines.push(`  ${s.dim('why')} ${e}`)
  if (r.verify) {
    const v = r.verify
    const bad = (n: number) => (n === 0 ? String(n) : s.red(String(n)))
    lines.push(`  checker  emitted +${v.emitted} (${v.before.emitted} → ${v.after?.emitted ?? '?'})  lost ${bad(v.after?.lost ?? v.lost)}  doubled ${bad(v.after?.doubled ?? v.doubled)}  reordered ${v.reordered}  keys ${v.keys}  generation ${v.before.generation} → ${v.after?.generation ?? '?'}`)
  }
  if (r.partition?.serving.length) {
    const hms = (ms: number) => new Date(ms).toISOString().slice(11, 23)
    lines.push(`  leaders  ${r.partition.serving.map((x) => `${x.label} ${hms(x.from)}–${hms(x.to)}`).join(', ')} UTC${r.partition.overlaps.length ? s.red(` OVERLAP ${r.partition.overlaps.length}`) : ''}`)
  }
  const budget = r.withinBudget === undefined ? '' : r.withinBudget ? ' (within budget)' : s.red(' (over budget)')
  lines.push(`  recovery ${r.recoveryMs === undefined ? s.red('incomplete') : sec(r.recoveryMs)}${budget}`)
  return lines.join('\n')
}

export function renderDrill(r: DrillReport, s: Style): string {
  const parts = r.rounds.map((x) => renderRound(x, s))
  if (r.summary.length) {
    parts.push(table(['PHASE', 'ROUNDS', 'MIN', 'MEDIAN', 'MAX'], r.summary.map((p) => [p.phase, String(p.rounds), sec(p.minMs), sec(p.medianMs), sec(p.maxMs)]), s))
  }
  parts.push(`ZooKeeper session timeout: ${sec(r.sessionTimeout.effectiveMs)}${r.sessionTimeout.clamp ? ` (${r.sessionTimeout.clamp})` : ''}`)
  parts.push(r.ok ? s.green(`drill passed: ${r.rounds.length} round${r.rounds.length === 1 ? '' : 's'}`) : s.red(`drill failed${r.interrupted ? ' (interrupted)' : ''}`))
  return parts.join('\n\n')
}

/** A degraded/failed HA status or a failed drill as an error that still carries the whole report. */
export function haFailure(what: string, exit: number, problems: readonly string[], result: unknown, hint: string): OutcomeError | undefined {
  if (exit === ExitCode.Ok) return undefined
  const code = exit === ExitCode.Timeout ? 'TIMEOUT' : exit === ExitCode.PartialFailure ? 'DEGRADED' : exit === ExitCode.OverBudget ? 'OVER_BUDGET' : exit === ExitCode.CheckFailed ? 'CHECK_FAILED' : 'FAILED'
  return new OutcomeError(`${what}: ${problems[0] ?? code.toLowerCase().replace('_', ' ')}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {code, exit: exit as never, hint, result})
}
