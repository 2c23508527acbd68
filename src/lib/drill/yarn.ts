// The failover drill of a YARN session: there is no standby; YARN restarts the ApplicationMaster
// (the JobManager) in a new attempt, which recovers the jobs from ZooKeeper and the HA storage.
// The drill kills the AM's JVM on its NodeManager host (identified by pid, main class and the
// application id in its command line), then times YARN's and Flink's recovery.
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {findDaemonProcesses, signalDaemon} from '../daemon/index.ts'
import {ExitCode} from '../errors.ts'
import {RestClient} from '../rest/client.ts'
import {siteNumber} from '../validate/hadoop-xml.ts'
import {resolveSession, sessionRestUrl, type YarnContext} from '../yarn/session.ts'
import type {YarnApp, YarnAppAttempt} from '../yarn/rm.ts'
import {setTimeout as sleep} from 'node:timers/promises'
import {requestedSessionTimeoutMs} from './drill.ts'
import {drillOutcome, explain, summarize} from './explain.ts'
import {plannedPhases, probeJobs, seconds, type Probe} from './phases.ts'
import {steadyJobs} from './steady.ts'
import {DrillError} from './targets.ts'
import type {Check, DrillOptions, DrillReport, DrillTarget, JobBefore, Phase, PhaseName, RoundResult} from './types.ts'

export const YARN_AM_MAIN_CLASS = 'org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint'
const POLL_MS = 200

interface YarnSteady {
  ok: boolean
  reasons: string[]
  app: YarnApp
  attempts: YarnAppAttempt[]
  restUrl?: string
  jobs: JobBefore[]
  /** What YARN grants: min(yarn.application-attempts, yarn.resourcemanager.am.max-attempts). */
  maxAttempts: number
  /** The session's own execution.checkpointing.interval (from its JobManager: -D may have set it). */
  checkpointInterval?: string
}

const attemptNo = (a: YarnAppAttempt) => Number(a.id)
const latest = (xs: readonly YarnAppAttempt[]) => [...xs].sort((a, b) => attemptNo(b) - attemptNo(a))[0]

async function readYarnSteady(ctx: YarnContext, ref: string, opts: Pick<DrillOptions, 'checkpointMaxAgeMs'>): Promise<YarnSteady> {
  const reasons: string[] = []
  const app = await resolveSession(ctx.rm, ref)
  const attempts = await ctx.rm.attempts(app.id)
  const restUrl = (await sessionRestUrl(app))?.url
  const jobs: JobBefore[] = []
  let flinkAttempts = 2
  let checkpointInterval: string | undefined
  if (app.state !== 'RUNNING') reasons.push(`${app.id} is ${app.state}, not RUNNING`)
  else if (!restUrl) reasons.push(`${app.id}: no JobManager answers`)
  else {
    try {
      const rest = new RestClient(restUrl, {timeoutMs: 3000})
      const j = await steadyJobs(rest, opts.checkpointMaxAgeMs)
      jobs.push(...j.jobs)
      reasons.push(...j.reasons)
      const conf = await rest.jobManagerConfig()
      const v = Number(conf.get('yarn.application-attempts'))
      if (Number.isInteger(v) && v > 0) flinkAttempts = v
      checkpointInterval = conf.get('execution.checkpointing.interval')
      const ha = conf.get('high-availability.type') ?? conf.get('high-availability')
      if (!ha || ha === 'NONE' || ha === 'none') reasons.push('HA is off in this session: a new attempt starts with no jobs')
    } catch (err) {
      reasons.push(`the JobManager at ${restUrl} does not answer: ${(err as Error).message}`)
    }
  }
  const rmMax = siteNumber(ctx.hadoop.yarnSite, 'yarn.resourcemanager.am.max-attempts', 2).value
  const maxAttempts = Math.min(flinkAttempts, rmMax)
  // failures outside yarn.application-attempt-failures-validity-interval are forgiven, but counting all is the safe side
  if (attempts.length >= maxAttempts) reasons.push(`attempt ${attempts.length} of ${maxAttempts} runs: killing it would end ${app.id} for good`)
  return {ok: reasons.length === 0, reasons, app, attempts, ...(restUrl ? {restUrl} : {}), jobs, maxAttempts, ...(checkpointInterval ? {checkpointInterval} : {})}
}

async function amTarget(session: Session, app: YarnApp, attempt: YarnAppAttempt): Promise<DrillTarget> {
  const host = (typeof app.amHostHttpAddress === 'string' ? app.amHostHttpAddress : attempt.nodeHttpAddress ?? '').replace(/:\d+$/, '')
  if (!host) throw new DrillError(`YARN names no host for ${app.id}'s ApplicationMaster`, 'DRILL_TARGET_NOT_FOUND', 'is the application RUNNING?', ExitCode.Failed)
  const procs = await findDaemonProcesses(session.pool.get(host), YARN_AM_MAIN_CLASS)
  // the container's log dir (-Dlog.file=…/<application id>/<container id>/jobmanager.log) names the application
  const mine = procs.filter((p) => p.commandLine.includes(app.id))
  if (mine.length !== 1) {
    throw new DrillError(mine.length === 0 ? `no ${YARN_AM_MAIN_CLASS.split('.').at(-1)} of ${app.id} runs on ${host} as this user` : `${mine.length} ApplicationMaster processes of ${app.id} run on ${host}`,
      'DRILL_TARGET_NOT_FOUND', 'the drill signals only what it identified: SSH to the NodeManager host as the user the containers run as', ExitCode.Failed)
  }
  const p = mine[0]!
  return {kind: 'yarn-am', host, label: `${app.id} attempt ${attemptNo(attempt)} (${host})`, pid: p.pid, mainClass: YARN_AM_MAIN_CLASS, commandLine: p.commandLine,
    restore: {daemon: 'yarn', appId: app.id, attempt: attemptNo(attempt)}}
}

/** Kills a YARN session's ApplicationMaster and times the new attempt's recovery; rounds as runDrill. */
export async function runYarnDrill(session: Session, ctx: YarnContext, opts: DrillOptions & {yarnSession: string}, emit: Emit): Promise<DrillReport> {
  const startedAt = Date.now()
  const rounds: RoundResult[] = []
  let interrupted = false
  for (let n = 1; n <= opts.rounds; n++) {
    if (opts.signal?.aborted) { interrupted = true; break }
    let steady = await readYarnSteady(ctx, opts.yarnSession, opts)
    if (!steady.ok && n > 1) {
      const until = Date.now() + opts.settleMs
      while (!steady.ok && Date.now() < until && !opts.signal?.aborted) {
        await sleep(1000)
        steady = await readYarnSteady(ctx, opts.yarnSession, opts)
      }
    }
    if (!steady.ok && !opts.force) {
      if (n === 1) throw new DrillError(`refusing to drill: the steady state does not hold: ${steady.reasons.join('; ')}`, 'DRILL_NOT_STEADY', 'fix what is listed, wait for a checkpoint, or pass --force to drill anyway')
      emit({level: 'error', message: `round ${n}: the steady state did not return within ${seconds(opts.settleMs)}: ${steady.reasons.join('; ')}`})
      break
    }
    const before = latest(steady.attempts)
    if (!before) throw new DrillError(`${steady.app.id} has no attempt`, 'DRILL_TARGET_NOT_FOUND', 'is the application RUNNING?', ExitCode.Failed)
    const target = await amTarget(session, steady.app, before)
    emit({level: 'info', host: target.host, message: `round ${n}: ${opts.fault} ${target.label} (pid ${target.pid}, ${YARN_AM_MAIN_CLASS.split('.').at(-1)})`})
    const faultAt = Date.now()
    const round: RoundResult = {
      round: n, target, fault: opts.fault, faultAt,
      before: {leader: `attempt ${attemptNo(before)}`, jobs: steady.jobs}, after: {},
      phases: [], checks: [], restored: {ok: false, detail: 'not attempted'}, timedOut: false, explanation: [], ok: false,
    }
    const sent = await signalDaemon(session.pool.get(target.host), target.pid, target.mainClass, opts.fault === 'term' ? 'TERM' : 'KILL')
    if (sent.result !== 'sent') throw new DrillError(`${target.label}: pid ${target.pid} is ${sent.result} now; nothing was signalled`, 'DRILL_TARGET_GONE', 'run the drill again', ExitCode.Failed)
    if (sent.hostTime) round.hostFaultAt = sent.hostTime
    const planned = plannedPhases('yarn-am', opts.fault, steady.jobs.length > 0, true)
    const m = await measureYarn(ctx, steady, planned, attemptNo(before), faultAt, faultAt + opts.timeoutMs, emit, opts.signal)
    round.phases = m.phases
    round.timedOut = m.timedOut
    if (opts.signal?.aborted) interrupted = true
    round.after = {leader: m.newAttempt === undefined ? undefined : `attempt ${m.newAttempt}`}
    round.recoveryMs = m.timedOut || m.phases.length < planned.length ? undefined : m.phases.at(-1)!.ms
    round.checks = yarnChecks(steady, m)
    round.restored = m.newAttempt !== undefined ? {ok: true, detail: `YARN runs attempt ${m.newAttempt}`, ms: m.phases.find((p) => p.name === 'new-attempt')?.ms} : {ok: false, detail: 'no new attempt runs'}
    round.checks.push({name: `${steady.app.id} restarted by YARN`, ok: round.restored.ok, detail: round.restored.detail})
    round.explanation = explain(round, {sessionTimeoutMs: requestedSessionTimeoutMs(session), requestedMs: requestedSessionTimeoutMs(session), checkpointInterval: steady.checkpointInterval})
    if (opts.maxRecoveryMs !== undefined) round.withinBudget = round.recoveryMs !== undefined && round.recoveryMs <= opts.maxRecoveryMs
    round.ok = !round.timedOut && round.recoveryMs !== undefined && round.checks.every((c) => c.ok)
    rounds.push(round)
    if (interrupted) break
  }
  const {ok, exit} = drillOutcome(rounds, opts.rounds, interrupted)
  const {signal: _signal, ...options} = opts
  const requestedMs = requestedSessionTimeoutMs(session)
  return {options, startedAt, sessionTimeout: {requestedMs, effectiveMs: requestedMs}, rounds, summary: summarize(rounds), interrupted, ok, exit}
}

interface YarnMeasure {
  phases: Phase[]
  timedOut: boolean
  newAttempt?: number
  last?: Probe
}

async function measureYarn(ctx: YarnContext, steady: YarnSteady, phases: readonly PhaseName[], oldAttempt: number, faultAt: number, deadline: number, emit: Emit, signal?: AbortSignal): Promise<YarnMeasure> {
  const reached: Phase[] = []
  const pending = [...phases]
  const jobIds = steady.jobs.map((j) => j.jobId)
  const before = (id: string) => steady.jobs.find((j) => j.jobId === id)!
  let newAttempt: number | undefined
  let restUrl: string | undefined
  let last: Probe | undefined
  const mark = (name: PhaseName, at: number, detail?: string) => {
    reached.push({name, at, ms: at - faultAt, ...(detail ? {detail} : {})})
    pending.shift()
    emit({level: 'info', message: `+${seconds(at - faultAt)} ${name}${detail ? `: ${detail}` : ''}`})
  }
  while (pending.length > 0 && !signal?.aborted) {
    if (Date.now() > deadline) return {phases: reached, timedOut: true, newAttempt, last}
    const next = pending[0]!
    const t0 = Date.now()
    try {
      if (next === 'attempt-failed' || next === 'new-attempt') {
        const attempts = await ctx.rm.attempts(steady.app.id)
        const at = Date.now()
        const old = attempts.find((a) => attemptNo(a) === oldAttempt)
        const fresh = latest(attempts.filter((a) => attemptNo(a) > oldAttempt))
        if (next === 'attempt-failed' && (fresh || (old && old.appAttemptState !== 'RUNNING'))) mark(next, at, `attempt ${oldAttempt} ${old?.appAttemptState ?? 'gone'}`)
        else if (next === 'new-attempt' && fresh && fresh.appAttemptState === 'RUNNING') { newAttempt = attemptNo(fresh); mark(next, at, `attempt ${newAttempt} on ${fresh.nodeId ?? '?'}`) }
      } else if (next === 'rest') {
        const app = await ctx.rm.app(steady.app.id)
        const url = app.state === 'RUNNING' ? (await sessionRestUrl(app))?.url : undefined
        if (url) {
          await new RestClient(url, {timeoutMs: 1000}).overview()
          restUrl = url
          mark(next, Date.now(), url)
        }
      } else {
        const p = await probeJobs(new RestClient(restUrl!, {timeoutMs: 1000}), jobIds, {checkpoints: next === 'checkpoint'})
        if (p) {
          last = p
          const at = Date.now()
          const ok = jobIds.every((id) => {
            const o = p.overview.get(id)
            if (next === 'jobs-running') return o?.state === 'RUNNING'
            if (next === 'tasks-running') return o?.state === 'RUNNING' && o.tasks !== undefined && o.tasks.running === o.tasks.total
            const done = p.checkpoints.get(id)?.latest?.completed?.id
            return done !== undefined && done > (before(id).lastCompleted ?? -1)
          })
          if (ok) mark(next, at, next === 'checkpoint' ? jobIds.map((id) => `${id.slice(0, 8)}: ${p.checkpoints.get(id)?.latest?.completed?.id}`).join(', ') : undefined)
        }
      }
    } catch { /* not yet: the ResourceManager or the new JobManager is still coming up */ }
    if (pending[0] === next) await sleep(Math.max(0, POLL_MS - (Date.now() - t0)))
  }
  return {phases: reached, timedOut: false, newAttempt, last}
}

function yarnChecks(steady: YarnSteady, m: YarnMeasure): Check[] {
  const checks: Check[] = []
  const old = attemptNo(latest(steady.attempts)!)
  checks.push({name: 'YARN started the next attempt', ok: m.newAttempt === old + 1, detail: `attempt ${old} → ${m.newAttempt ?? 'none'}`})
  for (const j of steady.jobs) {
    const o = m.last?.overview.get(j.jobId)
    checks.push({name: `job ${j.jobId} RUNNING with the same id`, ok: o?.state === 'RUNNING', detail: o ? `${o.jid} ${o.state}` : 'never seen again'})
    const c = m.last?.checkpoints.get(j.jobId)
    const restored = c?.latest?.restored?.id
    checks.push({name: `job ${j.jobId} restored a checkpoint not older than the last one before the fault`, ok: restored !== undefined && restored >= (j.lastCompleted ?? 0), detail: `restored ${restored ?? 'none'}, last completed before the fault ${j.lastCompleted ?? 'none'}`})
    const done = c?.latest?.completed?.id
    checks.push({name: `job ${j.jobId} completed a new checkpoint`, ok: done !== undefined && done > (j.lastCompleted ?? -1), detail: `${j.lastCompleted ?? 'none'} → ${done ?? 'none'}`})
  }
  return checks
}
