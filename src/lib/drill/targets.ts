// Which process a drill faults: found by host, pid and main class before any signal is sent.
import {probeQuorum, restEndpoints, endpointOfUrl, type MasterEndpoint} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {findDaemonProcesses, type DaemonProcess} from '../daemon/index.ts'
import {FlinkctlError, ExitCode, UsageError} from '../errors.ts'
import {DAEMON_MAIN_CLASSES} from '../launch/plan.ts'
import type {HaState} from '../ha/state.ts'
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

/** Resolves the drill's target from the live cluster (HA state already read). */
export async function resolveTarget(session: Session, opts: Pick<DrillOptions, 'target' | 'host' | 'peerId'>, state: HaState, standbys: readonly string[]): Promise<DrillTarget> {
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
    case 'taskmanager': {
      const hosts = [...new Set(session.conf.workers?.entries.map((w) => w.host) ?? [])]
      const host = opts.host ?? hosts[0]
      if (!host || !hosts.includes(host)) throw new UsageError(`${opts.host ? `${opts.host} is not in workers` : 'workers lists no host'}`, `pick one of: ${hosts.join(', ') || '(none)'}`)
      const cls = DAEMON_MAIN_CLASSES.taskexecutor
      const procs = await findDaemonProcesses(session.pool.get(host), cls)
      // the newest: a restarted TaskManager is the one a repeated drill should hit again
      const p = [...procs].sort((a, b) => b.pid - a.pid)[0]
      if (!p) throw new DrillError(`no TaskManager process runs on ${host}`, 'DRILL_TARGET_NOT_FOUND', 'check `flinkctl status`', ExitCode.Failed)
      const count = session.conf.workers!.entries.filter((w) => w.host === host).length
      return {kind: 'taskmanager', host, label: host, pid: p.pid, mainClass: cls, commandLine: p.commandLine, restore: {daemon: 'taskexecutor', count}}
    }
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
