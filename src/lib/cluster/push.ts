/**
 * `config push` as library code: the bastion's conf dir is the source of truth, and every host
 * gets the same files at the same path (Flink requires it). Everything here returns values; the
 * command layer prints. The pieces: push-local.ts (the bastion's file set), push-remote.ts (the
 * host-side inspect and commit scripts), push-diff.ts (`config diff`), ../conf/redact.ts.
 *
 * Atomic per host: the new files are staged and verified in <conf>/.flinkctl/stage.<tag>/, a
 * journal naming every rename is written (the commit point), and one short host-side step does
 * all renames; an interrupted step is completed by the next push from the journal. So after any
 * kill of flinkctl a host holds its old set or the new one, never a mix (README: config push).
 *
 * Round trips per host: push = one inspection + one commit (none when nothing changed).
 */
import {randomBytes} from 'node:crypto'
import {ExitCode} from '../errors.ts'
import {fanOut, type HostOutcome} from '../remote/fan-out.ts'
import {HostError, tail, type Host} from '../remote/host.ts'
import {MANIFEST, manifestOf, octalMode, PREV_DIR, type LocalFile} from './push-local.ts'
import {isSourceDir, runCommit, runInspect, type CommitEntry, type RemoteState} from './push-remote.ts'

export {isJunkName, localConfFiles, MANIFEST, octalMode, PREV_DIR, STATE_DIR, type LocalFile} from './push-local.ts'
export {parseMode, type RemoteState} from './push-remote.ts'
export {diffConf, diffConfAll, diffLines, isSecretFile, unifiedDiff, type DiffOptions, type DiffResult, type EditOp, type FileDiff} from './push-diff.ts'
export {redactInline, redactLines} from '../conf/redact.ts'

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
  /** Files an earlier push wrote that the bastion no longer has: moved to .flinkctl/prev/. */
  removed: string[]
  /** Paths on the host of the versions the push replaced or removed. */
  previousKept: string[]
}

/**
 * The state of `names` in `confDir` on the host, in one round trip: missing, or sha256, mode
 * and size. Hosts without sha256sum/shasum/openssl send the content back instead, and the
 * hash is computed here (files up to 64 MiB; bigger ones come back with sha256 undefined).
 */
export async function inspectRemote(host: Host, confDir: string, names: readonly string[], opts: {timeoutMs?: number} = {}): Promise<Map<string, RemoteState>> {
  return (await runInspect(host, confDir, names, {fetchMax: 64 << 20, list: false, timeoutMs: opts.timeoutMs})).states
}

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
 * Makes confDir on the host hold exactly the bastion's `files`: unchanged files are not touched
 * at all, changed and new ones are staged, verified and renamed into place with the previous
 * version kept, mode-only changes are a chmod, and files the last push wrote that the bastion
 * no longer has are moved to .flinkctl/prev/ (files no push wrote are left alone). The whole set
 * switches in one host-side commit step (see push-remote.ts). Throws HostError.
 */
export async function pushConf(host: Host, confDir: string, files: readonly LocalFile[], opts: PushOptions = {}): Promise<PushResult> {
  const result: PushResult = {host: host.name, dryRun: opts.dryRun ?? false, created: [], updated: [], unchanged: [], modeChanged: [], removed: [], previousKept: []}
  if (isSourceDir(host, confDir, opts.sourceDir)) return {...result, skipped: 'source'}

  const manifest = manifestOf(files)
  const names = [...files.map((f) => f.name), MANIFEST]
  const {states, pushedBefore} = await runInspect(host, confDir, names, {fetchMax: 64 << 20, list: false, recover: !opts.dryRun, timeoutMs: opts.timeoutMs})
  const plan = planPush(files, states)
  const conflicts = plan.filter((p) => p.action === 'conflict')
  if (conflicts.length > 0) {
    throw new HostError(host.name, `cannot push to ${host.name}: ${conflicts.map((c) => `${confDir}/${c.name} is ${c.reason}`).join('; ')}`, {
      code: 'PUSH_CONFLICT', hint: 'remove or rename those paths on the host, then push again',
    })
  }
  const local = new Set(files.map((f) => f.name))
  const removals = pushedBefore.filter((n) => !local.has(n) && n !== MANIFEST)
  const byName = new Map(files.map((f) => [f.name, f]))
  const ops = plan.filter((p) => p.action !== 'unchanged')
  result.unchanged = plan.filter((p) => p.action === 'unchanged').map((p) => p.name)
  if (opts.dryRun || ops.length + removals.length === 0) {
    for (const p of ops) listFor(result, p.action).push(p.name)
    result.removed = removals
    // an up-to-date host keeps its manifest as it is; an outdated one gets it with the next change
    return result
  }

  const entries: CommitEntry[] = []
  for (const p of ops) {
    const f = byName.get(p.name)!
    entries.push(p.action === 'mode' ? {op: 'm', name: f.name, mode: octalMode(f.mode)} : {op: 'w', name: f.name, mode: octalMode(f.mode), content: f.content, sha256: f.sha256})
  }
  for (const n of removals) entries.push({op: 'd', name: n, mode: '-'})
  for (const n of result.unchanged) entries.push({op: 'c', name: n, mode: '-', sha256: byName.get(n)!.sha256})
  const m = states.get(MANIFEST)
  if (!(m?.state === 'file' && m.sha256 === manifest.sha256)) entries.push({op: 'n', name: MANIFEST, mode: octalMode(manifest.mode), content: manifest.content, sha256: manifest.sha256})

  const r = await runCommit(host, confDir, randomBytes(8).toString('hex'), entries, {timeoutMs: opts.timeoutMs})
  const dir = confDir.replace(/\/+$/, '')
  for (const line of r.stdout.split('\n')) {
    const [tag, idx] = line.split(' ')
    const e = idx === undefined ? undefined : entries[Number(idx)]
    if (!e) continue
    if (tag === 'P' || tag === 'R') result.previousKept.push(`${dir}/${PREV_DIR}/${e.name}`)
    if (tag === 'R') result.removed.push(e.name)
    if (tag === 'W' || tag === 'M') listFor(result, ops[Number(idx)]!.action).push(e.name)
  }
  if (r.code !== 0) {
    // the commit prints nothing before it is done: a failure changed nothing, or (exit 2) left a journal the next push completes
    const state = r.code === 2 ? '; the next push completes it from the journal' : r.code === 1 ? '; nothing was changed there' : ''
    const why = r.timedOut ? `timed out after ${r.durationMs} ms` : r.code === null ? `killed by ${r.signal ?? 'a signal'}` : tail(r.stderr || r.stdout)
    throw new HostError(host.name, `push to ${host.name}:${confDir} failed${state}: ${why}`, {
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
