// The HA storage directory and the checkpoint and savepoint directories, parsed as Flink's Path does:
// a bad scheme or authority, template text left in, a bucket root, a relative path.
// Every check here is a scan or an anchored pattern without nested repetition: values can be megabytes long.
import {aliasesFor, atLeast} from '../conf/keys.ts'
import {haMode} from '../conf/load.ts'
import {type ConfigEntry, type Finding, type Severity} from '../conf/types.ts'
import {suggestKey} from './key-rules.ts'
import {at, finding, sourceNote, value, version, type Rule} from './rule-kit.ts'

/** Object stores: the authority is the bucket (container, account), and there is no default one. */
const OBJECT_STORES = new Set(['s3', 's3a', 's3n', 's3p', 'gs', 'wasb', 'wasbs', 'abfs', 'abfss', 'oss', 'cos', 'cosn', 'obs'])
const KNOWN_SCHEMES = new Set([...OBJECT_STORES, 'hdfs', 'file', 'viewfs', 'maprfs', 'webhdfs', 'swebhdfs', 'har', 'o3fs', 'ofs', 'jfs', 'alluxio', 'ftp', 'sftp'])

export type DirPurpose = 'ha' | 'checkpoints' | 'savepoints'

export interface UriProblem {
  severity: Severity
  problem: string
  /** The value as it was probably meant, when that can be told. */
  fixed?: string
  /** Advice when no single fix fits. */
  advice?: string
}

const EXAMPLE: Record<DirPurpose, string> = {ha: 'flink/ha', checkpoints: 'flink/checkpoints', savepoints: 'flink/savepoints'}

/** Text a template or a documentation example left in place of a real value. */
function placeholder(t: string): string | undefined {
  if (t.includes('${')) return "a '${…}' placeholder: Flink does not substitute environment variables in its configuration file"
  if (t.includes('{{')) return "an unrendered '{{ … }}' template"
  const lt = t.indexOf('<')
  if (lt !== -1 && t.indexOf('>', lt) !== -1) return `a '<…>' placeholder (${t.slice(lt, Math.min(t.indexOf('>', lt) + 1, lt + 40))})`
  const lower = t.toLowerCase()
  for (const word of ['your-', 'your_', 'namenode-host', 'namenode_host', '-host:port', 'bucket-name', 'my-bucket-name']) {
    if (lower.includes(word)) return `the example text '${word.replace(/^[-_:]|[-_:]$/g, '')}'`
  }
  const port = lower.indexOf(':port')
  if (port !== -1 && !/[a-z0-9]/.test(lower[port + 5] ?? '')) return "the example text ':port' where a port number belongs"
  return undefined
}

const rootProblem = (purpose: DirPurpose, what: string, fixed: string): UriProblem => purpose === 'ha'
  ? {severity: 'warning', problem: `${what}: Flink writes every cluster's HA directory (<cluster-id>/…) straight into it, among whatever else lives there`, fixed}
  : {severity: 'error', problem: `${what}: Flink refuses it ("Cannot use the root directory for checkpoints")`, fixed}

/** What is wrong with a storage URI as Flink's Path and the file systems read it; undefined when nothing is. */
export function checkStorageUri(raw: string, purpose: DirPurpose): UriProblem | undefined {
  const t = raw.trim()
  if (t === '') return undefined
  const ph = placeholder(t)
  if (ph) return {severity: 'error', problem: `holds ${ph}`, advice: 'write the real file system URI, e.g. hdfs://<namenode>:8020/' + EXAMPLE[purpose] + ' with the host filled in'}
  const example = EXAMPLE[purpose]
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(t)
  if (!scheme) {
    if (t.startsWith('/')) {
      let i = 0
      while (t[i] === '/') i++
      if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(t.slice(i))) {
        return {severity: 'error', problem: 'starts with a slash before the scheme, so Flink reads it as a local path that happens to contain ":"', fixed: t.slice(i)}
      }
      if (purpose === 'ha') return undefined // resolved against the default file system; HA-STORAGE-LOCAL judges local paths
      return {severity: 'error', problem: 'has no scheme: Flink refuses it ("The scheme (hdfs://, file://, etc) is null")',
        fixed: `hdfs://${t}`, advice: `or file://${t} on a mount every TaskManager and JobManager shares`}
    }
    return {severity: 'error', problem: 'is a relative path: each Flink process resolves it against its own working directory, so they write to different places',
      fixed: `hdfs:///${t}`, advice: `or an absolute file:/// path on a mount every process shares`}
  }
  const name = scheme[1]!
  const s = name.toLowerCase()
  let rest = t.slice(name.length + 1)
  if (s.length === 1 && (rest.startsWith('\\') || rest.startsWith('/'))) return undefined // a Windows drive letter
  if (rest.startsWith(':')) {
    let i = 0
    while (rest[i] === ':') i++
    rest = rest.slice(i)
    return {severity: 'error', problem: `has '::' after the scheme '${name}'`, fixed: `${name}:${rest.startsWith('/') ? rest : `//${rest}`}`}
  }
  if (!KNOWN_SCHEMES.has(s)) {
    const near = s.length <= 12 ? suggestKey(s, KNOWN_SCHEMES) : undefined
    return near ? {severity: 'warning', problem: `uses the scheme '${name}', for which Flink has no file system unless a plugin adds one`, fixed: `${near}:${rest}`} : undefined
  }
  let authority: string | undefined
  let path = rest
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash)
    path = slash === -1 ? '' : rest.slice(slash)
  }
  if (OBJECT_STORES.has(s)) {
    if (authority === undefined) {
      let i = 0
      while (rest[i] === '/') i++
      const bucket = rest.slice(i)
      return {severity: 'error', problem: `has no bucket: after '${name}:' comes '//' and then the bucket name`,
        fixed: `${name}://${bucket}${bucket.includes('/') ? '' : `/${example}`}`}
    }
    if (authority === '') return {severity: 'error', problem: `has an empty bucket ('${name}:///'): ${name} has no default bucket`, advice: `write ${name}://<bucket>/${example}`}
    if (path === '' || path === '/') return rootProblem(purpose, `is the root of the bucket '${authority}'`, `${name}://${authority}/${example}`)
    return undefined
  }
  if (s === 'file') {
    if (authority !== undefined && authority !== '' && authority.toLowerCase() !== 'localhost') {
      return {severity: 'warning', problem: `reads '${authority}' as a host name, so the local path is '${path || '/'}', not '/${authority}${path}'`, fixed: `file:///${authority}${path}`}
    }
    if (authority === undefined && !path.startsWith('/')) return {severity: 'error', problem: 'is a relative file: path', fixed: `file:///${path}`}
    if (path === '' || path === '/') return rootProblem(purpose, 'is the root directory', `file:///${example}`)
    return undefined
  }
  // hdfs and its kin: no authority means the default namenode (fs.defaultFS)
  if (authority === undefined) {
    if (!path.startsWith('/')) return {severity: 'error', problem: `is not a URI Flink can open: '${name}:' must be followed by '//' (or '/')`, fixed: `${name}://${path}`}
    let i = 0
    while (path[i] === '/') i++
    const first = path.slice(i).split('/')[0]!
    const after = path.slice(i + first.length)
    return {severity: 'warning',
      problem: `has one slash after '${name}:', so Flink reads '${first}' as the first directory on the default namenode (fs.defaultFS), not as a host`,
      fixed: `${name}:///${path.slice(i)}`, advice: `or, if '${first}' is the namenode, ${name}://${first}${after || `/${example}`}`}
  }
  const colon = authority.lastIndexOf(':')
  if (colon !== -1 && !authority.startsWith('[') && !/^\d{1,5}$/.test(authority.slice(colon + 1))) {
    return {severity: 'error', problem: `has '${authority.slice(colon + 1)}' where the namenode port belongs`, fixed: `${name}://${authority.slice(0, colon)}:8020${path || `/${example}`}`}
  }
  if (path === '' || path === '/') return rootProblem(purpose, 'is the root of the file system', `${name}://${authority}/${example}`)
  return undefined
}

function uriFinding(rule: Rule, canonical: string, v: {value: string; entry: ConfigEntry; foundAs: string}, purpose: DirPurpose): Finding[] {
  const p = checkStorageUri(v.value, purpose)
  if (!p) return []
  const fix = p.fixed ? `write ${v.foundAs}: ${p.fixed}${p.advice ? ` (${p.advice})` : ''}` : p.advice ?? 'write a full URI'
  const old = v.foundAs === canonical ? '' : ` (the old name of ${canonical})`
  return [finding(rule, {...at(v.entry), key: v.foundAs, severity: p.severity,
    message: `${v.foundAs}${old} '${v.value.trim()}'${sourceNote(v.entry)} ${p.problem}`, hint: fix})]
}

export const haStorageUri: Rule = {
  id: 'HA-STORAGE-URI',
  severity: 'error',
  summary: 'high-availability.storageDir (or an old name) malformed, a placeholder, relative, or a bucket root',
  check(ctx) {
    if (haMode(ctx.conf).mode.toLowerCase() === 'none') return []
    const v = value(ctx, 'high-availability.storageDir')
    return v ? uriFinding(this, aliasesFor('high-availability.storageDir', version(ctx))?.key ?? 'high-availability.storageDir', v, 'ha') : []
  },
}

/** Checkpoint and savepoint directories under the names each version reads, newest first. */
const STATE_DIRS: ReadonlyArray<{purpose: DirPurpose; names: readonly string[]; since120: string}> = [
  {purpose: 'checkpoints', since120: 'execution.checkpointing.dir', names: ['state.checkpoints.dir', 'state.backend.fs.checkpointdir']},
  {purpose: 'savepoints', since120: 'execution.checkpointing.savepoint-dir', names: ['state.savepoints.dir', 'savepoints.state.backend.fs.dir']},
]

export const stateDirUri: Rule = {
  id: 'STATE-DIR-URI',
  severity: 'error',
  summary: 'a checkpoint or savepoint directory without a scheme, malformed, a placeholder, relative, or a root',
  check(ctx) {
    const out: Finding[] = []
    for (const dir of STATE_DIRS) {
      // before 1.20 the execution.* name is unknown, and CONF-LATER-KEY says so
      const names = atLeast(version(ctx), 1, 20) ? [dir.since120, ...dir.names] : dir.names
      const name = names.find((n) => ctx.conf.flink.entries.has(n))
      if (!name) continue
      const entry = ctx.conf.flink.entries.get(name)!
      out.push(...uriFinding(this, names[0]!, {value: entry.value, entry, foundAs: name}, dir.purpose))
    }
    return out
  },
}
