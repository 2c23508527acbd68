import type {DaemonType} from '../launch/plan.ts'
import type {HostOutcome} from '../remote/fan-out.ts'

export type OutcomeError = NonNullable<HostOutcome<unknown>['error']>

/** One daemon type on one host after a start. */
export interface DaemonStart {
  host: string
  daemon: DaemonType
  pidFile: string
  ok: boolean
  started: Array<{pid: number; index: number; logFile: string; outFile: string}>
  already: Array<{pid: number}>
  /** Launched but gone right after (or later, while waiting): why, from its .out file. */
  died: Array<{pid?: number; outFile?: string; outTail: string}>
  error?: OutcomeError
}

/** One daemon type on one host after a stop. */
export interface DaemonStop {
  host: string
  daemon: DaemonType
  ok: boolean
  stopped: Array<{pid: number; signal: 'TERM' | 'KILL'; waitedMs: number}>
  /** Pid file entries of processes that no longer run: dropped. */
  stale: number[]
  /** Pid file entries whose pid now belongs to another program: dropped, never signalled. */
  foreign: number[]
  /** Still alive after SIGKILL: entry kept. */
  failed: number[]
  error?: OutcomeError
}

export interface DaemonInstance {
  pid: number
  index: number
  state: 'running' | 'stale' | 'foreign'
  uptimeSeconds?: number
}

/** What runs of one daemon type on one host. */
export interface DaemonState {
  daemon: DaemonType
  pidFile: string
  instances: DaemonInstance[]
  /** Processes of that main class not in the pid file (started by hand or another user). */
  unrecorded: Array<{pid: number; uptimeSeconds?: number}>
}

export interface HostState {
  host: string
  reachable: boolean
  error?: OutcomeError
  daemons: DaemonState[]
}

/** A host (and daemon) that did not do what was asked, and why. */
export interface HostProblem {
  host: string
  daemon?: DaemonType
  code: string
  message: string
  hint?: string
}
