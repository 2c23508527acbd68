// Which process a drill faults: found by host, pid and main class before any signal is sent.
import {addressOf, probeQuorum, restEndpoints, endpointOfUrl, type MasterEndpoint} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {findDaemonProcesses, type DaemonProcess} from '../daemon/index.ts'
import {FlinkctlError, ExitCode, UsageError} from '../errors.ts'
import {DAEMON_MAIN_CLASSES} from '../launch/plan.ts'
import type {HaState} from '../ha/state.ts'
import {RestClient, type TaskManagerInfo} from '../rest/client.ts'
import type {DrillOptions, DrillTarget} from './types.ts'

export class DrillError extends FlinkctlError {
  constructor(message: string, code: string, hint?: string, exit: typeof ExitCode[keyof typeof ExitCode] = ExitCode.CheckFailed) {
    super(message, {code, exit, hint})
    this.name = 'DrillError'
  }
}

const words = (cmd: string) => ` ${cmd} `

/** The JobManager process serving a masters entry: the one started with its web UI port, else the only one. */
export function pickJobManager(procs: readonly DaemonProcess[], port: number): DaemonProcess | undefined {
  const byPort = procs.filter((p) => words(p.commandLine).includes(` --webui-port ${port} `) || new RegExp(`(^| )-D ?rest\\.port=${port}( |$)`).test(p.commandLine))
  if (byPort.length === 1) return byPort[0]
  return procs.length === 1 ? procs[0] : undefined
}

async function jobManagerTarget(session: Session, e: MasterEndpoint, kind: 'leader' | 'standby'): Promise<DrillTarget> {
  const cls = DAEMON_MAIN_CLASSES.standalonesession
  const procs = await findDaemonProcesses(session.pool.get(e.host), cls)
  const p = pickJobManager(procs, e.port)
  if (!p) {
    throw new DrillError(
      procs.length === 0 ? `no JobManager process runs on ${e.host}` : `${procs.length} JobManager processes run on ${e.host} and none was started with web UI port ${e.port}`,
      'DRILL_TARGET_NOT_FOUND', 'check `flinkctl status`; a JobManager started by hand without --webui-port cannot be told apart', ExitCode.Failed)
  }
  return {kind, host: e.host, label: e.label, pid: p.pid, mainClass: cls, commandLine: p.commandLine, restore: {daemon: 'standalonesession', webuiPort: e.port}}
}

/** The instance index in a TaskManager's log file name (flink-<user>-taskexecutor-<N>-<host>.log). */
export function taskExecutorIndex(commandLine: string): number | undefined {
  const m = /(?:^| )-Dlog\.file=\S*-taskexecutor-(\d+)-[^ /]*\.log(?: |$)/.exec(commandLine)
  return m ? Number(m[1]) : undefined
}

/** A TaskManager's RPC address and port: from its actor path (pekko.tcp://flink@host:port/…), else its default resource id (host:port-abcdef). */
export function rpcEndpointOf(tm: Pick<TaskManagerInfo, 'id' | 'path'>): {addr: string; port: number} | undefined {
  const m = (typeof tm.path === 'string' ? /@([^/]*):(\d+)\//.exec(tm.path) : null) ?? /^(.*):(\d+)-[0-9a-f]{6}$/.exec(tm.id)
  return m ? {addr: m[1]!, port: Number(m[2])} : undefined
}

export interface BusyTaskManager {
  addr: string
  port: number
  subtasks: number
}

/** Subtasks of the given jobs per TaskManager (RPC address and port), from the leader's REST API; undefined when it does not answer. */
export async function subtasksByTaskManager(rest: RestClient, jobIds: readonly string[]): Promise<BusyTaskManager[] | undefined> {
  try {
    const endpointOf = new Map((await rest.taskManagers()).map((t) => [t.id, rpcEndpointOf(t)]))
    const counts = new Map<string, BusyTaskManager>()
    for (const id of jobIds) {
      const job = await rest.jobDetails(id)
      const perVertex = await Promise.all((job.vertices ?? []).map((v) => rest.vertexTaskManagers(id, v.id)))
      for (const t of perVertex.flatMap((v) => v.taskmanagers)) {
        const e = endpointOf.get(t['taskmanager-id'] ?? '')
        if (!e) continue
        const n = Object.entries(t['status-counts'] ?? {}).filter(([k]) => !['FINISHED', 'CANCELED', 'FAILED'].includes(k)).reduce((a, [, x]) => a + x, 0)
        const key = `${e.addr}:${e.port}`
        const c = counts.get(key) ?? {...e, subtasks: 0}
        c.subtasks += t['status-counts'] ? n : 1
        counts.set(key, c)
      }
    }
    return [...counts.values()]
  } catch {
    return undefined
  }
}

async function taskManagerTarget(session: Session, host: string | undefined, ctx: {restUrl?: string; jobIds: readonly string[]}): Promise<DrillTarget> {
  const hosts = [...new Set(session.conf.workers?.entries.map((w) => w.host) ?? [])]
  if (host !== undefined && !hosts.includes(host)) throw new UsageError(`${host} is not in workers`, `pick one of: ${hosts.join(', ') || '(none)'}`)
  if (hosts.length === 0) throw new UsageError('workers lists no host', 'add the TaskManager hosts to conf/workers')
  const cls = DAEMON_MAIN_CLASSES.taskexecutor
  const busy = ctx.restUrl ? await subtasksByTaskManager(new RestClient(ctx.restUrl, {timeoutMs: 5000}), ctx.jobIds) : undefined
  // a TaskManager's address names its worker (as the conf or the SSH layer knows it); one that names none may be on any
  const workerOf = (addr: string) => hosts.find((w) => w === addr || addressOf(session, w) === addr)
  const busyOn = (h: string) => (busy ?? []).filter((b) => (workerOf(b.addr) ?? h) === h)
  const found = await Promise.all((host ? [host] : hosts).map(async (h) => ({host: h, procs: await findDaemonProcesses(session.pool.get(h), cls, {ports: busy !== undefined})})))
  // tasks per process: known when the leader answered and the host showed the process's ports
  const candidates = found.flatMap(({host: h, procs}) => [...procs].sort((a, b) => b.pid - a.pid).map((p) => ({
    host: h, p, tasks: busy && p.ports ? busyOn(h).filter((b) => p.ports!.includes(b.port)).reduce((a, b) => a + b.subtasks, 0) : undefined,
  })))
  // one running tasks first (a drill on an idle TaskManager tests nothing), else the newest on the first host
  const pick = candidates.find((c) => (c.tasks ?? 0) > 0) ?? candidates[0]
  if (!pick) throw new DrillError(`no TaskManager process runs on ${host ?? hosts.join(', ')}`, 'DRILL_TARGET_NOT_FOUND', 'check `flinkctl status`', ExitCode.Failed)
  // restore brings the host back to what ran before the fault: exactly the one faulted, not others already missing
  const count = found.find((f) => f.host === pick.host)!.procs.length
  const several = count > 1 || session.conf.workers!.entries.filter((w) => w.host === pick.host).length > 1
  const instance = taskExecutorIndex(pick.p.commandLine)
  let registered: number | undefined
  try {
    registered = ctx.restUrl ? (await new RestClient(ctx.restUrl, {timeoutMs: 3000}).overview()).taskmanagers : undefined
  } catch { /* counted by the conf instead */ }
  return {
    kind: 'taskmanager', host: pick.host, label: several && instance !== undefined ? `${pick.host} taskexecutor-${instance}` : pick.host,
    pid: pick.p.pid, mainClass: cls, commandLine: pick.p.commandLine,
    ...(pick.tasks !== undefined ? {tasks: pick.tasks} : {}), restore: {daemon: 'taskexecutor', count, ...(registered !== undefined ? {registered} : {})},
  }
}

/** A majority of the peers, the quorum leader among them (so the quorum must also elect again). */
async function quorumTarget(session: Session): Promise<DrillTarget> {
  const servers = session.conf.zoo?.servers ?? []
  if (servers.length === 0) throw new UsageError('zoo.cfg lists no server.N: flinkctl does not run this quorum', 'drill ZooKeeper peers that `flinkctl start-zookeeper-quorum` manages')
  const q = await probeQuorum(session)
  const majority = Math.floor(servers.length / 2) + 1
  const order = [...servers].sort((a, b) => Number(b.id === q.leader) - Number(a.id === q.leader) || a.id - b.id).slice(0, majority)
  const cls = DAEMON_MAIN_CLASSES.zookeeper
  const peers = await Promise.all(order.map(async (server) => {
    const procs = await findDaemonProcesses(session.pool.get(server.host), cls)
    const p = procs.find((x) => words(x.commandLine).includes(` --peerId ${server.id} `)) ?? (procs.length === 1 ? procs[0] : undefined)
    if (!p) throw new DrillError(`no ZooKeeper peer ${server.id} runs on ${server.host}`, 'DRILL_TARGET_NOT_FOUND', 'check `flinkctl status`', ExitCode.Failed)
    return {peerId: server.id, host: server.host, pid: p.pid, commandLine: p.commandLine}
  }))
  const first = peers[0]!
  return {
    kind: 'zk-quorum', host: first.host, label: `peers ${peers.map((p) => p.peerId).join(', ')} (${majority} of ${servers.length})`,
    pid: first.pid, mainClass: cls, commandLine: first.commandLine, restore: {daemon: 'zookeeper-majority', peers: peers.map(({peerId, host, pid}) => ({peerId, host, pid}))},
  }
}

/** Resolves the drill's target from the live cluster (HA state already read). */
export async function resolveTarget(session: Session, opts: Pick<DrillOptions, 'target' | 'host' | 'peerId'>, state: HaState, standbys: readonly string[], jobs: {restUrl?: string; jobIds: readonly string[]} = {jobIds: []}): Promise<DrillTarget> {
  const endpoints = restEndpoints(session)
  switch (opts.target) {
    case 'leader': {
      const e = state.leader?.restUrl ? endpointOfUrl(session, state.leader.restUrl, endpoints) : undefined
      if (!e) throw new DrillError('no leading JobManager is published in ZooKeeper, or it is none of the masters entries', 'DRILL_NO_LEADER', 'run `flinkctl ha status`', ExitCode.Failed)
      return jobManagerTarget(session, e, 'leader')
    }
    case 'standby': {
      const e = endpoints.find((x) => standbys.includes(x.label))
      if (!e) throw new DrillError('no standby JobManager answers', 'DRILL_NO_STANDBY', 'start one with `flinkctl jobmanager start --host H`', ExitCode.Failed)
      return jobManagerTarget(session, e, 'standby')
    }
    case 'taskmanager':
      return taskManagerTarget(session, opts.host, jobs)
    case 'yarn-am':
      throw new UsageError('a YARN ApplicationMaster is drilled with --yarn-session', 'flinkctl drill --yarn-session <application id or name>')
    case 'zk-quorum':
      return quorumTarget(session)
    case 'zk-peer':
    case 'zk-leader': {
      const servers = session.conf.zoo?.servers ?? []
      if (servers.length === 0) throw new UsageError('zoo.cfg lists no server.N: flinkctl does not run this quorum', 'drill ZooKeeper peers that `flinkctl start-zookeeper-quorum` manages')
      let id = opts.peerId
      if (opts.target === 'zk-leader' || id === undefined) {
        const q = await probeQuorum(session)
        if (opts.target === 'zk-leader') {
          if (q.leader === undefined) throw new DrillError('the quorum has no leader', 'DRILL_NO_QUORUM_LEADER', 'run `flinkctl status`', ExitCode.Failed)
          id = q.leader
        } else {
          // default: a follower, so the drill tests losing a peer rather than an election
          id = q.peers.find((p) => p.ok && p.mode === 'follower')?.id ?? q.peers.find((p) => p.ok)?.id
        }
      }
      const server = servers.find((s) => s.id === id)
      if (!server) throw new UsageError(`zoo.cfg has no server.${id}`, `pick one of: ${servers.map((s) => s.id).join(', ')}`)
      const cls = DAEMON_MAIN_CLASSES.zookeeper
      const procs = await findDaemonProcesses(session.pool.get(server.host), cls)
      const p = procs.find((x) => words(x.commandLine).includes(` --peerId ${server.id} `)) ?? (procs.length === 1 ? procs[0] : undefined)
      if (!p) throw new DrillError(`no ZooKeeper peer ${server.id} runs on ${server.host}`, 'DRILL_TARGET_NOT_FOUND', 'check `flinkctl status`', ExitCode.Failed)
      return {kind: opts.target, host: server.host, label: `peer ${server.id} (${server.host})`, pid: p.pid, mainClass: cls, commandLine: p.commandLine, restore: {daemon: 'zookeeper', peerId: server.id}}
    }
  }
}
