// The steady state a drill needs before it faults anything (flink-ha.md §6.3): a published
// leader whose REST answers, every job RUNNING with a recent checkpoint, a standby alive, and a
// quorum that can lose a peer.
import {restEndpoints, endpointOfUrl, probeQuorum, type MasterEndpoint} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {probeMasters} from '../ha/status.ts'
import {readHaState, type HaState} from '../ha/state.ts'
import {RestClient} from '../rest/client.ts'
import type {ZkClient} from '../zk/client.ts'
import type {HaPaths} from '../zk/leader.ts'
import type {DrillOptions, JobBefore} from './types.ts'

export interface Steady {
  ok: boolean
  /** Why the steady state does not hold, one line each. */
  reasons: string[]
  state: HaState
  leader?: MasterEndpoint
  standbys: string[]
  jobs: JobBefore[]
}

const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED'])

export async function readSteady(session: Session, zk: ZkClient, paths: HaPaths, opts: Pick<DrillOptions, 'target' | 'checkpointMaxAgeMs'>, timeoutMs = 3000): Promise<Steady> {
  const reasons: string[] = []
  const endpoints = restEndpoints(session)
  const [state, masters] = await Promise.all([readHaState(zk, paths), probeMasters(endpoints, timeoutMs)])
  const leader = state.leader?.restUrl ? endpointOfUrl(session, state.leader.restUrl, endpoints) : undefined
  if (!state.leader?.restUrl) reasons.push('no leader is published in ZooKeeper')
  else if (!leader) reasons.push(`the published leader ${state.leader.restUrl} is none of the masters entries`)
  const standbys = masters.filter((m) => m.answers && m.label !== leader?.label).map((m) => m.label)
  if ((opts.target === 'leader' || opts.target === 'standby') && standbys.length === 0) reasons.push('no standby JobManager is alive')

  const jobs: JobBefore[] = []
  if (leader) {
    try {
      const j = await steadyJobs(new RestClient(leader.url, {timeoutMs}), opts.checkpointMaxAgeMs)
      jobs.push(...j.jobs)
      reasons.push(...j.reasons)
    } catch (err) {
      reasons.push(`the leader's REST API (${leader.url}) does not answer: ${(err as Error).message}`)
    }
  }
  if (opts.target === 'zk-quorum') {
    const q = await probeQuorum(session, timeoutMs)
    if (q.serving < q.total) reasons.push(`the quorum serves with ${q.serving}/${q.total} peers: a quorum-loss drill starts from a whole quorum`)
  } else if (opts.target === 'zk-peer' || opts.target === 'zk-leader') {
    const q = await probeQuorum(session, timeoutMs)
    const majority = Math.floor(q.total / 2) + 1
    if (q.serving - 1 < majority) reasons.push(`the quorum serves with ${q.serving}/${q.total} peers: losing one more would lose the majority`)
  }
  return {ok: reasons.length === 0, reasons, state, ...(leader ? {leader} : {}), standbys, jobs}
}

/** Every unfinished job RUNNING, all its vertices too, with a checkpoint completed within maxAgeMs; throws when REST does not answer. */
export async function steadyJobs(rest: RestClient, maxAgeMs: number): Promise<{jobs: JobBefore[]; reasons: string[]}> {
  const jobs: JobBefore[] = []
  const reasons: string[] = []
  const overview = await rest.jobsOverview()
  const now = Date.now()
  for (const j of overview.filter((x) => !TERMINAL.has(x.state))) {
    if (j.state !== 'RUNNING') { reasons.push(`job ${j.jid} (${j.name}) is ${j.state}, not RUNNING`); continue }
    const [details, cps] = await Promise.all([rest.jobDetails(j.jid), rest.checkpoints(j.jid)])
    const completed = cps.latest?.completed ?? undefined
    const ack = completed?.latest_ack_timestamp
    if (!completed) reasons.push(`job ${j.jid} (${j.name}) has no completed checkpoint`)
    else if (ack !== undefined && now - ack > maxAgeMs) reasons.push(`job ${j.jid} (${j.name}): last checkpoint ${completed.id} completed ${((now - ack) / 1000).toFixed(0)} s ago (more than ${maxAgeMs / 1000} s)`)
    // from the overview: /jobs/<id> is cached for web.refresh-interval and can show a recovered job still restarting
    const tasks = j.tasks
    if (tasks && tasks.running !== tasks.total) reasons.push(`job ${j.jid}: ${(tasks.total ?? 0) - (tasks.running ?? 0)} of ${tasks.total ?? "?"} tasks not RUNNING`)
    jobs.push({jobId: j.jid, name: j.name, ...(completed ? {lastCompleted: completed.id} : {}), ...(details.timestamps?.RUNNING ? {runningSince: details.timestamps.RUNNING} : {})})
  }
  return {jobs, reasons}
}
