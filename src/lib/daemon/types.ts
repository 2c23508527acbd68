import type {LaunchPlan} from '../launch/plan.ts'

/** A pid-file line that did not name a running instance and was removed from the file. */
export interface DroppedEntry {
  /** 1-based among the file's non-blank lines. */
  line: number
  /** stale: no such process; foreign: a live process with another command line (a reused pid,
   *  never signalled); invalid: not a pid; duplicate: a pid already listed above. */
  state: 'stale' | 'foreign' | 'invalid' | 'duplicate'
  pid?: number
  raw: string
}

export interface StartOptions {
  /** How long to watch new processes after the launch; a process gone by then is reported dead. Default 700. */
  verifyMs?: number
  /** How long to wait for the pid-directory lock that Flink's scripts also take. Default 30000. */
  lockWaitMs?: number
  signal?: AbortSignal
}

export interface AlreadyRunning {
  status: 'already-running'
  ok: true
  plan: LaunchPlan
  pid: number
  /** Its line in the pid file (1-based). */
  line: number
}

export interface Started {
  status: 'started'
  /** False when the process was gone before the verification window ended. */
  ok: boolean
  plan: LaunchPlan
  pid: number
  /** The instance index decided on the host: the `<n>` of the log names. */
  index: number
  /** `uname -n` on the host: the `<host>` of the log names (bash's $HOSTNAME for Flink). */
  hostname: string
  logFile: string
  outFile: string
  alive: boolean
  /** The last lines of the .out file when the process died (why the JVM would not start). */
  outTail?: string
}

export type StartedInstance = AlreadyRunning | Started

export interface StartResult {
  host: string
  daemon: string
  pidFile: string
  hostname: string
  /** One per plan, in plan order. */
  instances: StartedInstance[]
  /** True when every plan was already satisfied and nothing was launched. */
  alreadyRunning: boolean
  dropped: DroppedEntry[]
  ok: boolean
  durationMs: number
}

export interface StopRequest {
  daemon: string
  pidFile: string
  /** Defaults to the daemon's class in DAEMON_MAIN_CLASSES. */
  mainClass?: string
  /** stop-all: every running instance; otherwise only the newest (the last running line, as Flink's stop). */
  all?: boolean
  /** Time between SIGTERM and SIGKILL. Default 10000, like Flink's 10 s. */
  graceMs?: number
  /** Time to wait for the process to vanish after SIGKILL. Default 5000. */
  killWaitMs?: number
  lockWaitMs?: number
  signal?: AbortSignal
}

export type StopOutcome =
  | {result: 'stopped'; ok: true; pid: number; line: number; signal: 'TERM' | 'KILL'; waitedMs: number}
  /** Still running after SIGKILL, or the signal was refused; its pid line is kept. */
  | {result: 'failed'; ok: false; pid: number; line: number; reason: string}
  /** Entries removed without signalling anything (see DroppedEntry). */
  | ({result: 'dropped'; ok: true} & DroppedEntry)

export interface StopResult {
  host: string
  daemon: string
  pidFile: string
  outcomes: StopOutcome[]
  /** Processes this call stopped. */
  stopped: number
  /** No running instance was recorded (Flink: "No <daemon> daemon to stop on host <host>."). */
  nothingToStop: boolean
  ok: boolean
  durationMs: number
}

export interface StatusSpec {
  daemon: string
  pidFile: string
  mainClass?: string
}

export interface PidEntryStatus {
  line: number
  pid?: number
  raw: string
  state: 'running' | 'stale' | 'foreign' | 'invalid'
  uptimeSeconds?: number
  /** The -Dlog.file of a running instance. */
  logFile?: string
}

export interface DaemonStatus {
  daemon: string
  pidFile: string
  mainClass: string
  entries: PidEntryStatus[]
  /** Processes of this user running the main class that no pid-file line names (reported, never stopped). */
  unrecorded: Array<{pid: number; uptimeSeconds?: number; logFile?: string}>
  /** Running recorded instances. */
  running: number
}

export interface ForegroundOptions {
  lockWaitMs?: number
  /** Called with the pid (the JVM's after the exec) once the process is spawned. */
  onSpawn?: (pid: number) => void
}
