// `ha status`: the leader as ZooKeeper publishes it, checked against the REST API, the standbys,
// the quorum per peer, and the jobs ZooKeeper will recover.
import {getValue, isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ConfigError, ExitCode, type ExitCodeValue} from '../errors.ts'
import {endpointOfUrl, probeQuorum, restEndpoints, zkConnectString, type MasterEndpoint, type QuorumView} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {RestClient, RestError} from '../rest/client.ts'
import {connectZk, type ZkClient} from '../zk/client.ts'
import {haPaths} from '../zk/leader.ts'
import {readHaState, type HaJobState, type HaState} from './state.ts'

export interface MasterView {
  /** The masters entry (host, or host:port when several share a host). */
  label: string
  url: string
  /** GET /config answered: a JobManager process serves there. */
  answers: boolean
  error?: string
}

export interface HaStatusReport {
  clusterId: string
  base: string
  zookeeper: {connect: string; ok: boolean; sessionTimeoutMs?: number; error?: string}
  state?: HaState
  leader?: {
    /** The masters entry the published REST address points at (undefined: none matches). */
    label?: string
    restUrl?: string
    /** The leader's REST URL as this machine reaches it (the masters entry's address through ssh_config). */
    url?: string
    rpcAddress?: string
    sessionId?: string
    since?: number
    /** REST at the leader's address answered /overview (the cross-check). */
    restAnswers: boolean
    restError?: string
    taskmanagers?: number
    jobsRunning?: number
  }
  standbys: MasterView[]
  /** Masters entries where no JobManager answers. */
  down: MasterView[]
  quorum: QuorumView
  jobs: Array<HaJobState & {state?: string; lastCompleted?: number}>
  /** What is wrong or weak, one line each; empty when all is well. */
  problems: string[]
  exit: ExitCodeValue
}

/** ZooKeeper HA must be on for any ha/drill command; a config that says otherwise is refused. */
export function requireZooKeeperHa(conf: ClusterConf): void {
  if (isZooKeeperHa(conf) && zkQuorumOf(conf)) return
  const file = conf.flink.file ?? conf.confDir
  throw new ConfigError(`${file}: ZooKeeper high availability is not configured (high-availability.type: zookeeper and high-availability.zookeeper.quorum)`, {
    code: 'HA_NOT_CONFIGURED',
    hint: 'set high-availability.type: zookeeper, high-availability.zookeeper.quorum and high-availability.storageDir; `flinkctl validate` checks them',
  })
}

const zkQuorumOf = (conf: ClusterConf) => getValue(conf, 'high-availability.zookeeper.quorum')?.value

/** A ZooKeeper session to the cluster's quorum, as the bastion reaches it. */
export async function connectClusterZk(session: Session, opts: {timeoutMs?: number; sessionTimeoutMs?: number; avoid?: readonly string[]} = {}): Promise<ZkClient> {
  const connect = zkConnectString(session, {avoid: opts.avoid})!
  return connectZk(connect, {connectTimeoutMs: opts.timeoutMs ?? 5000, sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000, opTimeoutMs: opts.timeoutMs ?? 5000})
}

export async function probeMasters(endpoints: readonly MasterEndpoint[], timeoutMs: number): Promise<MasterView[]> {
  return Promise.all(endpoints.map(async (e) => {
    try {
      await new RestClient(e.url, {timeoutMs}).config()
      return {label: e.label, url: e.url, answers: true}
    } catch (err) {
      return {label: e.label, url: e.url, answers: false, error: err instanceof Error ? err.message : String(err)}
    }
  }))
}

export async function haStatus(session: Session, opts: {timeoutMs?: number} = {}): Promise<HaStatusReport> {
  const {conf} = session
  requireZooKeeperHa(conf)
  const timeoutMs = opts.timeoutMs ?? 3000
  const paths = haPaths(conf)
  const endpoints = restEndpoints(session)
  const connect = zkConnectString(session)!
  const problems: string[] = []

  const [zkPart, masters, quorum] = await Promise.all([
    (async () => {
      let zk: ZkClient | undefined
      try {
        zk = await connectClusterZk(session, {timeoutMs})
        return {ok: true as const, state: await readHaState(zk, paths), sessionTimeoutMs: zk.sessionTimeoutMs}
      } catch (err) {
        return {ok: false as const, error: err instanceof Error ? err.message : String(err)}
      } finally {
        await zk?.close()
      }
    })(),
    probeMasters(endpoints, timeoutMs),
    probeQuorum(session, timeoutMs),
  ])

  const report: HaStatusReport = {
    clusterId: paths.clusterId,
    base: paths.base,
    zookeeper: {connect, ok: zkPart.ok, ...(zkPart.ok ? {sessionTimeoutMs: zkPart.sessionTimeoutMs} : {error: zkPart.error})},
    standbys: [],
    down: masters.filter((m) => !m.answers),
    quorum,
    jobs: [],
    problems,
    exit: ExitCode.Ok,
  }
  if (!zkPart.ok) problems.push(`ZooKeeper ${connect} cannot be read: ${zkPart.error}`)
  const state = zkPart.ok ? zkPart.state : undefined
  if (state) report.state = state

  let leaderEndpoint: MasterEndpoint | undefined
  if (state?.leader?.restUrl) {
    const l = state.leader
    leaderEndpoint = endpointOfUrl(session, l.restUrl!, endpoints)
    const view: NonNullable<HaStatusReport['leader']> = {
      ...(leaderEndpoint ? {label: leaderEndpoint.label} : {}),
      restUrl: l.restUrl, url: leaderEndpoint?.url ?? l.restUrl, rpcAddress: l.rpcAddress, sessionId: l.sessionId, since: l.since, restAnswers: false,
    }
    const rest = new RestClient(leaderEndpoint?.url ?? l.restUrl!, {timeoutMs})
    try {
      const o = await rest.overview()
      view.restAnswers = true
      view.taskmanagers = o.taskmanagers
      view.jobsRunning = o['jobs-running']
      const jobs = await rest.jobsOverview()
      report.jobs = await Promise.all(mergeJobs(state.jobs, jobs).map(async (j) => {
        if (j.state !== 'RUNNING') return j
        try {
          const c = await rest.checkpoints(j.jobId)
          const id = c.latest?.completed?.id
          return id === undefined ? j : {...j, lastCompleted: id}
        } catch {
          return j
        }
      }))
    } catch (err) {
      view.restError = err instanceof RestError && err.leaderElection ? 'leader election in progress (HTTP 503)' : err instanceof Error ? err.message : String(err)
      problems.push(`the leader's REST endpoint ${rest.baseUrl} does not answer: ${view.restError}`)
      report.jobs = state.jobs
    }
    if (!leaderEndpoint) problems.push(`the published leader ${l.restUrl} is none of the masters entries`)
    report.leader = view
  } else if (state) {
    problems.push(state.layout === 'none' ? `no cluster has run under ${paths.base} (check high-availability.cluster-id)` : 'no leader is published: an election is under way or no JobManager runs')
    report.jobs = state.jobs
  }
  report.standbys = masters.filter((m) => m.answers && m.label !== leaderEndpoint?.label)
  for (const m of report.down) problems.push(`no JobManager answers at ${m.label} (${m.url})`)
  if (report.leader && report.standbys.length === 0) problems.push('no standby JobManager answers: a leader failure would leave the cluster without a JobManager')
  if (state?.consistent === false) problems.push('leadership is changing hands (leader nodes not all owned by the latch holder)')
  if (!quorum.healthy) problems.push(`ZooKeeper quorum: ${quorum.serving}/${quorum.total} peers serving`)
  else for (const p of quorum.peers.filter((x) => !x.ok)) problems.push(`ZooKeeper peer ${p.id} (${p.host}) does not serve: ${p.error ?? 'no answer'}`)

  report.exit = !state || !report.leader ? ExitCode.Failed : problems.length > 0 ? ExitCode.PartialFailure : ExitCode.Ok
  return report
}

function mergeJobs(stored: HaJobState[], rest: ReadonlyArray<{jid: string; state: string}>) {
  const out: Array<HaJobState & {state?: string}> = stored.map((s) => {
    const r = rest.find((x) => x.jid === s.jobId)
    return r ? {...s, state: r.state} : s
  })
  for (const r of rest) if (!out.some((o) => o.jobId === r.jid)) out.push({jobId: r.jid, stored: false, retainedCheckpoints: [], state: r.state})
  return out
}
