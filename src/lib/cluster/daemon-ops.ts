import {ExitCode, UsageError, type ExitCodeValue} from '../errors.ts'
import type {DaemonType, LaunchPlan} from '../launch/plan.ts'
import {runForegroundPlan, stateOfHost, stopOnHost} from './daemon-adapter.ts'
import {refuseInvalid} from './guard.ts'
import {exitOf, notWaited, pidFileOf, problemsOf, pushStep, startStep} from './ops.ts'
import {daemonPlans} from './plans.ts'
import type {PushHostResult} from './push-adapter.ts'
import type {DaemonStart, DaemonState, DaemonStop, HostProblem} from './results.ts'
import type {Session} from './session.ts'

export type DaemonAction = 'start' | 'start-foreground' | 'stop' | 'stop-all' | 'status'

export interface DaemonRequest {
  daemon: DaemonType
  host?: string
  webuiPort?: number
  peerId?: number
  /** TaskManagers wanted on the host (start is idempotent up to this many). */
  count?: number
  push: boolean
  dryRun?: boolean
  user?: string
  userArgs?: readonly string[]
  graceMs?: number
  verifyMs?: number
}

export interface DaemonStartReport {
  dryRun: boolean
  plans: LaunchPlan[]
  pushed: PushHostResult[]
  daemons: DaemonStart[]
  failedHosts: HostProblem[]
  exit: ExitCodeValue
}

function plansOf(session: Session, req: DaemonRequest, foreground = false): LaunchPlan[] {
  return daemonPlans(session.conf, req.daemon, {
    host: req.host, webuiPort: req.webuiPort, peerId: req.peerId, count: req.count, foreground,
    user: req.user, userArgs: req.userArgs, userOf: (h) => session.pool.get(h).user,
  })
}

/** `<daemon> start`: push the conf, start what is missing on the host, check it stayed up. */
export async function startDaemon(session: Session, req: DaemonRequest): Promise<DaemonStartReport> {
  refuseInvalid(session.conf)
  const plans = plansOf(session, req)
  if (req.dryRun) return {dryRun: true, plans, pushed: [], daemons: [], failedHosts: [], exit: ExitCode.Ok}
  const {pushed, failed} = await pushStep(session, [...new Set(plans.map((p) => p.host))], req.push)
  const daemons = await startStep(session, plans, new Set(failed.map((f) => f.host)), req.verifyMs)
  const failedHosts = [...failed, ...problemsOf(daemons)]
  const exit = exitOf(failedHosts, notWaited, daemons.some((d) => d.ok))
  return {dryRun: false, plans, pushed, daemons, failedHosts, exit}
}

/** `<daemon> start-foreground`: this machine only; returns the JVM's exit status. */
export async function startDaemonForeground(session: Session, req: DaemonRequest): Promise<number> {
  refuseInvalid(session.conf)
  const [plan, ...more] = plansOf(session, req, true)
  if (!plan || more.length > 0) throw new UsageError('start-foreground runs exactly one daemon', 'drop --count, or start the others in the background')
  if (!session.pool.get(plan.host).local) {
    throw new UsageError(`start-foreground runs on this machine only, not on ${plan.host}`, 'run it on that host (e.g. under its supervisor), or use `start --host` to start it in the background')
  }
  if (req.dryRun) return 0
  return runForegroundPlan(plan)
}

/** Where a daemon command acts: --host, the peer's server.N host, else this machine. */
function hostOf(session: Session, req: DaemonRequest): string {
  if (req.host) return req.host
  if (req.daemon === 'zookeeper' && req.peerId !== undefined) {
    const s = session.conf.zoo?.servers.find((x) => x.id === req.peerId)
    if (!s) throw new UsageError(`zoo.cfg has no server.${req.peerId}`, 'pass the N of a server.N line')
    return s.host
  }
  return 'localhost'
}

/** `<daemon> stop` (newest instance) or `stop-all` (every instance) on one host. */
export async function stopDaemon(session: Session, req: DaemonRequest, all: boolean): Promise<DaemonStop> {
  const name = hostOf(session, req)
  const host = session.pool.get(name)
  const pidFile = pidFileOf(session.conf, req.daemon, req.user ?? host.user, host.local ? process.env : {})
  return stopOnHost(host, req.daemon, pidFile, {all, graceMs: req.graceMs})
}

export async function daemonState(session: Session, req: DaemonRequest): Promise<{host: string; state: DaemonState}> {
  const name = hostOf(session, req)
  const host = session.pool.get(name)
  const pidFile = pidFileOf(session.conf, req.daemon, req.user ?? host.user, host.local ? process.env : {})
  const [state] = await stateOfHost(host, [{daemon: req.daemon, pidFile}])
  return {host: name, state: state!}
}
