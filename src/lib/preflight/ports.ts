// The TCP ports each host of the conf will bind once the cluster runs, by the keys Flink reads
// (ConfigOption defaults of 1.20 and 2.x; "0" means a random port, nothing to check).
import {getValue, isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {jobManagerHosts} from '../cluster/ops.ts'
import {describeOwner, type PortOwner} from './probe.ts'

export interface PortNeed {
  /** The key the port comes from (or the zoo.cfg line). */
  key: string
  /** The key's text: one port, a range `50100-50200`, or a list of both. */
  spec: string
  ports: number[]
  /** Daemons on this host that each bind one port of `ports`. */
  need: number
  who: string
}

/**
 * Flink's port list syntax (NetUtils.getPortRangeFromString): comma-separated ports and
 * `from-to` ranges. Undefined for text Flink would refuse, and for "0" (random).
 */
export function parsePortSpec(spec: string): number[] | undefined {
  const out: number[] = []
  for (const part of spec.split(',')) {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part)
    if (!m) return undefined
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (from > 65535 || to > 65535 || to < from) return undefined
    // a huge range is as good as random: nothing to check
    if (to - from > 4096) return undefined
    for (let p = from; p <= to; p++) if (p !== 0) out.push(p)
  }
  return out.length ? [...new Set(out)] : undefined
}

const value = (conf: ClusterConf, key: string, fallback: string): {key: string; spec: string} => {
  const v = getValue(conf, key)
  return {key: v?.foundAs ?? key, spec: (v?.value ?? fallback).trim()}
}

/** What binds where: one list of needs per host, daemons of one kind on one host counted together. */
export function portNeeds(conf: ClusterConf): Map<string, PortNeed[]> {
  const needs = new Map<string, PortNeed[]>()
  const add = (host: string, who: string, src: {key: string; spec: string}) => {
    const ports = parsePortSpec(src.spec)
    if (!ports) return
    const list = needs.get(host) ?? []
    const same = list.find((n) => n.key === src.key && n.spec === src.spec && n.who === who)
    if (same) same.need++
    else list.push({key: src.key, spec: src.spec, ports, need: 1, who})
    needs.set(host, list)
  }
  const ha = isZooKeeperHa(conf)
  const rpcBind = getValue(conf, 'jobmanager.rpc.bind-port')
  const rpc = rpcBind ? {key: rpcBind.foundAs, spec: rpcBind.value} : ha ? value(conf, 'high-availability.jobmanager.port', '0') : value(conf, 'jobmanager.rpc.port', '6123')
  const restBind = getValue(conf, 'rest.bind-port')
  const rest = restBind ? {key: restBind.foundAs, spec: restBind.value} : value(conf, 'rest.port', '8081')
  const masters = ha && conf.masters?.entries.length ? conf.masters.entries : jobManagerHosts(conf).map((host) => ({host, port: undefined}))
  for (const m of masters) {
    add(m.host, 'JobManager', rpc)
    // start-cluster passes the masters line's port as the web UI port (rest.port); rest.bind-port still wins
    add(m.host, 'JobManager', restBind || !m.port ? rest : {key: 'masters (web UI port)', spec: String(m.port)})
    add(m.host, 'JobManager', value(conf, 'blob.server.port', '0'))
    add(m.host, 'JobManager', value(conf, 'metrics.internal.query-service.port', '0'))
  }
  const queryable = /^true$/i.test(getValue(conf, 'queryable-state.enable')?.value ?? '')
  for (const w of conf.workers?.entries ?? []) {
    const tmRpcBind = getValue(conf, 'taskmanager.rpc.bind-port')
    add(w.host, 'TaskManager', tmRpcBind ? {key: tmRpcBind.foundAs, spec: tmRpcBind.value} : value(conf, 'taskmanager.rpc.port', '0'))
    const dataBind = getValue(conf, 'taskmanager.data.bind-port')
    add(w.host, 'TaskManager', dataBind ? {key: dataBind.foundAs, spec: dataBind.value} : value(conf, 'taskmanager.data.port', '0'))
    add(w.host, 'TaskManager', value(conf, 'metrics.internal.query-service.port', '0'))
    if (queryable) {
      add(w.host, 'TaskManager', value(conf, 'queryable-state.server.ports', '9067'))
      add(w.host, 'TaskManager', value(conf, 'queryable-state.proxy.ports', '9069'))
    }
  }
  for (const s of conf.zoo?.servers ?? []) {
    const who = `ZooKeeper peer ${s.id}`
    add(s.host, who, {key: `zoo.cfg server.${s.id} (client)`, spec: String(clientPortOf(conf.zoo!, s))})
    if (s.peerPort) add(s.host, who, {key: `zoo.cfg server.${s.id} (quorum)`, spec: String(s.peerPort)})
    if (s.leaderPort) add(s.host, who, {key: `zoo.cfg server.${s.id} (election)`, spec: String(s.leaderPort)})
  }
  return needs
}

export interface PortVerdict {
  need: PortNeed
  level: 'ok' | 'error'
  detail: string
  /** Ports of the need already bound on the host (by another process than the daemon itself). */
  taken: number[]
}

/** The main classes that may hold a need's port: the daemon itself, already running. */
const OWN_CLASSES: Array<[RegExp, RegExp]> = [
  [/^JobManager$/, /\.(StandaloneSessionClusterEntrypoint|StandaloneApplicationClusterEntryPoint)$/],
  [/^TaskManager$/, /\.TaskManagerRunner$/],
  [/^ZooKeeper peer/, /\.(FlinkZooKeeperQuorumPeer|QuorumPeerMain)$/],
]
const isOwn = (who: string, o: PortOwner | undefined) => Boolean(o?.mainClass && OWN_CLASSES.some(([w, c]) => w.test(who) && c.test(o.mainClass!)))

/**
 * Every need against the ports the host listens on, and against the other needs of the same
 * host: two daemons given one fixed port collide before anything else runs there. A port held
 * by the very daemon that needs it (already running: a start leaves it alone) is no conflict.
 */
export function judgePorts(needs: readonly PortNeed[], listening: ReadonlySet<number>, owners: ReadonlyMap<number, PortOwner> = new Map()): PortVerdict[] {
  return needs.map((n) => {
    const own = n.ports.filter((p) => listening.has(p) && isOwn(n.who, owners.get(p)))
    const taken = n.ports.filter((p) => listening.has(p) && !own.includes(p))
    const others = needs.filter((o) => o !== n && o.ports.length === 1 && n.ports.length === 1 && o.ports[0] === n.ports[0])
    const free = n.ports.length - taken.length
    const label = `${n.spec} (${n.key}, ${n.need > 1 ? `${n.need} ${n.who}s` : n.who})`
    if (others.length) {
      return {need: n, taken, level: 'error', detail: `${label} is also ${others.map((o) => `${o.key} of the ${o.who}`).join(', ')}`}
    }
    if (free >= n.need) return {need: n, taken, level: 'ok', detail: own.length ? `${label} held by the running ${n.who}` : `${label} free`}
    const by = taken.map((p) => (owners.get(p) ? `${p} by ${describeOwner(owners.get(p)!)}` : String(p))).join(', ')
    if (taken.length === 0) return {need: n, taken, level: 'error', detail: `${label}: ${n.need} daemons need ${n.need} ports, the key gives ${n.ports.length}`}
    return {need: n, taken, level: 'error', detail: `${label}: taken (${by})`}
  })
}
