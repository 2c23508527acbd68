import {isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ExitCode, type ExitCodeValue} from '../errors.ts'
import {checkedIdent, flinkPaths, type DaemonType, type LaunchPlan} from '../launch/plan.ts'
import {fanOut} from '../remote/fan-out.ts'
import {redactTail, startOnHost, stateOfHost, stopOnHost} from './daemon-adapter.ts'
import {refuseInvalid} from './guard.ts'
import {jobManagerPlans, taskManagerPlans, zooKeeperPlans, type PlanRequest} from './plans.ts'
import {probeJobManagers, probeQuorum, ZkSessionCache, type JobManagerView, type QuorumView, type TaskManagerView} from './probes.ts'
import {pushConfTo, type PushHostResult} from './push-adapter.ts'
import type {DaemonStart, DaemonStop, HostProblem, HostState} from './results.ts'
import {uniqueHosts, type Session} from './session.ts'

export interface StartOptions {
  push: boolean
  wait: boolean
  timeoutMs: number
  dryRun?: boolean
  /** --user: FLINK_IDENT_STRING on every host. */
  user?: string
  userArgs?: readonly string[]
  /** Seconds to watch a launched JVM before calling it alive. */
  verifyMs?: number
}

export interface ReadyReport {
  waited: boolean
  ok: boolean
  timedOut: boolean
  waitedMs: number
  leader?: JobManagerView['leader']
  standbys?: string[]
  restUrl?: string
  taskmanagers?: TaskManagerView
  quorum?: QuorumView
  /** What is missing when not ready: hosts and why. */
  missing: Array<{host: string; reason: string}>
}

export interface StartReport {
  dryRun: boolean
  plans?: LaunchPlan[]
  pushed: PushHostResult[]
  daemons: DaemonStart[]
  ready: ReadyReport
  failedHosts: HostProblem[]
  exit: ExitCodeValue
}

export interface StopReport {
  daemons: DaemonStop[]
  failedHosts: HostProblem[]
  exit: ExitCodeValue
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function planRequestFor(session: Session, opts: Pick<StartOptions, 'user' | 'userArgs'>, extra: PlanRequest = {}): PlanRequest {
  return {...extra, user: opts.user, userArgs: opts.userArgs, userOf: (h) => session.pool.get(h).user}
}

/** The pid file of a daemon type on a host, as flink-daemon.sh names it there. */
export function pidFileOf(conf: ClusterConf, daemon: DaemonType, ident: string, env: Record<string, string | undefined> = {}): string {
  return `${flinkPaths(conf, env).pidDir}/flink-${checkedIdent(ident)}-${daemon}.pid`
}

const byHost = (plans: readonly LaunchPlan[]): Map<string, LaunchPlan[]> => {
  const m = new Map<string, LaunchPlan[]>()
  for (const p of plans) m.set(p.host, [...(m.get(p.host) ?? []), p])
  return m
}

/** The problems of a start: hosts that failed, daemons that died right after launch. */
export function problemsOf(daemons: readonly DaemonStart[]): HostProblem[] {
  const out: HostProblem[] = []
  for (const d of daemons) {
    if (d.error) out.push({host: d.host, daemon: d.daemon, code: d.error.code, message: d.error.message, hint: d.error.hint})
    for (const x of d.died) out.push({host: d.host, daemon: d.daemon, code: 'DAEMON_DIED', message: `${d.daemon}${x.pid ? ` (pid ${x.pid})` : ''} exited right after start on ${d.host}${x.outTail ? `:\n${x.outTail}` : ''}`, hint: x.outFile ? `see ${x.outFile} and the .log beside it on ${d.host}` : undefined})
  }
  return out
}

/** Pushes the conf dir to hosts; a host whose push failed is reported and skipped afterwards. */
export async function pushStep(session: Session, hosts: readonly string[], push: boolean): Promise<{pushed: PushHostResult[]; failed: HostProblem[]}> {
  if (!push || hosts.length === 0) return {pushed: [], failed: []}
  session.emit({level: 'info', message: `pushing ${session.conf.confDir} to ${hosts.length} host(s)`})
  const pushed = await pushConfTo(session, hosts)
  const failed: HostProblem[] = []
  for (const p of pushed) {
    if (!p.ok && p.error) {
      failed.push({host: p.host, code: p.error.code, message: p.error.message, hint: p.error.hint})
      session.emit({level: 'error', host: p.host, message: `push failed: ${p.error.message}`})
    } else if (p.updated.length + p.created.length > 0) {
      session.emit({level: 'info', host: p.host, message: `conf: ${[...p.created.map((f) => `+${f}`), ...p.updated.map((f) => `~${f}`)].join(' ')}`})
    }
  }
  return {pushed, failed}
}

/** Starts groups of plans per host in parallel; one outcome per host and daemon type. */
export async function startStep(session: Session, plans: readonly LaunchPlan[], skip: ReadonlySet<string>, verifyMs: number | undefined): Promise<DaemonStart[]> {
  const groups = byHost(plans)
  const hosts = [...groups.keys()].filter((h) => !skip.has(h))
  const outcomes = await session.pool.forEach(hosts, async (host) => {
    const h = host.name
    const list = groups.get(h)!
    const r = await startOnHost(host, list, {verifyMs})
    for (const s of r.started) session.emit({level: 'info', host: h, message: `started ${r.daemon} (pid ${s.pid}, log ${s.logFile})`})
    if (r.already.length) session.emit({level: 'info', host: h, message: `${r.already.length} ${r.daemon} already running (pid ${r.already.map((a) => a.pid).join(', ')})${r.started.length ? '' : '; nothing to start'}`})
    for (const d of r.died) session.emit({level: 'error', host: h, message: `${r.daemon} died right after start${d.outTail ? `: ${d.outTail.split('\n').at(-1)}` : ''}`})
    return r
  }, {parallel: session.parallel})
  return outcomes.map((o) => {
    const daemon = groups.get(o.host)![0]!.daemon as DaemonType
    if (o.ok) return o.value!
    session.emit({level: 'error', host: o.host, message: `${daemon}: ${o.error!.message}`})
    return {host: o.host, daemon, pidFile: groups.get(o.host)![0]!.paths.pidFile, ok: false, started: [], already: [], died: [], error: o.error}
  })
}

/** A row per host and daemon type that was not started because the push to its host failed. */
function notPushed(plans: readonly LaunchPlan[], pushed: readonly PushHostResult[]): DaemonStart[] {
  const rows: DaemonStart[] = []
  for (const [host, list] of byHost(plans)) {
    const p = pushed.find((x) => x.host === host && !x.ok)
    if (p?.error) rows.push({host, daemon: list[0]!.daemon as DaemonType, pidFile: list[0]!.paths.pidFile, ok: false, started: [], already: [], died: [], error: p.error})
  }
  return rows
}

export function exitOf(problems: readonly HostProblem[], ready: ReadyReport, anyOk: boolean): ExitCodeValue {
  if (ready.timedOut) return ExitCode.Timeout
  if (problems.length > 0) return anyOk ? ExitCode.PartialFailure : ExitCode.Failed
  return ExitCode.Ok
}

/** Re-checks started daemons; a pid that stopped running becomes a problem and no longer counts. */
async function watchStarted(session: Session, daemons: DaemonStart[]): Promise<void> {
  const live = daemons.filter((d) => d.started.length > 0)
  await fanOut(live.map((d) => `${d.host}\u0000${d.daemon}`), async (key) => {
    const [host, daemon] = key.split('\u0000') as [string, DaemonType]
    const d = live.find((x) => x.host === host && x.daemon === daemon)!
    const states = await stateOfHost(session.pool.get(host), [{daemon, pidFile: d.pidFile}])
    const running = new Set(states[0]?.instances.filter((i) => i.state === 'running').map((i) => i.pid))
    for (const s of [...d.started]) {
      if (running.has(s.pid)) continue
      d.started.splice(d.started.indexOf(s), 1)
      const tail = redactTail(await session.pool.get(host).run(['tail', '-n', '20', s.outFile]).then((r) => r.stdout).catch(() => ''))
      d.died.push({pid: s.pid, outFile: s.outFile, outTail: tail})
      d.ok = false
      session.emit({level: 'error', host, message: `${daemon} (pid ${s.pid}) exited while waiting${tail ? `: ${tail.split('\n').at(-1)}` : ''}`})
    }
  }, {parallel: session.parallel})
}

/** Waits until a JobManager leads, REST answers and the expected TaskManagers registered. */
async function waitForCluster(session: Session, daemons: DaemonStart[], expectedTms: number, timeoutMs: number): Promise<ReadyReport> {
  const zk = new ZkSessionCache(session)
  try {
    return await pollCluster(session, daemons, expectedTms, timeoutMs, zk)
  } finally {
    await zk.close()
  }
}

/** TaskManagers that can still register: the planned ones minus those that died or whose host failed. */
function stillExpected(session: Session, daemons: readonly DaemonStart[], planned: number): number {
  let gone = 0
  for (const d of daemons) {
    if (d.daemon !== 'taskexecutor') continue
    gone += d.died.length
    if (d.error) gone += session.conf.workers?.entries.filter((w) => w.host === d.host).length ?? 0
  }
  return planned - gone
}

async function pollCluster(session: Session, daemons: DaemonStart[], expectedTms: number, timeoutMs: number, zk: ZkSessionCache): Promise<ReadyReport> {
  const started = performance.now()
  const deadline = started + timeoutMs
  const ha = isZooKeeperHa(session.conf)
  let view: JobManagerView | undefined
  let lastWatch = performance.now()
  let said = ''
  for (;;) {
    const expected = stillExpected(session, daemons, expectedTms)
    view = await probeJobManagers(session, {timeoutMs: 2000, zk})
    const registered = view.taskmanagers?.registered ?? 0
    const leaderOk = !ha || view.leader !== undefined
    const note = !view.rest.ok ? `waiting for REST (${view.rest.leaderElection ? 'leader election' : view.rest.error ?? 'no answer'})` : !leaderOk ? 'waiting for a leader' : `${registered}/${expected} TaskManagers registered`
    if (note !== said) session.emit({level: 'info', message: note})
    said = note
    if (view.rest.ok && leaderOk && registered >= expected) {
      return {waited: true, ok: true, timedOut: false, waitedMs: Math.round(performance.now() - started), leader: view.leader, standbys: view.standbys, restUrl: view.rest.url,
        taskmanagers: view.taskmanagers && {...view.taskmanagers, expected}, missing: []}
    }
    if (performance.now() > deadline) break
    if (performance.now() - lastWatch > 3000) {
      await watchStarted(session, daemons)
      lastWatch = performance.now()
    }
    await sleep(250)
  }
  const missing: ReadyReport['missing'] = []
  if (!view.rest.ok) missing.push(...(view.rest.url ? [{host: new URL(view.rest.url).hostname, reason: `REST did not answer: ${view.rest.error}`}] : []))
  if (ha && !view.leader) missing.push({host: '(zookeeper)', reason: 'no JobManager leader published in ZooKeeper'})
  const want = new Map<string, number>()
  for (const w of session.conf.workers?.entries ?? []) want.set(w.host, (want.get(w.host) ?? 0) + 1)
  for (const [host, n] of want) {
    const have = view.registeredOn?.[host] ?? 0
    if (have < n) missing.push({host, reason: `${have} of ${n} TaskManager(s) registered`})
  }
  return {waited: true, ok: false, timedOut: true, waitedMs: Math.round(performance.now() - started), leader: view.leader, standbys: view.standbys, restUrl: view.rest.url, taskmanagers: view.taskmanagers, missing}
}

const missingPeers = (q: QuorumView, failedHosts: ReadonlySet<string>): ReadyReport['missing'] =>
  q.peers.filter((p) => !p.ok).map((p) => ({host: p.host, reason: `server.${p.id} on port ${p.port}: ${failedHosts.has(p.host) ? 'not started (its host failed)' : p.error ?? 'not serving'}`}))

/**
 * Waits until the started peers serve and one leads. Peers whose host failed are not waited
 * for: a majority of the others is a quorum; fewer than a majority can never be, so that is
 * reported at once instead of waiting out the timeout.
 */
async function waitForQuorum(session: Session, timeoutMs: number, failedHosts: ReadonlySet<string> = new Set()): Promise<ReadyReport> {
  const started = performance.now()
  const servers = session.conf.zoo?.servers ?? []
  const awaited = servers.filter((s) => !failedHosts.has(s.host)).length
  const hopeless = awaited < Math.floor(servers.length / 2) + 1
  let q: QuorumView
  let said = ''
  for (;;) {
    q = await probeQuorum(session, 2000)
    const note = `${q.serving}/${q.total} peers serving${q.leader !== undefined ? `, leader server.${q.leader}` : ', no leader yet'}`
    if (note !== said) session.emit({level: 'info', message: note})
    said = note
    // started peers are ready when each serves in a known role; a client session stands in for srvr only where srvr is disabled
    const settled = q.peers.every((p) => failedHosts.has(p.host) || (p.ok && (p.mode !== undefined || p.srvr === 'disabled')))
    if (q.healthy && settled) return {waited: true, ok: true, timedOut: false, waitedMs: Math.round(performance.now() - started), quorum: q, missing: missingPeers(q, failedHosts)}
    if (hopeless) return {waited: true, ok: false, timedOut: false, waitedMs: Math.round(performance.now() - started), quorum: q, missing: missingPeers(q, failedHosts)}
    if (performance.now() - started > timeoutMs) break
    await sleep(300)
  }
  return {waited: true, ok: false, timedOut: true, waitedMs: Math.round(performance.now() - started), quorum: q, missing: missingPeers(q, failedHosts)}
}

export const notWaited: ReadyReport = {waited: false, ok: false, timedOut: false, waitedMs: 0, missing: []}

/**
 * start-cluster: validate, push the conf, start the JobManagers (every master with ZooKeeper HA,
 * else one), then the TaskManagers (one per workers line), then wait until ready.
 */
export async function startCluster(session: Session, opts: StartOptions): Promise<StartReport> {
  refuseInvalid(session.conf)
  const req = planRequestFor(session, opts)
  const jm = jobManagerPlans(session.conf, req)
  const tm = taskManagerPlans(session.conf, req)
  if (opts.dryRun) return {dryRun: true, plans: [...jm, ...tm], pushed: [], daemons: [], ready: notWaited, failedHosts: [], exit: ExitCode.Ok}
  const hosts = uniqueHosts([...jm, ...tm].map((p) => p.host))
  const {pushed, failed} = await pushStep(session, hosts, opts.push)
  const skip = new Set(failed.map((f) => f.host))
  session.emit({level: 'info', message: `starting ${jm.length} JobManager(s)`})
  const jms = await startStep(session, jm, skip, opts.verifyMs)
  session.emit({level: 'info', message: `starting ${tm.length} TaskManager(s)`})
  const tms = await startStep(session, tm, skip, opts.verifyMs)
  const daemons = [...jms, ...tms]
  const anyJm = jms.some((d) => d.started.length + d.already.length > 0)
  let ready = notWaited
  if (opts.wait && anyJm) ready = await waitForCluster(session, daemons, tm.filter((p) => !skip.has(p.host)).length, opts.timeoutMs)
  const failedHosts = [...failed, ...problemsOf(daemons)]
  // the hosts skipped after a failed push get their row too (their problem is already in `failed`)
  return {dryRun: false, pushed, daemons: [...daemons, ...notPushed([...jm, ...tm], pushed)], ready, failedHosts, exit: exitOf(failedHosts, ready, daemons.some((d) => d.ok))}
}

/** start-zookeeper-quorum: one FlinkZooKeeperQuorumPeer per server.N of zoo.cfg, then wait for a leader. */
export async function startQuorum(session: Session, opts: StartOptions): Promise<StartReport> {
  refuseInvalid(session.conf)
  const plans = zooKeeperPlans(session.conf, planRequestFor(session, opts))
  if (opts.dryRun) return {dryRun: true, plans, pushed: [], daemons: [], ready: notWaited, failedHosts: [], exit: ExitCode.Ok}
  const {pushed, failed} = await pushStep(session, uniqueHosts(plans.map((p) => p.host)), opts.push)
  const daemons = await startStep(session, plans, new Set(failed.map((f) => f.host)), opts.verifyMs)
  // a host where no peer runs (push or start failed there) is not waited for
  const running = new Set(daemons.filter((d) => d.started.length + d.already.length > 0).map((d) => d.host))
  const down = new Set(plans.map((p) => p.host).filter((h) => !running.has(h)))
  let ready = notWaited
  if (opts.wait && running.size > 0) ready = await waitForQuorum(session, opts.timeoutMs, down)
  const failedHosts = [...failed, ...problemsOf(daemons)]
  return {dryRun: false, pushed, daemons: [...daemons, ...notPushed(plans, pushed)], ready, failedHosts, exit: exitOf(failedHosts, ready, daemons.some((d) => d.ok))}
}

export interface StopOptions {
  user?: string
  graceMs?: number
}

/** Stops every recorded instance of a daemon type on each host (all pid file entries, not one). */
async function stopStep(session: Session, daemon: DaemonType, hosts: readonly string[], opts: StopOptions): Promise<DaemonStop[]> {
  // no Flink home is the same problem on every host: the command fails once (exit 3), not per host
  if (hosts.length > 0) flinkPaths(session.conf)
  const outcomes = await session.pool.forEach(hosts, async (host) => {
    const h = host.name
    const r = await stopOnHost(host, daemon, pidFileOf(session.conf, daemon, opts.user ?? host.user, host.local ? process.env : {}), {all: true, graceMs: opts.graceMs})
    for (const s of r.stopped) session.emit({level: 'info', host: h, message: `stopped ${daemon} (pid ${s.pid}, SIG${s.signal}, ${s.waitedMs} ms)`})
    if (r.foreign.length) session.emit({level: 'warn', host: h, message: `${daemon} pid file named pid(s) ${r.foreign.join(', ')} that now belong to another program: left alone, entries dropped`})
    if (r.stopped.length === 0 && r.failed.length === 0) session.emit({level: 'info', host: h, message: `no ${daemon} running`})
    return r
  }, {parallel: session.parallel})
  return outcomes.map((o) => {
    if (o.ok) return o.value!
    session.emit({level: 'error', host: o.host, message: `${daemon}: ${o.error!.message}`})
    return {host: o.host, daemon, ok: false, stopped: [], stale: [], foreign: [], failed: [], error: o.error}
  })
}

function stopProblems(daemons: readonly DaemonStop[]): HostProblem[] {
  const out: HostProblem[] = []
  for (const d of daemons) {
    if (d.error) out.push({host: d.host, daemon: d.daemon, code: d.error.code, message: d.error.message, hint: d.error.hint})
    for (const pid of d.failed) out.push({host: d.host, daemon: d.daemon, code: 'STOP_FAILED', message: `${d.daemon} pid ${pid} still runs after SIGKILL on ${d.host}`})
  }
  return out
}

const stopExit = (problems: readonly HostProblem[], daemons: readonly DaemonStop[]): ExitCodeValue =>
  problems.length === 0 ? ExitCode.Ok : daemons.some((d) => d.ok) ? ExitCode.PartialFailure : ExitCode.Failed

/** The hosts JobManagers run on: the masters with ZooKeeper HA, else this machine. */
export const jobManagerHosts = (conf: ClusterConf): string[] =>
  isZooKeeperHa(conf) && conf.masters?.entries.length ? uniqueHosts(conf.masters.entries.map((m) => m.host)) : ['localhost']

export const taskManagerHosts = (conf: ClusterConf): string[] => uniqueHosts((conf.workers?.entries ?? []).map((w) => w.host))
export const zooKeeperHosts = (conf: ClusterConf): string[] => uniqueHosts((conf.zoo?.servers ?? []).map((s) => s.host))

/** stop-cluster: every TaskManager, then every JobManager, on every host of the conf. */
export async function stopCluster(session: Session, opts: StopOptions = {}): Promise<StopReport> {
  const tms = await stopStep(session, 'taskexecutor', taskManagerHosts(session.conf), opts)
  const jms = await stopStep(session, 'standalonesession', jobManagerHosts(session.conf), opts)
  const daemons = [...tms, ...jms]
  const failedHosts = stopProblems(daemons)
  return {daemons, failedHosts, exit: stopExit(failedHosts, daemons)}
}

export async function stopQuorum(session: Session, opts: StopOptions = {}): Promise<StopReport> {
  const daemons = await stopStep(session, 'zookeeper', zooKeeperHosts(session.conf), opts)
  const failedHosts = stopProblems(daemons)
  return {daemons, failedHosts, exit: stopExit(failedHosts, daemons)}
}

export interface StatusReport {
  hosts: HostState[]
  jobmanager: JobManagerView
  taskmanagers?: TaskManagerView
  quorum?: QuorumView
  exit: ExitCodeValue
}

const ALL_DAEMONS: DaemonType[] = ['standalonesession', 'taskexecutor', 'zookeeper', 'historyserver']

/** status: every host of the conf and what runs there, the leader, TaskManagers and quorum. */
export async function clusterStatus(session: Session, opts: {user?: string} = {}): Promise<StatusReport> {
  const {conf} = session
  const hosts = uniqueHosts([...jobManagerHosts(conf), ...taskManagerHosts(conf), ...zooKeeperHosts(conf)])
  // no Flink home is the same problem on every host: the command fails once (exit 3), not per host
  flinkPaths(conf)
  const [states, quorum] = await Promise.all([
    session.pool.forEach(hosts, async (host) => {
      const ident = opts.user ?? host.user
      const env = host.local ? process.env : {}
      return stateOfHost(host, ALL_DAEMONS.map((daemon) => ({daemon, pidFile: pidFileOf(conf, daemon, ident, env)})))
    }, {parallel: session.parallel}),
    conf.zoo?.servers.length ? probeQuorum(session) : Promise.resolve(undefined),
  ])
  const hostStates: HostState[] = states.map((s) => s.ok
    ? {host: s.host, reachable: true, daemons: s.value!.filter((d) => d.instances.length > 0 || d.unrecorded.length > 0)}
    : {host: s.host, reachable: false, error: s.error, daemons: []})
  const runningMasters = hostStates.filter((h) => h.daemons.some((d) => d.daemon === 'standalonesession' && d.instances.some((i) => i.state === 'running'))).map((h) => h.host)
  const jobmanager = await probeJobManagers(session, {runningMasters})
  const unreachable = hostStates.filter((h) => !h.reachable).length
  return {hosts: hostStates, jobmanager, taskmanagers: jobmanager.taskmanagers, quorum, exit: unreachable === 0 ? ExitCode.Ok : unreachable === hosts.length ? ExitCode.Failed : ExitCode.PartialFailure}
}

