import {accessSync, constants, readFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {type Catalog, type OptionInfo} from '../conf/catalog.ts'
import {atLeast, below, KEY_ALIASES} from '../conf/keys.ts'
import {getValue, haMode, isZooKeeperHa, type Resolved} from '../conf/load.ts'
import {isBareInteger, MEMORY_UNIT_HINT, DURATION_UNIT_HINT, parseDuration, parseMemorySize} from '../conf/sizes.ts'
import {type ClusterConf, type ConfigEntry, type Finding, type Severity, where} from '../conf/types.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {siteNumber, type HadoopConf} from './hadoop-xml.ts'
import {hostNames} from './names.ts'

export interface RuleContext {
  conf: ClusterConf
  catalog: Catalog | undefined
  yarnSite: HadoopConf | undefined
  /** What the configuration deploys: a standalone cluster (masters/workers) or a YARN session. */
  target?: 'standalone' | 'yarn'

  /** Other clusters validated together, to catch clusters that would share ZooKeeper state. */
  others: readonly ClusterConf[]
}

export interface Rule {
  id: string
  severity: Severity
  summary: string
  /** Where the rule applies (default: both). */
  targets?: ReadonlyArray<'standalone' | 'yarn'>
  check: (ctx: RuleContext) => Finding[]
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1'])
const version = (ctx: RuleContext) => ctx.conf.version

function at(entry: ConfigEntry | undefined): Pick<Finding, 'file' | 'line' | 'col'> {
  return entry ? where(entry.source) : {}
}

function finding(rule: Rule | {id: string; severity: Severity}, f: Omit<Finding, 'rule' | 'severity'> & {severity?: Severity}): Finding {
  return {rule: rule.id, severity: f.severity ?? rule.severity, ...f}
}

/** Where to point when a key is missing: the config file itself. */
function fileOf(ctx: RuleContext): Pick<Finding, 'file' | 'line' | 'col'> {
  return ctx.conf.flink.file ? {file: ctx.conf.flink.file, line: 1, col: 1} : {file: ctx.conf.confDir}
}

const haOn = (ctx: RuleContext) => isZooKeeperHa(ctx.conf)
const value = (ctx: RuleContext, key: string): Resolved | undefined => getValue(ctx.conf, key)

export interface QuorumEntry {
  host: string
  port: number | undefined
  text: string
}

/** Flink strips all whitespace from the quorum before use. */
export function parseQuorum(text: string): {entries: QuorumEntry[]; chroot?: string; errors: string[]} {
  const errors: string[] = []
  let stripped = text.replace(/\s+/g, '')
  let chroot: string | undefined
  const slash = stripped.indexOf('/')
  if (slash !== -1) {
    chroot = stripped.slice(slash)
    stripped = stripped.slice(0, slash)
  }
  const entries: QuorumEntry[] = []
  for (const part of stripped.split(',')) {
    if (part === '') {
      errors.push('an empty entry (two commas, or a trailing comma)')
      continue
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(.*))?$/.exec(part)
    if (!m) {
      errors.push(`'${part}' is not host:port`)
      continue
    }
    const host = m[1]!
    const portText = m[2]
    if (portText === undefined) {
      entries.push({host, port: undefined, text: part})
      continue
    }
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      errors.push(`'${part}' has port '${portText}', which is not a port number`)
      continue
    }
    if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(host)) {
      errors.push(`'${host}' is not a host name`)
      continue
    }
    entries.push({host, port: Number(portText), text: part})
  }
  return {entries, chroot, errors}
}

// ---------------------------------------------------------------------------------------------
// Keys: unknown, deprecated, removed, wrong type

const FREE_FORM_PREFIXES = [
  'env.java.opts.', 'env.java.default-opts.', 'metrics.reporter.', 'metrics.scope.', 'flink.hadoop.', 'flink.yarn.',
  'containerized.master.env.', 'containerized.taskmanager.env.', 'kubernetes.', 'security.', 's3.', 's3a.', 'fs.',
  'pipeline.global-job-parameters.', 'plugin.', 'table.', 'sql-gateway.', 'sql-client.', 'state.backend.rocksdb.',
  'state.backend.forst.', 'yarn.', 'mesos.', 'akka.', 'pekko.', 'gs.', 'azure.', 'fs.azure.', 'presto.', 'hive.',
  'python.', 'external-resource.', 'historyserver.', 'resourcemanager.', 'rest.flamegraph.', 'execution.',
]

/** Keys read only by Flink's shell scripts, which no option class declares. */
const SCRIPT_KEYS = new Set([
  'env.java.home', 'env.java.opts', 'env.java.opts.all', 'env.java.default-opts.all', 'env.java.opts.jobmanager',
  'env.java.opts.taskmanager', 'env.java.opts.historyserver', 'env.java.opts.client', 'env.java.opts.sql-gateway',
  'env.java.default-opts.jobmanager', 'env.java.default-opts.taskmanager', 'env.pid.dir', 'env.log.dir', 'env.log.max',
  'env.log.level', 'env.stdout-err.redirect-to-file', 'env.ssh.opts', 'env.yarn.conf.dir', 'env.hadoop.conf.dir',
  'env.hbase.conf.dir', 'zookeeper.heap.mb', 'taskmanager.compute.numa', 'high-availability', 'recovery.mode',
])

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent swaps), in three rolling rows. It
 * stops early once every cell of two consecutive rows reaches `cutoff`: no later row can go
 * below it, and a candidate that far off cannot win. (A full matrix per candidate made 95,000
 * unknown keys take 150 s.)
 */
function editDistance(a: string, b: string, cutoff = Infinity): number {
  const width = b.length + 1
  if (rows.length < 3 * width) rows = new Int32Array(3 * width * 2)
  let prev2 = 0
  let prev = width
  let cur = 2 * width
  for (let j = 0; j < width; j++) rows[prev + j] = j
  let prevMin = 0
  for (let i = 1; i <= a.length; i++) {
    rows[cur] = i
    let rowMin = i
    const ai = a.charCodeAt(i - 1)
    for (let j = 1; j <= b.length; j++) {
      const bj = b.charCodeAt(j - 1)
      let v = Math.min(rows[prev + j]! + 1, rows[cur + j - 1]! + 1, rows[prev + j - 1]! + (ai === bj ? 0 : 1))
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, rows[prev2 + j - 2]! + 1)
      rows[cur + j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin >= cutoff && prevMin + 1 >= cutoff) return cutoff
    prevMin = rowMin
    const t = prev2
    prev2 = prev
    prev = cur
    cur = t
  }
  return rows[prev + b.length]!
}
let rows = new Int32Array(768)

interface KnownKey {
  key: string
  lower: string
  hist: Uint8Array
}

/** Characters counted in 64 buckets: half the L1 distance of two histograms bounds the edit distance from below. */
function histogram(s: string): Uint8Array {
  const h = new Uint8Array(64)
  for (let i = 0; i < s.length; i++) h[s.charCodeAt(i) & 63] = Math.min(255, h[s.charCodeAt(i) & 63]! + 1)
  return h
}

/** Known keys lowercased and grouped by length, built once per key set. */
const byLength = new WeakMap<object, Map<number, KnownKey[]>>()
function groupedByLength(known: Iterable<string>): Map<number, KnownKey[]> {
  const cached = byLength.get(known)
  if (cached) return cached
  const groups = new Map<number, KnownKey[]>()
  for (const key of known) {
    const group = groups.get(key.length) ?? []
    const lower = key.toLowerCase()
    group.push({key, lower, hist: histogram(lower)})
    groups.set(key.length, group)
  }
  byLength.set(known, groups)
  return groups
}

/** The closest known key, if it is close enough to be a typo (ties: the first in `known`). */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestScore = Infinity
  let bestOrder = Infinity
  const lower = key.toLowerCase()
  const hist = histogram(lower)
  const limit = Math.max(2, Math.floor(key.length / 6))
  const groups = groupedByLength(known)
  const order = orderOf(known)
  for (let len = Math.max(0, key.length - limit); len <= key.length + limit; len++) {
    for (const candidate of groups.get(len) ?? []) {
      const cutoff = Math.min(limit + 1, bestScore + 1)
      let l1 = 0
      for (let c = 0; c < 64; c++) l1 += Math.abs(hist[c]! - candidate.hist[c]!)
      if (Math.ceil(l1 / 2) >= cutoff && candidate.lower !== lower) continue
      const score = candidate.lower === lower ? 0.5 : editDistance(lower, candidate.lower, cutoff)
      const rank = order.get(candidate.key)!
      if (score < bestScore || (score === bestScore && rank < bestOrder)) {
        bestScore = score
        best = candidate.key
        bestOrder = rank
      }
    }
  }
  return bestScore <= limit ? best : undefined
}

const orders = new WeakMap<object, Map<string, number>>()
function orderOf(known: Iterable<string>): Map<string, number> {
  const cached = orders.get(known)
  if (cached) return cached
  const order = new Map<string, number>()
  for (const k of known) if (!order.has(k)) order.set(k, order.size)
  orders.set(known, order)
  return order
}

const knownKeys = (ctx: RuleContext): Set<string> => {
  const keys = new Set<string>(SCRIPT_KEYS)
  for (const a of KEY_ALIASES) keys.add(a.key)
  if (ctx.catalog) for (const k of ctx.catalog.byKey.keys()) keys.add(k)
  return keys
}

const unknownKey: Rule = {
  id: 'CONF-UNKNOWN-KEY',
  severity: 'warning',
  summary: 'a key no Flink option declares (typo?), with a "did you mean" suggestion',
  check(ctx) {
    if (!ctx.catalog) return []
    const known = knownKeys(ctx)
    const out: Finding[] = []
    for (const entry of ctx.conf.flink.entries.values()) {
      const {key} = entry
      if (known.has(key) || ctx.catalog.byAlias.has(key) || KEY_ALIASES.some((a) => a.deprecated.includes(key))) continue
      const suggestion = suggestKey(key, known)
      if (!suggestion && FREE_FORM_PREFIXES.some((p) => key.startsWith(p))) continue
      out.push(finding(this, {
        ...at(entry), key,
        severity: suggestion ? 'warning' : 'info',
        message: suggestion
          ? `unknown key '${key}'; did you mean '${suggestion}'?`
          : `'${key}' is not an option of Flink ${ctx.catalog.line}; Flink ignores it`,
        hint: suggestion ? `rename it to '${suggestion}'` : 'check the spelling against the Flink documentation, or remove it',
      }))
    }
    return out
  },
}

const deprecatedKey: Rule = {
  id: 'CONF-DEPRECATED-KEY',
  severity: 'warning',
  summary: 'a deprecated or renamed key; names the key to use instead',
  check(ctx) {
    const out: Finding[] = []
    const seen = new Set<string>()
    for (const alias of KEY_ALIASES) {
      if (alias.since && below(version(ctx), alias.since[0], alias.since[1])) continue
      for (const old of alias.deprecated) {
        const entry = ctx.conf.flink.entries.get(old)
        if (!entry) continue
        seen.add(old)
        const removed = alias.deprecatedRemovedIn && version(ctx) && atLeast(version(ctx), ...alias.deprecatedRemovedIn)
        const current = ctx.conf.flink.entries.get(alias.key)
        if (removed) {
          out.push(finding(this, {...at(entry), key: old, severity: 'error',
            message: `'${old}' was removed in Flink ${alias.deprecatedRemovedIn!.join('.')} and is ignored`,
            hint: `use '${alias.key}' instead`}))
        } else if (current) {
          out.push(finding(this, {...at(entry), key: old,
            message: `'${old}' is ignored because '${alias.key}' is also set (line ${current.source.kind === 'file' ? current.source.line : '-D'})`,
            hint: `remove '${old}'`}))
        } else {
          out.push(finding(this, {...at(entry), key: old,
            message: `'${old}' is deprecated`,
            hint: `rename it to '${alias.key}'`}))
        }
      }
    }
    if (ctx.catalog) {
      for (const entry of ctx.conf.flink.entries.values()) {
        if (seen.has(entry.key) || ctx.catalog.byKey.has(entry.key)) continue
        const owner = ctx.catalog.byAlias.get(entry.key)
        if (!owner || !owner.deprecatedKeys.includes(entry.key)) continue
        out.push(finding(this, {...at(entry), key: entry.key, message: `'${entry.key}' is deprecated`, hint: `rename it to '${owner.key}'`}))
      }
    }
    return out
  },
}

const REMOVED: ReadonlyArray<{key: string; why: string; from?: [number, number]}> = [
  {key: 'high-availability.job.delay', why: 'has had no effect since Flink 1.10'},
  {key: 'recovery.job.delay', why: 'has had no effect since Flink 1.10'},
  {key: 'high-availability.zookeeper.path.running-registry', why: 'has had no effect since Flink 1.15 (the JobResultStore replaced it)'},
  {key: 'high-availability.use-old-ha-services', why: 'was removed in Flink 1.18', from: [1, 18]},
  {key: 'high-availability.zookeeper.path.latch', why: 'only applies to the pre-1.15 ZooKeeper layout', from: [1, 15]},
  {key: 'high-availability.zookeeper.path.leader', why: 'only applies to the pre-1.15 ZooKeeper layout', from: [1, 15]},
  {key: 'high-availability.zookeeper.path.checkpoints', why: 'only applies to the pre-1.15 ZooKeeper layout', from: [1, 15]},
  {key: 'high-availability.zookeeper.path.checkpoint-counter', why: 'only applies to the pre-1.15 ZooKeeper layout', from: [1, 15]},
  {key: 'high-availability.zookeeper.path.mesos-workers', why: 'belongs to Mesos support, removed in Flink 1.14'},
]

const removedKey: Rule = {
  id: 'CONF-REMOVED-KEY',
  severity: 'warning',
  summary: 'a key that has no effect on the target Flink version',
  check(ctx) {
    const out: Finding[] = []
    for (const r of REMOVED) {
      const entry = ctx.conf.flink.entries.get(r.key)
      if (!entry) continue
      if (r.from && !atLeast(version(ctx), ...r.from)) continue
      out.push(finding(this, {...at(entry), key: r.key, message: `'${r.key}' ${r.why}`, hint: 'remove it'}))
    }
    return out
  },
}

const PORT_RANGE_KEYS = new Set([
  'high-availability.jobmanager.port', 'recovery.jobmanager.port', 'taskmanager.rpc.port', 'rest.bind-port',
  'blob.server.port', 'metrics.internal.query-service.port', 'taskmanager.data.port', 'jobmanager.rpc.bind-port',
])

/** Types for the keys a cluster operator touches most, used when no generated catalog ships. */
function fallbackType(key: string): OptionInfo['type'] | undefined {
  if (/^(jobmanager|taskmanager)\.memory\..*(size|min|max)$/.test(key) || /^(jobmanager|taskmanager)\.heap\.size$/.test(key)) return 'memory'
  if (/\.fraction$/.test(key)) return 'double'
  if (/^(taskmanager\.numberOfTaskSlots|parallelism\.default|rest\.port|jobmanager\.rpc\.port|zookeeper\.heap\.mb|env\.log\.max|(jobmanager|taskmanager)\.heap\.mb|high-availability\.zookeeper\.client\.max-retry-attempts|yarn\.application-attempts)$/.test(key)) return 'int'
  if (/^(heartbeat\.(interval|timeout)|high-availability\.zookeeper\.client\.(session-timeout|connection-timeout|retry-wait)|execution\.checkpointing\.interval|rest\.await-leader-timeout)$/.test(key)) return 'duration'
  return undefined
}

const ZK_CLIENT_DURATIONS = ['session-timeout', 'connection-timeout', 'retry-wait'].map((k) => `high-availability.zookeeper.client.${k}`)

export function checkValueType(key: string, value: string, type: OptionInfo['type'], opts: {enumValues?: string[]; versionBelow120?: boolean}): {reason: string; hint: string} | undefined {
  if (PORT_RANGE_KEYS.has(key)) {
    const ok = value.split(',').every((part) => {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part)
      return m !== null && Number(m[1]) <= 65535 && (m[2] === undefined || (Number(m[2]) <= 65535 && Number(m[2]) >= Number(m[1])))
    })
    return ok ? undefined : {reason: `'${value}' is not a port, a port range or a list of them`, hint: 'write a port (6124), a range (50100-50200) or a comma-separated list'}
  }
  switch (type) {
    case 'memory': {
      const r = parseMemorySize(value)
      return r.ok ? undefined : {reason: `${r.reason}; expected a memory size`, hint: `write ${MEMORY_UNIT_HINT}`}
    }
    case 'duration': {
      if (opts.versionBelow120 && ZK_CLIENT_DURATIONS.includes(key) && !isBareInteger(value)) {
        return {reason: `Flink before 1.20 reads '${key}' as milliseconds and cannot parse '${value}'`, hint: 'write a bare number of milliseconds, e.g. 60000'}
      }
      const r = parseDuration(value)
      return r.ok ? undefined : {reason: `${r.reason}; expected a duration`, hint: `write ${DURATION_UNIT_HINT}`}
    }
    case 'int':
    case 'long': {
      if (!/^\s*[-+]?\d+\s*$/.test(value)) return {reason: `'${value}' is not a whole number`, hint: 'write digits only, without a unit'}
      if (/\.port$/.test(key) && (Number(value) < 0 || Number(value) > 65535)) return {reason: `${value} is not a port number`, hint: 'use a port from 0 to 65535'}
      if (type === 'int' && Math.abs(Number(value)) > 2147483647) return {reason: `${value} does not fit in an int`, hint: 'use a smaller number'}
      return undefined
    }
    case 'double':
      // (?:\.\d*)? and not \.?\d*: the latter backtracks quadratically over a long run of digits
      return /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/.test(value) ? undefined : {reason: `'${value}' is not a number`, hint: 'write a decimal number such as 0.4'}
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? undefined : {reason: `'${value}' is not true or false`, hint: 'write true or false'}
    case 'enum': {
      const values = opts.enumValues ?? []
      if (values.length === 0 || values.some((v) => v.toLowerCase() === value.trim().toLowerCase())) return undefined
      return {reason: `'${value}' is not one of ${values.join(', ')}`, hint: `write one of: ${values.join(', ')}`}
    }
    default:
      return undefined
  }
}

const valueType: Rule = {
  id: 'CONF-TYPE',
  severity: 'error',
  summary: 'a value of the wrong type: memory sizes, durations, ports, numbers, booleans, enums',
  check(ctx) {
    const out: Finding[] = []
    const versionBelow120 = below(version(ctx), 1, 20)
    for (const entry of ctx.conf.flink.entries.values()) {
      const option = ctx.catalog?.byKey.get(entry.key) ?? ctx.catalog?.byAlias.get(entry.key)
      const type = option?.type ?? fallbackType(entry.key)
      if (!type && !PORT_RANGE_KEYS.has(entry.key)) continue
      const problem = checkValueType(entry.key, entry.value, type ?? 'string', {enumValues: option?.enumValues, versionBelow120})
      if (problem) out.push(finding(this, {...at(entry), key: entry.key, message: `${entry.key}: ${problem.reason}`, hint: problem.hint}))
    }
    return out
  },
}

const noConfigFile: Rule = {
  id: 'CONF-NO-FILE',
  severity: 'error',
  summary: 'no flink-conf.yaml / config.yaml that this Flink version reads',
  check(ctx) {
    if (ctx.conf.flink.format !== 'none') return []
    return [finding(this, {file: ctx.conf.confDir,
      message: `no configuration file in ${ctx.conf.confDir} that Flink ${ctx.conf.version?.raw ?? ''} reads`.replace('  ', ' '),
      hint: 'create config.yaml (Flink 1.19+) or flink-conf.yaml (up to 1.20), e.g. with `flinkctl init`'})]
  },
}

// ---------------------------------------------------------------------------------------------
// High availability

const haType: Rule = {
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

const haTypeVersion: Rule = {
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

const haStorageDir: Rule = {
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

const haStorageLocal: Rule = {
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

const haQuorum: Rule = {
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

const zkQuorumSize: Rule = {
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

const mastersCount: Rule = {
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

const mastersDuplicate: Rule = {
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

const zkServersMatch: Rule = {
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

const zkDataDir: Rule = {
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

const zkSessionTimeout: Rule = {
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

const clusterId: Rule = {
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

const zkAcl: Rule = {
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

const yarnAttempts: Rule = {
  id: 'YARN-ATTEMPTS',
  severity: 'error',
  summary: 'HA on YARN with yarn.application-attempts below 2 or above the ResourceManager maximum',
  check(ctx) {
    const attempts = ctx.conf.flink.entries.get('yarn.application-attempts')
    if (!haOn(ctx) || (attempts && !/^\s*\d+\s*$/.test(attempts.value))) return []
    if (!attempts && ctx.target !== 'yarn') return []
    // unset with HA on: Flink asks YARN for 2
    const n = attempts ? Number(attempts.value) : 2
    const out: Finding[] = []
    if (attempts && n < 2) {
      out.push(finding(this, {...at(attempts), key: attempts.key,
        message: `yarn.application-attempts is ${n}${sourceNote(attempts)} with HA on: YARN will not restart the JobManager, so HA never acts`,
        hint: 'set yarn.application-attempts: 2 or more (and leave it unset to get Flink\'s HA default of 2)'}))
    }
    const max = ctx.yarnSite ? yarnLimit(ctx, 'yarn.resourcemanager.am.max-attempts', 2) : undefined
    const maxValue = max?.value
    if (maxValue !== undefined && n > maxValue) {
      out.push(finding(this, {...(attempts ? at(attempts) : fileOf(ctx)), key: 'yarn.application-attempts', severity: maxValue < 2 ? 'error' : 'warning',
        message: `yarn.application-attempts ${n}${attempts ? '' : ' (Flink\'s HA default)'} is above yarn.resourcemanager.am.max-attempts ${maxValue} (${max!.where}); YARN grants only ${maxValue}${maxValue < 2 ? ', so the JobManager is never restarted' : ''}`,
        hint: `raise yarn.resourcemanager.am.max-attempts in yarn-site.xml to ${n}, or lower yarn.application-attempts to ${maxValue}`}))
    }
    return out
  },
}

/** A YARN limit from yarn-site.xml (else YARN's default), with where it was read. */
function yarnLimit(ctx: RuleContext, key: string, fallback: number): {value: number; where: string} {
  const n = siteNumber(ctx.yarnSite, key, fallback)
  return {value: n.value, where: n.file ? `${n.file}:${n.line}` : 'YARN default'}
}

const yarnResources: Rule = {
  id: 'YARN-RESOURCES',
  severity: 'error',
  summary: 'a JobManager or TaskManager container larger than the ResourceManager grants (memory or vcores)',
  targets: ['yarn'],
  check(ctx) {
    const out: Finding[] = []
    const maxMb = yarnLimit(ctx, 'yarn.scheduler.maximum-allocation-mb', 8192)
    const minMb = yarnLimit(ctx, 'yarn.scheduler.minimum-allocation-mb', 1024)
    for (const [role, key] of [['JobManager', 'jobmanager.memory.process.size'], ['TaskManager', 'taskmanager.memory.process.size']] as const) {
      const v = value(ctx, key)
      if (!v) continue
      const size = parseMemorySize(v.value)
      if (!size.ok) continue
      const mb = Math.ceil(size.value / (1024 * 1024))
      if (mb > maxMb.value) {
        out.push(finding(this, {...at(v.entry), key: v.foundAs,
          message: `the ${role} asks YARN for ${mb} MB${sourceNote(v.entry)}, above yarn.scheduler.maximum-allocation-mb ${maxMb.value} (${maxMb.where}): YARN refuses the container`,
          hint: `lower ${key} to ${maxMb.value}m or less${role === 'JobManager' ? ' (-jm)' : ' (-tm)'}, or raise yarn.scheduler.maximum-allocation-mb`}))
      } else if (mb < minMb.value) {
        out.push(finding(this, {...at(v.entry), key: v.foundAs, severity: 'info',
          message: `the ${role} asks for ${mb} MB; YARN rounds a container up to yarn.scheduler.minimum-allocation-mb ${minMb.value} (${minMb.where})`,
          hint: `ask for ${minMb.value}m to use what YARN reserves anyway`}))
      }
    }
    const maxVcores = yarnLimit(ctx, 'yarn.scheduler.maximum-allocation-vcores', 4)
    const vc = value(ctx, 'yarn.containers.vcores') ?? value(ctx, 'taskmanager.numberOfTaskSlots')
    if (vc && /^\s*\d+\s*$/.test(vc.value) && Number(vc.value) > maxVcores.value) {
      out.push(finding(this, {...at(vc.entry), key: vc.foundAs,
        message: `each TaskManager asks YARN for ${vc.value.trim()} vcores${vc.foundAs === 'taskmanager.numberOfTaskSlots' ? ' (one per slot unless yarn.containers.vcores says otherwise)' : ''}${sourceNote(vc.entry)}, above yarn.scheduler.maximum-allocation-vcores ${maxVcores.value} (${maxVcores.where})`,
        hint: `set yarn.containers.vcores: ${maxVcores.value} or fewer slots per TaskManager (-s), or raise yarn.scheduler.maximum-allocation-vcores`}))
    }
    return out
  },
}

/** An executable named name on PATH (what `command -v` finds), without running anything. */
function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).filter(Boolean).some((dir) => {
    try { accessSync(join(dir, name), constants.X_OK); return true } catch { return false }
  })
}

const yarnHadoop: Rule = {
  id: 'YARN-HADOOP',
  severity: 'error',
  summary: 'Hadoop is not found for the YARN client: no HADOOP_CLASSPATH and no `hadoop` command, or no yarn-site.xml',
  targets: ['yarn'],
  check(ctx) {
    const env = ctx.conf.env
    const out: Finding[] = []
    if (!env.HADOOP_CLASSPATH && !onPath('hadoop', env.PATH)) {
      out.push(finding(this, {...fileOf(ctx),
        message: 'HADOOP_CLASSPATH is not set and there is no `hadoop` command on PATH: Flink\'s YARN client has no Hadoop classes',
        hint: 'export HADOOP_CLASSPATH=$(hadoop classpath) on a Hadoop client host, or point it at the Hadoop client jars (dir/*)'}))
    }
    if (!ctx.yarnSite) {
      out.push(finding(this, {...fileOf(ctx), severity: 'warning',
        message: 'no yarn-site.xml: HADOOP_CONF_DIR, env.hadoop.conf.dir and HADOOP_HOME name none, so the ResourceManager and its limits are unknown',
        hint: 'export HADOOP_CONF_DIR=/etc/hadoop/conf (the folder with yarn-site.xml and core-site.xml)'}))
    }
    return out
  },
}

/** ' (-D key=value)' for a value given on the command line, so the message says where it came from. */
function sourceNote(entry: ConfigEntry | undefined): string {
  return entry?.source.kind === 'dynamic' ? ` (-D ${entry.source.arg})` : ''
}

const restLocalhost: Rule = {
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

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  noConfigFile, hostNames, unknownKey, deprecatedKey, removedKey, valueType,
  haType, haTypeVersion, haStorageDir, haStorageLocal, haQuorum, zkQuorumSize,
  mastersCount, mastersDuplicate, zkServersMatch, zkDataDir, zkSessionTimeout, clusterId, zkAcl,
  yarnAttempts, yarnResources, yarnHadoop, restLocalhost,
]

/** Rules that come from reading the files (reported by the loader, listed here for documentation). */
export const LOADER_RULES: ReadonlyArray<{id: string; severity: Severity; summary: string}> = [
  {id: 'CONF-DUPLICATE-KEY', severity: 'error', summary: 'a key set twice (config.yaml refuses it; flink-conf.yaml keeps the last)'},
  {id: 'CONF-YAML-SYNTAX', severity: 'error', summary: 'config.yaml is not valid YAML'},
  {id: 'CONF-SKIPPED-LINE', severity: 'warning', summary: 'a line Flink skips (no ": ", empty key or value)'},
  {id: 'CONF-HASH-IN-VALUE', severity: 'warning', summary: 'a "#" cuts a flink-conf.yaml value short'},
  {id: 'CONF-FILE-SHADOWED', severity: 'warning', summary: 'flink-conf.yaml makes Flink 1.19/1.20 ignore config.yaml'},
  {id: 'CONF-FILE-IGNORED', severity: 'warning', summary: 'a config file this Flink version does not read'},
  {id: 'HOSTS-SLAVES-FILE', severity: 'warning', summary: 'conf/slaves used instead of conf/workers'},
  {id: 'HOSTS-EXTRA-WORDS', severity: 'warning', summary: 'words after the host in masters/workers are ignored'},
  {id: 'HOSTS-CR', severity: 'warning', summary: 'Windows line endings in masters/workers'},
  {id: 'ZOO-SERVER-SYNTAX', severity: 'error', summary: 'a malformed server.N line in zoo.cfg'},
  {id: 'ZOO-DUPLICATE-KEY', severity: 'warning', summary: 'a zoo.cfg key set twice'},
  {id: 'ZOO-SYNTAX', severity: 'warning', summary: 'a zoo.cfg line that is not key=value'},
  {id: 'DIST-JARS', severity: 'error', summary: 'more than one lib/flink-dist*.jar'},
]
