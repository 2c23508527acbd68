// What a drill round's timeline means: the checks it must pass, what dominated the recovery, the
// summary over rounds and the exit code.
import {ExitCode} from '../errors.ts'
import {seconds, type Measured} from './phases.ts'
import type {Steady} from './steady.ts'
import type {Check, DrillReport, PhaseName, PhaseSummary, RoundResult} from './types.ts'

/** What dominated the recovery, and the settings that bound it. */
export function explain(round: Pick<RoundResult, 'phases' | 'fault' | 'target'>, settings: {sessionTimeoutMs: number; requestedMs: number; heartbeatTimeout?: string; checkpointInterval?: string; tolerateSuspended?: boolean; downMs?: number}): string[] {
  const ps = round.phases.filter((p) => p.ms !== undefined)
  if (ps.length === 0) return []
  let worst = {name: ps[0]!.name, gap: ps[0]!.ms!}
  for (let i = 1; i < ps.length; i++) {
    const gap = ps[i]!.ms! - ps[i - 1]!.ms!
    if (gap > worst.gap) worst = {name: ps[i]!.name, gap}
  }
  const total = ps.at(-1)!.ms!
  const share = `${seconds(worst.gap)} of ${seconds(total)}`
  switch (worst.name) {
    case 'leader-gone':
      if (round.fault === 'partition') {
        return [`the cut-off leader's ZooKeeper session expired after ${seconds(worst.gap)} (session timeout ${seconds(settings.sessionTimeoutMs)}, ${share} of the recovery)`,
          `a partitioned leader cannot close its session: ZooKeeper expires it after high-availability.zookeeper.client.session-timeout, and only then elects a standby; the leader itself gives up leadership when its connection is suspended (${settings.tolerateSuspended ? 'tolerate-suspended-connections: true: only once it deems the session lost' : 'about 2/3 of the session timeout'})`]
      }
      return round.fault === 'kill' || round.fault === 'pause'
        ? [`the old leader's ZooKeeper session expired after ${seconds(worst.gap)} of the ${seconds(settings.sessionTimeoutMs)} session timeout (${share} of the recovery)`,
          `a hard-killed leader is noticed only when its session expires: lower high-availability.zookeeper.client.session-timeout (requested ${seconds(settings.requestedMs)}, granted ${seconds(settings.sessionTimeoutMs)}; the server clamps it to [minSessionTimeout, maxSessionTimeout] of zoo.cfg)`]
        : [`the old leader took ${share} to give up its leadership on SIGTERM`]
    case 'new-leader':
      return [`the election took ${share} after the old leader was gone`, 'a standby must be running to take over at once (start more than one JobManager in masters)']
    case 'rest':
      return [`the new leader's REST API took ${share} to answer`]
    case 'job-restarted':
      return round.target.kind === 'taskmanager'
        ? [`the JobManager took ${share} to fail the tasks of the lost TaskManager`, round.fault === 'kill' || round.fault === 'term'
          ? 'a dead TaskManager is noticed when its RPC connection is refused or its heartbeat is missed; heartbeat.timeout (' + (settings.heartbeatTimeout ?? '50 s') + ') bounds one that goes silent (lower heartbeat.interval and heartbeat.timeout to notice sooner)'
          : `a ${round.fault === 'partition' ? 'cut-off' : 'stopped'} TaskManager answers nothing: only heartbeat.timeout (${settings.heartbeatTimeout ?? '50 s'}) fails its tasks`]
        : [`jobs took ${share} to restart`, "the restart strategy's delay applies before the job is scheduled again"]
    case 'jobs-running':
      return round.target.kind === 'taskmanager'
        ? [`jobs took ${share} to run again after their tasks failed`, "the restart strategy's delay, then slots on the remaining TaskManagers (spare slots make this quick; with none, the job waits for the TaskManager to come back)"]
        : [`jobs took ${share} to run again`, `the new leader recovers the jobs from the HA store; TaskManagers register with it and offer their slots again, heartbeat.timeout (${settings.heartbeatTimeout ?? '50 s'}) bounds a TaskManager that missed the change, and the restart strategy's delay applies`]
    case 'tasks-running':
      return [`deploying the tasks took ${share}`, 'tasks wait for slots: more TaskManagers or slots than the jobs need shorten this']
    case 'checkpoint':
      return [`the first checkpoint after recovery took ${share}`, `it waits for the next checkpoint trigger: execution.checkpointing.interval (${settings.checkpointInterval ?? 'not set'}) bounds it`]
    case 'contender-gone':
      return [`the faulted JobManager left the latch after ${share}`, 'its ZooKeeper session had to expire first (SIGKILL) or close (SIGTERM)']
    case 'quorum-degraded':
    case 'quorum-leader':
      return [`the quorum took ${share} to ${worst.name === 'quorum-leader' ? 'elect a new leader' : 'notice the lost peer'}`, 'ZooKeeper peers notice a lost peer within tickTime × syncLimit / initLimit of zoo.cfg']
    case 'quorum-lost':
      return [`the peers took ${share} to lose their majority`]
    case 'leadership-lost':
      return [`the JobManager gave up leadership ${seconds(worst.gap)} after the quorum was lost`, settings.tolerateSuspended
        ? `high-availability.zookeeper.client.tolerate-suspended-connections: true keeps leadership through a suspended connection until the session is lost (session timeout ${seconds(settings.sessionTimeoutMs)})`
        : 'with high-availability.zookeeper.client.tolerate-suspended-connections: false (the default) a suspended ZooKeeper connection revokes leadership at once; true rides out outages shorter than the session timeout']
    case 'quorum-back':
      return [`the quorum served again ${share} after the fault`, `the majority was down for ${settings.downMs !== undefined ? seconds(settings.downMs) : 'the drill\'s --down/--pause'}, then the peers elected a leader (tickTime × initLimit bounds the election)`]
    case 'attempt-failed':
      return [`YARN took ${share} to see the ApplicationMaster's container exit`, 'the NodeManager reports a finished container on its next heartbeat to the ResourceManager (yarn.resourcemanager.nodemanagers.heartbeat-interval-ms)']
    case 'new-attempt':
      return [`the new ApplicationMaster attempt took ${share} to register`, 'YARN allocates and launches a new AM container, then the JVM starts and the JobManager registers; a smaller jobmanager.memory.process.size and a warm NodeManager shorten it']
  }
}

export function summarize(rounds: readonly RoundResult[]): PhaseSummary[] {
  const names: PhaseName[] = []
  for (const r of rounds) for (const p of r.phases) if (!names.includes(p.name)) names.push(p.name)
  return names.map((phase) => {
    const xs = rounds.flatMap((r) => r.phases.filter((p) => p.name === phase && p.ms !== undefined).map((p) => p.ms!)).sort((a, b) => a - b)
    const mid = xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2
    return {phase, rounds: xs.length, minMs: xs[0]!, medianMs: Math.round(mid), maxMs: xs.at(-1)!}
  })
}

export function checksOf(round: RoundResult, steady: Steady, m: Measured, planned: PhaseName[], quorum?: {tolerateSuspended: boolean; sessionTimeoutMs: number; cutPeers?: readonly number[]}): Check[] {
  const checks: Check[] = []
  const t = round.target
  if (t.kind === 'leader' && planned.includes('new-leader')) {
    const other = m.newLeader?.label !== undefined && m.newLeader.label !== t.label
    checks.push({name: 'another JobManager leads', ok: other, detail: m.newLeader ? `${t.label} → ${m.newLeader.label ?? m.newLeader.url}` : 'no new leader was elected'})
  } else if ((t.kind === 'standby' || t.kind === 'taskmanager') && round.fault === 'partition' && quorum?.cutPeers?.length && !quorum.tolerateSuspended) {
    // the cut also took a ZooKeeper peer: a JobManager whose connection went through it gives up
    // leadership (tolerate-suspended-connections: false) and may win it again; what must hold is a leader
    checks.push({name: 'the cluster has a leader', ok: Boolean(round.after.leader), detail: round.after.leader
      ? `${round.after.leader}${round.after.leaderSession !== round.before.leaderSession ? ` (leadership changed hands: session ${round.before.leaderSession?.slice(0, 8)} → ${round.after.leaderSession?.slice(0, 8) ?? 'none'})` : ''}`
      : 'no leader published after the partition'})
  } else if (t.kind === 'standby' || t.kind === 'taskmanager') {
    checks.push({name: 'the leader kept its leadership', ok: round.after.leaderSession === round.before.leaderSession, detail: `session ${round.before.leaderSession?.slice(0, 8)} → ${round.after.leaderSession?.slice(0, 8) ?? 'none'}`})
  } else if (t.kind === 'zk-quorum') {
    const lost = m.phases.find((p) => p.name === 'leadership-lost')
    checks.push({name: 'the cluster has a leader', ok: Boolean(round.after.leader), detail: round.after.leader ?? 'no leader published after the quorum came back'})
    if (!quorum?.tolerateSuspended) {
      checks.push({name: 'the JobManagers gave up leadership without a quorum', ok: lost !== undefined, detail: lost ? `+${seconds(lost.ms!)} ${lost.detail}` : 'the leader kept serving jobs without a quorum (split brain risk)'})
    } else {
      checks.push(toleratedCheck(m, quorum.sessionTimeoutMs))
    }
  } else if (t.kind === 'zk-peer' || t.kind === 'zk-leader') {
    checks.push({name: 'the cluster has a leader', ok: Boolean(round.after.leader), detail: round.after.leader ?? 'no leader published after the drill'})
  }
  for (const j of steady.jobs) {
    const o = m.last?.overview.get(j.jobId)
    checks.push({name: `job ${j.jobId} RUNNING with the same id`, ok: o?.state === 'RUNNING' && o.jid === j.jobId, detail: o ? `${o.jid} ${o.state}` : 'never seen again'})
    const c = m.last?.checkpoints.get(j.jobId)
    if (c && planned.includes('checkpoint')) {
      const restored = c.latest?.restored?.id
      const recovered = planned.includes('jobs-running')
      if (recovered) {
        const ok = restored !== undefined && restored >= (j.lastCompleted ?? 0)
        checks.push({name: `job ${j.jobId} restored a checkpoint not older than the last one before the fault`, ok, detail: `restored ${restored ?? 'none'}, last completed before the fault ${j.lastCompleted ?? 'none'}`})
      }
      const done = c.latest?.completed?.id
      checks.push({name: `job ${j.jobId} completed a new checkpoint`, ok: done !== undefined && done > (j.lastCompleted ?? -1), detail: `${j.lastCompleted ?? 'none'} → ${done ?? 'none'}`})
    }
  }
  return checks
}

/** Exit 5 when a phase never came, 7 when a check failed (or rounds are missing, or interrupted), 8 when only the budget was missed. */
export function drillOutcome(rounds: ReadonlyArray<Pick<RoundResult, 'ok' | 'timedOut' | 'withinBudget'>>, wanted: number, interrupted: boolean): {ok: boolean; exit: DrillReport['exit']} {
  const ok = !interrupted && rounds.length === wanted && rounds.every((r) => r.ok)
  const exit = rounds.some((r) => r.timedOut) ? ExitCode.Timeout
    : !ok ? ExitCode.CheckFailed
      : rounds.some((r) => r.withinBudget === false) ? ExitCode.OverBudget : ExitCode.Ok
  return {ok, exit}
}

/**
 * With tolerate-suspended-connections: true a leader keeps leadership while its connection is
 * suspended and gives it up once Curator deems the session lost, a session timeout after the
 * suspension. Given up much sooner means the setting had no effect; kept through an outage longer
 * than the session means a leader served without a quorum.
 */
export function toleratedCheck(m: Pick<Measured, 'phases'>, sessionTimeoutMs: number): Check {
  const name = 'leadership was kept through the suspension and given up only once the session was lost'
  const lost = m.phases.find((p) => p.name === 'leadership-lost')
  const at = (n: PhaseName) => m.phases.find((p) => p.name === n)?.ms
  if (lost) {
    // the suspension starts no sooner than the fault, and the REST poll sees the loss no sooner than it happened
    const early = lost.ms! < 0.75 * sessionTimeoutMs
    return {name, ok: !early, detail: `given up +${seconds(lost.ms!)} after the quorum was lost (${lost.detail}); session timeout ${seconds(sessionTimeoutMs)}${early ? ': sooner than the session could be lost, as if tolerate-suspended-connections were false (is it set on the JobManagers?)' : ''}`}
  }
  const outage = at('quorum-back')
  if (outage === undefined) return {name, ok: false, detail: 'the quorum did not come back: cannot tell'}
  const without = outage - (at('quorum-lost') ?? 0)
  const tooLong = without > sessionTimeoutMs + 2000
  return {name, ok: !tooLong, detail: tooLong
    ? `the leader kept serving jobs for ${seconds(without)} without a quorum, longer than the session timeout (${seconds(sessionTimeoutMs)}): split brain risk`
    : `kept: the quorum was back +${seconds(outage)}, within the session timeout (${seconds(sessionTimeoutMs)})`}
}
