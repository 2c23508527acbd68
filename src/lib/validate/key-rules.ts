// Keys: unknown, deprecated, removed, of the wrong type; no config file at all.
import {join} from 'node:path'
import {aliasLines, catalogLines, keyLines, type OptionInfo} from '../conf/catalog.ts'
import {atLeast, below, KEY_ALIASES} from '../conf/keys.ts'
import {isBareInteger, MEMORY_UNIT_HINT, DURATION_UNIT_HINT, parseDuration, parseMemorySize} from '../conf/sizes.ts'
import {type ConfigEntry, type Finding} from '../conf/types.ts'
import {version, at, finding, value, type Rule, type RuleContext} from './rule-kit.ts'
import {suggestKeyDetailed} from './suggest.ts'

export {suggestKey} from './suggest.ts'


const FREE_FORM_PREFIXES = [
  'env.java.opts.', 'env.java.default-opts.', 'metrics.reporter.', 'metrics.scope.', 'flink.hadoop.', 'flink.yarn.',
  'containerized.master.env.', 'containerized.taskmanager.env.', 'kubernetes.', 'security.', 's3.', 's3a.', 'fs.',
  'pipeline.global-job-parameters.', 'plugin.', 'table.', 'sql-gateway.', 'sql-client.', 'state.backend.rocksdb.',
  'state.backend.forst.', 'yarn.', 'mesos.', 'akka.', 'pekko.', 'gs.', 'azure.', 'fs.azure.', 'presto.', 'hive.',
  'python.', 'external-resource.', 'historyserver.', 'resourcemanager.', 'rest.flamegraph.', 'execution.',
]

/**
 * Families a plugin or Flink reads by prefix, whatever options a release declares: the S3, Azure,
 * GCS and Hadoop file systems mirror `s3.*` & co. into their own configuration, reporters and env
 * maps take any suffix. A key of theirs that some release declares is not "later" or "removed" elsewhere.
 */
export const PREFIX_READ = ['s3.', 's3a.', 'fs.', 'gs.', 'azure.', 'presto.', 'hive.', 'flink.hadoop.', 'flink.yarn.',
  'metrics.reporter.', 'traces.reporter.', 'events.reporter.', 'env.java.opts.', 'containerized.master.env.',
  'containerized.taskmanager.env.', 'pipeline.global-job-parameters.', 'external-resource.', 'plugin.']
export const readByPrefix = (key: string): boolean => PREFIX_READ.some((p) => key.startsWith(p))

/** Keys read only by Flink's shell scripts, which no option class declares. */
const SCRIPT_KEYS = new Set([
  'env.java.home', 'env.java.opts', 'env.java.opts.all', 'env.java.default-opts.all', 'env.java.opts.jobmanager',
  'env.java.opts.taskmanager', 'env.java.opts.historyserver', 'env.java.opts.client', 'env.java.opts.sql-gateway',
  'env.java.default-opts.jobmanager', 'env.java.default-opts.taskmanager', 'env.pid.dir', 'env.log.dir', 'env.log.max',
  'env.log.level', 'env.stdout-err.redirect-to-file', 'env.ssh.opts', 'env.yarn.conf.dir', 'env.hadoop.conf.dir',
  'env.hbase.conf.dir', 'zookeeper.heap.mb', 'taskmanager.compute.numa', 'high-availability', 'recovery.mode',
])

const knownSets = new WeakMap<object, Set<string>>()
const noCatalog = {}
/** The keys the target line declares, plus script-only keys and the hand-kept aliases' targets; cached per catalog. */
export function knownKeys(ctx: RuleContext): Set<string> {
  const owner = ctx.catalog ?? noCatalog
  let keys = knownSets.get(owner)
  if (!keys) {
    keys = new Set<string>(SCRIPT_KEYS)
    for (const a of KEY_ALIASES) keys.add(a.key)
    if (ctx.catalog) for (const k of ctx.catalog.byKey.keys()) keys.add(k)
    knownSets.set(owner, keys)
  }
  return keys
}

/** "1.18.1" — the version asked for; the catalogued line when that one is outside the catalog or unknown. */
export function targetRelease(ctx: RuleContext): string {
  const v = version(ctx)
  return v && !ctx.catalog?.clamped ? v.raw : ctx.catalog?.line ?? 'unknown'
}
export const flinkName = (ctx: RuleContext): string => `Flink ${targetRelease(ctx)}`

const templateSets = new WeakMap<object, RegExp | null>()
/**
 * Options declared as templates (`metrics.reporter.<name>.factory.class`): one pattern for all of
 * them, `<…>` standing for one or more segments; null when the catalog has none.
 */
function templatesOf(ctx: RuleContext): RegExp | null {
  const owner = ctx.catalog ?? noCatalog
  if (templateSets.has(owner)) return templateSets.get(owner)!
  const parts: string[] = []
  for (const k of knownKeys(ctx)) {
    if (!k.includes('<') || k.startsWith('<')) continue
    // a placeholder before more text is one segment, a trailing one the rest: linear, no backtracking
    const lits = k.split(/<[^<>]*>/).map((lit) => lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    parts.push(lits.map((lit, i) => (i === 0 ? lit : `${i === lits.length - 1 && lit === '' ? '.+' : '[^.]+'}${lit}`)).join(''))
  }
  const re = parts.length > 0 ? new RegExp(`^(?:${parts.join('|')})$`) : null
  templateSets.set(owner, re)
  return re
}

/** Read by the target version: declared (or an instance of a declared template), a deprecated/fallback name, or a hand-kept alias. */
export const readByTarget = (ctx: RuleContext, key: string): boolean =>
  knownKeys(ctx).has(key) || Boolean(ctx.catalog?.byAlias.has(key)) || KEY_ALIASES.some((a) => a.deprecated.includes(key)) ||
  (key.length <= 400 && Boolean(templatesOf(ctx)?.test(key)))

const suggestableSets = new WeakMap<object, Set<string>>()
/** Keys a "did you mean" may name: not templates, and not internal ones. */
function suggestable(ctx: RuleContext): Set<string> {
  const owner = ctx.catalog ?? noCatalog
  let keys = suggestableSets.get(owner)
  if (!keys) {
    keys = new Set([...knownKeys(ctx)].filter((k) => !k.includes('<') && !k.startsWith('$')))
    suggestableSets.set(owner, keys)
  }
  return keys
}

/** Keys other rules report as something more specific than a typo (fake HA switches). */
const skipAsUnknown: Array<(key: string) => boolean> = []
export const reportedElsewhere = (test: (key: string) => boolean): void => {
  skipAsUnknown.push(test)
}

const SUGGESTION_TEXT = {
  spelling: (key: string, s: string) => `unknown key '${key}'; did you mean '${s}'?`,
  order: (key: string, s: string) => `unknown key '${key}'; did you mean '${s}' (the same words in another order or grouping)?`,
  prefix: (key: string, s: string) => `unknown key '${key}'; did you mean '${s}' (the full name)?`,
  doubled: (key: string, s: string) => `unknown key '${key}': nested YAML repeats a segment of '${s}'; did you mean '${s}'?`,
}

export const unknownKey: Rule = {
  id: 'CONF-UNKNOWN-KEY',
  severity: 'warning',
  summary: 'a key no Flink option declares (typo?), with a "did you mean" that also finds reordered or regrouped words, a missing prefix and segments doubled by nested YAML',
  check(ctx) {
    if (!ctx.catalog) return []
    const known = suggestable(ctx)
    const out: Finding[] = []
    for (const entry of ctx.conf.flink.entries.values()) {
      const {key} = entry
      if (readByTarget(ctx, key) || skipAsUnknown.some((t) => t(key)) || REMOVED.some((r) => r.key === key)) continue
      // a key of another catalogued release: CONF-LATER-KEY or CONF-REMOVED-KEY says which
      if (keyLines(key).length > 0) continue
      const suggestion = suggestKeyDetailed(key, known)
      if (!suggestion && FREE_FORM_PREFIXES.some((p) => key.startsWith(p))) continue
      out.push(finding(this, {
        ...at(entry), key,
        severity: suggestion ? 'warning' : 'info',
        message: suggestion
          ? SUGGESTION_TEXT[suggestion.kind](key, suggestion.key)
          : `'${key}' is not an option of ${flinkName(ctx)}; Flink ignores it`,
        hint: suggestion
          ? suggestion.kind === 'doubled'
            ? `write '${suggestion.key}' (flat), or nest only the segments the inner key does not repeat`
            : `rename it to '${suggestion.key}'`
          : 'check the spelling against the Flink documentation, or remove it',
      }))
    }
    return out
  },
}

export const deprecatedKey: Rule = {
  id: 'CONF-DEPRECATED-KEY',
  severity: 'warning',
  summary: 'a deprecated or renamed key; names the key to use instead, one the target version has',
  check(ctx) {
    const out: Finding[] = []
    const seen = new Set<string>()
    const known = knownKeys(ctx)
    const name = flinkName(ctx)
    for (const alias of KEY_ALIASES) {
      if (alias.since && below(version(ctx), alias.since[0], alias.since[1])) continue
      // never hint at a key the target version does not have
      if (ctx.catalog && !known.has(alias.key)) continue
      for (const old of alias.deprecated) {
        const entry = ctx.conf.flink.entries.get(old)
        if (!entry) continue
        seen.add(old)
        const removed = alias.deprecatedRemovedIn && version(ctx) && atLeast(version(ctx), ...alias.deprecatedRemovedIn)
        const current = ctx.conf.flink.entries.get(alias.key)
        if (removed) {
          out.push(finding(this, {...at(entry), key: old, severity: 'error',
            message: `'${old}' was removed in Flink ${alias.deprecatedRemovedIn!.join('.')} and is ignored by ${name}`,
            hint: `use '${alias.key}' instead`}))
        } else if (current) {
          out.push(finding(this, {...at(entry), key: old,
            message: `'${old}' is ignored because '${alias.key}' is also set (line ${current.source.kind === 'file' ? current.source.line : '-D'})`,
            hint: `remove '${old}'`}))
        } else {
          out.push(finding(this, {...at(entry), key: old,
            message: `'${old}' is deprecated in ${name}`,
            hint: `rename it to '${alias.key}'`}))
        }
      }
    }
    if (ctx.catalog) {
      for (const entry of ctx.conf.flink.entries.values()) {
        if (seen.has(entry.key) || ctx.catalog.byKey.has(entry.key)) continue
        const owner = ctx.catalog.byAlias.get(entry.key)
        if (!owner || !owner.deprecatedKeys.includes(entry.key)) continue
        out.push(finding(this, {...at(entry), key: entry.key, message: `'${entry.key}' is deprecated in ${name}`, hint: `rename it to '${owner.key}'`}))
        seen.add(entry.key)
      }
      // an option whose declaration is @Deprecated: named by the option that also reads it, if any
      for (const entry of ctx.conf.flink.entries.values()) {
        if (seen.has(entry.key) || !ctx.catalog.byKey.get(entry.key)?.deprecated) continue
        const successor = readersOf(ctx).get(entry.key)
        out.push(finding(this, {...at(entry), key: entry.key, message: `'${entry.key}' is deprecated in ${name}`,
          hint: successor ? `rename it to '${successor}'` : "it still works in this release; Flink's documentation for the release names its replacement"}))
      }
    }
    return out
  },
}

const readerSets = new WeakMap<object, Map<string, string>>()
/** key → another option of the target line that reads it as a deprecated or fallback name */
function readersOf(ctx: RuleContext): Map<string, string> {
  const owner = ctx.catalog ?? noCatalog
  let readers = readerSets.get(owner)
  if (!readers) {
    readers = new Map()
    for (const o of ctx.catalog?.byKey.values() ?? []) {
      if (o.deprecated) continue
      for (const k of [...o.deprecatedKeys, ...o.fallbackKeys]) if (!readers.has(k)) readers.set(k, o.key)
    }
    readerSets.set(owner, readers)
  }
  return readers
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
  // Flink 1.10's memory model (FLIP-49; the "migration guide" of the memory docs lists them as removed)
  {key: 'taskmanager.memory.preallocate', why: 'was removed in Flink 1.10: managed memory is always allocated lazily'},
  {key: 'taskmanager.memory.off-heap', why: 'was removed in Flink 1.10: managed memory is always off-heap'},
  {key: 'taskmanager.memory.fraction', why: "was removed in Flink 1.10; 'taskmanager.memory.managed.fraction' has a different meaning (a fraction of total Flink memory)"},
  {key: 'containerized.heap-cutoff-ratio', why: 'has had no effect since Flink 1.11 (1.10 for TaskManagers): the memory model sets the JVM overhead instead'},
  {key: 'containerized.heap-cutoff-min', why: 'has had no effect since Flink 1.11 (1.10 for TaskManagers): the memory model sets the JVM overhead instead'},
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
    out.push(...catalogRemovals(this, ctx))
    return out
  },
}

/** An entry the target release does not read but another catalogued release declares. */
export interface CrossRelease {
  entry: ConfigEntry
  /** indexes into catalogLines() of the releases that declare it */
  declaredIn: number[]
  /** index of the target's release */
  here: number
}

/** Entries of keys other catalogued releases declare (prefix-read families and hand-listed removals aside); none without a known version. */
export function crossReleaseEntries(ctx: RuleContext): CrossRelease[] {
  const line = ctx.catalog?.line
  if (!line || !version(ctx)) return []
  const lines = catalogLines()
  const here = lines.indexOf(line)
  const out: CrossRelease[] = []
  for (const entry of ctx.conf.flink.entries.values()) {
    const {key} = entry
    if (readByTarget(ctx, key) || readByPrefix(key) || REMOVED.some((r) => r.key === key)) continue
    const declaredIn = keyLines(key).map((l) => lines.indexOf(l))
    if (declaredIn.length > 0) out.push({entry, declaredIn, here})
  }
  return out
}

/**
 * Keys only older catalogued releases declared, which the target neither declares nor reads under
 * another name; the hint names what replaced it only when the target has that key.
 */
function catalogRemovals(rule: Rule, ctx: RuleContext): Finding[] {
  const lines = catalogLines()
  const known = knownKeys(ctx)
  return crossReleaseEntries(ctx).filter((c) => c.declaredIn.every((i) => i < c.here)).map(({entry, declaredIn}) => {
    const {key} = entry
    const successor = aliasLines(key).map((a) => a.owner).find((o) => known.has(o))
    return finding(rule, {...at(entry), key,
      message: `'${key}' is not an option of ${flinkName(ctx)}: Flink ${lines[Math.max(...declaredIn)]} was the last release to read it`,
      hint: successor ? `use '${successor}' instead` : 'remove it'})
  })
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

