// High availability and the ZooKeeper quorum: the rules real HA configurations break.
import {readFileSync} from 'node:fs'
import {below} from '../conf/keys.ts'
import {getValue, haMode, isZooKeeperHa} from '../conf/load.ts'
import {parseDuration} from '../conf/sizes.ts'
import {type ClusterConf, type ConfigEntry, type Finding} from '../conf/types.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {suggestKey} from './key-rules.ts'
import {LOCAL_HOSTS, version, at, finding, fileOf, haOn, value, sourceNote, parseQuorum, type Rule, type RuleContext} from './rule-kit.ts'


export const haType: Rule = {
  id: 'HA-TYPE',
  severity: 'error',
  summary: 'high-availability.type is not none, zookeeper, kubernetes or a factory class name',
  check(ctx) {
    const {mode, resolved} = haMode(ctx.conf)
    if (!resolved) return []
    const m = mode.toLowerCase()
    if (['none', 'zookeeper', 'kubernetes'].includes(m) || mode.includes('.')) return []
    const suggestion = suggestKey(m, ['zookeeper', 'kubernetes', 'none'])
    return [finding(this, {...at(resolved.entry), key: resolved.foundAs,
      message: `'${mode}' is not an HA mode; Flink would try to load it as a factory class and fail at startup`,
      hint: suggestion ? `did you mean '${suggestion}'?` : 'use zookeeper, kubernetes or none'})]
  },
}

export const haTypeVersion: Rule = {
  id: 'HA-TYPE-VERSION',
  severity: 'error',
  summary: 'high-availability.type on a Flink older than 1.17, which ignores it (HA silently off)',
  check(ctx) {
    const entry = ctx.conf.flink.entries.get('high-availability.type')
    if (!entry || !below(version(ctx), 1, 17)) return []
    const old = ctx.conf.flink.entries.get('high-availability')
    if (old && old.value.toLowerCase() === entry.value.toLowerCase()) return []
    return [finding(this, {...at(entry), key: entry.key,
      message: `Flink ${version(ctx)!.raw} does not know 'high-availability.type', so HA is off`,
      hint: `write 'high-availability: ${entry.value}' (the key was renamed in Flink 1.17)`})]
  },
}

export const haStorageDir: Rule = {
  id: 'HA-STORAGE-DIR',
  severity: 'error',
  summary: 'ZooKeeper HA is on but high-availability.storageDir is missing or not a URI',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.storageDir')
    if (!v || v.value.trim() === '') {
      return [finding(this, {...fileOf(ctx), key: 'high-availability.storageDir',
        message: 'ZooKeeper HA is on but high-availability.storageDir is not set; the JobManager will not start',
        hint: 'add `high-availability.storageDir: hdfs:///flink/ha` (a file system every JobManager can reach)'})]
    }
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/?\/?|^\//.test(v.value.trim())) {
      return [finding(this, {...at(v.entry), key: v.foundAs,
        message: `'${v.value}' is not a path or URI`, hint: 'write a URI such as hdfs:///flink/ha or s3://bucket/flink/ha'})]
    }
    return []
  },
}

const allMastersLocal = (ctx: RuleContext): boolean =>
  (ctx.conf.masters?.entries ?? []).every((m) => LOCAL_HOSTS.has(m.host)) &&
  (ctx.conf.workers?.entries ?? []).every((w) => LOCAL_HOSTS.has(w.host))

/**
 * True when the line of the entry, or the comment lines right above it, say the path is shared
 * (`# shared: NFS mount on every master`): the operator's word that a file:// path is not local.
 */
function declaredShared(entry: ConfigEntry | undefined): boolean {
  if (entry?.source.kind !== 'file') return false
  let lines: string[]
  try {
    lines = readFileSync(entry.source.file, 'utf8').split('\n')
  } catch {
    return false
  }
  // not /#.*\bshared\b/: from every '#' of a long line that backtracks over the rest of it
  const said = (l: string | undefined) => l !== undefined && l.includes('#') && /\bshared\b/i.test(l.slice(l.indexOf('#')))
  if (said(lines[entry.source.line - 1])) return true
  for (let i = entry.source.line - 2; i >= 0 && /^\s*#/.test(lines[i]!); i--) if (said(lines[i])) return true
  return false
}

export const haStorageLocal: Rule = {
  id: 'HA-STORAGE-LOCAL',
  severity: 'error',
  summary: 'high-availability.storageDir is a local file:// path on a multi-host cluster',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.storageDir')
    if (!v) return []
    const text = v.value.trim()
    if (!(text.startsWith('file:') || text.startsWith('/'))) return []
    if (ctx.target === 'yarn') {
      if (declaredShared(v.entry)) return []
      return [finding(this, {...at(v.entry), key: v.foundAs,
        message: `'${text}' is a local path${sourceNote(v.entry)}: YARN restarts the JobManager in a container on any node, which cannot read what the last attempt wrote`,
        hint: 'use a file system every node reads, e.g. high-availability.storageDir: hdfs:///flink/ha (or mark a mount every node shares with a comment: # shared: NFS on every node)'})]
    }
    if (allMastersLocal(ctx) || declaredShared(v.entry)) return []
    return [finding(this, {...at(v.entry), key: v.foundAs,
      message: `'${text}' is a local path: a standby JobManager on another host cannot read what the leader wrote`,
      hint: 'use shared storage (hdfs://, s3://), or, for a path on a mount every master shares, say so in a comment on the line above: # shared: NFS on every master'})]
  },
}

export const haQuorum: Rule = {
  id: 'HA-QUORUM',
  severity: 'error',
  summary: 'ZooKeeper HA is on but the quorum is missing or malformed',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.zookeeper.quorum')
    if (!v || v.value.trim() === '') {
      return [finding(this, {...fileOf(ctx), key: 'high-availability.zookeeper.quorum',
        message: 'ZooKeeper HA is on but high-availability.zookeeper.quorum is not set',
        hint: 'add `high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181`'})]
    }
    const q = parseQuorum(v.value)
    const out: Finding[] = q.errors.map((e) => finding(this, {...at(v.entry), key: v.foundAs,
      message: `malformed quorum: ${e}`, hint: 'write a comma-separated host:port list, e.g. zk1:2181,zk2:2181,zk3:2181'}))
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

export const mastersCount: Rule = {
  id: 'HA-MASTERS',
  severity: 'warning',
  summary: 'ZooKeeper HA with fewer than 2 masters (no standby), or without a masters file',
  targets: ['standalone'],
  check(ctx) {
    if (!haOn(ctx)) return []
    if (!ctx.conf.masters) {
      return [finding(this, {file: `${ctx.conf.confDir}/masters`, severity: 'error',
        message: 'ZooKeeper HA is on but there is no masters file, so no JobManager host is known',
        hint: 'create conf/masters with one host:webui-port per line, e.g. jm1:8081'})]
    }
    const n = ctx.conf.masters.entries.length
    if (n >= 2) return []
    return [finding(this, {file: ctx.conf.masters.file, line: ctx.conf.masters.entries[0]?.line ?? 1, col: 1,
      message: n === 0 ? 'the masters file lists no host' : `only ${n} master: a killed JobManager has no standby to take over`,
      severity: n === 0 ? 'error' : 'warning',
      hint: 'list at least two JobManager hosts in conf/masters'})]
  },
}

export const mastersDuplicate: Rule = {
  id: 'MASTERS-DUPLICATE',
  severity: 'error',
  summary: 'two masters with the same host and web UI port, or an unusable port',
  targets: ['standalone'],
  check(ctx) {
    const masters = ctx.conf.masters
    if (!masters) return []
    const out: Finding[] = []
    const seen = new Map<string, number>()
    const restPort = value(ctx, 'rest.port')?.value ?? '8081'
    for (const m of masters.entries) {
      if (m.badPort !== undefined) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col,
          message: `'${m.raw}': '${m.badPort}' is not a port number`, hint: `write ${m.host}:8081`}))
        continue
      }
      if (m.port !== undefined && (m.port < 0 || m.port > 65535)) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col, message: `'${m.raw}': ${m.port} is not a port number`, hint: 'use a port from 1 to 65535'}))
        continue
      }
      const id = `${m.host}:${m.port ?? restPort}`
      const first = seen.get(id)
      if (first !== undefined) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col,
          message: `${id} is listed again (first on line ${first}): two JobManagers cannot bind the same REST port`,
          hint: 'give each JobManager on one host its own web UI port, or remove the duplicate'}))
      } else {
        seen.set(id, m.line)
      }
    }
    return out
  },
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
    if (!dataDir) {
      return [finding(this, {file: zoo.file, line: 1, col: 1, key: 'dataDir',
        message: 'dataDir is not set: Flink\'s ZooKeeper peer then uses a fresh temporary directory on every start and loses its state and myid',
        hint: 'add dataDir=/var/lib/flink/zookeeper (a persistent local directory)'})]
    }
    if (/^\/tmp(\/|$)/.test(dataDir.value) || /^\/var\/tmp(\/|$)/.test(dataDir.value)) {
      // every peer on this one machine is a demo or test quorum: say it, don't warn
      const demo = zoo.servers.every((s) => LOCAL_HOSTS.has(s.host))
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

export const clusterId: Rule = {
  id: 'HA-CLUSTER-ID',
  severity: 'warning',
  summary: 'cluster-id missing or /default (clusters sharing a ZooKeeper root collide), or shared by two clusters',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.cluster-id')
    if (ctx.target === 'yarn') {
      // YARN sets it to the application id, unique per session
      return v ? [finding(this, {...at(v.entry), key: 'high-availability.cluster-id',
        message: `cluster-id is set to '${v.value.trim()}'${sourceNote(v.entry)}: every YARN session started with this configuration shares one ZooKeeper path, and a new session recovers (or fights over) the jobs of the last`,
        hint: 'remove high-availability.cluster-id so YARN uses the application id; flinkctl refuses to start a second session while one with the same cluster-id runs'})] : []
    }
    const id = v?.value.trim() || '/default'
    const out: Finding[] = []
    const mine = haNamespace(ctx.conf)
    for (const other of ctx.others) {
      if (other === ctx.conf || !isZooKeeperHa(other)) continue
      const theirs = haNamespace(other)
      if (theirs.quorumHosts.some((h) => mine.quorumHosts.includes(h)) && theirs.root === mine.root && theirs.id === mine.id) {
        out.push(finding(this, {...(v ? at(v.entry) : fileOf(ctx)), key: 'high-availability.cluster-id', severity: 'error',
          message: `${ctx.conf.confDir} and ${other.confDir} share ZooKeeper path ${mine.root}${mine.id}: their JobManagers would fight over one leader and one job store`,
          hint: 'give every cluster its own high-availability.cluster-id'}))
      }
    }
    if (id === '/default' || id === 'default') {
      out.push(finding(this, {...(v ? at(v.entry) : fileOf(ctx)), key: 'high-availability.cluster-id',
        message: v ? `cluster-id is the default '${id}': another cluster on this ZooKeeper with the default would share its HA state` : 'high-availability.cluster-id is not set, so it is /default: clusters sharing this ZooKeeper root would collide',
        hint: 'set `high-availability.cluster-id: /<unique-name>` for this standalone cluster'}))
    }
    return out
  },
}

function haNamespace(conf: ClusterConf): {quorumHosts: string[]; root: string; id: string} {
  const norm = (s: string) => `/${s.trim().replace(/^\/+|\/+$/g, '')}`
  const q = getValue(conf, 'high-availability.zookeeper.quorum')?.value ?? ''
  return {
    quorumHosts: parseQuorum(q).entries.map((e) => `${e.host}:${e.port ?? 2181}`),
    root: norm(getValue(conf, 'high-availability.zookeeper.path.root')?.value ?? '/flink'),
    id: norm(getValue(conf, 'high-availability.cluster-id')?.value || '/default'),
  }
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

export const restLocalhost: Rule = {
  id: 'HA-REST-LOCALHOST',
  severity: 'warning',
  summary: 'rest.address is localhost on a multi-host HA cluster (the published leader URL is unusable)',
  targets: ['standalone'],
  check(ctx) {
    if (!haOn(ctx) || allMastersLocal(ctx)) return []
    const v = ctx.conf.flink.entries.get('rest.address')
    if (!v || !LOCAL_HOSTS.has(v.value.trim())) return []
    return [finding(this, {...at(v), key: v.key,
      message: `rest.address is ${v.value}: each JobManager publishes this address as the leader's REST URL, which other hosts cannot reach`,
      hint: 'remove rest.address (each master gets its own from conf/masters) or set it per host'})]
  },
}

