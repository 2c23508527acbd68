import {daemonStatus, runForeground, startDaemons, stopDaemons} from '../daemon/index.ts'
import type {DaemonType, LaunchPlan} from '../launch/plan.ts'
import type {Host} from '../remote/host.ts'
import {redactLogLine} from './logs.ts'
import type {DaemonStart, DaemonState, DaemonStop} from './results.ts'

// Maps the daemon library's per-host results onto the shapes the cluster commands report.

/** A .out tail with secrets masked, as every report shows it. */
export const redactTail = (text: string | undefined) => (text ?? '').split('\n').map(redactLogLine).join('\n').trim()

export async function startOnHost(host: Host, plans: readonly LaunchPlan[], opts: {verifyMs?: number} = {}): Promise<DaemonStart> {
  const r = await startDaemons(host, plans, {verifyMs: opts.verifyMs})
  const out: DaemonStart = {host: host.name, daemon: plans[0]!.daemon as DaemonType, pidFile: r.pidFile, ok: r.ok, started: [], already: [], died: []}
  for (const i of r.instances) {
    if (i.status === 'already-running') out.already.push({pid: i.pid})
    else if (i.alive) out.started.push({pid: i.pid, index: i.index, logFile: i.logFile, outFile: i.outFile})
    else out.died.push({pid: i.pid, outFile: i.outFile, outTail: redactTail(i.outTail)})
  }
  out.ok = out.died.length === 0
  return out
}

export async function stopOnHost(host: Host, daemon: DaemonType, pidFile: string, opts: {all: boolean; graceMs?: number}): Promise<DaemonStop> {
  const r = await stopDaemons(host, {daemon, pidFile, all: opts.all, graceMs: opts.graceMs})
  const out: DaemonStop = {host: host.name, daemon, ok: r.ok, stopped: [], stale: [], foreign: [], failed: []}
  for (const o of r.outcomes) {
    if (o.result === 'stopped') out.stopped.push({pid: o.pid, signal: o.signal, waitedMs: o.waitedMs})
    else if (o.result === 'failed') out.failed.push(o.pid)
    else if (o.state === 'foreign' && o.pid !== undefined) out.foreign.push(o.pid)
    else if (o.pid !== undefined) out.stale.push(o.pid)
  }
  return out
}

export async function stateOfHost(host: Host, specs: ReadonlyArray<{daemon: DaemonType; pidFile: string}>): Promise<DaemonState[]> {
  const r = await daemonStatus(host, specs)
  return r.map((s) => ({
    daemon: s.daemon as DaemonType,
    pidFile: s.pidFile,
    instances: s.entries.filter((e) => e.pid !== undefined && e.state !== 'invalid').map((e) => ({pid: e.pid!, index: e.line - 1, state: e.state as 'running' | 'stale' | 'foreign', uptimeSeconds: e.uptimeSeconds})),
    unrecorded: s.unrecorded.map((u) => ({pid: u.pid, uptimeSeconds: u.uptimeSeconds})),
  }))
}

export const runForegroundPlan = (plan: LaunchPlan): Promise<number> => runForeground(plan)
