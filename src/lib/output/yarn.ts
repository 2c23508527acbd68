import type {ListReport, SessionView, StartReport, StatusReport, StopReport} from '../yarn/index.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)
const when = (ms: number | undefined) => (ms ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z` : '-')

export function colourAppState(state: string, s: Style): string {
  if (state === 'RUNNING' || state === 'FINISHED') return s.green(state)
  if (state === 'FAILED' || state === 'KILLED') return s.red(state)
  return s.yellow(state)
}

/** FLINKCTL's argv convention for yarn-session.sh's two-letter options: -jm → --jobManagerMemory, and so on. */
export const YARN_SESSION_SHORT: Readonly<Record<string, string>> = {
  '-jm': '--jobManagerMemory', '-tm': '--taskManagerMemory', '-nm': '--name', '-qu': '--queue', '-id': '--applicationId',
  '-yd': '--detached', '--yarndetached': '--detached',
}

/** Rewrites yarn-session.sh's multi-letter short options so the flag parser reads them as the long ones. */
export function rewriteYarnSessionArgv(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') { out.push(...argv.slice(i)); break }
    const eq = a.indexOf('=')
    const head = eq > 0 ? a.slice(0, eq) : a
    const long = YARN_SESSION_SHORT[head]
    out.push(long ? `${long}${eq > 0 ? a.slice(eq) : ''}` : a)
  }
  return out
}

export function renderStart(r: StartReport, s: Style): string {
  if (!r.detached) return `${r.appId || 'the session'}: Flink's client ended (exit ${r.clientExit}); ${colourAppState(r.state, s)}`
  const o = r.overview
  return [
    `${s.bold(r.appId)} ${colourAppState(r.state, s)}  session '${r.name}' after ${secs(r.elapsedMs)}`,
    `  JobManager  ${r.restUrl ?? '-'}${o ? `  (Flink ${o['flink-version'] ?? '?'}, ${o.taskmanagers} TaskManagers, ${o['slots-available']}/${o['slots-total']} slots free)` : ''}`,
    `  web UI      ${r.trackingUrl ?? '-'}`,
    `  tags        ${r.tags.join(', ')}`,
    `  client log  ${r.logFile}`,
    `  stop with   flinkctl yarn-session stop ${r.appId}`,
  ].join('\n')
}

export function renderSessions(r: ListReport, s: Style): string {
  if (r.sessions.length === 0) return s.dim(`no flinkctl sessions on ${r.rmUrl}`)
  const rows = r.sessions.map((x: SessionView) => [x.appId, x.name ?? '-', colourAppState(x.state, s), x.finalStatus ?? '-', x.queue ?? '-', when(x.startedTime), x.trackingUrl ?? '-'])
  return table(['APPLICATION', 'NAME', 'STATE', 'FINAL', 'QUEUE', 'STARTED', 'WEB UI'], rows, s)
}

export function renderStatus(r: StatusReport, s: Style): string {
  const o = r.overview
  const lines = [
    `${s.bold(r.appId)} ${colourAppState(r.state, s)}${r.finalStatus && r.finalStatus !== 'UNDEFINED' ? `/${r.finalStatus}` : ''}  session '${r.name ?? '-'}'${r.startedByFlinkctl ? '' : s.yellow(' (not started by flinkctl)')}`,
    `  started     ${when(r.startedTime)}${r.finishedTime ? `, ended ${when(r.finishedTime)}` : ''}`,
    `  attempts    ${r.attemptList.length}${r.attemptList.length ? ` (latest ${r.attemptList.at(-1)!.appAttemptState ?? '?'} on ${r.attemptList.at(-1)!.nodeId ?? '?'})` : ''}`,
    `  JobManager  ${r.restUrl ?? s.dim('not answering')}${o ? `  (${o.taskmanagers} TaskManagers, ${o['slots-available']}/${o['slots-total']} slots free, ${o['jobs-running']} jobs running)` : ''}`,
    `  HA id       ${r.haClusterId ?? '-'}`,
    `  containers  ${r.runningContainers ?? '-'}`,
  ]
  for (const j of r.jobs ?? []) lines.push(`  job         ${j.jid} ${colourAppState(j.state, s)} ${j.name}`)
  if (r.diagnostics) lines.push(`  diagnostics ${r.diagnostics.split('\n')[0]}`)
  return lines.join('\n')
}

export function renderStop(r: StopReport, s: Style): string {
  const how = r.method === 'rest' ? 'shut down by Flink (DELETE /cluster)' : r.method === 'yarn-kill' ? `killed by YARN (${r.restProblem})` : 'had already ended'
  return `${r.appId}${r.name ? ` (${r.name})` : ''} ${colourAppState(r.state, s)}${r.finalStatus ? `/${r.finalStatus}` : ''}: ${how} after ${secs(r.elapsedMs)}; ${r.runningContainers ?? 0} containers left`
}
