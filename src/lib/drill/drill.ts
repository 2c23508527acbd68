// `flinkctl drill`: fault one identified process, time each phase of the recovery from the moment
// of the fault, check nothing was lost, and always put back what was faulted.
import {getValue} from '../conf/load.ts'
import {endpointOfUrl, restEndpoints, sameMachine} from '../cluster/probes.ts'
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
import {expectsFailover, measure, plannedPhases, seconds, settle, sleep} from './phases.ts'
import {healPartition, planPartition, type PartitionPlan} from './partition.ts'
import {finishPartition, startPartition, type PartitionRun} from './partition-round.ts'
import {restore} from './restore.ts'
import {readSteady} from './steady.ts'
import {DrillError, resolveTarget} from './targets.ts'
import type {Check, DrillOptions, DrillReport, RoundResult} from './types.ts'
import {freshAfter, prepareVerify, verifyChecks, waitChecker} from './verify.ts'
import {RestClient, RestError} from '../rest/client.ts'

const SIGNAL_OF: Record<Exclude<DrillOptions['fault'], 'partition'>, DaemonSignal> = {kill: 'KILL', term: 'TERM', pause: 'STOP'}

/** Flink's requested ZooKeeper session timeout (default 60 s) and what the server grants it. */
export function requestedSessionTimeoutMs(session: Session): number {
  const v = getValue(session.conf, 'high-availability.zookeeper.client.session-timeout')?.value
  const p = v ? parseDuration(v) : undefined
  return p?.ok ? p.value : 60_000
}
/** Waits until the steady state holds again, with at least as many standbys as before the round. */
async function steadyAgain(session: Session, zk: ZkClient, paths: HaPaths, opts: DrillOptions, standbys: number, until: number): Promise<{ok: boolean; ms: number; reasons: string[]}> {
  const start = Date.now()
  let reasons: string[] = []
  do {
    try {
      const s = await readSteady(session, zk, paths, opts)
      reasons = [...s.reasons, ...(s.standbys.length < standbys ? [`${s.standbys.length} of ${standbys} standby JobManagers answer`] : [])]
    } catch (err) {
      reasons = [(err as Error).message]
    }
    if (reasons.length === 0) return {ok: true, ms: Date.now() - start, reasons}
    await sleep(1000)
  } while (Date.now() < until && !opts.signal?.aborted)
  return {ok: false, ms: Date.now() - start, reasons}
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
    ...(opts.partitionMs !== undefined ? {partitionMs: opts.partitionMs} : {}),
  }
  const heartbeat = settings.heartbeatTimeout ? parseDuration(settings.heartbeatTimeout) : undefined
  const heartbeatMs = heartbeat?.ok ? heartbeat.value : 50_000
  const rounds: RoundResult[] = []
  let interrupted = false
  try {
    const checker = opts.verify ? await prepareVerify(session, zk, paths, opts, emit).catch((err: unknown) => {
      // no leader to ask which checker runs: the steady state does not hold, nothing was faulted
      if (err instanceof RestError && err.leaderElection) throw new DrillError(`refusing to drill: the steady state does not hold: ${err.message}`, 'DRILL_NOT_STEADY', 'wait for the leader election to end (`flinkctl ha status`)')
      throw err
    }) : undefined
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
        // a partition is refused before anything changes when the host cannot be cut off
        const plan: PartitionPlan | undefined = opts.fault === 'partition' ? await planPartition(session, target.host) : undefined
        if (plan) {
          // our own session must not hang on a peer the partition cuts off (its watches would die
          // with it), nor expire as fast as Flink's while the client finds another peer
          await zk.close().catch(() => {})
          zk = await connectClusterZk(session, {sessionTimeoutMs: Math.max(requestedMs, 20_000), avoid: [target.host]})
        }
        emit({level: 'info', host: target.host, message: plan
          ? `round ${n}: partition ${target.host} (${target.label}, pid ${target.pid}) from ${plan.peers.join(', ')} for ${seconds(opts.partitionMs ?? 0)}`
          : `round ${n}: ${opts.fault} ${target.label} (pid ${target.pid}, ${target.mainClass.split('.').at(-1)}${tasks})`})

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

        const failover = expectsFailover(target.kind, opts, settings.sessionTimeoutMs, heartbeatMs)
        const planned = plannedPhases(target.kind, opts.fault, steady.jobs.length > 0, failover, target.tasks !== 0)
        const faultAt = Date.now()
        let continued = false
        let pauseTimer: ReturnType<typeof setTimeout> | undefined
        let resumed: Promise<void> = Promise.resolve()
        let cont: Promise<boolean> | undefined
        let restoring: Promise<RoundResult['restored']> | undefined
        let cut: PartitionRun | undefined
        const roundDone = new AbortController()
        let verified: Check[] = []
        const round: RoundResult = {
          round: n, target, fault: opts.fault, faultAt,
          before: {leader: steady.leader?.label, leaderSession: steady.state.leader?.sessionId, jobs: steady.jobs},
          after: {}, phases: [], planned, checks: [], restored: {ok: false, detail: 'not attempted'}, timedOut: false, explanation: [], ok: false,
        }
        try {
          // a quorum loss faults a majority at once; every other drill one process
          const members = target.restore.daemon === 'zookeeper-majority' ? target.restore.peers : [{host: target.host, pid: target.pid}]
          if (plan) {
            cut = await startPartition(session, zk, paths, plan, opts.partitionMs ?? 10_000, steady.leader?.url, emit)
            if (cut.hostAppliedAt) round.hostFaultAt = cut.hostAppliedAt
          } else {
            const fault = opts.fault as keyof typeof SIGNAL_OF
            const sent = await Promise.all(members.map((x) => signalDaemon(session.pool.get(x.host), x.pid, target.mainClass, SIGNAL_OF[fault])))
            const missed = sent.map((x, i) => (x.result === 'sent' ? undefined : `pid ${members[i]!.pid} on ${members[i]!.host} is ${x.result}`)).filter(Boolean)
            if (missed.length === members.length) throw new DrillError(`${target.label}: ${missed.join('; ')} now; nothing was signalled`, 'DRILL_TARGET_GONE', 'run the drill again', ExitCode.Failed)
            if (missed.length) emit({level: 'warn', message: `${target.label}: ${missed.join('; ')}: not signalled`})
            if (sent[0]!.hostTime) round.hostFaultAt = sent[0]!.hostTime
          }
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
          if (cut && !m.timedOut && !opts.signal?.aborted) await Promise.race([cut.healed, abort])
          if ((opts.fault === 'pause' || opts.fault === 'partition' || zkTarget) && !m.timedOut && !opts.signal?.aborted && steady.jobs.length > 0 && m.restUrl) {
            // a lost peer shows in Flink once its clients notice: at once for a closed socket, within the session timeout for a silent one
            if (zkTarget && !cut) await Promise.race([sleep(Math.max(0, faultAt + Math.min(settings.sessionTimeoutMs, 10_000) - Date.now())), abort])
            if (!opts.signal?.aborted && (opts.fault !== 'pause' || continued)) {
              emit({level: 'info', message: `+${seconds(Date.now() - faultAt)} ${opts.fault === 'pause' ? `resumed ${target.label}; ` : cut ? `${target.host} reconnected; ` : ''}waiting for the jobs to settle`})
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
          const cutPeers = plan ? (session.conf.zoo?.servers ?? []).filter((x) => sameMachine(session, x.host, target.host)).map((x) => x.id) : []
          round.checks = [...checksOf(round, steady, m, planned, {tolerateSuspended: settings.tolerateSuspended, sessionTimeoutMs: settings.sessionTimeoutMs, cutPeers}), ...verified]
          round.explanation = explain(round, settings)
          if (cutPeers.length && round.after.leaderSession !== round.before.leaderSession && target.kind !== 'leader') {
            round.explanation.push(`${target.host} also runs ZooKeeper peer ${cutPeers.join(', ')}: cutting it off cost the JobManagers' connections through it, and with tolerate-suspended-connections: ${settings.tolerateSuspended} a suspended connection ${settings.tolerateSuspended ? 'is ridden out until the session is lost' : 'revokes leadership at once'} (the leader's session changed)`)
          }
          if (settled) {
            const when = opts.fault === 'pause' ? 'after the paused process resumed' : cut ? 'after the partition healed' : 'after the quorum lost the peer'
            round.checks.push({name: `the jobs run and checkpoint ${when}`, ok: settled.settled,
              detail: settled.settled ? `settled ${seconds(settled.ms)} later${settled.notRunning.length ? `, after ${settled.notRunning.join(', ')}` : ''}` : `not settled within --timeout (${settled.notRunning.join(', ') || 'no new checkpoint'})`})
            if (settled.notRunning.length) {
              if (!cut) round.explanation.push(opts.fault === 'pause'
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
          if (plan && !cut) {
            // the rules never went on (nft applies a ruleset whole or not at all): make sure, and say so
            const h = await healPartition(session.pool.get(plan.host), plan)
            round.restored = {ok: h.ok, detail: h.ok ? 'the partition was not applied' : h.detail}
            round.checks.push({name: `partition of ${target.host} healed`, ok: h.ok, detail: round.restored.detail})
          } else if (cut) {
            const endpoints = restEndpoints(session)
            const zkLeaders = changes.map((c) => ({at: c.at, label: c.state.leader?.restUrl ? endpointOfUrl(session, c.state.leader.restUrl, endpoints)?.label : undefined}))
            const done = await finishPartition(session, zk, paths, target, cut, {
              restUrl: (round.after.leader && endpoints.find((e) => e.label === round.after.leader)?.url) || steady.leader?.url,
              sessionTimeoutMs: settings.sessionTimeoutMs, zkLeaders, aborted: () => Boolean(opts.signal?.aborted),
            })
            round.restored = done.restored
            round.partition = done.report
            round.checks.push({name: `partition of ${target.host} healed`, ok: done.restored.ok, detail: done.restored.detail}, ...done.checks)
          } else {
            round.restored = await (restoring ?? restore(session, target, opts.fault, continued, emit))
            round.checks.push({name: `${target.label} restored`, ok: round.restored.ok, detail: round.restored.detail})
          }
          // what a round leaves behind matters as much as its recovery: the cluster must be steady
          // again (a leader, as many standbys as before, jobs checkpointing), e.g. not two leaders
          if (round.restored.ok && !opts.signal?.aborted) {
            if (zk.state !== 'connected' && zk.state !== 'disconnected') {
              await zk.close().catch(() => {})
              zk = await connectClusterZk(session, {sessionTimeoutMs: requestedMs})
            }
            const back = await steadyAgain(session, zk, paths, opts, steady.standbys.length, Date.now() + opts.settleMs)
            round.checks.push({name: 'the steady state holds again after the round', ok: back.ok, detail: back.ok ? `${seconds(back.ms)} after the restore` : `not within --settle (${seconds(opts.settleMs)}): ${back.reasons.join('; ')}`})
          }
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
