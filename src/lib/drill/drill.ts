// `flinkctl drill`: fault one identified process, time each phase of the recovery from the moment
// of the fault, check nothing was lost, and always put back what was faulted.
import {getValue} from '../conf/load.ts'
import {endpointOfUrl, restEndpoints} from '../cluster/probes.ts'
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {signalDaemon, type DaemonSignal} from '../daemon/index.ts'
import {parseDuration} from '../conf/sizes.ts'
import {ExitCode} from '../errors.ts'
import {connectClusterZk, requireZooKeeperHa} from '../ha/status.ts'
import {readHaState} from '../ha/state.ts'
import {watchHa, type HaChange} from '../ha/watch.ts'
import {haPaths, type HaPaths} from '../zk/leader.ts'
import type {ZkClient} from '../zk/client.ts'
import {checksOf, drillOutcome, explain, summarize} from './explain.ts'
import {measure, plannedPhases, seconds, settle, sleep} from './phases.ts'
import {restore} from './restore.ts'
import {readSteady} from './steady.ts'
import {DrillError, resolveTarget} from './targets.ts'
import type {Check, DrillOptions, DrillReport, RoundResult} from './types.ts'
import {freshAfter, prepareVerify, verifyChecks, waitChecker} from './verify.ts'
import {RestClient} from '../rest/client.ts'

const SIGNAL_OF: Record<DrillOptions['fault'], DaemonSignal> = {kill: 'KILL', term: 'TERM', pause: 'STOP'}

/** Flink's requested ZooKeeper session timeout (default 60 s) and what the server grants it. */
export function requestedSessionTimeoutMs(session: Session): number {
  const v = getValue(session.conf, 'high-availability.zookeeper.client.session-timeout')?.value
  const p = v ? parseDuration(v) : undefined
  return p?.ok ? p.value : 60_000
}
/** Runs the drill; a DrillError when the steady state does not hold (unless force) or no target is found. */
export async function runDrill(session: Session, opts: DrillOptions, emit: Emit): Promise<DrillReport> {
  requireZooKeeperHa(session.conf)
  const paths: HaPaths = haPaths(session.conf)
  const requestedMs = requestedSessionTimeoutMs(session)
  // our own session asks for what Flink asks: the server's answer is the timeout Flink gets
  let zk: ZkClient = await connectClusterZk(session, {sessionTimeoutMs: requestedMs})
  const startedAt = Date.now()
  const settings = {
    sessionTimeoutMs: zk.sessionTimeoutMs, requestedMs,
    heartbeatTimeout: getValue(session.conf, 'heartbeat.timeout')?.value,
    checkpointInterval: getValue(session.conf, 'execution.checkpointing.interval')?.value,
    tolerateSuspended: getValue(session.conf, 'high-availability.zookeeper.client.tolerate-suspended-connections')?.value?.trim().toLowerCase() === 'true',
    ...(opts.downMs !== undefined ? {downMs: opts.downMs} : {}),
  }
  const rounds: RoundResult[] = []
  let interrupted = false
  try {
    const checker = opts.verify ? await prepareVerify(session, zk, paths, opts, emit) : undefined
    for (let n = 1; n <= opts.rounds; n++) {
      if (opts.signal?.aborted) { interrupted = true; break }
      try {
        // a quorum loss can cost our own session too: a new one for the next round
        if (zk.state !== 'connected' && zk.state !== 'disconnected') {
          await zk.close().catch(() => {})
          zk = await connectClusterZk(session, {sessionTimeoutMs: requestedMs})
        }
        let steady = await readSteady(session, zk, paths, opts)
        if (!steady.ok && n > 1) {
          emit({level: 'info', message: `round ${n}: waiting for the steady state (${steady.reasons.join('; ')})`})
          const until = Date.now() + opts.settleMs
          while (!steady.ok && Date.now() < until && !opts.signal?.aborted) {
            await sleep(1000)
            steady = await readSteady(session, zk, paths, opts)
          }
        }
        if (!steady.ok && !opts.force) {
          if (n === 1) throw new DrillError(`refusing to drill: the steady state does not hold: ${steady.reasons.join('; ')}`, 'DRILL_NOT_STEADY', 'fix what is listed, wait for a checkpoint, or pass --force to drill anyway')
          emit({level: 'error', message: `round ${n}: the steady state did not return within ${seconds(opts.settleMs)}: ${steady.reasons.join('; ')}`})
          break
        }
        const target = await resolveTarget(session, opts, steady.state, steady.standbys, {restUrl: steady.leader?.url, jobIds: steady.jobs.map((j) => j.jobId)})
        const tasks = target.tasks !== undefined ? `, ${target.tasks} subtask${target.tasks === 1 ? '' : 's'}` : ''
        emit({level: 'info', host: target.host, message: `round ${n}: ${opts.fault} ${target.label} (pid ${target.pid}, ${target.mainClass.split('.').at(-1)}${tasks})`})

        // the checker's counts just before the fault (metrics lag by metrics.fetcher.update-interval)
        const verifyRest = checker && steady.leader ? new RestClient(steady.leader.url, {timeoutMs: 2000}) : undefined
        const checkerBefore = checker && verifyRest ? (await waitChecker(verifyRest, checker, (r) => r.emitted > 0, Date.now() + 30_000, opts.signal)).reading : undefined
        if (checker && !checkerBefore) throw new DrillError(`the checker job ${checker.jobId}'s metrics are not readable over REST`, 'DRILL_CHECKER_UNREADABLE', 'is the job RUNNING? `flinkctl job list`; metrics appear after metrics.fetcher.update-interval', ExitCode.Failed)

        // watches armed before the fault, so the first change after it is seen as it happens
        const changes: HaChange[] = []
        const watch = new AbortController()
        let first!: () => void
        const armed = new Promise<void>((r) => { first = r })
        const watching = watchHa(zk, paths, {signal: watch.signal, onChange: (c) => { changes.push(c); first() }})
        await armed

        const failover = opts.fault !== 'pause' || (opts.pauseMs ?? 0) >= zk.sessionTimeoutMs
        const planned = plannedPhases(target.kind, opts.fault, steady.jobs.length > 0, failover, target.tasks !== 0)
        const faultAt = Date.now()
        let continued = false
        let pauseTimer: ReturnType<typeof setTimeout> | undefined
        let resumed: Promise<void> = Promise.resolve()
        let cont: Promise<boolean> | undefined
        let restoring: Promise<RoundResult['restored']> | undefined
        const roundDone = new AbortController()
        let verified: Check[] = []
        const round: RoundResult = {
          round: n, target, fault: opts.fault, faultAt,
          before: {leader: steady.leader?.label, leaderSession: steady.state.leader?.sessionId, jobs: steady.jobs},
          after: {}, phases: [], checks: [], restored: {ok: false, detail: 'not attempted'}, timedOut: false, explanation: [], ok: false,
        }
        try {
          // a quorum loss faults a majority at once; every other drill one process
          const members = target.restore.daemon === 'zookeeper-majority' ? target.restore.peers : [{host: target.host, pid: target.pid}]
          const sent = await Promise.all(members.map((x) => signalDaemon(session.pool.get(x.host), x.pid, target.mainClass, SIGNAL_OF[opts.fault])))
          const missed = sent.map((x, i) => (x.result === 'sent' ? undefined : `pid ${members[i]!.pid} on ${members[i]!.host} is ${x.result}`)).filter(Boolean)
          if (missed.length === members.length) throw new DrillError(`${target.label}: ${missed.join('; ')} now; nothing was signalled`, 'DRILL_TARGET_GONE', 'run the drill again', ExitCode.Failed)
          if (missed.length) emit({level: 'warn', message: `${target.label}: ${missed.join('; ')}: not signalled`})
          if (sent[0]!.hostTime) round.hostFaultAt = sent[0]!.hostTime
          if (opts.fault === 'pause') {
            resumed = new Promise<void>((done) => {
              pauseTimer = setTimeout(() => {
                // counted as continued only once the signal went to those very processes
                cont = Promise.all(members.map((x) => signalDaemon(session.pool.get(x.host), x.pid, target.mainClass, 'CONT'))).then((r) => r.every((x) => x.result === 'sent'), () => false)
                cont.then((ok) => { continued = ok }).finally(done)
              }, opts.pauseMs ?? 10_000)
            })
          } else if (target.kind === 'zk-quorum') {
            // the majority stays down for --down, then is started again while the phases are measured
            pauseTimer = setTimeout(() => {
              emit({level: 'info', message: `+${seconds(Date.now() - faultAt)} starting ${target.label} again`})
              restoring = restore(session, target, opts.fault, false, emit)
            }, opts.downMs ?? 10_000)
          }
          const m = await measure({session, steady, target, fault: opts.fault, faultAt, deadline: faultAt + opts.timeoutMs, phases: planned, changes, emit, signal: opts.signal})
          let settled: Awaited<ReturnType<typeof settle>> | undefined
          const zkTarget = target.kind === 'zk-peer' || target.kind === 'zk-leader' || target.kind === 'zk-quorum'
          const abort = new Promise((r) => opts.signal?.addEventListener('abort', r, {once: true, signal: roundDone.signal}))
          // the pause lasts as long as asked, even when the recovery was quicker (and with no jobs to watch)
          if (opts.fault === 'pause' && !m.timedOut && !opts.signal?.aborted) await Promise.race([resumed, abort])
          if ((opts.fault === 'pause' || zkTarget) && !m.timedOut && !opts.signal?.aborted && steady.jobs.length > 0 && m.restUrl) {
            // a lost peer shows in Flink once its clients notice: at once for a closed socket, within the session timeout for a silent one
            if (zkTarget) await Promise.race([sleep(Math.max(0, faultAt + Math.min(settings.sessionTimeoutMs, 10_000) - Date.now())), abort])
            if (!opts.signal?.aborted && (opts.fault !== 'pause' || continued)) {
              emit({level: 'info', message: `+${seconds(Date.now() - faultAt)} ${opts.fault === 'pause' ? `resumed ${target.label}; ` : ''}waiting for the jobs to settle`})
              settled = await settle(m.restUrl, steady.jobs.map((j) => j.jobId), Date.now() + opts.timeoutMs, opts.signal, m.last)
              if (settled.probe) m.last = settled.probe
            }
          }
          if (checker && checkerBefore && !m.timedOut && !opts.signal?.aborted) {
            const rest = new RestClient(m.restUrl ?? steady.leader!.url, {timeoutMs: 2000})
            const read = await waitChecker(rest, checker, freshAfter(checkerBefore, target.kind === 'zk-quorum' ? m.phases.some((p) => p.name === 'leadership-lost') : planned.includes('jobs-running')), Date.now() + Math.min(opts.timeoutMs, 90_000), opts.signal)
            const v = verifyChecks(checker.jobId, checkerBefore, read.reading)
            verified = v.checks
            round.verify = v.verify
          }
          round.phases = m.phases
          round.timedOut = m.timedOut
          if (opts.signal?.aborted) interrupted = true
          const after = changes.at(-1)?.state.leader
          const endpoints = restEndpoints(session)
          // the watches do not outlive a lost quorum: ask ZooKeeper again
          const published = target.kind === 'zk-quorum' ? (await readHaState(zk, paths).catch(() => undefined))?.leader ?? after : after
          round.after = {leader: m.newLeader?.label ?? (published?.restUrl ? endpointOfUrl(session, published.restUrl, endpoints)?.label ?? published.restUrl : undefined), leaderSession: published?.sessionId}
          round.recoveryMs = m.timedOut || m.phases.length < planned.length ? undefined : (m.phases.at(-1)?.ms ?? 0)
          round.checks = [...checksOf(round, steady, m, planned, {tolerateSuspended: settings.tolerateSuspended}), ...verified]
          round.explanation = explain(round, settings)
          if (settled) {
            const when = opts.fault === 'pause' ? 'after the paused process resumed' : 'after the quorum lost the peer'
            round.checks.push({name: `the jobs run and checkpoint ${when}`, ok: settled.settled,
              detail: settled.settled ? `settled ${seconds(settled.ms)} later${settled.notRunning.length ? `, after ${settled.notRunning.join(', ')}` : ''}` : `not settled within --timeout (${settled.notRunning.join(', ') || 'no new checkpoint'})`})
            if (settled.notRunning.length) {
              round.explanation.push(opts.fault === 'pause'
                ? `resuming ${target.label} restarted jobs once more (${settled.notRunning.join(', ')}): a process that wakes up after losing its ZooKeeper session still acts on what it held until it notices; pauses longer than the session timeout cost a second restart`
                : `losing ${target.label} restarted jobs (${settled.notRunning.join(', ')}): the leader's ZooKeeper connection went to that peer, and Flink takes a suspended connection for lost leadership; high-availability.zookeeper.client.tolerate-suspended-connections: true rides over a lost peer`)
            }
          }
        } finally {
          if (pauseTimer) clearTimeout(pauseTimer)
          roundDone.abort()
          // a SIGCONT in flight is waited for, not sent twice
          if (cont) continued = await cont
          watch.abort()
          await watching.catch(() => {})
          round.restored = await (restoring ?? restore(session, target, opts.fault, continued, emit))
          round.checks.push({name: `${target.label} restored`, ok: round.restored.ok, detail: round.restored.detail})
          if (opts.maxRecoveryMs !== undefined) round.withinBudget = round.recoveryMs !== undefined && round.recoveryMs <= opts.maxRecoveryMs
          round.ok = !round.timedOut && round.recoveryMs !== undefined && round.checks.every((c) => c.ok)
          rounds.push(round)
        }
        if (interrupted) break
      } catch (err) {
        // a round that cannot start or be signalled ends the drill, but the rounds done are still reported
        if (rounds.length === 0) throw err
        emit({level: 'error', message: `round ${n}: ${(err as Error).message}`})
        break
      }
    }
  } finally {
    await zk.close()
  }
  const {ok, exit} = drillOutcome(rounds, opts.rounds, interrupted)
  const {signal: _signal, ...options} = opts
  return {
    options, startedAt,
    sessionTimeout: {requestedMs, effectiveMs: settings.sessionTimeoutMs, ...(settings.sessionTimeoutMs !== requestedMs ? {clamp: `the ZooKeeper server granted ${seconds(settings.sessionTimeoutMs)} of the ${seconds(requestedMs)} requested`} : {})},
    rounds, summary: summarize(rounds), interrupted, ok, exit,
  }
}
