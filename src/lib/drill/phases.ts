// A drill round's phases, timed from the fault: ZooKeeper watches for leadership, REST for jobs
// and checkpoints, srvr for the quorum; and the settling after faults whose effect comes late.
import {endpointOfUrl, probeQuorum, restEndpoints} from '../cluster/probes.ts'
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import type {HaChange} from '../ha/watch.ts'
import {RestClient, RestError, type CheckpointStats, type JobDetails, type JobOverview} from '../rest/client.ts'
import type {Steady} from './steady.ts'
import type {DrillOptions, DrillTarget, Phase, PhaseName} from './types.ts'

export const POLL_MS = 100
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/**
 * Whether the fault outlasts what detects it: a pause or a partition shorter than the ZooKeeper
 * session (JobManagers) or heartbeat.timeout (TaskManagers) is ridden out without a failover.
 */
export function expectsFailover(target: DrillTarget['kind'], opts: Pick<DrillOptions, 'fault' | 'pauseMs' | 'partitionMs'>, sessionTimeoutMs: number, heartbeatTimeoutMs = 50_000): boolean {
  const ms = opts.fault === 'pause' ? opts.pauseMs ?? 0 : opts.fault === 'partition' ? opts.partitionMs ?? 0 : undefined
  if (ms === undefined) return true
  return ms >= (target === 'taskmanager' ? heartbeatTimeoutMs : sessionTimeoutMs)
}

/** The phases a round waits for, in the order they happen. */
export function plannedPhases(target: DrillTarget['kind'], fault: DrillOptions['fault'], hasJobs: boolean, failover: boolean, hostsTasks = true): PhaseName[] {
  const jobPhases: PhaseName[] = hasJobs ? ['jobs-running', 'tasks-running', 'checkpoint'] : []
  switch (target) {
    case 'leader':
      return failover ? ['leader-gone', 'new-leader', 'rest', ...jobPhases] : hasJobs ? ['checkpoint'] : []
    case 'standby':
      return fault === 'pause' || (fault === 'partition' && !failover) ? (hasJobs ? ['checkpoint'] : []) : ['contender-gone', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'taskmanager':
      // an idle TaskManager's loss restarts nothing: the jobs only have to keep checkpointing
      return hasJobs ? (fault === 'pause' || (fault === 'partition' && !failover) || !hostsTasks ? ['checkpoint'] : ['job-restarted', ...jobPhases]) : []
    case 'zk-peer':
      return ['quorum-degraded', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'zk-leader':
      return ['quorum-degraded', 'quorum-leader', ...(hasJobs ? ['checkpoint' as const] : [])]
    case 'zk-quorum':
      // leadership-lost is measured on the way, not waited for: tolerated suspensions may keep it
      return ['quorum-lost', 'quorum-back', ...(hasJobs ? ['rest' as const, ...jobPhases] : [])]
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

/**
 * When the jobs' new checkpoints completed: the JobManager's own time of the last acknowledgement
 * (GET /checkpoints is cached for rest.cache.checkpoint-statistics.timeout, 3 s by default, so
 * seeing it lags), kept between the previous phase and the moment it was seen, so a JobManager
 * clock apart from this machine's can neither reorder the phases nor make them look later.
 */
export function checkpointSeenAt(acks: ReadonlyArray<number | undefined>, previousAt: number, seenAt: number): number {
  if (!acks.length || acks.some((a) => typeof a !== 'number' || !Number.isFinite(a))) return seenAt
  return Math.min(seenAt, Math.max(previousAt, ...(acks as number[])))
}

/** Measures one round's phases; returns when all are reached or the deadline passes. */
export async function measure(ctx: {
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
          const acks = jobIds.map((id) => p.checkpoints.get(id)?.latest?.completed?.latest_ack_timestamp)
          mark(next, next === 'checkpoint' ? checkpointSeenAt(acks, reached.at(-1)?.at ?? faultAt, at) : at, detail)
          progressed = true
        }
        break
      }
      case 'quorum-lost':
      case 'quorum-back': {
        const q = await probeQuorum(ctx.session, 1000)
        const majority = Math.floor(q.total / 2) + 1
        if (next === 'quorum-lost' && q.serving < majority) { mark(next, Date.now(), `${q.serving}/${q.total} peers serving: no majority`); progressed = true }
        if (next === 'quorum-back' && q.serving >= majority && q.leader !== undefined) { mark(next, Date.now(), `${q.serving}/${q.total} serving, peer ${q.leader} leads`); progressed = true }
        if (next === 'quorum-back' && !reached.some((p) => p.name === 'leadership-lost') && steady.leader) {
          // the leader's own REST: 503 (leader election) or a job no longer RUNNING means the JobManager gave up leadership
          try {
            const jobs = await new RestClient(steady.leader.url, {timeoutMs: 1000}).jobsOverview()
            const off = jobs.filter((j) => jobIds.includes(j.jid) && j.state !== 'RUNNING')
            if (off.length) reached.push({name: 'leadership-lost', at: Date.now(), ms: Date.now() - faultAt, detail: off.map((j) => `${j.jid.slice(0, 8)} ${j.state}`).join(', ')})
          } catch (err) {
            if (err instanceof RestError && err.leaderElection) reached.push({name: 'leadership-lost', at: Date.now(), ms: Date.now() - faultAt, detail: `${steady.leader.label}: leader election (503)`})
          }
          const l = reached.find((p) => p.name === 'leadership-lost')
          if (l) ctx.emit({level: 'info', message: `+${seconds(l.ms!)} leadership-lost: ${l.detail}`})
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
export async function settle(restUrl: string, jobIds: readonly string[], deadline: number, signal?: AbortSignal, before?: Probe): Promise<{probe?: Probe; settled: boolean; notRunning: string[]; ms: number}> {
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

export type Measured = Awaited<ReturnType<typeof measure>>
