// `flinkctl drill`: fault one identified process, time each phase of the recovery from the moment
// of the fault (ZooKeeper watches for leadership, REST for jobs and checkpoints), check nothing was
// lost, and always put back what was faulted.
import {getValue} from '../conf/load.ts'
import {endpointOfUrl, probeQuorum, restEndpoints, expectedTaskManagers} from '../cluster/probes.ts'
import {startDaemon} from '../cluster/daemon-ops.ts'
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {signalDaemon, type DaemonSignal} from '../daemon/index.ts'
import {parseDuration} from '../conf/sizes.ts'
import {ExitCode} from '../errors.ts'
import {connectClusterZk, requireZooKeeperHa} from '../ha/status.ts'
import {watchHa, type HaChange} from '../ha/watch.ts'
import {RestClient, type CheckpointStats, type JobDetails, type JobOverview} from '../rest/client.ts'
import {haPaths, type HaPaths} from '../zk/leader.ts'
import type {ZkClient} from '../zk/client.ts'
import {readSteady, type Steady} from './steady.ts'
import {DrillError, resolveTarget} from './targets.ts'
import type {Check, DrillOptions, DrillReport, DrillTarget, Phase, PhaseName, PhaseSummary, RoundResult} from './types.ts'

const POLL_MS = 100
const SIGNAL_OF: Record<DrillOptions['fault'], DaemonSignal> = {kill: 'KILL', term: 'TERM', pause: 'STOP'}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Flink's requested ZooKeeper session timeout (default 60 s) and what the server grants it. */
export function requestedSessionTimeoutMs(session: Session): number {
  const v = getValue(session.conf, 'high-availability.zookeeper.client.session-timeout')?.value
  const p = v ? parseDuration(v) : undefined
  return p?.ok ? p.value : 60_000
}

/** The phases a round waits for, in the order they happen. */
export function plannedPhases(target: DrillTarget['kind'], fault: DrillOptions['fault'], hasJobs: boolean, failover: boolean, hostsTasks = true): PhaseName[] {
  const jobPhases: PhaseName[] = hasJobs ? ['jobs-running', 'tasks-running', 'checkpoint'] : []
  switch (target) {
    case 'leader':
      return failover ? ['leader-gone', 'new-leader', 'rest', ...jobPhases] : hasJobs ? ['checkpoint'] : []
    case 'standby':
      return fault === 'pause' ? (hasJobs ? ['checkpoint'] : []) : ['contender-gone', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'taskmanager':
      // an idle TaskManager's loss restarts nothing: the jobs only have to keep checkpointing
      return hasJobs ? (fault === 'pause' || !hostsTasks ? ['checkpoint'] : ['job-restarted', ...jobPhases]) : []
    case 'zk-peer':
      return ['quorum-degraded', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'zk-leader':
      return ['quorum-degraded', 'quorum-leader', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'yarn-am':
      return ['attempt-failed', 'new-attempt', 'rest', ...jobPhases]
  }
}

export interface Probe {
  /** From /jobs/overview: answered fresh by the leader (/jobs/<id> is cached for web.refresh-interval, 3 s). */
  overview: Map<string, JobOverview>
  details: Map<string, JobDetails>
  checkpoints: Map<string, CheckpointStats>
}

export async function probeJobs(rest: RestClient, jobIds: readonly string[], what: {details?: boolean; checkpoints?: boolean}): Promise<Probe | undefined> {
  try {
    const overview = new Map((await rest.jobsOverview()).map((j) => [j.jid, j]))
    const details = new Map<string, JobDetails>()
    const checkpoints = new Map<string, CheckpointStats>()
    await Promise.all(jobIds.map(async (id) => {
      if (what.details) details.set(id, await rest.jobDetails(id))
      if (what.checkpoints) checkpoints.set(id, await rest.checkpoints(id))
    }))
    return {overview, details, checkpoints}
  } catch {
    return undefined
  }
}

/** Measures one round's phases; returns when all are reached or the deadline passes. */
async function measure(ctx: {
  session: Session; steady: Steady; target: DrillTarget; fault: DrillOptions['fault']; faultAt: number; deadline: number
  phases: PhaseName[]; changes: HaChange[]; emit: Emit; signal?: AbortSignal
}): Promise<{phases: Phase[]; timedOut: boolean; newLeader?: {label?: string; url?: string; session?: string}; last?: Probe; restUrl?: string}> {
  const {steady, target, faultAt, changes} = ctx
  const reached: Phase[] = []
  const pending = [...ctx.phases]
  const oldLeader = steady.state.leader
  const oldContender = steady.state.contenders[0]?.name
  const contenders0 = steady.state.contenders.length
  const endpoints = restEndpoints(ctx.session)
  const jobIds = steady.jobs.map((j) => j.jobId)
  let newLeader: {label?: string; url?: string; session?: string} | undefined
  let restUrl = steady.leader?.url
  let last: Probe | undefined
  let peerDown = false
  const mark = (name: PhaseName, at: number, detail?: string) => {
    reached.push({name, at, ms: at - faultAt, ...(detail ? {detail} : {})})
    pending.shift()
    ctx.emit({level: 'info', message: `+${seconds(at - faultAt)} ${name}${detail ? `: ${detail}` : ''}`})
  }
  const after = (c: HaChange) => c.at >= faultAt

  while (pending.length > 0) {
    if (ctx.signal?.aborted) break
    if (Date.now() > ctx.deadline) return {phases: reached, timedOut: true, newLeader, last, restUrl}
    const next = pending[0]!
    const now = Date.now()
    let progressed = false
    switch (next) {
      case 'leader-gone': {
        const c = changes.find((x) => after(x) && (!x.state.contenders.some((k) => k.name === oldContender) || x.state.leader?.owner !== oldLeader?.owner))
        if (c) { mark(next, c.at, `old leader's latch node ${oldContender ?? '?'} removed`); progressed = true }
        break
      }
      case 'new-leader': {
        const c = changes.find((x) => after(x) && x.state.leader?.restUrl && x.state.leader.owner !== oldLeader?.owner && x.state.leader.sessionId !== oldLeader?.sessionId)
        if (c) {
          const e = endpointOfUrl(ctx.session, c.state.leader!.restUrl!, endpoints)
          newLeader = {label: e?.label, url: c.state.leader!.restUrl, session: c.state.leader!.sessionId}
          restUrl = e?.url ?? c.state.leader!.restUrl
          mark(next, c.at, `${e?.label ?? c.state.leader!.restUrl} (session ${c.state.leader!.sessionId?.slice(0, 8)})`)
          progressed = true
        }
        break
      }
      case 'contender-gone': {
        const c = changes.find((x) => after(x) && x.state.contenders.length < contenders0)
        if (c) { mark(next, c.at, `${contenders0 - c.state.contenders.length} latch contender left`); progressed = true }
        break
      }
      case 'rest': {
        try {
          await new RestClient(restUrl!, {timeoutMs: 1000}).overview()
          mark(next, Date.now(), restUrl)
          progressed = true
        } catch { /* not yet */ }
        break
      }
      case 'job-restarted':
      case 'jobs-running':
      case 'tasks-running':
      case 'checkpoint': {
        const p = await probeJobs(new RestClient(restUrl!, {timeoutMs: 1000}), jobIds, {details: next === 'job-restarted', checkpoints: next === 'checkpoint'})
        if (!p) break
        last = {...p, details: p.details.size ? p.details : last?.details ?? p.details}
        const at = Date.now()
        const before = (id: string) => steady.jobs.find((j) => j.jobId === id)!
        const ok = jobIds.every((id) => {
          const o = p.overview.get(id)
          if (next === 'job-restarted') {
            const d = p.details.get(id)
            return o?.state !== 'RUNNING' || (d !== undefined && d.timestamps?.RUNNING !== before(id).runningSince)
          }
          // phases come in order: for a restarted job this runs only once it was seen restarting
          if (next === 'jobs-running') return o?.state === 'RUNNING'
          if (next === 'tasks-running') return o?.state === 'RUNNING' && o.tasks !== undefined && o.tasks.running === o.tasks.total
          const done = p.checkpoints.get(id)?.latest?.completed?.id
          return done !== undefined && done > (before(id).lastCompleted ?? -1)
        })
        if (ok) {
          const detail = next === 'checkpoint' ? jobIds.map((id) => `${id.slice(0, 8)}: ${p.checkpoints.get(id)?.latest?.completed?.id}`).join(', ') : undefined
          mark(next, at, detail)
          progressed = true
        }
        break
      }
      case 'quorum-degraded':
      case 'quorum-leader': {
        const q = await probeQuorum(ctx.session, 1000)
        const peerId = target.restore.daemon === 'zookeeper' ? target.restore.peerId : -1
        const mine = q.peers.find((x) => x.id === peerId)
        if (next === 'quorum-degraded' && mine && !mine.ok) { peerDown = true; mark(next, Date.now(), `peer ${peerId} no longer serves; ${q.serving}/${q.total} serving`); progressed = true }
        if (next === 'quorum-leader' && peerDown && q.leader !== undefined && q.leader !== peerId) { mark(next, Date.now(), `peer ${q.leader} leads`); progressed = true }
        break
      }
    }
    if (!progressed) await sleep(next === 'leader-gone' || next === 'new-leader' || next === 'contender-gone' ? 20 : Math.max(0, POLL_MS - (Date.now() - now)))
  }
  return {phases: reached, timedOut: false, newLeader, last, restUrl}
}

/**
 * Waits until every job runs all its tasks and completed a checkpoint after this call began (ids,
 * not clocks). Faults whose effect comes late are caught here: a resumed JobManager that lost its
 * leadership while stopped, or a leader whose ZooKeeper connection went to the lost peer, restart
 * the jobs once more after the first checkpoint.
 */
async function settle(restUrl: string, jobIds: readonly string[], deadline: number, signal?: AbortSignal, before?: Probe): Promise<{probe?: Probe; settled: boolean; notRunning: string[]; ms: number}> {
  const start = Date.now()
  const rest = new RestClient(restUrl, {timeoutMs: 1000})
  // the floor: the newest checkpoint known now (the last probe of the phases when this one fails)
  const baseline = await probeJobs(rest, jobIds, {checkpoints: true}) ?? before
  const floor = new Map(jobIds.map((id) => [id, baseline?.checkpoints.get(id)?.latest?.completed?.id ?? -1]))
  const notRunning = new Set<string>()
  let probe: Probe | undefined = baseline
  while (Date.now() < deadline && !signal?.aborted) {
    const p = await probeJobs(rest, jobIds, {checkpoints: true})
    if (p) {
      probe = p
      for (const id of jobIds) if (p.overview.get(id)?.state !== 'RUNNING') notRunning.add(`${id.slice(0, 8)} ${p.overview.get(id)?.state ?? 'gone'}`)
      const ok = jobIds.every((id) => {
        const o = p.overview.get(id)
        const done = p.checkpoints.get(id)?.latest?.completed?.id
        return o?.state === 'RUNNING' && o.tasks !== undefined && o.tasks.running === o.tasks.total && done !== undefined && done > floor.get(id)!
      })
      if (ok) return {probe, settled: true, notRunning: [...notRunning], ms: Date.now() - start}
    }
    await sleep(POLL_MS)
  }
  return {probe, settled: false, notRunning: [...notRunning], ms: Date.now() - start}
}

/** Brings back what a round faulted, and waits until it serves again. Never throws. */
async function restore(session: Session, target: DrillTarget, fault: DrillOptions['fault'], continued: boolean, emit: Emit): Promise<RoundResult['restored']> {
  const start = Date.now()
  try {
    if (fault === 'pause') {
      if (continued) return {ok: true, detail: `SIGCONT sent to ${target.pid}`, ms: 0}
      const r = await signalDaemon(session.pool.get(target.host), target.pid, target.mainClass, 'CONT')
      return {ok: r.result === 'sent', detail: r.result === 'sent' ? `SIGCONT sent to ${target.pid}` : `pid ${target.pid} is ${r.result}`, ms: Date.now() - start}
    }
    const r = target.restore
    if (r.daemon === 'yarn') return {ok: false, detail: 'a YARN ApplicationMaster is restarted by YARN, not by the drill', ms: 0}
    const report = await startDaemon(session, {
      daemon: r.daemon, host: target.host, push: false,
      ...(r.daemon === 'standalonesession' ? {webuiPort: r.webuiPort} : r.daemon === 'taskexecutor' ? {count: r.count} : {peerId: r.peerId}),
    })
    const started = report.daemons.flatMap((d) => d.started)
    if (report.exit !== ExitCode.Ok) return {ok: false, detail: `restart failed: ${report.failedHosts.map((f) => f.message).join('; ')}`, ms: Date.now() - start}
    emit({level: 'info', host: target.host, message: `restarted ${target.label}`})
    // serving again: a JobManager's REST answers, the TaskManager count is back, the peer has a mode
    const until = Date.now() + 90_000
    while (Date.now() < until) {
      if (r.daemon === 'standalonesession') {
        const e = restEndpoints(session).find((x) => x.label === target.label || (x.host === target.host && x.port === r.webuiPort))
        try {
          if (e) { await new RestClient(e.url, {timeoutMs: 1000}).config(); return {ok: true, detail: `${target.label} running again as a standby`, ms: Date.now() - start} }
        } catch { /* starting */ }
      } else if (r.daemon === 'taskexecutor') {
        const expected = expectedTaskManagers(session.conf)
        for (const e of restEndpoints(session)) {
          try {
            const o = await new RestClient(e.url, {timeoutMs: 1000}).overview()
            if (o.taskmanagers >= expected) return {ok: true, detail: `${expected} TaskManagers registered again`, ms: Date.now() - start}
            break
          } catch { /* next */ }
        }
      } else {
        const q = await probeQuorum(session, 1000)
        const p = q.peers.find((x) => x.id === r.peerId)
        if (p?.ok && (p.mode || p.srvr === 'disabled')) return {ok: true, detail: `peer ${r.peerId} serves again${p.mode ? ` as ${p.mode}` : ''}`, ms: Date.now() - start}
      }
      await sleep(250)
    }
    return {ok: false, detail: `${target.label} restarted (${started.length} instance) but does not serve within 90 s`, ms: Date.now() - start}
  } catch (err) {
    return {ok: false, detail: `could not restore ${target.label}: ${(err as Error).message}`, ms: Date.now() - start}
  }
}

/** What dominated the recovery, and the settings that bound it. */
export function explain(round: Pick<RoundResult, 'phases' | 'fault' | 'target'>, settings: {sessionTimeoutMs: number; requestedMs: number; heartbeatTimeout?: string; checkpointInterval?: string}): string[] {
  const ps = round.phases.filter((p) => p.ms !== undefined)
  if (ps.length === 0) return []
  let worst = {name: ps[0]!.name, gap: ps[0]!.ms!}
  for (let i = 1; i < ps.length; i++) {
    const gap = ps[i]!.ms! - ps[i - 1]!.ms!
    if (gap > worst.gap) worst = {name: ps[i]!.name, gap}
  }
  const total = ps.at(-1)!.ms!
  const share = `${seconds(worst.gap)} of ${seconds(total)}`
  switch (worst.name) {
    case 'leader-gone':
      return round.fault === 'kill' || round.fault === 'pause'
        ? [`the old leader's ZooKeeper session expired after ${seconds(worst.gap)} of the ${seconds(settings.sessionTimeoutMs)} session timeout (${share} of the recovery)`,
          `a hard-killed leader is noticed only when its session expires: lower high-availability.zookeeper.client.session-timeout (requested ${seconds(settings.requestedMs)}, granted ${seconds(settings.sessionTimeoutMs)}; the server clamps it to [minSessionTimeout, maxSessionTimeout] of zoo.cfg)`]
        : [`the old leader took ${share} to give up its leadership on SIGTERM`]
    case 'new-leader':
      return [`the election took ${share} after the old leader was gone`, 'a standby must be running to take over at once (start more than one JobManager in masters)']
    case 'rest':
      return [`the new leader's REST API took ${share} to answer`]
    case 'jobs-running':
    case 'job-restarted':
      return [`jobs took ${share} to run again`, `TaskManagers re-register with the new leader and slots are requested again; heartbeat.timeout (${settings.heartbeatTimeout ?? '50 s'}) bounds a TaskManager that missed the change, and the restart strategy's delay applies`]
    case 'tasks-running':
      return [`deploying the tasks took ${share}`, 'tasks wait for slots: more TaskManagers or slots than the jobs need shorten this']
    case 'checkpoint':
      return [`the first checkpoint after recovery took ${share}`, `it waits for the next checkpoint trigger: execution.checkpointing.interval (${settings.checkpointInterval ?? 'not set'}) bounds it`]
    case 'contender-gone':
      return [`the faulted JobManager left the latch after ${share}`, 'its ZooKeeper session had to expire first (SIGKILL) or close (SIGTERM)']
    case 'quorum-degraded':
    case 'quorum-leader':
      return [`the quorum took ${share} to ${worst.name === 'quorum-leader' ? 'elect a new leader' : 'notice the lost peer'}`, 'ZooKeeper peers notice a lost peer within tickTime × syncLimit / initLimit of zoo.cfg']
    case 'attempt-failed':
      return [`YARN took ${share} to see the ApplicationMaster's container exit`, 'the NodeManager reports a finished container on its next heartbeat to the ResourceManager (yarn.resourcemanager.nodemanagers.heartbeat-interval-ms)']
    case 'new-attempt':
      return [`the new ApplicationMaster attempt took ${share} to register`, 'YARN allocates and launches a new AM container, then the JVM starts and the JobManager registers; a smaller jobmanager.memory.process.size and a warm NodeManager shorten it']
  }
}

export function summarize(rounds: readonly RoundResult[]): PhaseSummary[] {
  const names: PhaseName[] = []
  for (const r of rounds) for (const p of r.phases) if (!names.includes(p.name)) names.push(p.name)
  return names.map((phase) => {
    const xs = rounds.flatMap((r) => r.phases.filter((p) => p.name === phase && p.ms !== undefined).map((p) => p.ms!)).sort((a, b) => a - b)
    const mid = xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2
    return {phase, rounds: xs.length, minMs: xs[0]!, medianMs: Math.round(mid), maxMs: xs.at(-1)!}
  })
}

function checksOf(round: RoundResult, steady: Steady, m: Awaited<ReturnType<typeof measure>>, planned: PhaseName[]): Check[] {
  const checks: Check[] = []
  const t = round.target
  if (t.kind === 'leader' && planned.includes('new-leader')) {
    const other = m.newLeader?.label !== undefined && m.newLeader.label !== t.label
    checks.push({name: 'another JobManager leads', ok: other, detail: m.newLeader ? `${t.label} → ${m.newLeader.label ?? m.newLeader.url}` : 'no new leader was elected'})
  } else if (t.kind === 'standby' || t.kind === 'taskmanager') {
    checks.push({name: 'the leader kept its leadership', ok: round.after.leaderSession === round.before.leaderSession, detail: `session ${round.before.leaderSession?.slice(0, 8)} → ${round.after.leaderSession?.slice(0, 8) ?? 'none'}`})
  } else if (t.kind === 'zk-peer' || t.kind === 'zk-leader') {
    checks.push({name: 'the cluster has a leader', ok: Boolean(round.after.leader), detail: round.after.leader ?? 'no leader published after the drill'})
  }
  for (const j of steady.jobs) {
    const o = m.last?.overview.get(j.jobId)
    checks.push({name: `job ${j.jobId} RUNNING with the same id`, ok: o?.state === 'RUNNING' && o.jid === j.jobId, detail: o ? `${o.jid} ${o.state}` : 'never seen again'})
    const c = m.last?.checkpoints.get(j.jobId)
    if (c && planned.includes('checkpoint')) {
      const restored = c.latest?.restored?.id
      const recovered = planned.includes('jobs-running')
      if (recovered) {
        const ok = restored !== undefined && restored >= (j.lastCompleted ?? 0)
        checks.push({name: `job ${j.jobId} restored a checkpoint not older than the last one before the fault`, ok, detail: `restored ${restored ?? 'none'}, last completed before the fault ${j.lastCompleted ?? 'none'}`})
      }
      const done = c.latest?.completed?.id
      checks.push({name: `job ${j.jobId} completed a new checkpoint`, ok: done !== undefined && done > (j.lastCompleted ?? -1), detail: `${j.lastCompleted ?? 'none'} → ${done ?? 'none'}`})
    }
  }
  return checks
}

/** Exit 5 when a phase never came, 7 when a check failed (or rounds are missing, or interrupted), 8 when only the budget was missed. */
export function drillOutcome(rounds: ReadonlyArray<Pick<RoundResult, 'ok' | 'timedOut' | 'withinBudget'>>, wanted: number, interrupted: boolean): {ok: boolean; exit: DrillReport['exit']} {
  const ok = !interrupted && rounds.length === wanted && rounds.every((r) => r.ok)
  const exit = rounds.some((r) => r.timedOut) ? ExitCode.Timeout
    : !ok ? ExitCode.CheckFailed
      : rounds.some((r) => r.withinBudget === false) ? ExitCode.OverBudget : ExitCode.Ok
  return {ok, exit}
}

/** Runs the drill; a DrillError when the steady state does not hold (unless force) or no target is found. */
export async function runDrill(session: Session, opts: DrillOptions, emit: Emit): Promise<DrillReport> {
  requireZooKeeperHa(session.conf)
  const paths: HaPaths = haPaths(session.conf)
  const requestedMs = requestedSessionTimeoutMs(session)
  // our own session asks for what Flink asks: the server's answer is the timeout Flink gets
  const zk: ZkClient = await connectClusterZk(session, {sessionTimeoutMs: requestedMs})
  const startedAt = Date.now()
  const settings = {
    sessionTimeoutMs: zk.sessionTimeoutMs, requestedMs,
    heartbeatTimeout: getValue(session.conf, 'heartbeat.timeout')?.value,
    checkpointInterval: getValue(session.conf, 'execution.checkpointing.interval')?.value,
  }
  const rounds: RoundResult[] = []
  let interrupted = false
  try {
    for (let n = 1; n <= opts.rounds; n++) {
      if (opts.signal?.aborted) { interrupted = true; break }
      try {
        let steady = await readSteady(session, zk, paths, opts)
        if (!steady.ok && n > 1) {
          emit({level: 'info', message: `round ${n}: waiting for the steady state (${steady.reasons.join('; ')})`})
          const until = Date.now() + opts.settleMs
          while (!steady.ok && Date.now() < until && !opts.signal?.aborted) {
            await sleep(1000)
            steady = await readSteady(session, zk, paths, opts)
          }
        }
        if (!steady.ok && !opts.force) {
          if (n === 1) throw new DrillError(`refusing to drill: the steady state does not hold: ${steady.reasons.join('; ')}`, 'DRILL_NOT_STEADY', 'fix what is listed, wait for a checkpoint, or pass --force to drill anyway')
          emit({level: 'error', message: `round ${n}: the steady state did not return within ${seconds(opts.settleMs)}: ${steady.reasons.join('; ')}`})
          break
        }
        const target = await resolveTarget(session, opts, steady.state, steady.standbys, {restUrl: steady.leader?.url, jobIds: steady.jobs.map((j) => j.jobId)})
        const tasks = target.tasks !== undefined ? `, ${target.tasks} subtask${target.tasks === 1 ? '' : 's'}` : ''
        emit({level: 'info', host: target.host, message: `round ${n}: ${opts.fault} ${target.label} (pid ${target.pid}, ${target.mainClass.split('.').at(-1)}${tasks})`})

        // watches armed before the fault, so the first change after it is seen as it happens
        const changes: HaChange[] = []
        const watch = new AbortController()
        let first!: () => void
        const armed = new Promise<void>((r) => { first = r })
        const watching = watchHa(zk, paths, {signal: watch.signal, onChange: (c) => { changes.push(c); first() }})
        await armed

        const failover = opts.fault !== 'pause' || (opts.pauseMs ?? 0) >= zk.sessionTimeoutMs
        const planned = plannedPhases(target.kind, opts.fault, steady.jobs.length > 0, failover, target.tasks !== 0)
        const faultAt = Date.now()
        let continued = false
        let pauseTimer: ReturnType<typeof setTimeout> | undefined
        let resumed: Promise<void> = Promise.resolve()
        let cont: Promise<boolean> | undefined
        const roundDone = new AbortController()
        const round: RoundResult = {
          round: n, target, fault: opts.fault, faultAt,
          before: {leader: steady.leader?.label, leaderSession: steady.state.leader?.sessionId, jobs: steady.jobs},
          after: {}, phases: [], checks: [], restored: {ok: false, detail: 'not attempted'}, timedOut: false, explanation: [], ok: false,
        }
        try {
          const sent = await signalDaemon(session.pool.get(target.host), target.pid, target.mainClass, SIGNAL_OF[opts.fault])
          if (sent.result !== 'sent') throw new DrillError(`${target.label}: pid ${target.pid} is ${sent.result} now; nothing was signalled`, 'DRILL_TARGET_GONE', 'run the drill again', ExitCode.Failed)
          if (sent.hostTime) round.hostFaultAt = sent.hostTime
          if (opts.fault === 'pause') {
            resumed = new Promise<void>((done) => {
              pauseTimer = setTimeout(() => {
                // counted as continued only once the signal went to that very process
                cont = signalDaemon(session.pool.get(target.host), target.pid, target.mainClass, 'CONT').then((r) => r.result === 'sent', () => false)
                cont.then((ok) => { continued = ok }).finally(done)
              }, opts.pauseMs ?? 10_000)
            })
          }
          const m = await measure({session, steady, target, fault: opts.fault, faultAt, deadline: faultAt + opts.timeoutMs, phases: planned, changes, emit, signal: opts.signal})
          let settled: Awaited<ReturnType<typeof settle>> | undefined
          const zkTarget = target.kind === 'zk-peer' || target.kind === 'zk-leader'
          const abort = new Promise((r) => opts.signal?.addEventListener('abort', r, {once: true, signal: roundDone.signal}))
          // the pause lasts as long as asked, even when the recovery was quicker (and with no jobs to watch)
          if (opts.fault === 'pause' && !m.timedOut && !opts.signal?.aborted) await Promise.race([resumed, abort])
          if ((opts.fault === 'pause' || zkTarget) && !m.timedOut && !opts.signal?.aborted && steady.jobs.length > 0 && m.restUrl) {
            // a lost peer shows in Flink once its clients notice: at once for a closed socket, within the session timeout for a silent one
            if (zkTarget) await Promise.race([sleep(Math.max(0, faultAt + Math.min(settings.sessionTimeoutMs, 10_000) - Date.now())), abort])
            if (!opts.signal?.aborted && (opts.fault !== 'pause' || continued)) {
              emit({level: 'info', message: `+${seconds(Date.now() - faultAt)} ${opts.fault === 'pause' ? `resumed ${target.label}; ` : ''}waiting for the jobs to settle`})
              settled = await settle(m.restUrl, steady.jobs.map((j) => j.jobId), Date.now() + opts.timeoutMs, opts.signal, m.last)
              if (settled.probe) m.last = settled.probe
            }
          }
          round.phases = m.phases
          round.timedOut = m.timedOut
          if (opts.signal?.aborted) interrupted = true
          const after = changes.at(-1)?.state.leader
          const endpoints = restEndpoints(session)
          round.after = {leader: m.newLeader?.label ?? (after?.restUrl ? endpointOfUrl(session, after.restUrl, endpoints)?.label ?? after.restUrl : undefined), leaderSession: after?.sessionId}
          round.recoveryMs = m.timedOut || m.phases.length < planned.length ? undefined : (m.phases.at(-1)?.ms ?? 0)
          round.checks = checksOf(round, steady, m, planned)
          round.explanation = explain(round, settings)
          if (settled) {
            const when = opts.fault === 'pause' ? 'after the paused process resumed' : 'after the quorum lost the peer'
            round.checks.push({name: `the jobs run and checkpoint ${when}`, ok: settled.settled,
              detail: settled.settled ? `settled ${seconds(settled.ms)} later${settled.notRunning.length ? `, after ${settled.notRunning.join(', ')}` : ''}` : `not settled within --timeout (${settled.notRunning.join(', ') || 'no new checkpoint'})`})
            if (settled.notRunning.length) {
              round.explanation.push(opts.fault === 'pause'
                ? `resuming ${target.label} restarted jobs once more (${settled.notRunning.join(', ')}): a process that wakes up after losing its ZooKeeper session still acts on what it held until it notices; pauses longer than the session timeout cost a second restart`
                : `losing ${target.label} restarted jobs (${settled.notRunning.join(', ')}): the leader's ZooKeeper connection went to that peer, and Flink takes a suspended connection for lost leadership; high-availability.zookeeper.client.tolerate-suspended-connections: true rides over a lost peer`)
            }
          }
        } finally {
          if (pauseTimer) clearTimeout(pauseTimer)
          roundDone.abort()
          // a SIGCONT in flight is waited for, not sent twice
          if (cont) continued = await cont
          watch.abort()
          await watching.catch(() => {})
          round.restored = await restore(session, target, opts.fault, continued, emit)
          round.checks.push({name: `${target.label} restored`, ok: round.restored.ok, detail: round.restored.detail})
          if (opts.maxRecoveryMs !== undefined) round.withinBudget = round.recoveryMs !== undefined && round.recoveryMs <= opts.maxRecoveryMs
          round.ok = !round.timedOut && round.recoveryMs !== undefined && round.checks.every((c) => c.ok)
          rounds.push(round)
        }
        if (interrupted) break
      } catch (err) {
        // a round that cannot start or be signalled ends the drill, but the rounds done are still reported
        if (rounds.length === 0) throw err
        emit({level: 'error', message: `round ${n}: ${(err as Error).message}`})
        break
      }
    }
  } finally {
    await zk.close()
  }
  const {ok, exit} = drillOutcome(rounds, opts.rounds, interrupted)
  const {signal: _signal, ...options} = opts
  return {
    options, startedAt,
    sessionTimeout: {requestedMs, effectiveMs: settings.sessionTimeoutMs, ...(settings.sessionTimeoutMs !== requestedMs ? {clamp: `the ZooKeeper server granted ${seconds(settings.sessionTimeoutMs)} of the ${seconds(requestedMs)} requested`} : {})},
    rounds, summary: summarize(rounds), interrupted, ok, exit,
  }
}
