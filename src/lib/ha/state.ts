// What ZooKeeper holds about one Flink cluster: who leads (and since when), who contends, which
// jobs will be recovered and how far their checkpoint counters went (flink-ha.md §2, §3.5).
import type {ZkClient} from '../zk/client.ts'
import {haPaths, joinZkPath, readLeader, type HaPaths, type LeaderReport} from '../zk/leader.ts'
import type {ClusterConf} from '../conf/types.ts'

export interface HaJobState {
  jobId: string
  /** Under <base>/jobgraphs (2.x: execution-plans): the job is recovered by the next leader. */
  stored: boolean
  /** The JobMaster leader's RPC address, when the job runs. */
  jobMaster?: string
  /** checkpoint_id_counter: the next id to hand out (so the last triggered is one less). */
  checkpointCounter?: number
  /** Completed checkpoints ZooKeeper retains, highest id last. */
  retainedCheckpoints: number[]
}

export interface HaState {
  /** When this was read (bastion clock, ms since the epoch). */
  readAt: number
  base: string
  layout: LeaderReport['layout']
  leader?: {
    restUrl?: string
    rpcAddress?: string
    sessionId?: string
    /** When the rest_server leader information was written (ZooKeeper's ctime of the node). */
    since?: number
    /** The ZooKeeper session holding the leadership. */
    owner?: string
  }
  /** Latch contenders (1.15+), the leader first: one per live JobManager process. */
  contenders: Array<{name: string; owner?: string}>
  /** Leader nodes all owned by the latch holder; false while leadership changes hands. */
  consistent?: boolean
  jobs: HaJobState[]
}

const JOB_ID = /^[0-9a-f]{32}$/

/** A Curator SharedCount: 4-byte signed big-endian int. */
export function decodeCounter(data: Buffer | undefined): number | undefined {
  return data && data.length === 4 ? data.readInt32BE(0) : undefined
}

export function clusterPaths(conf: Pick<ClusterConf, 'flink' | 'version'>): HaPaths {
  return haPaths(conf)
}

async function jobState(zk: ZkClient, paths: HaPaths, jobId: string, stored: boolean, legacy: boolean): Promise<HaJobState> {
  const counterPath = legacy ? joinZkPath(paths.base, 'checkpoint-counter', jobId) : joinZkPath(paths.jobs, jobId, 'checkpoint_id_counter')
  const checkpointsPath = legacy ? joinZkPath(paths.base, 'checkpoints', jobId) : joinZkPath(paths.jobs, jobId, 'checkpoints')
  const [counter, checkpoints] = await Promise.all([zk.getData(counterPath), zk.getChildren(checkpointsPath)])
  const ids = (checkpoints ?? []).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b)
  const value = decodeCounter(counter?.data)
  return {jobId, stored, ...(value === undefined ? {} : {checkpointCounter: value}), retainedCheckpoints: ids}
}

/** One consistent-enough read of the cluster's HA state (each node read once, in parallel). */
export async function readHaState(zk: ZkClient, paths: HaPaths): Promise<HaState> {
  const readAt = Date.now()
  const [leader, graphs, plans, jobDirs] = await Promise.all([readLeader(zk, paths), zk.getChildren(paths.jobgraphs), zk.getChildren(paths.executionPlans), zk.getChildren(paths.jobs)])
  const restNode = leader.rest ? await zk.exists(leader.rest.path) : undefined
  const legacy = leader.layout === 'legacy'
  const stored = new Set([...(graphs ?? []), ...(plans ?? [])].filter((n) => JOB_ID.test(n)))
  const ids = [...new Set([...stored, ...(jobDirs ?? []).filter((n) => JOB_ID.test(n)), ...leader.jobs.map((j) => j.jobId)])].sort()
  const jobs = await Promise.all(ids.map((id) => jobState(zk, paths, id, stored.has(id), legacy)))
  for (const j of jobs) {
    const master = leader.jobs.find((l) => l.jobId === j.jobId)?.address
    if (master) j.jobMaster = master
  }
  const latch = leader.latch ?? leader.latches?.rest_server ?? []
  const rest = leader.rest
  return {
    readAt,
    base: paths.base,
    layout: leader.layout,
    ...(rest || leader.dispatcher ? {
      leader: {
        ...(rest?.address ? {restUrl: rest.address} : {}),
        ...(leader.dispatcher?.address ? {rpcAddress: leader.dispatcher.address} : {}),
        ...(rest?.sessionId ? {sessionId: rest.sessionId} : {}),
        ...(rest && restNode ? {since: restNode.ctime} : {}),
        ...(rest ? {owner: rest.ephemeralOwner} : {}),
      },
    } : {}),
    contenders: latch.map((l) => ({name: l.name, ...(l.ephemeralOwner ? {owner: l.ephemeralOwner} : {})})),
    ...(leader.ownersConsistent === undefined ? {} : {consistent: leader.ownersConsistent}),
    jobs,
  }
}
