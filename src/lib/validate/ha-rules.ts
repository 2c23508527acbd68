// High availability itself: the mode, the storage directory, the cluster id. ZooKeeper's side is in
// zk-rules.ts, the masters file in hosts-rules.ts, URIs in uri-rules.ts, keys set with HA off in ha-off-rules.ts.
import {readFileSync} from 'node:fs'
import {aliasesFor, below} from '../conf/keys.ts'
import {getValue, haMode, isZooKeeperHa, type Resolved} from '../conf/load.ts'
import {type ClusterConf, type ConfigEntry, type Finding} from '../conf/types.ts'
import {allMastersLocal, singleMasterHost} from './hosts-rules.ts'
import {checkStorageUri} from './uri-rules.ts'
import {suggestKey} from './key-rules.ts'
import {version, at, finding, fileOf, haOn, value, sourceNote, parseQuorum, type Rule, type RuleContext} from './rule-kit.ts'

/**
 * " (set as 'recovery.zookeeper.quorum', the old name of 'high-availability.zookeeper.quorum')" when the
 * value came from a deprecated alias, so a message names the line the operator actually wrote.
 */
export function aliasNote(ctx: RuleContext, key: string, v: Resolved | undefined): string {
  if (!v) return ''
  const canonical = aliasesFor(key, version(ctx))?.key ?? key
  return v.foundAs === canonical ? '' : ` (set as '${v.foundAs}', the old name of '${canonical}')`
}

/** " (recovery.mode: zookeeper)" — which key switched HA on, when it is not the canonical one of this version. */
export function haSwitchNote(ctx: RuleContext): string {
  const {resolved} = haMode(ctx.conf)
  if (!resolved) return ''
  const canonical = below(version(ctx), 1, 17) ? 'high-availability' : 'high-availability.type'
  return resolved.foundAs === canonical ? '' : ` (by the old key '${resolved.foundAs}: ${resolved.value}')`
}

/** The names Flink reads a key under in this version, for "is not set" messages. */
export const namesOf = (ctx: RuleContext, key: string): string => {
  const a = aliasesFor(key, version(ctx))
  return a && a.deprecated.length > 0 ? `${a.key} (nor its old names ${a.deprecated.join(', ')})` : key
}

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
  summary: 'ZooKeeper HA is on but high-availability.storageDir (or an old name of it) is missing',
  check(ctx) {
    if (!haOn(ctx)) return []
    const v = value(ctx, 'high-availability.storageDir')
    if (v && v.value.trim() !== '') return []
    // a malformed value is HA-STORAGE-URI's to report
    return [finding(this, {...(v ? at(v.entry) : fileOf(ctx)), key: v?.foundAs ?? 'high-availability.storageDir',
      message: `ZooKeeper HA is on${haSwitchNote(ctx)} but ${v ? `${v.foundAs} is empty` : `${namesOf(ctx, 'high-availability.storageDir')} is not set`}; the JobManager will not start`,
      hint: 'add `high-availability.storageDir: hdfs:///flink/ha` (a file system every JobManager can reach)'})]
  },
}

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
    // '/hdfs://nn/ha' is a typo HA-STORAGE-URI reports, not a local path chosen on purpose
    if (checkStorageUri(text, 'ha')?.severity === 'error') return []
    if (ctx.target === 'yarn') {
      if (declaredShared(v.entry)) return []
      return [finding(this, {...at(v.entry), key: v.foundAs,
        message: `'${text}'${aliasNote(ctx, 'high-availability.storageDir', v)} is a local path${sourceNote(v.entry)}: YARN restarts the JobManager in a container on any node, which cannot read what the last attempt wrote`,
        hint: 'use a file system every node reads, e.g. high-availability.storageDir: hdfs:///flink/ha (or mark a mount every node shares with a comment: # shared: NFS on every node)'})]
    }
    if (allMastersLocal(ctx) || singleMasterHost(ctx) || declaredShared(v.entry)) return []
    return [finding(this, {...at(v.entry), key: v.foundAs,
      message: `'${text}'${aliasNote(ctx, 'high-availability.storageDir', v)} is a local path: a standby JobManager on another host cannot read what the leader wrote`,
      hint: 'use shared storage (hdfs://, s3://), or, for a path on a mount every master shares, say so in a comment on the line above: # shared: NFS on every master'})]
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
      return v ? [finding(this, {...at(v.entry), key: v.foundAs,
        message: `cluster-id is set to '${v.value.trim()}'${aliasNote(ctx, 'high-availability.cluster-id', v)}${sourceNote(v.entry)}: every YARN session started with this configuration shares one ZooKeeper path, and a new session recovers (or fights over) the jobs of the last`,
        hint: `remove ${v.foundAs} so YARN uses the application id; flinkctl refuses to start a second session while one with the same cluster-id runs`})] : []
    }
    const id = v?.value.trim() || '/default'
    const out: Finding[] = []
    const mine = haNamespace(ctx.conf)
    for (const other of ctx.others) {
      if (other === ctx.conf || !isZooKeeperHa(other)) continue
      const theirs = haNamespace(other)
      if (theirs.quorumHosts.some((h) => mine.quorumHosts.includes(h)) && theirs.root === mine.root && theirs.id === mine.id) {
        out.push(finding(this, {...(v ? at(v.entry) : fileOf(ctx)), key: v?.foundAs ?? 'high-availability.cluster-id', severity: 'error',
          message: `${ctx.conf.confDir} and ${other.confDir} share ZooKeeper path ${mine.root}${mine.id}: their JobManagers would fight over one leader and one job store`,
          hint: 'give every cluster its own high-availability.cluster-id'}))
      }
    }
    if (id === '/default' || id === 'default') {
      out.push(finding(this, {...(v ? at(v.entry) : fileOf(ctx)), key: v?.foundAs ?? 'high-availability.cluster-id',
        message: v ? `cluster-id is the default '${id}'${aliasNote(ctx, 'high-availability.cluster-id', v)}: another cluster on this ZooKeeper with the default would share its HA state` : `${namesOf(ctx, 'high-availability.cluster-id')} is not set, so it is /default: clusters sharing this ZooKeeper root would collide`,
        hint: 'set `high-availability.cluster-id: /<unique-name>` for this standalone cluster'}))
    }
    return out
  },
}

function haNamespace(conf: ClusterConf): {quorumHosts: string[]; root: string; id: string} {
  const norm = (s: string) => `/${trimSlashes(s.trim())}`
  const q = getValue(conf, 'high-availability.zookeeper.quorum')?.value ?? ''
  return {
    quorumHosts: parseQuorum(q).entries.map((e) => `${e.host}:${e.port ?? 2181}`),
    root: norm(getValue(conf, 'high-availability.zookeeper.path.root')?.value ?? '/flink'),
    id: norm(getValue(conf, 'high-availability.cluster-id')?.value || '/default'),
  }
}

/** Slashes off both ends without a regex (`/\/+$/` backtracks over a long run of slashes). */
function trimSlashes(s: string): string {
  let i = 0
  let j = s.length
  while (i < j && s[i] === '/') i++
  while (j > i && s[j - 1] === '/') j--
  return s.slice(i, j)
}
