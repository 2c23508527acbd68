// One partition round: cut the target's host off, watch both sides for two leaders, heal at the
// end of --partition, then require that the host rejoined and that a cut-off leader gave up
// leadership on its own (its log) within the ZooKeeper session timeout.
import {restEndpoints, probeQuorum} from '../cluster/probes.ts'
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {findDaemonProcesses} from '../daemon/index.ts'
import {readHaState} from '../ha/state.ts'
import type {Host} from '../remote/host.ts'
import {RestClient} from '../rest/client.ts'
import type {ZkClient} from '../zk/client.ts'
import type {HaPaths} from '../zk/leader.ts'
import {splitBrainCheck, watchLeaders, leaderOverlaps, zooKeeperSpans, type LeaderWatch} from './leaders.ts'
import {applyPartition, healPartition, type PartitionPlan} from './partition.ts'
import {seconds, sleep} from './phases.ts'
import type {Check, DrillTarget, PartitionRound} from './types.ts'

export interface PartitionRun {
  plan: PartitionPlan
  appliedAt: number
  hostAppliedAt?: number
  watch?: LeaderWatch
  /** The partition surely holds from the moment the rules were in (the apply returned) to the heal's start. */
  cutFrom?: number
  cutTo?: number
  healed?: Promise<{ok: boolean; detail: string; at: number}>
  timer?: ReturnType<typeof setTimeout>
  /** The timer ran: its heal is under way or done. */
  fired?: boolean
  before: {contenders: number; taskmanagers?: number; peers: number}
}

/** The log lines a JobManager writes when it gives up leadership (Dispatcher, ResourceManager, JobMaster, REST endpoint). */
export const REVOKED = /revoked (?:the )?leadership|lost leadership/i

const REVOKED_SCRIPT = `printf 'tz\\t%s\\n' "$(date +%z 2>/dev/null)"
grep -i -E 'revoked (the )?leadership|lost leadership' -- "$1" 2>/dev/null | tail -n 200
exit 0`

/** A log4j timestamp (2026-12-07 13:09:55,533) in the host's zone (+0100): ms since the epoch. */
export function logLineTime(line: string, tz: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)[,.](\d{3})/.exec(line)
  const z = /^([+-])(\d\d)(\d\d)$/.exec(tz.trim())
  if (!m) return undefined
  const t = Date.parse(`${m[1]}T${m[2]}.${m[3]}${z ? `${z[1]}${z[2]}:${z[3]}` : 'Z'}`)
  return Number.isFinite(t) ? t : undefined
}

/** The first line at or after `since` (host clock) where the process says it lost leadership. */
export async function revokedAfter(host: Host, logFile: string, since: number): Promise<{at: number; line: string} | undefined> {
  const r = await host.sh(REVOKED_SCRIPT, [logFile], {timeoutMs: 15_000})
  const lines = r.stdout.split('\n')
  const tz = lines.find((l) => l.startsWith('tz\t'))?.slice(3) ?? ''
  for (const line of lines) {
    if (!REVOKED.test(line)) continue
    const at = logLineTime(line, tz)
    // log4j's timestamps have ms; the fault's host time too
    if (at !== undefined && at >= since - 1) return {at, line: line.slice(0, 300)}
  }
  return undefined
}

/** The -Dlog.file a daemon was started with. */
export function logFileOf(commandLine: string): string | undefined {
  return /(?:^| )-Dlog\.file=(\S+)/.exec(commandLine)?.[1]
}

/** Cuts the host off (after arming the leader watch) and schedules the heal. */
export async function startPartition(session: Session, zk: ZkClient, paths: HaPaths, plan: PartitionPlan, partitionMs: number, restUrl: string | undefined, emit: Emit): Promise<PartitionRun> {
  const endpoints = restEndpoints(session)
  const cut = endpoints.filter((e) => e.host === plan.host)
  // both sides need a JobManager for two leaders to be possible at all
  const watch = cut.length > 0 && cut.length < endpoints.length ? watchLeaders(endpoints, (e) => (e.host === plan.host ? 'partitioned' : 'others')) : undefined
  const state = await readHaState(zk, paths).catch(() => undefined)
  let taskmanagers: number | undefined
  try {
    taskmanagers = restUrl ? (await new RestClient(restUrl, {timeoutMs: 3000}).overview()).taskmanagers : undefined
  } catch { /* counted after the heal only where known before */ }
  const before = {contenders: state?.contenders.length ?? 0, ...(taskmanagers !== undefined ? {taskmanagers} : {}), peers: session.conf.zoo?.servers.length ?? 0}
  const host = session.pool.get(plan.host)
  const appliedAt = Date.now()
  let applied: {hostTime?: number}
  try {
    // the host's own timer heals it 30 s after the drill should have, should the drill not come back
    applied = await applyPartition(host, plan, partitionMs + 30_000)
  } catch (err) {
    await watch?.stop()
    throw err
  }
  const run: PartitionRun = {plan, appliedAt, cutFrom: Date.now(), ...(applied.hostTime ? {hostAppliedAt: applied.hostTime} : {}), ...(watch ? {watch} : {}), before}
  run.healed = new Promise((done) => {
    run.timer = setTimeout(() => {
      run.fired = true
      run.cutTo = Date.now()
      void healPartition(host, plan).then((h) => {
        emit({level: h.ok ? 'info' : 'error', host: plan.host, message: `+${seconds(Date.now() - appliedAt)} ${h.detail}`})
        done({...h, at: Date.now()})
      })
    }, partitionMs)
  })
  return run
}

/** Heals now if the timer has not, and waits for the heal. */
export async function healNow(session: Session, run: PartitionRun): Promise<{ok: boolean; detail: string; at: number}> {
  if (run.timer) clearTimeout(run.timer)
  if (run.fired) return run.healed!
  run.cutTo = Date.now()
  const h = await healPartition(session.pool.get(run.plan.host), run.plan)
  return {...h, at: Date.now()}
}

/**
 * After the heal: the host's cluster role is back (its JobManager contends again, its TaskManagers
 * registered, its peer in the quorum), the faulted process ran through the partition, the leader
 * watch saw no overlap, and a cut-off leader gave up leadership within the session timeout.
 */
export async function finishPartition(session: Session, zk: ZkClient, paths: HaPaths, target: DrillTarget, run: PartitionRun, ctx: {restUrl?: string; sessionTimeoutMs: number; zkLeaders: ReadonlyArray<{at: number; label?: string}>; aborted: () => boolean}): Promise<{restored: {ok: boolean; detail: string; ms?: number}; checks: Check[]; report: PartitionRound}> {
  const healed = await healNow(session, run)
  const checks: Check[] = []
  const start = Date.now()
  let rejoined: string | undefined
  const waited: string[] = []
  const {restUrl, sessionTimeoutMs} = ctx
  while (healed.ok && Date.now() < start + 120_000 && !ctx.aborted()) {
    waited.length = 0
    const state = await readHaState(zk, paths).catch(() => undefined)
    if ((state?.contenders.length ?? 0) < run.before.contenders) waited.push(`${state?.contenders.length ?? 0} of ${run.before.contenders} JobManagers contend`)
    if (run.before.taskmanagers !== undefined) {
      const n = restUrl ? await new RestClient(restUrl, {timeoutMs: 2000}).overview().then((o) => o.taskmanagers, () => undefined) : undefined
      if ((n ?? 0) < run.before.taskmanagers) waited.push(`${n ?? '?'} of ${run.before.taskmanagers} TaskManagers registered`)
    }
    if (run.before.peers > 0) {
      const q = await probeQuorum(session, 1000)
      if (q.serving < q.total || q.leader === undefined) waited.push(`${q.serving} of ${q.total} peers serve`)
    }
    if (waited.length === 0) { rejoined = `${run.plan.host} rejoined ${seconds(Date.now() - healed.at)} after the heal`; break }
    await sleep(500)
  }
  const procs = await findDaemonProcesses(session.pool.get(target.host), target.mainClass).catch(() => undefined)
  const survived = procs?.some((p) => p.pid === target.pid)
  checks.push({name: `${target.label} ran through the partition`, ok: survived === true,
    detail: survived ? `pid ${target.pid} still runs` : survived === false ? `pid ${target.pid} exited during the partition` : `could not list the processes on ${target.host}`})
  if (healed.ok) checks.push({name: `${run.plan.host} rejoined the cluster`, ok: rejoined !== undefined, detail: rejoined ?? `not within 120 s of the heal: ${waited.join('; ')}`})
  const window = {from: run.cutFrom ?? run.appliedAt, to: run.cutTo ?? healed.at}
  const rest = run.watch ? await run.watch.stop(window) : []
  // ZooKeeper's view within the window: the reading in force at its start, and every change in it
  const cutLabels = new Set(restEndpoints(session).filter((e) => e.host === run.plan.host).map((e) => e.label))
  const inForce = [...ctx.zkLeaders].filter((r) => r.at <= window.from).at(-1)
  const readings = [...(inForce ? [{...inForce, at: window.from}] : []), ...ctx.zkLeaders.filter((r) => r.at > window.from && r.at < window.to)]
  const spans = [...rest, ...(run.watch ? zooKeeperSpans(readings, (l) => (cutLabels.has(l) ? 'partitioned' : 'others'), window.to) : [])].sort((a, b) => a.from - b.from)
  if (run.watch) checks.push(splitBrainCheck(spans))
  let revoked: {at: number; line: string} | undefined
  if (target.kind === 'leader') {
    const log = logFileOf(target.commandLine)
    const since = run.hostAppliedAt ?? run.appliedAt
    revoked = log ? await revokedAfter(session.pool.get(target.host), log, since).catch(() => undefined) : undefined
    const after = revoked ? revoked.at - since : undefined
    checks.push({
      name: `the partitioned leader ${target.label} gave up leadership within the session timeout`,
      ok: after !== undefined && after <= sessionTimeoutMs,
      detail: !log ? 'its command line names no -Dlog.file to read' : after === undefined ? `its log (${log}) shows no lost leadership since the partition`
        : `${seconds(after)} after the partition (session timeout ${seconds(sessionTimeoutMs)}): ${revoked!.line}`,
    })
  }
  const report: PartitionRound = {
    host: run.plan.host, peers: run.plan.peers, addresses: run.plan.addresses, appliedAt: run.appliedAt,
    ...(run.hostAppliedAt ? {hostAppliedAt: run.hostAppliedAt} : {}), healedAt: healed.at, healed: healed.ok,
    ...(rejoined ? {rejoinedMs: Date.now() - healed.at} : {}),
    ...(revoked ? {revokedAt: revoked.at, revokedLine: revoked.line} : {}),
    serving: spans, overlaps: leaderOverlaps(spans),
  }
  const restored = {ok: healed.ok, detail: healed.detail, ms: healed.at - run.appliedAt}
  return {restored, checks, report}
}
