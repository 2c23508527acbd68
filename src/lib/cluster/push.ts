/**
 * `config push` and `config diff` as library code: the bastion's conf dir is the source of
 * truth, and every host gets the same files at the same path (Flink requires it). Everything
 * here returns values; the command layer prints.
 *
 * Round trips per host: push = one inspection + one write (none when nothing changed);
 * diff = one (hashes, modes, the differing files' content and the listing in a single script).
 */
import {createHash, randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, realpathSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {isSecretKey, REDACTED} from '../conf/keys.ts'
import {ExitCode, FlinkctlError} from '../errors.ts'
import {fanOut, type HostOutcome} from '../remote/fan-out.ts'
import {assertOk, HostError, tail, type Host} from '../remote/host.ts'

/** The hidden subdirectory of a conf dir that holds flinkctl's own state (never pushed, never read by Flink). */
export const STATE_DIR = '.flinkctl'
/** Where the version a push replaced is kept, relative to the conf dir. */
export const PREV_DIR = `${STATE_DIR}/prev`
const TMP_MARK = '.flinkctl-tmp.'

export interface LocalFile {
  name: string
  content: Buffer
  sha256: string
  /** Permission bits (mode & 0o7777). */
  mode: number
}

export type RemoteState =
  | {state: 'missing'}
  /** sha256 is undefined only when the host has no hash tool and the file was too big to fetch. */
  | {state: 'file'; sha256: string | undefined; mode: number; size: number; content?: Buffer}
  /** Exists but cannot be replaced or compared: a directory, a dangling link, unreadable. */
  | {state: 'other'; reason: string}

export type PushAction = 'unchanged' | 'create' | 'update' | 'mode' | 'conflict'

export interface PushPlanEntry {
  name: string
  action: PushAction
  mode: number
  remoteMode?: number
  /** Why a file cannot be pushed (action 'conflict'). */
  reason?: string
}

export interface PushOptions {
  /** The bastion's conf dir: a local host whose confDir resolves to it is the source and is skipped. */
  sourceDir?: string
  /** Inspect and plan only. */
  dryRun?: boolean
  /** Timeout per round trip; default: the host's. */
  timeoutMs?: number
}

export interface PushResult {
  host: string
  /** Set when nothing was done because the target is the source directory itself. */
  skipped?: 'source'
  dryRun: boolean
  created: string[]
  updated: string[]
  unchanged: string[]
  modeChanged: string[]
  /** Paths on the host of the versions the push replaced. */
  previousKept: string[]
}

export interface FileDiff {
  name: string
  /** Content differs (false: only the permissions do). */
  content: boolean
  mode: boolean
  modeLocal: string
  modeRemote?: string
  sizeLocal: number
  sizeRemote?: number
  /** What a push would change: the host's copy as `---`, the bastion's as `+++`; secret values shown as REDACTED. */
  unifiedDiff?: string
  /** Binary or secret files: no content, only sizes and hashes. */
  binary?: {localBytes: number; remoteBytes: number; localSha256: string; remoteSha256?: string}
  /** Why there is no unified diff (too large, binary, secret file, not a regular file…). */
  note?: string
}

export interface DiffResult {
  host: string
  skipped?: 'source'
  same: string[]
  missingRemote: string[]
  /** Files on the host that the bastion does not have (informative: push never deletes). */
  extraRemote: string[]
  differs: FileDiff[]
}

export interface DiffOptions {
  sourceDir?: string
  /** Label of the bastion's side in diff headers. */
  localLabel?: string
  /** Files bigger than this are compared by size and hash only (default 1 MiB). */
  maxDiffBytes?: number
  /** Edit distance (in lines) beyond which the diff is summarised instead (default 2000). */
  maxEdits?: number
  context?: number
  timeoutMs?: number
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

export const octalMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0')

// ---------------------------------------------------------------------------------------------
// Local side

/** Editor and backup leftovers, our own temp files and every hidden file: not configuration. */
export function isJunkName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /^#.*#$/.test(name) || name.includes(TMP_MARK) ||
    /\.(swp|swo|swx|bak|orig|rej)$/.test(name)
}

/** The regular files of a conf dir (not recursive, symlinks followed), sorted by name. */
export function localConfFiles(confDir: string): LocalFile[] {
  let entries: string[]
  try {
    entries = readdirSync(confDir)
  } catch (err) {
    throw new FlinkctlError(`cannot read the conf dir ${confDir}: ${(err as Error).message}`, {code: 'CONF_DIR', exit: ExitCode.ConfigInvalid, cause: err})
  }
  const out: LocalFile[] = []
  for (const name of entries.sort()) {
    if (isJunkName(name)) continue
    const path = join(confDir, name)
    let st
    try {
      st = statSync(path)
    } catch {
      continue // dangling symlink: nothing to push
    }
    if (!st.isFile()) continue
    // Remote scripts pass names as lines; a control character would break that framing.
    if (/[\x00-\x1f\x7f]/.test(name)) {
      throw new FlinkctlError(`conf file name ${JSON.stringify(name)} contains a control character`, {code: 'CONF_FILE_NAME', exit: ExitCode.ConfigInvalid, hint: 'rename the file'})
    }
    const content = readFileSync(path)
    out.push({name, content, sha256: sha256(content), mode: st.mode & 0o7777})
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Remote side: shared shell helpers

/**
 * fh FILE prints the file's sha256, or `-` when the host has none of sha256sum, shasum and
 * openssl: callers then compare content (inspect sends it back) or sizes (push verification).
 * fmode prints octal bits (GNU/BusyBox or BSD stat) or, lacking both, the `ls -l` string.
 */
const SH_HELPERS = `
if command -v sha256sum >/dev/null 2>&1; then fh() { sha256sum < "$1" | cut -c1-64; }
elif command -v shasum >/dev/null 2>&1; then fh() { shasum -a 256 < "$1" | cut -c1-64; }
elif command -v openssl >/dev/null 2>&1; then fh() { openssl dgst -sha256 < "$1" | sed 's/^.*= *//'; }
else fh() { echo -; }
fi
fmode() { stat -c %a -- "$1" 2>/dev/null || stat -f %Lp -- "$1" 2>/dev/null || ls -ldn -- "$1" | cut -d' ' -f1; }
fsize() { wc -c < "$1" | tr -d ' '; }
`

/**
 * Args: dir list fetchMax (name expectedSha|-)…  Prints per name (by index i):
 *   F i sha|- size mode   then, when asked, C i <hex>   (od: binary-safe and POSIX)
 *   M i (missing)   O i (not a regular file)   U i (unreadable)
 * and with list=1, X name for every regular non-hidden file of dir.
 * Content is sent back when it is needed to compare: no hash tool, or a hash that differs
 * from the expected one (diff), and the file is at most fetchMax bytes (-1: never).
 */
const INSPECT_SH = `${SH_HELPERS}
dir=$1; list=$2; max=$3; shift 3
i=0
while [ $# -gt 1 ]; do
  f="$dir/$1"; want=$2; shift 2
  if [ -f "$f" ] && [ ! -r "$f" ]; then echo "U $i"
  elif [ -f "$f" ]; then
    h=$(fh "$f"); s=$(fsize "$f"); m=$(fmode "$f")
    printf 'F %s %s %s %s\\n' "$i" "\${h:--}" "$s" "$m"
    if [ "$max" -ge 0 ] && [ "$s" -le "$max" ] && { [ "\${h:--}" = - ] || { [ "$want" != - ] && [ "$h" != "$want" ]; }; }; then
      printf 'C %s ' "$i"; od -An -v -tx1 < "$f" | tr -d ' \\n'; echo
    fi
  elif [ -e "$f" ] || [ -L "$f" ]; then echo "O $i"
  else echo "M $i"
  fi
  i=$((i + 1))
done
if [ "$list" = 1 ] && [ -d "$dir" ]; then
  for f in "$dir"/*; do if [ -f "$f" ]; then printf 'X %s\\n' "\${f##*/}"; fi; done
fi
exit 0
`

/** Octal (`644`, `4755`) or `ls -l` symbolic (`-rw-r--r--`, `-rwsr-x--T+`) to permission bits. */
export function parseMode(text: string): number {
  if (/^[0-7]{1,4}$/.test(text)) return parseInt(text, 8)
  const s = text.slice(1, 10)
  if (s.length !== 9) throw new Error(`unreadable mode ${JSON.stringify(text)}`)
  let mode = 0
  const bit = (i: number, c: string, v: number) => { if (s[i] === c) mode |= v }
  for (const [i, shift] of [[0, 6], [3, 3], [6, 0]] as const) {
    bit(i, 'r', 4 << shift)
    bit(i + 1, 'w', 2 << shift)
    const x = s[i + 2]
    if (x === 'x' || x === 's' || x === 't') mode |= 1 << shift
  }
  if ('sS'.includes(s[2]!)) mode |= 0o4000
  if ('sS'.includes(s[5]!)) mode |= 0o2000
  if ('tT'.includes(s[8]!)) mode |= 0o1000
  return mode
}

const fromHex = (hex: string): Buffer => Buffer.from(hex.trim(), 'hex')

interface InspectOutput {
  states: Map<string, RemoteState>
  extra: string[]
}

async function runInspect(host: Host, confDir: string, names: readonly string[], opts: {expect?: ReadonlyMap<string, string>; fetchMax: number; list: boolean; timeoutMs?: number}): Promise<InspectOutput> {
  const args = [remotePath(confDir), opts.list ? '1' : '0', String(opts.fetchMax)]
  for (const n of names) args.push(n, opts.expect?.get(n) ?? '-')
  const r = assertOk(host, `inspecting ${confDir}`, await host.sh(INSPECT_SH, args, {timeoutMs: opts.timeoutMs}))
  const states = new Map<string, RemoteState>()
  const extra: string[] = []
  const requested = new Set(names)
  for (const line of r.stdout.split('\n')) {
    const [tag, idx, ...rest] = line.split(' ')
    const name = idx === undefined ? undefined : names[Number(idx)]
    if (tag === 'X') {
      const x = line.slice(2)
      if (!requested.has(x) && !isJunkName(x)) extra.push(x)
    } else if (name === undefined) {
      continue
    } else if (tag === 'M') {
      states.set(name, {state: 'missing'})
    } else if (tag === 'O') {
      states.set(name, {state: 'other', reason: 'not a regular file'})
    } else if (tag === 'U') {
      states.set(name, {state: 'other', reason: 'not readable'})
    } else if (tag === 'F') {
      const [h, size, mode] = rest
      states.set(name, {state: 'file', sha256: h === '-' ? undefined : h, size: Number(size), mode: parseMode(mode ?? '')})
    } else if (tag === 'C') {
      const s = states.get(name)
      if (s?.state === 'file') {
        s.content = fromHex(rest[0] ?? '')
        s.sha256 ??= sha256(s.content) // no hash tool there: hash what came back
      }
    }
  }
  for (const n of names) {
    if (!states.has(n)) throw new HostError(host.name, `inspecting ${confDir} on ${host.name} gave no answer for ${n}`, {code: 'REMOTE_PROTOCOL'})
  }
  return {states, extra: extra.sort()}
}

/** A path the remote shell can take as an operand: relative paths get `./` so a leading `-` is harmless. */
const remotePath = (p: string): string => (p.startsWith('/') || p.startsWith('./') ? p : `./${p}`).replace(/(.)\/+$/, '$1')

/**
 * The state of `names` in `confDir` on the host, in one round trip: missing, or sha256, mode
 * and size. Hosts without sha256sum/shasum/openssl send the content back instead, and the
 * hash is computed here (files up to 64 MiB; bigger ones come back with sha256 undefined).
 */
export async function inspectRemote(host: Host, confDir: string, names: readonly string[], opts: {timeoutMs?: number} = {}): Promise<Map<string, RemoteState>> {
  return (await runInspect(host, confDir, names, {fetchMax: 64 << 20, list: false, timeoutMs: opts.timeoutMs})).states
}

// ---------------------------------------------------------------------------------------------
// Push

/** What a push would do to each file. Unknown hashes (no hash tool, huge file) count as an update. */
export function planPush(local: readonly LocalFile[], remote: ReadonlyMap<string, RemoteState>): PushPlanEntry[] {
  return local.map((f): PushPlanEntry => {
    const r = remote.get(f.name) ?? {state: 'missing'}
    if (r.state === 'missing') return {name: f.name, action: 'create', mode: f.mode}
    if (r.state === 'other') return {name: f.name, action: 'conflict', mode: f.mode, reason: r.reason}
    const same = r.sha256 !== undefined ? r.sha256 === f.sha256 : r.content !== undefined && f.content.equals(r.content)
    if (!same) return {name: f.name, action: 'update', mode: f.mode, remoteMode: r.mode}
    return {name: f.name, action: r.mode === f.mode ? 'unchanged' : 'mode', mode: f.mode, remoteMode: r.mode}
  })
}

/**
 * Args: dir tag, then 5-tuples (w|m name mode size sha); stdin: the new files' bytes, in order.
 * Phase 1 writes every new file as <dir>/.<name>.flinkctl-tmp.<tag> (private until chmod) and
 * checks its hash (its size without a hash tool); any failure removes all temp files, so the
 * host keeps its old conf untouched. Phase 2 keeps each replaced version under .flinkctl/prev
 * (a hard link: same bytes, mode and mtime) and renames the temp file over the target.
 * stdin lands in a temp file first because reading exact byte counts from a pipe has no
 * portable tool (BSD head -c reads ahead); `head -c` on a regular file is fine, dd bs=1 the fallback.
 */
const PUSH_SH = `${SH_HELPERS}
dir=$1; tag=$2; shift 2
cleanup() { rm -f -- "$dir"/.*".flinkctl-tmp.$tag"; }
fail() { printf '%s\\n' "$*" >&2; cleanup; exit 1; }
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
if [ ! -d "$dir" ]; then mkdir -p -- "$dir" || fail "cannot create $dir"; fi
umask 077
bundle="$dir/.flinkctl-stdin.flinkctl-tmp.$tag"
cat > "$bundle" || fail "cannot write in $dir"
if [ "$(printf abc | head -c 2 2>/dev/null)" = ab ]; then
  part() { tail -c +"$(($1 + 1))" "$bundle" | head -c "$2"; }
else
  part() { dd if="$bundle" bs=1 skip="$1" count="$2" 2>/dev/null; }
fi
off=0; i=0; k=0
for a in "$@"; do
  case $k in
  0) op=$a ;; 1) name=$a ;; 2) mode=$a ;; 3) size=$a ;;
  4) sha=$a; target="$dir/$name"; t="$dir/.$name.flinkctl-tmp.$tag"
     if [ "$op" = w ]; then
       if [ -d "$target" ]; then fail "$target is a directory"; fi
       part "$off" "$size" > "$t" || fail "cannot write $t"
       off=$((off + size))
       chmod "$mode" "$t" || fail "cannot chmod $t"
       got=$(fh "$t")
       if [ "\${got:--}" = - ]; then got=$(fsize "$t"); sha=$size; fi
       [ "$got" = "$sha" ] || fail "$name: the copy written on this host does not match the bastion's (transfer corrupted)"
     elif [ ! -f "$target" ]; then fail "$target is gone or not a regular file"
     fi
     i=$((i + 1)) ;;
  esac
  k=$(( (k + 1) % 5 ))
done
rm -f -- "$bundle"
prev="$dir/.flinkctl/prev"
i=0; k=0
for a in "$@"; do
  case $k in
  0) op=$a ;; 1) name=$a ;; 2) mode=$a ;;
  4) target="$dir/$name"; t="$dir/.$name.flinkctl-tmp.$tag"
     if [ "$op" = w ]; then
       if [ -e "$target" ] || [ -L "$target" ]; then
         [ -d "$prev" ] || mkdir -p -- "$prev" || fail "cannot create $prev"
         if [ -L "$target" ]; then cp -p -- "$target" "$prev/$name"
         else ln -f -- "$target" "$prev/$name" 2>/dev/null || cp -p -- "$target" "$prev/$name"
         fi || fail "cannot keep the previous $name"
         echo "P $i"
       fi
       mv -f -- "$t" "$target" || fail "cannot replace $target"
       echo "W $i"
     else
       chmod "$mode" "$target" || fail "cannot chmod $target"
       echo "M $i"
     fi
     i=$((i + 1)) ;;
  esac
  k=$(( (k + 1) % 5 ))
done
exit 0
`

/** A local host whose conf dir is the source dir itself (compared after resolving links). */
function isSourceDir(host: Host, confDir: string, sourceDir: string | undefined): boolean {
  if (!host.local || sourceDir === undefined) return false
  try {
    return realpathSync(confDir) === realpathSync(sourceDir)
  } catch {
    return false // the target does not exist yet, so it is not the source
  }
}

/**
 * Makes confDir on the host hold exactly the bastion's `files` (others are left alone):
 * unchanged files are not touched at all, changed ones are replaced atomically with the
 * previous version kept, mode-only changes are a chmod. Either every new file is written and
 * verified before the first replacement, or the host is left as it was. Throws HostError.
 */
export async function pushConf(host: Host, confDir: string, files: readonly LocalFile[], opts: PushOptions = {}): Promise<PushResult> {
  const result: PushResult = {host: host.name, dryRun: opts.dryRun ?? false, created: [], updated: [], unchanged: [], modeChanged: [], previousKept: []}
  if (isSourceDir(host, confDir, opts.sourceDir)) return {...result, skipped: 'source'}

  const remote = await inspectRemote(host, confDir, files.map((f) => f.name), {timeoutMs: opts.timeoutMs})
  const plan = planPush(files, remote)
  const conflicts = plan.filter((p) => p.action === 'conflict')
  if (conflicts.length > 0) {
    throw new HostError(host.name, `cannot push to ${host.name}: ${conflicts.map((c) => `${confDir}/${c.name} is ${c.reason}`).join('; ')}`, {
      code: 'PUSH_CONFLICT', hint: 'remove or rename those paths on the host, then push again',
    })
  }
  const byName = new Map(files.map((f) => [f.name, f]))
  const ops = plan.filter((p) => p.action !== 'unchanged')
  result.unchanged = plan.filter((p) => p.action === 'unchanged').map((p) => p.name)
  if (opts.dryRun || ops.length === 0) {
    for (const p of ops) listFor(result, p.action).push(p.name)
    return result
  }

  const args = [remotePath(confDir), randomBytes(8).toString('hex')]
  const chunks: Buffer[] = []
  for (const p of ops) {
    const f = byName.get(p.name)!
    if (p.action === 'mode') {
      args.push('m', f.name, octalMode(f.mode), '-', '-')
    } else {
      args.push('w', f.name, octalMode(f.mode), String(f.content.length), f.sha256)
      chunks.push(f.content)
    }
  }
  const r = await host.sh(PUSH_SH, args, {stdin: Buffer.concat(chunks), timeoutMs: opts.timeoutMs})
  const done = new Set<string>()
  for (const line of r.stdout.split('\n')) {
    const [tag, idx] = line.split(' ')
    const p = idx === undefined ? undefined : ops[Number(idx)]
    if (!p) continue
    if (tag === 'P') result.previousKept.push(`${confDir.replace(/\/+$/, '')}/${PREV_DIR}/${p.name}`)
    if (tag === 'W' || tag === 'M') {
      listFor(result, p.action).push(p.name)
      done.add(p.name)
    }
  }
  if (r.code !== 0) {
    // Only a failure while renaming leaves some files replaced; say which, so nothing is guessed.
    const partial = done.size > 0 ? ` after replacing ${[...done].join(', ')} (not: ${ops.filter((p) => !done.has(p.name)).map((p) => p.name).join(', ')})` : '; nothing was changed there'
    const why = r.timedOut ? `timed out after ${r.durationMs} ms` : r.code === null ? `killed by ${r.signal ?? 'a signal'}` : tail(r.stderr || r.stdout)
    throw new HostError(host.name, `push to ${host.name}:${confDir} failed${partial}: ${why}`, {
      code: r.timedOut ? 'REMOTE_TIMEOUT' : 'PUSH_FAILED', exit: r.timedOut ? ExitCode.Timeout : ExitCode.Failed,
    })
  }
  return result
}

function listFor(result: PushResult, action: PushAction): string[] {
  switch (action) {
    case 'create': return result.created
    case 'update': return result.updated
    case 'mode': return result.modeChanged
    default: return result.unchanged
  }
}

/** pushConf on every host, `parallel` at a time; one outcome per host, failures stay with their host. */
export function pushConfAll(hosts: readonly Host[], confDir: string, files: readonly LocalFile[], opts: PushOptions & {parallel?: number} = {}): Promise<HostOutcome<PushResult>[]> {
  const byName = new Map(hosts.map((h) => [h.name, h]))
  return fanOut(hosts.map((h) => h.name), (name) => pushConf(byName.get(name)!, confDir, files, opts), {parallel: opts.parallel})
}

// ---------------------------------------------------------------------------------------------
// Diff

/**
 * How each host's confDir differs from the bastion's files, in one round trip per host. Text
 * files get a unified diff (host `---`, bastion `+++`: what a push would change) with secret values redacted on both
 * sides; binary and secret files, and files over maxDiffBytes, only sizes and hashes.
 */
export async function diffConf(host: Host, confDir: string, files: readonly LocalFile[], opts: DiffOptions = {}): Promise<DiffResult> {
  const result: DiffResult = {host: host.name, same: [], missingRemote: [], extraRemote: [], differs: []}
  if (isSourceDir(host, confDir, opts.sourceDir)) return {...result, skipped: 'source', same: files.map((f) => f.name)}
  const maxBytes = opts.maxDiffBytes ?? 1 << 20
  const {states, extra} = await runInspect(host, confDir, files.map((f) => f.name), {
    expect: new Map(files.map((f) => [f.name, f.sha256])), fetchMax: maxBytes, list: true, timeoutMs: opts.timeoutMs,
  })
  result.extraRemote = extra
  const dir = confDir.replace(/(.)\/+$/, '$1')
  for (const f of files) {
    const r = states.get(f.name)!
    if (r.state === 'missing') {
      result.missingRemote.push(f.name)
      continue
    }
    const base: FileDiff = {name: f.name, content: true, mode: false, modeLocal: octalMode(f.mode), sizeLocal: f.content.length}
    if (r.state === 'other') {
      result.differs.push({...base, note: `${r.reason} on ${host.name}`})
      continue
    }
    const modeDiffers = r.mode !== f.mode
    const contentKnown = r.sha256 !== undefined
    const contentDiffers = contentKnown ? r.sha256 !== f.sha256 : r.size !== f.content.length
    if (!contentDiffers && !modeDiffers) {
      if (contentKnown) result.same.push(f.name)
      else result.differs.push({...base, content: false, modeRemote: octalMode(r.mode), sizeRemote: r.size, note: 'not compared: no hash tool on the host and the file is too large to fetch'})
      continue
    }
    const entry: FileDiff = {...base, content: contentDiffers, mode: modeDiffers, modeRemote: octalMode(r.mode), sizeRemote: r.size}
    if (contentDiffers) Object.assign(entry, describeContentDiff(f, r, {
      localLabel: `${opts.localLabel ?? 'bastion'}:${dir}/${f.name}`, remoteLabel: `${host.name}:${dir}/${f.name}`,
      maxBytes, maxEdits: opts.maxEdits ?? 2000, context: opts.context ?? 3,
    }))
    result.differs.push(entry)
  }
  return result
}

function describeContentDiff(f: LocalFile, r: Extract<RemoteState, {state: 'file'}>, o: {localLabel: string; remoteLabel: string; maxBytes: number; maxEdits: number; context: number}): Partial<FileDiff> {
  const summary = {localBytes: f.content.length, remoteBytes: r.size, localSha256: f.sha256, remoteSha256: r.sha256}
  const sizes = `differs (${f.content.length} bytes vs ${r.size} bytes)`
  if (r.content === undefined) return {binary: summary, note: sizes}
  if (isSecretFile(f.name, f.content) || isSecretFile(f.name, r.content)) return {binary: summary, note: `${sizes}; secret file, content not shown`}
  const a = decodeText(f.content)
  const b = decodeText(r.content)
  if (a === undefined || b === undefined) return {binary: summary, note: `binary file ${sizes}`}
  // what a push would change: the host's copy is ---, the bastion's +++
  const text = unifiedDiff(f.name, b, a, {...o, localLabel: o.remoteLabel, remoteLabel: o.localLabel})
  return text === undefined ? {binary: summary, note: `${sizes}; too many changes to show`} : {unifiedDiff: text}
}

/** diffConf on every host; one outcome per host. */
export function diffConfAll(hosts: readonly Host[], confDir: string, files: readonly LocalFile[], opts: DiffOptions & {parallel?: number} = {}): Promise<HostOutcome<DiffResult>[]> {
  const byName = new Map(hosts.map((h) => [h.name, h]))
  return fanOut(hosts.map((h) => h.name), (name) => diffConf(byName.get(name)!, confDir, files, opts), {parallel: opts.parallel})
}

/** UTF-8 text without NUL bytes, else undefined (binary). */
function decodeText(b: Buffer): string | undefined {
  if (b.includes(0)) return undefined
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(b)
  } catch {
    return undefined
  }
}

/** Key material and password files: never shown line by line, whatever their syntax. */
export function isSecretFile(name: string, content: Buffer): boolean {
  return isSecretKey(name) || /\.(jks|p12|pfx|keytab|pem)$/i.test(name) || content.includes('PRIVATE KEY-----')
}

// ---------------------------------------------------------------------------------------------
// Unified diff (Myers, O((N+M)·D) time, D² memory, bounded by maxEdits)

export type EditOp = {op: '=' | '-' | '+'; a: number; b: number}

/**
 * The shortest edit script from a to b (common prefix and suffix trimmed first), or undefined
 * when it needs more than maxEdits insertions and deletions. `a`/`b` index the line in each
 * input (for '+' a is the position in a, for '-' b the position in b).
 */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = Infinity): EditOp[] | undefined {
  let pre = 0
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++
  let suf = 0
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++
  const A = a.slice(pre, a.length - suf)
  const B = b.slice(pre, b.length - suf)
  const core = myers(A, B, maxEdits)
  if (!core) return undefined
  const out: EditOp[] = []
  for (let i = 0; i < pre; i++) out.push({op: '=', a: i, b: i})
  for (const e of core) out.push({op: e.op, a: e.a + pre, b: e.b + pre})
  for (let i = 0; i < suf; i++) out.push({op: '=', a: a.length - suf + i, b: b.length - suf + i})
  return out
}

function myers(a: readonly string[], b: readonly string[], maxEdits: number): EditOp[] | undefined {
  const n = a.length
  const m = b.length
  const max = n + m
  if (max === 0) return []
  const off = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  for (let d = 0; d <= max; d++) {
    if (d > maxEdits) return undefined
    trace.push(v.slice(off - d - 1, off + d + 2)) // the state before step d, k in [-d-1, d+1]
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) { x++; y++ }
      v[off + k] = x
      if (x >= n && y >= m) return backtrack(trace, n, m)
    }
  }
  return undefined
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): EditOp[] {
  const ops: EditOp[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const t = trace[d]!
    const at = (k: number) => t[k + d + 1]!
    const k = x - y
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
    const prevX = at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) { x--; y--; ops.push({op: '=', a: x, b: y}) }
    if (d > 0) {
      if (x === prevX) ops.push({op: '+', a: x, b: prevY})
      else ops.push({op: '-', a: prevX, b: y})
    }
    x = prevX
    y = prevY
  }
  return ops.reverse()
}

interface SplitText {
  lines: string[]
  /** The last line has no final newline. */
  noEol: boolean
}

function splitText(s: string): SplitText {
  if (s === '') return {lines: [], noEol: false}
  const lines = s.split('\n')
  const noEol = lines[lines.length - 1] !== ''
  if (!noEol) lines.pop()
  return {lines, noEol}
}

/**
 * `diff -u` of two texts with `context` lines around changes, or '' when they are equal and
 * undefined when the edit script exceeds maxEdits. Lines are compared as they are and shown
 * redacted (redactLines), so a changed secret shows as a changed line with REDACTED on both sides.
 */
export function unifiedDiff(name: string, a: string, b: string, o: {localLabel: string; remoteLabel: string; maxEdits?: number; context?: number}): string | undefined {
  const A = splitText(a)
  const B = splitText(b)
  // The missing final newline is part of the last line's identity, as in diff(1).
  const key = (t: SplitText) => t.lines.map((l, i) => (t.noEol && i === t.lines.length - 1 ? `${l}\u0000` : l))
  const ops = diffLines(key(A), key(B), o.maxEdits ?? Infinity)
  if (!ops) return undefined
  if (ops.every((e) => e.op === '=')) return ''
  const showA = redactLines(name, A.lines)
  const showB = redactLines(name, B.lines)
  const ctx = o.context ?? 3
  const out = [`--- ${o.localLabel}`, `+++ ${o.remoteLabel}`]
  const changes = ops.flatMap((e, i) => (e.op === '=' ? [] : [i]))
  let g = 0
  while (g < changes.length) {
    let last = g
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! <= 2 * ctx) last++
    const from = Math.max(0, changes[g]! - ctx)
    const to = Math.min(ops.length, changes[last]! + ctx + 1)
    const slice = ops.slice(from, to)
    const aLen = slice.filter((e) => e.op !== '+').length
    const bLen = slice.filter((e) => e.op !== '-').length
    const first = slice[0]!
    const aStart = first.a + (aLen > 0 ? 1 : 0)
    const bStart = first.b + (bLen > 0 ? 1 : 0)
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`)
    for (const e of slice) {
      if (e.op === '+') {
        out.push(`+${showB[e.b]}`)
        if (B.noEol && e.b === B.lines.length - 1) out.push('\\ No newline at end of file')
      } else {
        out.push(`${e.op === '-' ? '-' : ' '}${showA[e.a]}`)
        if (A.noEol && e.a === A.lines.length - 1) out.push('\\ No newline at end of file')
      }
    }
    g = last + 1
  }
  return out.join('\n') + '\n'
}

const range = (start: number, len: number): string => (len === 1 ? String(start) : `${start},${len}`)

// ---------------------------------------------------------------------------------------------
// Redaction

const KEY_SEP = /([A-Za-z0-9_.-]+)(\s*[=:]\s*)/g
const VALUE = /"[^"]*"|'[^']*'|[^\s,;&}\])"']+/y
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi

/**
 * Secrets written inside a line whatever the file: `-Dkey=value` and `key: value` pairs with a
 * secret key (JVM options, flow maps, comments that quote an old setting) and URL passwords.
 * YAML block indicators (`key: |`) stay, their lines are the YAML pass's business.
 */
export function redactInline(line: string): string {
  let out = ''
  let last = 0
  for (const m of line.matchAll(KEY_SEP)) {
    // a match may start inside a value already redacted; and a value may itself look like `key:`
    if (m.index < last || !isSecretKey(m[1]!)) continue
    VALUE.lastIndex = m.index + m[0].length
    const v = VALUE.exec(line)
    if (!v || /^[|>][-+0-9]*$/.test(v[0])) continue
    out += line.slice(last, VALUE.lastIndex - v[0].length) + REDACTED
    last = VALUE.lastIndex
  }
  return (out + line.slice(last)).replace(URL_PASSWORD, `$1${REDACTED}@`)
}

/** The file's lines with every secret value replaced by REDACTED (same number of lines). */
export function redactLines(name: string, lines: readonly string[]): string[] {
  const byType = /\.ya?ml$/i.test(name) ? redactYaml(lines) : /\.xml$/i.test(name) ? redactXml(lines) : redactProperties(lines)
  return byType.map(redactInline)
}

const YAML_KEY = /^(\s*)((?:-\s+)*)("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]][^#]*?)[ \t]*:(?=\s|$)(.*)$/

/**
 * Flink's YAML (flat legacy keys or nested standard YAML): a key is secret when its dotted
 * path or its own name is. A secret key whose value is a block (`|`, `>`, nested map or list)
 * has every more-indented line redacted.
 */
function redactYaml(lines: readonly string[]): string[] {
  const stack: {indent: number; key: string}[] = []
  let blockIndent = -1
  return lines.map((line) => {
    const indent = line.length - line.trimStart().length
    const trimmed = line.trim()
    if (blockIndent >= 0) {
      if (trimmed === '') return line
      if (indent > blockIndent || (indent === blockIndent && trimmed.startsWith('- '))) return `${line.slice(0, indent)}${REDACTED}`
      blockIndent = -1
    }
    if (trimmed === '' || trimmed.startsWith('#')) return line
    const m = YAML_KEY.exec(line)
    if (!m) return line
    const keyIndent = m[1]!.length + m[2]!.length
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= keyIndent) stack.pop()
    const raw = m[3]!
    const key = /^["']/.test(raw) ? raw.slice(1, -1) : raw
    const path = [...stack.map((s) => s.key), key].join('.')
    const value = m[4]!
    const v = value.trim()
    const secret = isSecretKey(path) || isSecretKey(key)
    const isBlock = v === '' || v.startsWith('#') || /^[|>]/.test(v) || /^[&!]\S*$/.test(v)
    if (secret) {
      if (isBlock) {
        blockIndent = keyIndent
        return line
      }
      return `${line.slice(0, line.length - value.length)} ${REDACTED}`
    }
    if (isBlock) stack.push({indent: keyIndent, key})
    return line
  })
}

const PROP_LINE = /^(\s*)((?:\\.|[^\s=:\\])+)(\s*[=:]\s*|\s+)(.*)$/
const continues = (line: string): boolean => /(^|[^\\])(\\\\)*\\$/.test(line)

/** Java properties, zoo.cfg and other key=value files, including `\` continuation lines. */
function redactProperties(lines: readonly string[]): string[] {
  let inSecret = false
  return lines.map((line) => {
    if (inSecret) {
      inSecret = continues(line)
      return `${line.slice(0, line.length - line.trimStart().length)}${REDACTED}`
    }
    const t = line.trimStart()
    if (t === '' || t.startsWith('#') || t.startsWith('!')) return line
    const m = PROP_LINE.exec(line)
    if (!m || m[4] === '' || !isSecretKey(m[2]!.replace(/\\(.)/g, '$1'))) return line
    inSecret = continues(line)
    return `${m[1]}${m[2]}${m[3]}${REDACTED}`
  })
}

/** Hadoop-style XML: the <value> of a <property> whose <name> is secret (also across lines). */
function redactXml(lines: readonly string[]): string[] {
  let name: string | undefined
  let inValue = false
  return lines.map((line) => {
    const n = /<name>\s*([^<]*?)\s*<\/name>/.exec(line)
    if (n) name = n[1]
    const secret = name !== undefined && isSecretKey(name)
    let out = line
    if (inValue) {
      const end = out.indexOf('</value>')
      const indent = out.slice(0, out.length - out.trimStart().length)
      if (end === -1) return `${indent}${REDACTED}`
      if (out.slice(0, end).trim() !== '') out = `${indent}${REDACTED}${out.slice(end)}`
      inValue = false
    } else if (secret && out.includes('<value>')) {
      out = out.replace(/<value>(.*?)(<\/value>|$)/, (_all, _v: string, close: string) => {
        if (close === '') inValue = true
        return `<value>${REDACTED}${close}`
      })
    }
    if (/<\/property>/.test(line)) name = undefined
    return out
  })
}
