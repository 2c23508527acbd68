import type {ExitCodeValue} from '../errors.ts'

export type FaultKind = 'kill' | 'term' | 'pause' | 'partition'
export type TargetKind = 'leader' | 'standby' | 'taskmanager' | 'zk-peer' | 'zk-leader' | 'zk-quorum' | 'yarn-am'

export interface DrillOptions {
  target: TargetKind
  fault: FaultKind
  /** --pause: how long the process stays stopped. */
  pauseMs?: number
  /** --partition: how long the target's host stays cut off from the other hosts. */
  partitionMs?: number
  /** taskmanager: which workers host; zk-peer: which server.N. */
  host?: string
  peerId?: number
  /** yarn-am: the YARN session (application id or flinkctl session name). */
  yarnSession?: string
  rounds: number
  /** Recovery budget per round (fault to last phase). */
  maxRecoveryMs?: number
  /** zk-quorum with --kill/--term: how long the majority stays down before it is started again. */
  downMs?: number
  /** Give up on a round's phases after this long. */
  timeoutMs: number
  /** Between rounds: how long to wait for the steady state to hold again. */
  settleMs: number
  /** Steady state: a checkpoint completed within this long. */
  checkpointMaxAgeMs: number
  force: boolean
  /** --verify: check the checker job's counts every round (submitting one when none runs). */
  verify?: boolean
  /** --job: the checker job to verify (default: the running one, else a new one). */
  verifyJobId?: string
  /** The checker submitted when none runs. */
  checker?: {rate?: number; keys?: number; parallelism?: number}
  signal?: AbortSignal
}

/** One process the drill faults, identified before anything is sent. */
export interface DrillTarget {
  kind: TargetKind
  /** Host as the conf names it, and how reports name the daemon (host, host:port, peer N). */
  host: string
  label: string
  pid: number
  mainClass: string
  commandLine: string
  /** A TaskManager's subtasks of the running jobs, where they could be counted. */
  tasks?: number
  /** How to bring it back: a JobManager's web UI port, a peer id, a TaskManager count. */
  restore: {daemon: 'standalonesession'; webuiPort: number} | {daemon: 'taskexecutor'; count: number; registered?: number} | {daemon: 'zookeeper'; peerId: number}
    /** YARN restarts the ApplicationMaster itself: nothing to start, a new attempt to wait for. */
    | {daemon: 'yarn'; appId: string; attempt: number}
    /** zk-quorum: a majority of peers, faulted together (the first is host/pid above). */
    | {daemon: 'zookeeper-majority'; peers: Array<{peerId: number; host: string; pid: number}>}
}

export type PhaseName =
  | 'leader-gone' | 'new-leader' | 'rest' | 'jobs-running' | 'tasks-running' | 'checkpoint'
  | 'contender-gone' | 'quorum-degraded' | 'quorum-leader' | 'job-restarted'
  | 'attempt-failed' | 'new-attempt'
  | 'quorum-lost' | 'leadership-lost' | 'quorum-back'

export interface Phase {
  name: PhaseName
  /** Bastion clock, ms since the epoch. */
  at?: number
  /** Since the fault. */
  ms?: number
  detail?: string
}

export interface Check {
  name: string
  ok: boolean
  detail: string
}

export interface JobBefore {
  jobId: string
  name: string
  lastCompleted?: number
  /** Flink's own timestamp of the job's last switch to RUNNING (the JobManager's clock). */
  runningSince?: number
}

export interface RoundResult {
  round: number
  target: DrillTarget
  fault: FaultKind
  /** Bastion clock when the signal was sent, and the host's when it ran (if its date has %N). */
  faultAt: number
  hostFaultAt?: number
  before: {leader?: string; leaderSession?: string; jobs: JobBefore[]}
  after: {leader?: string; leaderSession?: string}
  phases: Phase[]
  /** The phases the round waited for (phases holds those reached). */
  planned?: PhaseName[]
  /** Fault to the last phase reached; undefined when a phase never came. */
  recoveryMs?: number
  checks: Check[]
  restored: {ok: boolean; detail: string; ms?: number}
  timedOut: boolean
  withinBudget?: boolean
  /** What dominated the recovery, and which settings to change. */
  explanation: string[]
  /** --verify: the checker job's counts (from its keyed state, read as Flink metrics). */
  verify?: VerifyRound
  /** --partition: what was cut off, when, and who answered as leader meanwhile. */
  partition?: PartitionRound
  ok: boolean
}

export interface PartitionRound {
  host: string
  /** The other hosts (as the conf names them) and the addresses dropped for them. */
  peers: string[]
  addresses: string[]
  /** Bastion clock; the host's where its date has %N. */
  appliedAt: number
  hostAppliedAt?: number
  healedAt: number
  healed: boolean
  rejoinedMs?: number
  /** The cut-off leader's own log line giving up leadership (host clock). */
  revokedAt?: number
  revokedLine?: string
  /** Per JobManager: when its REST endpoint answered as leader (bastion clock). */
  serving: Array<{label: string; side: 'partitioned' | 'others'; from: number; to: number}>
  overlaps: Array<{a: string; b: string; from: number; to: number}>
}

/** The checker job's counts summed over its subtasks at one moment. */
export interface CheckerCounts {
  /** Records the checker has seen in its state (what the source emitted and the job kept). */
  emitted: number
  lost: number
  doubled: number
  reordered: number
  keys: number
  /** Restores from a checkpoint in the state's history (0: the state started empty). */
  generation: number
  /** Subtasks read, and when (bastion clock). */
  subtasks: number
  at: number
}

export interface VerifyRound {
  jobId: string
  before: CheckerCounts
  after?: CheckerCounts
  /** Per round: after.emitted - before.emitted, and the loss and doubling seen during the round. */
  emitted: number
  lost: number
  doubled: number
  reordered: number
  keys: number
}

export interface PhaseSummary {
  phase: PhaseName
  rounds: number
  minMs: number
  medianMs: number
  maxMs: number
}

export interface DrillReport {
  options: Omit<DrillOptions, 'signal'>
  startedAt: number
  /** ZooKeeper session timeout that bounds a hard-killed leader's exit: requested and as the server clamps it. */
  sessionTimeout: {requestedMs: number; effectiveMs: number; clamp?: string}
  rounds: RoundResult[]
  summary: PhaseSummary[]
  interrupted: boolean
  ok: boolean
  exit: ExitCodeValue
}
