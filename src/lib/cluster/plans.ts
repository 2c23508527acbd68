import {isLocalName} from '../remote/pool.ts'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import {isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {UsageError} from '../errors.ts'
import {chooseJava, parseJavaSpecVersion} from '../launch/java.ts'
import {planDaemon, type DaemonType, type Env, type LaunchPlan} from '../launch/plan.ts'

export interface PlanRequest {
  /** Only this host (Flink's positional `jobmanager start <host> <port>` or --host). */
  host?: string
  webuiPort?: number
  peerId?: number
  userArgs?: readonly string[]
  foreground?: boolean
  /** The user the daemons run as on the hosts (FLINK_IDENT_STRING). */
  user?: string
  /** The account on each host, when no --user is given (the SSH user; $USER locally). */
  userOf?: (host: string) => string
  /** Environment of the hosts, when known (the local one for localhost). */
  env?: Env
}

/** $USER, else the account name: Flink's scripts use $USER alone and split state when it is unset. */
const localUser = (): string => process.env.USER || userInfo().username

/** Java's major version on this machine; decides flags that depend on it (JDK 18+). */
export function probeJavaMajor(java: string): number | undefined {
  try {
    const out = execFileSync(java, ['-XshowSettings:properties', '-version'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000})
    return parseJavaSpecVersion(out)
  } catch (err) {
    const e = err as {stderr?: string}
    return e.stderr ? parseJavaSpecVersion(e.stderr) : undefined
  }
}

function planFor(conf: ClusterConf, daemon: DaemonType, host: string, req: PlanRequest, extra: {index: number; jmHost?: string; webuiPort?: number; javaMajor?: number}): LaunchPlan {
  // the same test the host pool uses to run a host locally, so plans and stop/status agree on paths
  const env = req.env ?? (isLocalName(host) ? process.env : {})
  return planDaemon(conf, {
    daemon, host, env, user: req.user ?? req.userOf?.(host) ?? localUser(), index: extra.index, javaMajor: extra.javaMajor,
    jmHost: extra.jmHost, webuiPort: extra.webuiPort, userArgs: req.userArgs, foreground: req.foreground, peerId: req.peerId,
  }, () => readFileSync(conf.zoo!.file, 'utf8'))
}

/** Maps host entries in order, giving each the instance index it gets on its host (0, 1, … per host). */
function perHostIndex<T extends {host: string}, R>(entries: readonly T[], fn: (entry: T, index: number) => R): R[] {
  const seen = new Map<string, number>()
  return entries.map((e) => {
    const index = seen.get(e.host) ?? 0
    seen.set(e.host, index + 1)
    return fn(e, index)
  })
}

/**
 * The JobManager plans start-cluster.sh would run: one per masters line with ZooKeeper HA
 * (`jobmanager.sh start <host> <port>`), else a single local JobManager.
 */
export function jobManagerPlans(conf: ClusterConf, req: PlanRequest = {}): LaunchPlan[] {
  const javaMajor = probeJavaMajor(chooseJava(conf, req.env ?? process.env).java)
  if (req.host !== undefined) return [planFor(conf, 'standalonesession', req.host, req, {index: 0, jmHost: req.host, webuiPort: req.webuiPort, javaMajor})]
  if (!isZooKeeperHa(conf)) return [planFor(conf, 'standalonesession', 'localhost', req, {index: 0, javaMajor})]
  const masters = conf.masters?.entries ?? []
  if (masters.length === 0) throw new UsageError('ZooKeeper HA is on but conf/masters lists no host', 'add host:webui-port lines to conf/masters, or pass --host')
  return perHostIndex(masters, (m, index) =>
    planFor(conf, 'standalonesession', m.host, req, {index, jmHost: m.host, webuiPort: m.port ?? 0, javaMajor}))
}

/** One TaskManager plan per workers line (a repeated host means several TaskManagers there). */
export function taskManagerPlans(conf: ClusterConf, req: PlanRequest = {}): LaunchPlan[] {
  const javaMajor = probeJavaMajor(chooseJava(conf, req.env ?? process.env).java)
  if (req.host !== undefined) return [planFor(conf, 'taskexecutor', req.host, req, {index: 0, javaMajor})]
  const workers = conf.workers?.entries ?? []
  if (workers.length === 0) throw new UsageError('conf/workers lists no host', 'add one TaskManager host per line to conf/workers, or pass --host')
  return perHostIndex(workers, (w, index) => planFor(conf, 'taskexecutor', w.host, req, {index, javaMajor}))
}

/** One ZooKeeper peer plan per `server.N` of zoo.cfg (or only --peer-id N). */
export function zooKeeperPlans(conf: ClusterConf, req: PlanRequest = {}): LaunchPlan[] {
  const servers = conf.zoo?.servers ?? []
  if (servers.length === 0) throw new UsageError('zoo.cfg lists no server.N', 'add server.1=host:2888:3888 lines to conf/zoo.cfg')
  const chosen = req.peerId === undefined ? servers : servers.filter((s) => s.id === req.peerId)
  if (chosen.length === 0) throw new UsageError(`zoo.cfg has no server.${req.peerId}`, `use one of: ${servers.map((s) => s.id).join(', ')}`)
  const javaMajor = probeJavaMajor(chooseJava(conf, req.env ?? process.env).java)
  return perHostIndex(chosen, (s, index) => planFor(conf, 'zookeeper', req.host ?? s.host, {...req, peerId: s.id}, {index, javaMajor}))
}

/**
 * The plans of one daemon command (`jobmanager start [host] [port]`, `taskmanager start`, …):
 * on --host or this machine, as jobmanager.sh/taskmanager.sh/historyserver.sh would run them.
 * A ZooKeeper peer runs where its server.N line says unless a host is given.
 */
export function daemonPlans(conf: ClusterConf, daemon: DaemonType, req: PlanRequest & {count?: number}): LaunchPlan[] {
  const host = req.host ?? 'localhost'
  const javaMajor = () => probeJavaMajor(chooseJava(conf, req.env ?? process.env).java)
  switch (daemon) {
    case 'zookeeper':
      return zooKeeperPlans(conf, req)
    case 'taskexecutor': {
      const major = javaMajor()
      return Array.from({length: Math.max(1, req.count ?? 1)}, (_, index) => planFor(conf, 'taskexecutor', host, req, {index, javaMajor: major}))
    }
    case 'standalonesession':
      return [planFor(conf, daemon, host, req, {index: 0, jmHost: req.host, webuiPort: req.webuiPort, javaMajor: javaMajor()})]
    default:
      return [planFor(conf, daemon, host, req, {index: 0, javaMajor: javaMajor()})]
  }
}
