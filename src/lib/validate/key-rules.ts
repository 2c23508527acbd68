// Keys: unknown, deprecated, removed, of the wrong type; no config file at all.
import {join} from 'node:path'
import {type OptionInfo} from '../conf/catalog.ts'
import {atLeast, below, KEY_ALIASES} from '../conf/keys.ts'
import {isBareInteger, MEMORY_UNIT_HINT, DURATION_UNIT_HINT, parseDuration, parseMemorySize} from '../conf/sizes.ts'
import {type Finding} from '../conf/types.ts'
import {version, at, finding, value, type Rule, type RuleContext} from './rule-kit.ts'


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

export const unknownKey: Rule = {
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

export const deprecatedKey: Rule = {
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

export const removedKey: Rule = {
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

export const valueType: Rule = {
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

export const noConfigFile: Rule = {
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

