/**
 * `config diff`: how each host's conf dir differs from the bastion's, in one round trip per
 * host, with secret values redacted on both sides; and the line diff (Myers) behind it.
 */
import {fanOut, type HostOutcome} from '../remote/fan-out.ts'
import type {Host} from '../remote/host.ts'
import {isSecretKey} from '../conf/keys.ts'
import {redactLines} from '../conf/redact.ts'
import {octalMode, type LocalFile} from './push-local.ts'
import {isSourceDir, runInspect, type RemoteState} from './push-remote.ts'

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
  /** Files on the host that the bastion does not have (push removes only those an earlier push wrote). */
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
