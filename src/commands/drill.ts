import {writeFileSync, renameSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {withSession} from '../lib/cluster/session.ts'
import {runDrill, runYarnDrill, type DrillOptions} from '../lib/drill/index.ts'
import {drillJunit} from '../lib/drill/junit.ts'
import {checkJobId} from '../lib/job/index.ts'
import {yarnContext} from '../lib/yarn/index.ts'
import {UsageError} from '../lib/errors.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {stderrEmitter} from '../lib/output/cluster.ts'
import {haFailure, renderDrill} from '../lib/output/ha.ts'
import {durationFlag, reachFlags, reachOptions, rmUrlFlag} from '../lib/output/remote-flags.ts'

const TARGETS = ['leader', 'standby', 'taskmanager', 'zk-peer', 'zk-leader', 'zk-quorum'] as const

function writeAtomically(file: string, text: string) {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

export default class Drill extends BaseCommand<typeof Drill> {
  static override summary = 'Failover drill: fault the leading JobManager (or another target), time every phase of the recovery, check nothing was lost, restore.'
  static override description = `Before the fault the steady state must hold: a leader published in ZooKeeper whose REST API answers, every job RUNNING with a checkpoint completed recently, a standby alive (for JobManager targets), a quorum that can lose a peer (for ZooKeeper targets). --force drills anyway.
The target is identified by host, pid and main class before anything is sent; the signal goes only to that process. Phases are timed from the fault: old leader gone from ZooKeeper, new leader elected (ZooKeeper watches), REST answering, each job RUNNING again, all tasks RUNNING, the first new completed checkpoint. Checks: another JobManager leads, the job ids are the same, the restored checkpoint is not older than the last one before the fault. What was faulted is always restored (a JobManager starts again as a standby, a paused process gets SIGCONT), also when a check fails or the drill is interrupted.
With --verify the drill also proves the data: the checker job (\`flinkctl job submit --checker\`, submitted here when none runs) emits (key, seq) records and keeps, in its checkpointed state, the last seq per key and counts of records lost, doubled and reordered, read as Flink metrics over REST. Every round requires: records seen after the recovery > before the fault, lost = 0, doubled = 0, and, when the job restarted, a state restored from a checkpoint (a job that restarted with its state empty is lost state: exit 7).
With --partition DURATION the target's host is cut off from every other host of the cluster (nftables rules in its own network stack, applied over SSH as root or with sudo -n; the host also heals itself 30 s after the drill should have). flinkctl itself stays connected, so it watches both sides: every JobManager's REST endpoint is polled throughout, and two answering as leader at the same time on both sides of the partition is a failed check (with timestamps); a cut-off leader must give up leadership (its own log line) within the ZooKeeper session timeout; after the heal the host must rejoin (its JobManager contends again, its TaskManagers register, its peer serves) with the faulted process still running.
With --yarn-session the target is the session's ApplicationMaster (the JobManager) on its NodeManager host; there is no standby: YARN starts the next attempt, so nothing is restored by the drill, and the phases are attempt-failed, new-attempt, rest, the jobs and the first checkpoint. It refuses when the kill would use up the last attempt.
Exit codes (partition: 2 when the host is the machine flinkctl runs on, 6 when it lacks root/sudo or nft): 0 every round recovered and passed, 8 passed but over --max-recovery, 7 a check failed, the drill was refused (steady state) or interrupted, 5 a phase never came within --timeout, 6 no target found, 3 HA not configured (or, with --yarn-session, no ResourceManager address).`
  static override examples = [
    {command: '<%= config.bin %> drill --conf-dir conf', description: 'SIGKILL the leading JobManager once; timeline and checks.'},
    {command: '<%= config.bin %> drill --rounds 3 --max-recovery 60s --report drill.json', description: 'Three rounds (each kills the current leader), a budget, and a record kept.'},
    {command: '<%= config.bin %> drill --term', description: 'Graceful: SIGTERM, so the leader gives up its ZooKeeper session at once.'},
    {command: '<%= config.bin %> drill --target zk-peer --peer-id 2 --pause 10s', description: 'Freeze ZooKeeper peer 2 for 10 s (SIGSTOP, then SIGCONT).'},
    {command: '<%= config.bin %> drill --target zk-quorum --down 15s --verify', description: 'Quorum loss: SIGKILL a majority of the peers, start them again after 15 s; the JobManagers must give up leadership, and the job recover from its checkpoint.'},
    {command: '<%= config.bin %> drill --partition 20s --verify', description: "Cut the leader's host off from the other hosts for 20 s: never two leaders at once (both REST endpoints watched), the cut-off leader gives up leadership within the session timeout, the job recovers, nothing lost or doubled."},
    {command: '<%= config.bin %> drill --target taskmanager --host worker1 --json', description: 'Kill a TaskManager; JSON report on stdout.'},
    {command: '<%= config.bin %> drill --verify --rounds 3 --junit drill.xml', description: 'Prove no record was lost or doubled: the checker job counts every record across three leader kills; JUnit XML for CI.'},
    {command: '<%= config.bin %> drill --yarn-session smoke', description: 'Kill the ApplicationMaster of a YARN session; YARN starts the next attempt, which recovers the jobs.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    target: Flags.string({description: 'What to fault.', options: [...TARGETS], default: 'leader'}),
    kill: Flags.boolean({description: 'SIGKILL (default): the process dies at once, its ZooKeeper session lingers until it expires.', exclusive: ['term', 'pause', 'partition']}),
    term: Flags.boolean({description: 'SIGTERM: a graceful stop.', exclusive: ['kill', 'pause', 'partition']}),
    pause: Flags.string({description: 'SIGSTOP for this long, then SIGCONT (e.g. 10s).', exclusive: ['kill', 'term', 'partition']}),
    partition: Flags.string({description: "Cut the target's host off from every other host of the cluster for this long (nftables rules there, over SSH; needs root or sudo -n on that host), then heal it (e.g. 20s).", exclusive: ['kill', 'term', 'pause']}),
    host: Flags.string({description: 'taskmanager target: which workers host (default: the one whose TaskManager runs the jobs\' subtasks, else the first).'}),
    down: Flags.string({description: 'zk-quorum with --kill/--term: how long the majority stays down before it is started again (default 10s).'}),
    'peer-id': Flags.integer({description: 'zk-peer target: which server.N (default: a follower).', min: 0}),
    rounds: Flags.integer({description: 'Rounds to run; each faults the target as it is then (e.g. the current leader).', default: 1, min: 1}),
    'max-recovery': Flags.string({description: 'Budget per round, fault to last phase (e.g. 60s); exit 8 when a round exceeds it.'}),
    timeout: Flags.string({description: 'Give up waiting for a phase after this long from the fault.', default: '300s'}),
    settle: Flags.string({description: 'Between rounds, wait this long for the steady state to return.', default: '180s'}),
    'checkpoint-age': Flags.string({description: 'Steady state: the latest checkpoint completed within this long.', default: '60s'}),
    force: Flags.boolean({description: 'Drill even when the steady state does not hold.'}),
    report: Flags.file({description: 'Write the JSON report to this file as well.'}),
    junit: Flags.file({description: 'Write a JUnit XML report to this file (a test case per round and check) for Jenkins, GitLab or GitHub.'}),
    verify: Flags.boolean({description: "Prove no record was lost or doubled: read the checker job's counts before the fault and after the recovery (submits the checker when none runs).", helpGroup: 'VERIFY'}),
    job: Flags.string({description: 'With --verify: the checker job to watch (default: the running checker job, else a new one).', helpGroup: 'VERIFY', dependsOn: ['verify']}),
    'checker-rate': Flags.integer({description: 'With --verify, when the checker is submitted: records per second.', min: 1, helpGroup: 'VERIFY', dependsOn: ['verify']}),
    'checker-keys': Flags.integer({description: 'With --verify, when the checker is submitted: distinct keys.', min: 1, helpGroup: 'VERIFY', dependsOn: ['verify']}),
    'checker-parallelism': Flags.integer({description: 'With --verify, when the checker is submitted: parallelism of its checking operator.', min: 1, helpGroup: 'VERIFY', dependsOn: ['verify']}),
    'yarn-session': Flags.string({description: 'Drill a YARN session instead: kill its ApplicationMaster (the JobManager) on its NodeManager host and time the next attempt (application id or flinkctl session name).', helpGroup: 'YARN'}),
    ...rmUrlFlag,
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const pauseMs = durationFlag('pause', flags.pause)
    const downMs = durationFlag('down', flags.down)
    const partitionMs = durationFlag('partition', flags.partition)
    if (partitionMs !== undefined && flags.target === 'zk-quorum') throw new UsageError('--partition cuts off one host: use --target leader, standby, taskmanager, zk-peer or zk-leader', 'a quorum loss is --target zk-quorum --kill (or --pause)')
    if (partitionMs !== undefined && flags['yarn-session']) throw new UsageError('--partition is not a YARN drill yet: the session\'s hosts are YARN\'s', 'drill a standalone HA cluster')
    if (partitionMs !== undefined && partitionMs < 1000) throw new UsageError(`--partition ${flags.partition} is shorter than a second`, 'give it at least the ZooKeeper session timeout (e.g. 20s) for a failover to happen')
    if (downMs !== undefined && (flags.target !== 'zk-quorum' || pauseMs !== undefined)) throw new UsageError('--down is how long a zk-quorum drill keeps the majority down: use it with --target zk-quorum and --kill or --term')
    if (flags.target !== 'taskmanager' && flags.host) throw new UsageError('--host picks a TaskManager host: use it with --target taskmanager')
    if (flags.target !== 'zk-peer' && flags['peer-id'] !== undefined) throw new UsageError('--peer-id picks a ZooKeeper peer: use it with --target zk-peer')
    const yarnSession = flags['yarn-session']
    if (yarnSession && flags.target !== 'leader') throw new UsageError('--yarn-session drills the session\'s ApplicationMaster: leave out --target')
    if (yarnSession && pauseMs !== undefined) throw new UsageError('--pause is not a YARN drill: YARN restarts an ApplicationMaster that dies (--kill, --term)')
    const ctl = new AbortController()
    const onSignal = () => {
      this.progress('interrupted: restoring what was faulted, then stopping')
      ctl.abort()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const opts: DrillOptions = {
      target: yarnSession ? 'yarn-am' : flags.target as DrillOptions['target'],
      ...(yarnSession ? {yarnSession} : {}),
      fault: flags.term ? 'term' : pauseMs !== undefined ? 'pause' : partitionMs !== undefined ? 'partition' : 'kill',
      ...(pauseMs === undefined ? {} : {pauseMs}),
      ...(partitionMs === undefined ? {} : {partitionMs}),
      ...(downMs === undefined ? {} : {downMs}),
      ...(flags.host ? {host: flags.host} : {}),
      ...(flags['peer-id'] === undefined ? {} : {peerId: flags['peer-id']}),
      rounds: flags.rounds,
      ...(flags['max-recovery'] ? {maxRecoveryMs: durationFlag('max-recovery', flags['max-recovery'])} : {}),
      timeoutMs: durationFlag('timeout', flags.timeout)!,
      settleMs: durationFlag('settle', flags.settle)!,
      checkpointMaxAgeMs: durationFlag('checkpoint-age', flags['checkpoint-age'])!,
      force: Boolean(flags.force),
      ...(flags.verify ? {verify: true} : {}),
      ...(flags.job ? {verifyJobId: checkJobId(flags.job)} : {}),
      ...(flags.verify && (flags['checker-rate'] || flags['checker-keys'] || flags['checker-parallelism'])
        ? {checker: {rate: flags['checker-rate'], keys: flags['checker-keys'], parallelism: flags['checker-parallelism']}} : {}),
      signal: ctl.signal,
    }
    try {
      const yarn = yarnSession ? await yarnContext(conf, process.env, flags['rm-url']) : undefined
      const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) =>
        yarn && yarnSession ? runYarnDrill(session, yarn, {...opts, yarnSession}, stderrEmitter(this.err)) : runDrill(session, opts, stderrEmitter(this.err)))
      if (flags.report) writeAtomically(flags.report, `${JSON.stringify(report, null, 2)}\n`)
      if (flags.junit) writeAtomically(flags.junit, drillJunit(report))
      this.say(renderDrill(report, this.out))
      const failed = report.rounds.flatMap((r) => [
        ...(r.timedOut ? [`round ${r.round}: no ${r.phases.length ? `phase after ${r.phases.at(-1)!.name}` : 'phase'} within --timeout`] : []),
        ...r.checks.filter((c) => !c.ok).map((c) => `round ${r.round}: ${c.name}: ${c.detail}`),
        ...(r.withinBudget === false ? [`round ${r.round}: recovery ${r.recoveryMs} ms is over the --max-recovery budget`] : []),
      ])
      if (report.interrupted) failed.unshift('interrupted')
      const failure = haFailure('drill', report.exit, failed, report, 'the timeline above says which phase and why; what was faulted has been restored')
      if (failure) throw failure
      return report
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
