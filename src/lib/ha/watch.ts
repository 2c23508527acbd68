// Streams a cluster's HA state as it changes: ZooKeeper watches on the latch, the leader
// information and the job graphs (no polling). Each change is stamped with the moment its state
// had been read, right after the notification, so a consumer can time events to within a round trip.
import {joinZkPath, type HaPaths} from '../zk/leader.ts'
import type {ZkClient, ZkWatchEvent} from '../zk/client.ts'
import {readHaState, type HaState} from './state.ts'

export interface HaChange {
  /**
   * Bastion clock (ms since the epoch) when this state had been read: flinkctl knew of the change
   * by then. (The notification may have come earlier, but a read can also see later changes than
   * the one notified, so only the end of the read is a time the state is known to hold.)
   */
  at: number
  /** When the ZooKeeper notification that led to this read arrived. */
  notifiedAt?: number
  /** What differs from the previous state, in words; empty for the first event. */
  changes: string[]
  /** Which aspects changed. */
  kinds: Array<'leader' | 'contenders' | 'jobs'>
  state: HaState
  previous?: HaState
}

/** Both layouts at once: a watch on a node that does not exist is cheap and fires when it appears. */
function watchedPaths(paths: HaPaths): Array<{path: string; what: 'data' | 'children'}> {
  const all: Array<{path: string; what: 'data' | 'children'}> = [
    {path: paths.latch, what: 'children'},
    {path: joinZkPath(paths.leader, 'rest_server', 'connection_info'), what: 'data'},
    {path: joinZkPath(paths.leader, 'dispatcher', 'connection_info'), what: 'data'},
    {path: joinZkPath(paths.legacyLatch, 'rest_server_lock'), what: 'children'},
    {path: joinZkPath(paths.legacyLeader, 'rest_server_lock'), what: 'data'},
    {path: joinZkPath(paths.legacyLeader, 'dispatcher_lock'), what: 'data'},
    {path: paths.leader, what: 'children'},
    {path: paths.legacyLeader, what: 'children'},
    {path: paths.jobgraphs, what: 'children'},
    {path: paths.executionPlans, what: 'children'},
    // the base appears when a cluster first starts under it
    {path: paths.base, what: 'children'},
  ]
  return all.filter((w, i) => all.findIndex((x) => x.path === w.path && x.what === w.what) === i)
}

const short = (id: string | undefined) => (id ? id.slice(0, 8) : '?')

/** The differences between two reads, as an operator would say them. */
export function describeChange(prev: HaState | undefined, next: HaState): Pick<HaChange, 'changes' | 'kinds'> {
  if (!prev) return {changes: [], kinds: []}
  const changes: string[] = []
  const kinds = new Set<HaChange['kinds'][number]>()
  const a = prev.leader
  const b = next.leader
  if (a?.sessionId !== b?.sessionId || a?.restUrl !== b?.restUrl) {
    kinds.add('leader')
    if (!b?.restUrl) changes.push(`leader gone (was ${a?.restUrl ?? '?'}, session ${short(a?.sessionId)})`)
    else changes.push(`leader ${b.restUrl} (session ${short(b.sessionId)})${a?.restUrl ? `, was ${a.restUrl}` : ''}`)
  }
  const before = new Set(prev.contenders.map((c) => c.name))
  const after = new Set(next.contenders.map((c) => c.name))
  const joined = [...after].filter((n) => !before.has(n))
  const left = [...before].filter((n) => !after.has(n))
  if (joined.length || left.length) {
    kinds.add('contenders')
    if (left.length) changes.push(`latch: ${left.length} contender${left.length > 1 ? 's' : ''} left (${left.join(', ')})`)
    if (joined.length) changes.push(`latch: ${joined.length} contender${joined.length > 1 ? 's' : ''} joined (${joined.join(', ')})`)
  }
  const jobsA = new Map(prev.jobs.map((j) => [j.jobId, j]))
  for (const j of next.jobs) {
    const o = jobsA.get(j.jobId)
    if (!o) { kinds.add('jobs'); changes.push(`job ${j.jobId} appeared${j.stored ? ' (job graph stored)' : ''}`); continue }
    if (o.stored !== j.stored) { kinds.add('jobs'); changes.push(`job ${j.jobId} ${j.stored ? 'stored for recovery' : 'no longer stored for recovery'}`) }
    if (Boolean(o.jobMaster) !== Boolean(j.jobMaster) || o.jobMaster !== j.jobMaster) {
      kinds.add('jobs')
      changes.push(j.jobMaster ? `job ${j.jobId} has a JobMaster leader ${j.jobMaster}` : `job ${j.jobId} has no JobMaster leader`)
    }
  }
  for (const o of prev.jobs) if (!next.jobs.some((j) => j.jobId === o.jobId)) { kinds.add('jobs'); changes.push(`job ${o.jobId} removed from ZooKeeper`) }
  return {changes, kinds: [...kinds]}
}

/**
 * Calls onChange with the current state, then after every change until the signal aborts.
 * Watches are re-armed before each read, so nothing between two reads is missed. ZooKeeper
 * errors are retried after a short pause and reported through onError; an expired session is
 * not survived here (the client gets no new session): the caller reconnects, as watchClusterHa does.
 */
export async function watchHa(zk: ZkClient, paths: HaPaths, opts: {signal: AbortSignal; onChange: (c: HaChange) => void; onError?: (err: Error) => void; retryMs?: number}): Promise<void> {
  let prev: HaState | undefined
  let firedAt: number | undefined
  while (!opts.signal.aborted) {
    const round = new AbortController()
    const stop = () => round.abort()
    opts.signal.addEventListener('abort', stop, {once: true})
    try {
      // arm first, then read: a change in between fires one of these
      // each wrapped in an object: an async function returning the bare promise would wait for the change itself
      const armed = await Promise.all(watchedPaths(paths).map(async ({path, what}) =>
        ({changed: what === 'data' ? (await zk.watchData(path, {signal: round.signal})).changed : (await zk.watchChildren(path, {signal: round.signal})).changed})))
      const state = await readHaState(zk, paths)
      const d = describeChange(prev, state)
      if (!prev || d.changes.length > 0 || state.layout !== prev.layout) {
        opts.onChange({at: Date.now(), ...(firedAt ? {notifiedAt: firedAt} : {}), ...d, state, ...(prev ? {previous: prev} : {})})
      }
      prev = state
      const ev: ZkWatchEvent = await Promise.race(armed.map((a) => a.changed))
      firedAt = Date.now()
      if (ev.type === 'aborted' || ev.type === 'closed') break
    } catch (err) {
      opts.onError?.(err as Error)
      firedAt = undefined
      await new Promise((r) => setTimeout(r, opts.retryMs ?? 500))
    } finally {
      round.abort()
      opts.signal.removeEventListener('abort', stop)
    }
  }
}
