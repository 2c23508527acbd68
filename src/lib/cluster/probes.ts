import {getValue, isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {RestClient, RestError} from '../rest/client.ts'
import {parseQuorum} from '../validate/rules.ts'
import {connectZk} from '../zk/client.ts'
import {haPaths, readLeader} from '../zk/leader.ts'
import {quorumHealth, quorumSummary} from '../zk/quorum.ts'
import type {Session} from './session.ts'

/** The bastion's view of the ZooKeeper quorum from zoo.cfg. */
export interface QuorumView {
  peers: Array<{id: number; host: string; port: number; ok: boolean; mode?: string; via?: string; error?: string; srvr?: string}>
  serving: number
  total: number
  healthy: boolean
  /** The peer id of the quorum leader (or of a standalone server). */
  leader?: number
}

export interface TaskManagerView {
  registered: number
  expected: number
  slotsTotal: number
  slotsAvailable: number
}

export interface JobManagerView {
  /** The leading JobManager, as ZooKeeper publishes it (HA) or the only one (no HA). */
  leader?: {host: string; restUrl: string; sessionId?: string; source: 'zookeeper' | 'rest'}
  standbys: string[]
  /** The REST endpoint that answered, or why none did. */
  rest: {url?: string; ok: boolean; error?: string; leaderElection?: boolean}
  taskmanagers?: TaskManagerView
  jobsRunning?: number
  /** Hosts (as the conf names them) of the TaskManagers the ResourceManager knows. */
  registeredOn?: Record<string, number>
}

/** The address the bastion uses for a conf host name: the ssh_config HostName when it has one. */
export function addressOf(session: Session, host: string): string {
  return session.pool.addressOf?.(host) ?? host
}

export interface MasterEndpoint {
  host: string
  /** How reports name this JobManager: the host, or host:port when several share a host. */
  label: string
  port: number
  url: string
}

/** REST endpoints of the JobManagers: one per masters line (HA), else rest.address:rest.port. */
export function restEndpoints(session: Session): MasterEndpoint[] {
  const {conf} = session
  const restPort = Number(getValue(conf, 'rest.port')?.value ?? 8081) || 8081
  if (isZooKeeperHa(conf) && conf.masters?.entries.length) {
    const seen = new Set<string>()
    const out: MasterEndpoint[] = []
    for (const m of conf.masters.entries) {
      const port = m.port || restPort
      const url = `http://${bracket(addressOf(session, m.host))}:${port}`
      if (!seen.has(url)) out.push({host: m.host, label: m.host, port, url})
      seen.add(url)
    }
    for (const e of out) if (out.filter((x) => x.host === e.host).length > 1) e.label = `${e.host}:${e.port}`
    return out
  }
  const host = getValue(conf, 'rest.address')?.value ?? getValue(conf, 'jobmanager.rpc.address')?.value ?? 'localhost'
  return [{host, label: host, port: restPort, url: `http://${bracket(addressOf(session, host))}:${restPort}`}]
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', 'localhost.localdomain'])

/** Two names of one machine: equal, both loopback, or the same address through ssh_config. */
export function sameMachine(session: Session, a: string, b: string): boolean {
  if (a === b) return true
  if (LOOPBACK.has(a) && LOOPBACK.has(b)) return true
  return addressOf(session, a) === b || addressOf(session, b) === a || addressOf(session, a) === addressOf(session, b)
}

const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)

/** The number of TaskManagers start-cluster starts: one per workers line. */
export const expectedTaskManagers = (conf: ClusterConf): number => conf.workers?.entries.length ?? 0

export async function probeQuorum(session: Session, timeoutMs = 3000): Promise<QuorumView> {
  const zoo = session.conf.zoo
  if (!zoo || zoo.servers.length === 0) return {peers: [], serving: 0, total: 0, healthy: false}
  const peers = zoo.servers.map((s) => ({id: s.id, host: s.host, clientPort: clientPortOf(zoo, s), address: addressOf(session, s.host)}))
  const health = await quorumHealth(peers.map((p) => ({id: p.id, host: p.address, clientPort: p.clientPort})), {timeoutMs})
  const summary = quorumSummary(health)
  return {
    peers: health.map((h, i) => ({id: h.id, host: peers[i]!.host, port: h.port, ok: h.ok, mode: h.mode, via: h.via, error: h.error, srvr: h.srvr})),
    serving: summary.serving,
    total: summary.total,
    healthy: summary.healthy,
    leader: summary.leader,
  }
}

/** The connect string for ZooKeeper from the bastion: quorum hosts mapped to reachable addresses. */
export function zkConnectString(session: Session, opts: {avoid?: readonly string[]} = {}): string | undefined {
  const text = getValue(session.conf, 'high-availability.zookeeper.quorum')?.value
  if (!text) return undefined
  const q = parseQuorum(text)
  // a drill that cuts a host off keeps its own session on the peers it does not cut
  const kept = q.entries.filter((e) => !(opts.avoid ?? []).some((h) => sameMachine(session, h, e.host)))
  return (kept.length ? kept : q.entries).map((e) => `${bracket(addressOf(session, e.host))}:${e.port ?? 2181}`).join(',')
}

/** The masters endpoint a published leader URL points at (same machine and port). */
export function endpointOfUrl(session: Session, url: string, endpoints: readonly MasterEndpoint[]): MasterEndpoint | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  const name = u.hostname.replace(/^\[|\]$/g, '')
  const port = Number(u.port || 80)
  return endpoints.find((e) => e.port === port && sameMachine(session, e.host, name)) ?? endpoints.find((e) => sameMachine(session, e.host, name))
}

/**
 * One ZooKeeper session for repeated leader reads (a readiness loop polls several times a
 * second; a new session per poll would load the quorum). Reconnects after a failure.
 */
export class ZkSessionCache {
  readonly #session: Session
  #zk: Awaited<ReturnType<typeof connectZk>> | undefined

  constructor(session: Session) {
    this.#session = session
  }

  /** The REST leader ZooKeeper publishes, or undefined when none is known (or ZooKeeper is unreachable). */
  async readLeader(timeoutMs: number): Promise<{address: string; sessionId?: string} | undefined> {
    const connect = zkConnectString(this.#session)
    if (!connect) return undefined
    try {
      if (!this.#zk || this.#zk.state !== 'connected') {
        await this.close()
        this.#zk = await connectZk(connect, {sessionTimeoutMs: 10_000, connectTimeoutMs: timeoutMs})
      }
      const leader = await readLeader(this.#zk, haPaths(this.#session.conf))
      return leader.rest?.address ? {address: leader.rest.address, sessionId: leader.rest.sessionId} : undefined
    } catch {
      await this.close()
      return undefined
    }
  }

  async close(): Promise<void> {
    const zk = this.#zk
    this.#zk = undefined
    await zk?.close()
  }
}

/**
 * Who leads, whether REST answers and how many TaskManagers are registered. The leader comes
 * from ZooKeeper's rest_server leader information (there is no "am I leader" REST call), then
 * REST is asked at the leader's address first.
 */
export async function probeJobManagers(session: Session, opts: {runningMasters?: readonly string[]; timeoutMs?: number; zk?: ZkSessionCache} = {}): Promise<JobManagerView> {
  const {conf} = session
  const timeoutMs = opts.timeoutMs ?? 3000
  const endpoints = restEndpoints(session)
  const view: JobManagerView = {standbys: [], rest: {ok: false}}

  if (isZooKeeperHa(conf)) {
    const own = opts.zk ? undefined : new ZkSessionCache(session)
    const zk = opts.zk ?? own!
    try {
      const leader = await zk.readLeader(timeoutMs)
      if (leader?.address) {
        const endpoint = endpointOfUrl(session, leader.address, endpoints)
        view.leader = {host: endpoint?.label ?? new URL(leader.address).hostname, restUrl: endpoint?.url ?? leader.address, sessionId: leader.sessionId, source: 'zookeeper'}
      }
    } finally {
      await own?.close()
    }
  }

  const order = view.leader ? [endpoints.find((e) => e.label === view.leader!.host), ...endpoints].filter((e): e is MasterEndpoint => Boolean(e)) : endpoints
  for (const e of order) {
    const rest = new RestClient(e.url, {timeoutMs})
    try {
      const o = await rest.overview()
      view.rest = {url: e.url, ok: true}
      view.taskmanagers = {registered: o.taskmanagers, expected: expectedTaskManagers(conf), slotsTotal: o['slots-total'], slotsAvailable: o['slots-available']}
      view.jobsRunning = o['jobs-running']
      try {
        view.registeredOn = registeredOn(session, await rest.taskManagers())
      } catch {
        // the count above is what readiness needs; the per-host split is a nicety
      }
      if (!isZooKeeperHa(conf) && !view.leader) view.leader = {host: e.label, restUrl: e.url, source: 'rest'}
      break
    } catch (err) {
      view.rest = {url: e.url, ok: false, error: err instanceof Error ? err.message : String(err), leaderElection: err instanceof RestError && err.leaderElection}
    }
  }
  // a standby: a masters entry other than the leader whose host runs a JobManager
  const running = opts.runningMasters ?? endpoints.map((e) => e.host)
  view.standbys = isZooKeeperHa(conf) ? endpoints.filter((e) => e.label !== view.leader?.host && running.includes(e.host)).map((e) => e.label) : []
  return view
}

/** Registered TaskManagers per workers host, matched on the address in each TaskManager's RPC path. */
function registeredOn(session: Session, tms: ReadonlyArray<{id?: string; path?: string}>): Record<string, number> {
  const workers = [...new Set(session.conf.workers?.entries.map((w) => w.host) ?? [])]
  const counts: Record<string, number> = {}
  for (const tm of tms) {
    const addr = /@([^:/]+|\[[^\]]+\]):\d+/.exec(tm.path ?? '')?.[1] ?? (tm.id ?? '').split(':')[0] ?? ''
    const host = workers.find((w) => w === addr || addressOf(session, w) === addr) ?? addr
    counts[host] = (counts[host] ?? 0) + 1
  }
  return counts
}
