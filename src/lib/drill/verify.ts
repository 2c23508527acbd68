// --verify: the checker job's own counts (records seen, lost, doubled, reordered, kept in its
// checkpointed state and exposed as Flink metrics) read over REST before the fault and after the
// recovery. A job that restarted without its checkpoint starts its state empty: generation 0.
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {ExitCode} from '../errors.ts'
import {CHECKER_METRICS, CHECKER_OPERATOR} from '../job/checker.ts'
import {submitChecker} from '../job/checker-submit.ts'
import {RestClient} from '../rest/client.ts'
import type {ZkClient} from '../zk/client.ts'
import type {HaPaths} from '../zk/leader.ts'
import {sleep} from './phases.ts'
import {readSteady} from './steady.ts'
import {DrillError} from './targets.ts'
import type {Check, CheckerCounts, DrillOptions, VerifyRound} from './types.ts'

export interface CheckerVertex {
  jobId: string
  vertexId: string
  parallelism: number
  /** Metric ids per subtask and metric, as the vertex lists them (e.g. `1.checker.lost`). */
  ids?: Map<string, string>
}

export interface CheckerReading extends CheckerCounts {
  /** Each subtask's attempt marker: a new one after every restart. */
  attempts: string[]
  restoredCheckpoint: number
  /** Per subtask: records seen and keys held (to tell live values from a stale cache). */
  per: Array<{emitted: number; keys: number}>
}

const wanted = new Set<string>(CHECKER_METRICS)

/** The checker operator's vertex in a job, or undefined when the job is not a checker job. */
export async function checkerVertex(rest: RestClient, jobId: string): Promise<CheckerVertex | undefined> {
  const d = await rest.jobDetails(jobId)
  const v = (d.vertices ?? []).find((x) => x.name === CHECKER_OPERATOR || x.name.split(/ -> /).includes(CHECKER_OPERATOR))
  return v ? {jobId, vertexId: v.id, parallelism: v.parallelism} : undefined
}

/** `<subtask>.<operator>.<metric>` (how the vertex metrics endpoint names operator metrics). */
export function parseMetricId(id: string): {subtask: number; metric: string} | undefined {
  const m = /^(\d+)\.(.+)\.([A-Za-z]+)$/.exec(id)
  if (!m || !wanted.has(m[3]!) || (m[2] !== CHECKER_OPERATOR && !m[2]!.endsWith(`.${CHECKER_OPERATOR}`))) return undefined
  return {subtask: Number(m[1]), metric: m[3]!}
}

/** Sums the subtasks' values; undefined until every subtask reports every metric. */
export function sumReading(values: ReadonlyArray<{id: string; value: string}>, parallelism: number, at: number): CheckerReading | undefined {
  const per = new Map<number, Map<string, string>>()
  for (const {id, value} of values) {
    const p = parseMetricId(id)
    if (!p || p.subtask >= parallelism) continue
    const m = per.get(p.subtask) ?? new Map<string, string>()
    m.set(p.metric, value)
    per.set(p.subtask, m)
  }
  if (per.size < parallelism) return undefined
  const num = (m: Map<string, string>, k: string) => Number(m.get(k))
  let r: CheckerReading = {emitted: 0, lost: 0, doubled: 0, reordered: 0, keys: 0, generation: 0, restoredCheckpoint: -1, subtasks: parallelism, at, attempts: [], per: []}
  for (let i = 0; i < parallelism; i++) {
    const m = per.get(i)!
    for (const k of ['emitted', 'lost', 'doubled', 'reordered', 'keys', 'generation', 'attempt']) if (!m.has(k) || !Number.isFinite(num(m, k))) return undefined
    r = {
      ...r,
      emitted: r.emitted + num(m, 'emitted'), lost: r.lost + num(m, 'lost'), doubled: r.doubled + num(m, 'doubled'),
      reordered: r.reordered + num(m, 'reordered'), keys: r.keys + num(m, 'keys'),
      // every subtask restores the same checkpoint: the smallest generation is the state's
      generation: i === 0 ? num(m, 'generation') : Math.min(r.generation, num(m, 'generation')),
      restoredCheckpoint: Math.max(r.restoredCheckpoint, m.has('restoredCheckpoint') ? num(m, 'restoredCheckpoint') : -1),
      attempts: [...r.attempts, m.get('attempt')!],
      per: [...r.per, {emitted: num(m, 'emitted'), keys: num(m, 'keys')}],
    }
  }
  return r
}

/** One reading of the checker's metrics; undefined when REST or some subtask's metrics are not there yet. */
export async function readChecker(rest: RestClient, v: CheckerVertex): Promise<CheckerReading | undefined> {
  try {
    const base = `/jobs/${encodeURIComponent(v.jobId)}/vertices/${encodeURIComponent(v.vertexId)}/metrics`
    if (!v.ids || v.ids.size < v.parallelism * 7) {
      const listed = await rest.get<Array<{id: string}>>(base)
      v.ids = new Map((Array.isArray(listed) ? listed : []).filter((x) => typeof x?.id === 'string' && parseMetricId(x.id)).map((x) => [x.id, x.id]))
      if (v.ids.size === 0) return undefined
    }
    const values = await rest.get<Array<{id: string; value: string}>>(`${base}?get=${[...v.ids.keys()].map(encodeURIComponent).join(',')}`)
    return sumReading(Array.isArray(values) ? values.filter((x) => typeof x?.id === 'string' && typeof x.value === 'string') : [], v.parallelism, Date.now())
  } catch {
    return undefined
  }
}

/** Polls until `ok(reading)` holds or the deadline passes; returns the last reading. */
export async function waitChecker(rest: RestClient, v: CheckerVertex, ok: (r: CheckerReading) => boolean, deadline: number, signal?: AbortSignal, everyMs = 500): Promise<{reading?: CheckerReading; ok: boolean}> {
  let last: CheckerReading | undefined
  while (!signal?.aborted) {
    const r = await readChecker(rest, v)
    if (r) {
      // the same values twice in a row are one fetch read twice: wait for the next
      if (last && r.per.every((p, i) => p.emitted === last!.per[i]?.emitted) && r.attempts.every((a, i) => a === last!.attempts[i])) {
        if (Date.now() >= deadline) break
        await sleep(everyMs)
        continue
      }
      const live = isLive(r, last)
      last = r
      if (live && ok(r)) return {reading: r, ok: true}
    }
    if (Date.now() >= deadline) break
    await sleep(everyMs)
  }
  return {...(last ? {reading: last} : {}), ok: false}
}

/** A reading taken after the fault: from new attempts when the job restarted, and past what was seen before. */
export function freshAfter(before: CheckerReading, expectRestart: boolean): (r: CheckerReading) => boolean {
  return (r) => {
    const fresh = r.attempts.every((a) => !before.attempts.includes(a))
    if (expectRestart && !fresh) return false
    // a state that started over decides at once; a restored one must move past the fault
    return (fresh && r.generation <= before.generation) || r.emitted > before.emitted
  }
}

export const countsOf = ({attempts: _a, restoredCheckpoint: _r, per: _p, ...c}: CheckerReading): CheckerCounts => c

/**
 * Whether a reading shows the running attempts: the same attempt markers as the reading before
 * it, and every subtask that holds keys counted more records since. The REST metric store keeps
 * values per subtask and attempt number, which a new JobMaster starts again from 0: right after a
 * failover it can serve a stale attempt's values (seen on 2.3.0: a generation two restores old)
 * until the next fetch from the TaskManagers replaces them.
 */
export function isLive(r: CheckerReading, prev: CheckerReading | undefined): boolean {
  if (!prev || prev.attempts.length !== r.attempts.length || r.attempts.some((a, i) => a !== prev.attempts[i])) return false
  return r.per.every((p, i) => p.keys === 0 || p.emitted > prev.per[i]!.emitted)
}

/** The round's verdicts: emitted moved on, nothing lost or doubled in state, the state was restored (not restarted empty). */
export function verifyChecks(jobId: string, before: CheckerReading, after: CheckerReading | undefined): {checks: Check[]; verify: VerifyRound} {
  const short = jobId.slice(0, 8)
  // new attempt markers: the job restarted during the round, whether the fault meant it to or not
  const restarted = after !== undefined && after.attempts.some((a) => !before.attempts.includes(a))
  const verify: VerifyRound = {
    jobId, before: countsOf(before), ...(after ? {after: countsOf(after)} : {}),
    emitted: after ? after.emitted - before.emitted : 0,
    lost: after ? after.lost - before.lost : 0,
    doubled: after ? after.doubled - before.doubled : 0,
    reordered: after ? after.reordered - before.reordered : 0,
    keys: after?.keys ?? before.keys,
  }
  if (!after) {
    return {verify, checks: [{name: `checker ${short}: counts read after the recovery`, ok: false, detail: 'the checker\'s metrics were not readable over REST within --timeout'}]}
  }
  const checks: Check[] = []
  if (restarted) {
    const kept = after.generation > before.generation
    checks.push({
      name: `checker ${short}: state restored from a checkpoint`, ok: kept,
      detail: kept ? `generation ${before.generation} → ${after.generation}${after.restoredCheckpoint >= 0 ? `, checkpoint ${after.restoredCheckpoint}` : ''}`
        : `lost state: the job restarted without its checkpoint (its state started empty: generation ${before.generation} → ${after.generation}, ${after.emitted} records seen against ${before.emitted} before the fault)`,
    })
  }
  checks.push({name: `checker ${short}: emitted after the recovery > before the fault`, ok: after.emitted > before.emitted, detail: `${before.emitted} → ${after.emitted}`})
  checks.push({name: `checker ${short}: no record lost`, ok: after.lost === 0, detail: `lost ${after.lost} (${before.lost} before the fault) of ${after.emitted}`})
  checks.push({name: `checker ${short}: no record doubled`, ok: after.doubled === 0, detail: `doubled ${after.doubled} (${before.doubled} before the fault)`})
  return {checks, verify}
}

/** A running job with the checker operator: the one --job names, else the first found; undefined when none runs. */
export async function findChecker(rest: RestClient, jobId?: string): Promise<CheckerVertex | undefined> {
  if (jobId) return checkerVertex(rest, jobId)
  for (const j of await rest.jobsOverview()) {
    if (j.state !== 'RUNNING') continue
    const v = await checkerVertex(rest, j.jid)
    if (v) return v
  }
  return undefined
}

/**
 * Before round 1 of `drill --verify`: the checker job to watch (--job, the running one, or a new
 * one submitted now), and a steady state that includes it (a completed checkpoint, readable counts).
 */
export async function prepareVerify(session: Session, zk: ZkClient, paths: HaPaths, opts: DrillOptions, emit: Emit): Promise<CheckerVertex> {
  let steady = await readSteady(session, zk, paths, opts)
  if (!steady.leader) throw new DrillError(`refusing to drill: ${steady.reasons.join('; ') || 'no leader'}`, 'DRILL_NOT_STEADY', 'start the cluster, or wait for a leader')
  const rest = new RestClient(steady.leader.url, {timeoutMs: 3000})
  let v = await findChecker(rest, opts.verifyJobId)
  if (opts.verifyJobId && !v) throw new DrillError(`job ${opts.verifyJobId} has no '${CHECKER_OPERATOR}' operator: --verify reads the checker job's counts`, 'DRILL_NOT_CHECKER', 'leave out --job to submit a checker, or `flinkctl job submit --checker`', ExitCode.Failed)
  if (!v) {
    emit({level: 'info', message: 'no checker job runs: submitting one'})
    const sub = await submitChecker(session, {...opts.checker, rest: {url: steady.leader.url, leader: steady.leader.label}}, emit)
    v = await checkerVertex(rest, sub.jobId)
    if (!v) throw new DrillError(`the submitted checker job ${sub.jobId} has no '${CHECKER_OPERATOR}' vertex`, 'DRILL_NOT_CHECKER', 'the checker jar in the cache may be broken: remove ~/.cache/flinkctl/checker', ExitCode.Failed)
    // a new job is steady once it completed a checkpoint
    const until = Date.now() + opts.settleMs
    while (!steady.ok && Date.now() < until && !opts.signal?.aborted) {
      await sleep(1000)
      steady = await readSteady(session, zk, paths, opts)
    }
  }
  emit({level: 'info', message: `verifying with checker job ${v.jobId} (${v.parallelism} subtask${v.parallelism === 1 ? '' : 's'})`})
  return v
}
