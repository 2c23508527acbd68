// The ZooKeeper side of HA: the quorum string, zoo.cfg's servers, dataDir, session limits and ACL.
import {parseDuration} from '../conf/sizes.ts'
import {type Finding} from '../conf/types.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {aliasNote, haSwitchNote, namesOf} from './ha-rules.ts'
import {LOCAL_HOSTS, at, finding, fileOf, haOn, value, parseQuorum, type Rule, type RuleContext} from './rule-kit.ts'

export const haQuorum: Rule = {
  id: 'HA-QUORUM',
  severity: 'error',
  summary: 'ZooKeeper HA is on but the quorum is missing or malformed',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.zookeeper.quorum')
    if (!v || v.value.trim() === '') {
      return [finding(this, {...fileOf(ctx), key: 'high-availability.zookeeper.quorum',
        message: `ZooKeeper HA is on${haSwitchNote(ctx)} but ${namesOf(ctx, 'high-availability.zookeeper.quorum')} is not set`,
        hint: 'add `high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181`'})]
    }
    const q = parseQuorum(v.value)
    const out: Finding[] = q.errors.map((e) => finding(this, {...at(v.entry), key: v.foundAs,
      message: `malformed quorum${aliasNote(ctx, 'high-availability.zookeeper.quorum', v)}: ${e}`, hint: 'write a comma-separated host:port list, e.g. zk1:2181,zk2:2181,zk3:2181'}))
    for (const e of q.entries.filter((x) => x.port === undefined)) {
      out.push(finding(this, {...at(v.entry), key: v.foundAs, severity: 'warning',
        message: `quorum entry '${e.text}' has no port; ZooKeeper's client uses 2181`, hint: `write ${e.host}:2181 to make it explicit`}))
    }
    if (q.chroot) {
      out.push(finding(this, {...at(v.entry), key: v.foundAs, severity: 'warning',
        message: `the quorum ends in a chroot '${q.chroot}'; Flink already separates clusters by path.root and cluster-id`,
        hint: `remove '${q.chroot}' and set high-availability.zookeeper.path.root instead`}))
    }
    return out
  },
}

export const zkQuorumSize: Rule = {
  id: 'ZK-QUORUM-SIZE',
  severity: 'warning',
  summary: 'an even-sized or single-server ZooKeeper quorum',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.zookeeper.quorum')
    const servers = ctx.conf.zoo?.servers
    let n: number
    let loc: Pick<Finding, 'file' | 'line' | 'col'>
    let key: string
    if (servers && servers.length > 0) {
      n = servers.length
      loc = {file: ctx.conf.zoo!.file, line: servers[0]!.line, col: servers[0]!.col}
      key = 'server.N'
    } else if (v) {
      n = parseQuorum(v.value).entries.length
      loc = at(v.entry)
      key = v.foundAs
    } else {
      return []
    }
    if (n === 0) return []
    if (n === 1) {
      return [finding(this, {...loc, key, message: 'the ZooKeeper quorum has a single server: when it stops, no JobManager can lead',
        hint: 'run 3 (or 5) ZooKeeper servers on different hosts'})]
    }
    if (n % 2 === 0) {
      return [finding(this, {...loc, key, message: `${n} ZooKeeper servers survive no more failures than ${n - 1} would`,
        hint: `use an odd number: ${n - 1} or ${n + 1}`})]
    }
    return []
  },
}

/**
 * Whether zoo.cfg describes the quorum the cluster uses: HA on and at least one server.N is a
 * quorum entry. Flink ships a zoo.cfg with `server.1=localhost`; beside an external quorum (or
 * with HA off) it is only read by start-zookeeper-quorum, so its gaps are notes, not errors.
 */
function zooIsTheQuorum(ctx: RuleContext): boolean {
  const zoo = ctx.conf.zoo
  const v = value(ctx, 'high-availability.zookeeper.quorum')
  if (!zoo || !v || !haOn(ctx)) return false
  const quorum = parseQuorum(v.value).entries
  return zoo.servers.some((s) => quorum.some((q) => q.host.toLowerCase() === s.host.toLowerCase()))
}

export const zkServersMatch: Rule = {
  id: 'ZK-SERVERS-MISMATCH',
  severity: 'error',
  summary: 'zoo.cfg servers disagree with the hosts and ports of high-availability.zookeeper.quorum',
  check(ctx) {
    const zoo = ctx.conf.zoo
    const v = value(ctx, 'high-availability.zookeeper.quorum')
    if (!zoo || zoo.servers.length === 0 || !v || !haOn(ctx)) return []
    const quorum = parseQuorum(v.value).entries
    const out: Finding[] = []
    const fromZoo = zoo.servers.map((s) => ({s, port: clientPortOf(zoo, s)}))
    if (!zooIsTheQuorum(ctx)) {
      const hosts = [...new Set(zoo.servers.map((s) => s.host))].join(', ')
      return [finding(this, {file: zoo.file, line: zoo.servers[0]!.line, col: zoo.servers[0]!.col, key: `server.${zoo.servers[0]!.id}`, severity: 'info',
        message: `zoo.cfg's servers (${hosts}) are none of the quorum's hosts: this cluster uses a ZooKeeper elsewhere, and start-zookeeper-quorum would start peers it does not use`,
        hint: 'leave zoo.cfg alone if ZooKeeper runs elsewhere; to run the quorum with flinkctl, list the quorum hosts as server.N'})]
    }
    for (const {s, port} of fromZoo) {
      if (!quorum.some((q) => q.host === s.host && (q.port ?? 2181) === port)) {
        out.push(finding(this, {file: zoo.file, line: s.line, col: s.col, key: `server.${s.id}`,
          message: `server.${s.id} (${s.host}, client port ${port}) is not in high-availability.zookeeper.quorum '${v.value}'`,
          hint: `add ${s.host}:${port} to the quorum, or fix the host or clientPort in zoo.cfg`}))
      }
    }
    for (const q of quorum) {
      if (!fromZoo.some(({s, port}) => s.host === q.host && port === (q.port ?? 2181))) {
        out.push(finding(this, {...at(v.entry), key: v.foundAs,
          message: `quorum entry ${q.text} is not a server.N of ${zoo.file} with that client port`,
          hint: 'make the quorum list exactly the zoo.cfg servers with their client ports'}))
      }
    }
    return out
  },
}

export const zkDataDir: Rule = {
  id: 'ZK-DATADIR',
  severity: 'error',
  summary: 'zoo.cfg dataDir unset (a new empty dir on every start) or under /tmp',
  check(ctx) {
    const zoo = ctx.conf.zoo
    if (!zoo || zoo.servers.length === 0) return []
    const dataDir = zoo.props.get('dataDir')
    const used = zooIsTheQuorum(ctx)
    if (!dataDir) {
      return [finding(this, {file: zoo.file, line: 1, col: 1, key: 'dataDir', severity: used ? 'error' : 'info',
        message: `dataDir is not set: Flink's ZooKeeper peer then uses a fresh temporary directory on every start and loses its state and myid${used ? '' : ' (this matters only if you start this zoo.cfg with start-zookeeper-quorum: the cluster does not use it as its quorum)'}`,
        hint: 'add dataDir=/var/lib/flink/zookeeper (a persistent local directory)'})]
    }
    if (/^\/tmp(\/|$)/.test(dataDir.value) || /^\/var\/tmp(\/|$)/.test(dataDir.value)) {
      // every peer on this one machine is a demo or test quorum: say it, don't warn
      const demo = !used || zoo.servers.every((s) => LOCAL_HOSTS.has(s.host))
      return [finding(this, {file: zoo.file, line: dataDir.line, col: dataDir.col, key: 'dataDir', severity: demo ? 'info' : 'warning',
        message: `dataDir ${dataDir.value} is under a temporary directory, which is cleaned on reboot`,
        hint: 'use a persistent directory such as /var/lib/flink/zookeeper'})]
    }
    return []
  },
}

export const zkSessionTimeout: Rule = {
  id: 'ZK-SESSION-TIMEOUT',
  severity: 'warning',
  summary: 'the HA session timeout lies outside what the ZooKeeper servers allow (2–20 × tickTime)',
  check(ctx) {
    const zoo = ctx.conf.zoo
    if (!zoo || !haOn(ctx)) return []
    const tickText = zoo.props.get('tickTime')?.value ?? '2000'
    if (!/^\d+$/.test(tickText)) return []
    const tick = Number(tickText)
    const minProp = zoo.props.get('minSessionTimeout')?.value
    const maxProp = zoo.props.get('maxSessionTimeout')?.value
    const min = minProp && /^\d+$/.test(minProp) ? Number(minProp) : 2 * tick
    const max = maxProp && /^\d+$/.test(maxProp) ? Number(maxProp) : 20 * tick
    const v = value(ctx, 'high-availability.zookeeper.client.session-timeout')
    const requested = v ? parseDuration(v.value) : {ok: true as const, value: 60000}
    if (!requested.ok) return []
    const loc = v ? at(v.entry) : fileOf(ctx)
    const key = v?.foundAs ?? 'high-availability.zookeeper.client.session-timeout'
    const cap = maxProp ? `maxSessionTimeout=${max}` : `20 × tickTime (${tick} ms)`
    if (requested.value > max) {
      return [finding(this, {...loc, key,
        message: `session timeout ${requested.value} ms${v ? '' : ' (the default)'} is above the servers' cap of ${max} ms (${cap}); ZooKeeper will grant ${max} ms`,
        hint: `set ${key}: ${max} ms (or raise maxSessionTimeout in zoo.cfg) so failover timing is what you expect`})]
    }
    if (requested.value < min) {
      return [finding(this, {...loc, key,
        message: `session timeout ${requested.value} ms is below the servers' minimum of ${min} ms; ZooKeeper will grant ${min} ms`,
        hint: `set ${key}: ${min} ms or lower minSessionTimeout in zoo.cfg`})]
    }
    return []
  },
}

export const zkAcl: Rule = {
  id: 'HA-ACL',
  severity: 'error',
  summary: 'ZooKeeper ACL not open/creator, or creator with SASL disabled',
  check(ctx) {
    const acl = ctx.conf.flink.entries.get('high-availability.zookeeper.client.acl')
    if (!acl) return []
    const v = acl.value.trim().toLowerCase()
    if (v !== 'open' && v !== 'creator') {
      return [finding(this, {...at(acl), key: acl.key, message: `'${acl.value}' is not a ZooKeeper ACL option; Flink refuses to start`, hint: 'use open or creator'})]
    }
    const sasl = ctx.conf.flink.entries.get('zookeeper.sasl.disable')
    if (v === 'creator' && sasl?.value.trim().toLowerCase() === 'true') {
      return [finding(this, {...at(acl), key: acl.key, message: 'acl: creator needs SASL, but zookeeper.sasl.disable is true; Flink refuses to start',
        hint: 'set zookeeper.sasl.disable: false (with a JAAS Client section) or use acl: open'})]
    }
    return []
  },
}

