import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs'
import {resolve} from 'node:path'
import type {Emit} from '../cluster/events.ts'
import {probeJobManagers} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {ExitCode, FlinkctlError, OutcomeError, UsageError} from '../errors.ts'
import {exceptionSummary, RestClient, RestError, restErrorSummary, type JobOverview} from '../rest/client.ts'

/**
 * Jobs over Flink's REST API, at the JobManager ZooKeeper names leader (else the one that
 * answers): submit a jar (upload, run, delete the upload, wait until every task runs), list,
 * cancel. Progress goes to the emitter; nothing here prints or exits.
 *
 * Waits poll GET /jobs/overview, not GET /jobs/<id>: the latter is served from a cache that
 * Flink refreshes every web.refresh-interval (3 s by default), so its state lags by seconds.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export const DEFAULT_SUBMIT_TIMEOUT_MS = 180_000
export const DEFAULT_CANCEL_TIMEOUT_MS = 60_000
const POLL_MS = 250

/** Job states after which a job never runs again (SUSPENDED: this JobManager lost leadership). */
const TERMINAL = new Set(['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'])

const JOB_ID = /^[0-9a-f]{32}$/i

/** A Flink job id (32 hex characters), or a usage error that says so; checked before any request. */
export function checkJobId(id: string): string {
  if (!JOB_ID.test(id)) {
    throw new FlinkctlError(`'${id}' is not a Flink job id: a job id is 32 hexadecimal characters`, {
      code: 'BAD_JOB_ID', exit: ExitCode.Usage, hint: 'copy the id from `flinkctl job list`',
    })
  }
  return id.toLowerCase()
}

const CLASS_NAME = /^[\p{L}_$][\p{L}\p{N}_$]*(?:\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u

/** A Java class name; a path (e.g. `-c conf`, which is --conf-dir elsewhere) is refused with a hint. */
export function checkEntryClass(name: string): string {
  const dir = existsSync(name) && statSync(name).isDirectory()
  if (!CLASS_NAME.test(name) || dir) {
    const path = dir || /[/\\]/.test(name)
    throw new FlinkctlError(`--class ${name}: ${dir ? 'a directory' : 'not a Java class name'}`, {
      code: 'BAD_CLASS', exit: ExitCode.Usage,
      hint: path ? 'in `job submit`, -c is the main class (as in `flink run -c`): write the configuration directory as --conf-dir' : 'write the fully qualified name, e.g. org.example.Main',
    })
  }
  return name
}

/** `key=value` options for one job (the run's flinkConfiguration); a usage error for anything else. */
export function parseJobConf(entries: readonly string[]): Record<string, string> | undefined {
  if (entries.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const e of entries) {
    const at = e.indexOf('=')
    const key = e.slice(0, at).trim()
    if (at <= 0 || key === '') throw new UsageError(`--job-conf ${e}: not key=value`, 'e.g. --job-conf execution.checkpointing.interval=1s')
    out[key] = e.slice(at + 1).trim()
  }
  return out
}

/** The jar to submit: an existing, readable zip file. Returns its absolute path and size. */
export function checkJar(path: string): {path: string; bytes: number} {
  const abs = resolve(path)
  const hint = 'pass the path of a job jar, e.g. $FLINK_HOME/examples/streaming/TopSpeedWindowing.jar'
  let bytes: number
  try {
    const st = statSync(abs)
    if (st.isDirectory()) throw new FlinkctlError(`${path} is a directory, not a jar file`, {code: 'JAR_INVALID', exit: ExitCode.Usage, hint})
    bytes = st.size
  } catch (err) {
    if (err instanceof FlinkctlError) throw err
    throw new FlinkctlError(`jar file ${path} does not exist`, {code: 'JAR_NOT_FOUND', exit: ExitCode.Usage, hint})
  }
  const head = Buffer.alloc(4)
  try {
    const fd = openSync(abs, 'r')
    try {
      readSync(fd, head, 0, 4, 0)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    throw new FlinkctlError(`cannot read jar file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {code: 'JAR_UNREADABLE', exit: ExitCode.Usage, hint: 'check the file permissions'})
  }
  // a jar is a zip: local file header, or the end record of an empty archive
  if (head.toString('latin1', 0, 2) !== 'PK') {
    throw new FlinkctlError(`${path} is not a jar (zip) file`, {code: 'JAR_INVALID', exit: ExitCode.Usage, hint})
  }
  return {path: abs, bytes}
}

/** Where the job requests go: the leader's REST URL. */
export interface RestTarget {
  url: string
  /** The leading JobManager as the conf names it (host, or host:port), when known. */
  leader?: string
}

/**
 * The leading JobManager's REST URL (from ZooKeeper under HA), else the endpoint that answered.
 * While a leader election is in progress (503), asks again until the deadline.
 */
export async function locateRest(session: Session, deadline: number, emit: Emit): Promise<RestTarget> {
  let told = false
  for (;;) {
    const view = await probeJobManagers(session, {timeoutMs: Math.max(500, Math.min(3000, deadline - Date.now()))})
    if (view.leader) return {url: view.leader.restUrl, leader: view.leader.host}
    if (view.rest.ok && view.rest.url) return {url: view.rest.url}
    if (!view.rest.leaderElection || Date.now() >= deadline) {
      throw new FlinkctlError(`no JobManager answers REST${view.rest.error ? `: ${view.rest.error}` : ''}`, {
        code: 'NO_JOBMANAGER', exit: ExitCode.Failed,
        hint: view.rest.leaderElection ? 'a leader is still being elected; retry, or raise --timeout' : 'is the cluster running? check `flinkctl status`',
      })
    }
    if (!told) emit({level: 'warn', message: 'a JobManager leader is being elected; waiting'})
    told = true
    await sleep(500)
  }
}

/** Runs fn again while Flink answers 503 "leader election", until the deadline. */
async function retryElection<T>(what: string, deadline: number, emit: Emit, fn: () => Promise<T>): Promise<T> {
  let told = false
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (!(err instanceof RestError && err.leaderElection) || Date.now() + 500 >= deadline) throw err
      if (!told) emit({level: 'warn', message: `${what}: a JobManager leader is being elected; retrying`})
      told = true
      await sleep(500)
    }
  }
}

/** The task counts of /jobs/overview; every subtask, not just every vertex. */
export interface TaskCounts {
  total: number
  running: number
  [state: string]: number
}

/** The one line that says why a job failed: its latest exception's innermost cause. */
export async function latestException(rest: RestClient, jobId: string): Promise<{summary: string; stacktrace?: string; timestamp?: number} | undefined> {
  try {
    const ex = await rest.jobExceptions(jobId, 1)
    const entry = ex.exceptionHistory?.entries?.[0]
    const stacktrace = entry?.stacktrace ?? ex['root-exception'] ?? undefined
    if (!stacktrace) return undefined
    const {first, root} = exceptionSummary(stacktrace)
    return {summary: root ?? first, stacktrace, timestamp: entry?.timestamp ?? ex.timestamp ?? undefined}
  } catch {
    return undefined
  }
}

async function findJob(rest: RestClient, jobId: string): Promise<JobOverview | undefined> {
  return (await rest.jobsOverview()).find((j) => j.jid === jobId)
}

const taskCounts = (j: JobOverview): TaskCounts => ({total: 0, running: 0, ...(j.tasks ?? {})}) as TaskCounts
/** Every task running (a finished task of a bounded vertex counts as done). */
const allTasksRunning = (t: TaskCounts) => t.total > 0 && t.running > 0 && t.running + (t.finished ?? 0) === t.total

export interface SubmitOptions {
  jar: string
  /** Where to submit instead of the leader the configuration names (e.g. a YARN session's JobManager). */
  rest?: RestTarget
  entryClass?: string
  parallelism?: number
  /** Program arguments, one entry each, passed to main() as they are. */
  args?: string[]
  /** The job's own configuration over the cluster's (run body flinkConfiguration). */
  jobConf?: Record<string, string>
  /** Wait until the job and all its tasks run (default true). */
  wait?: boolean
  /** Deadline for the whole submission, including the wait (default 180 s). */
  timeoutMs?: number
}

export interface SubmitReport {
  jobId: string
  jar: string
  jarId: string
  restUrl: string
  leader?: string
  name?: string
  /** The last state seen; undefined with wait false. */
  state?: string
  waited: boolean
  tasks?: TaskCounts
  /** Milliseconds: the upload, the run (main() on the JobManager), then from the run's answer until the job was RUNNING and until every task was. */
  timings: {uploadMs: number; runMs: number; runningMs?: number; allRunningMs?: number}
  /** The uploaded jar was deleted from the JobManager afterwards. */
  jarDeleted: boolean
}

/**
 * Uploads the jar to the leading JobManager, runs it, deletes the upload, and (unless wait is
 * false) waits until the job is RUNNING and every task runs. Errors: the jar missing (exit 2),
 * Flink refusing the program (6), the job ending FAILED/CANCELED with its root exception (6),
 * not running before the deadline (5; the job keeps going).
 */
export async function submitJob(session: Session, opts: SubmitOptions, emit: Emit = session.emit): Promise<SubmitReport> {
  const jar = checkJar(opts.jar)
  if (opts.entryClass !== undefined) checkEntryClass(opts.entryClass)
  if (opts.parallelism !== undefined && !(Number.isInteger(opts.parallelism) && opts.parallelism > 0)) throw new UsageError(`parallelism ${opts.parallelism}: not a positive integer`)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SUBMIT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  const target = opts.rest ?? await locateRest(session, deadline, emit)
  emit({level: 'info', message: `JobManager ${target.leader ? `leader ${target.leader} ` : ''}at ${target.url}`})
  const rest = new RestClient(target.url)
  const left = () => Math.max(10_000, deadline - Date.now())

  let t = Date.now()
  const jarId = await retryElection('upload', deadline, emit, () => rest.uploadJar(jar.path, {timeoutMs: left()}))
  const uploadMs = Date.now() - t
  emit({level: 'info', message: `uploaded ${opts.jar} (${Math.ceil(jar.bytes / 1024)} KiB) as ${jarId} in ${secs(uploadMs)}`})

  let jobId: string
  let runMs: number
  let jarDeleted = false
  let runTimedOut = false
  try {
    t = Date.now()
    jobId = await retryElection('run', deadline, emit, () => rest.runJar(jarId, {
      entryClass: opts.entryClass, parallelism: opts.parallelism, programArgsList: opts.args?.length ? opts.args : undefined, flinkConfiguration: opts.jobConf,
    }, {timeoutMs: left()}))
    runMs = Date.now() - t
  } catch (err) {
    if (err instanceof RestError && err.code === 'REST_TIMEOUT') {
      runTimedOut = true
      throw new FlinkctlError(`Flink did not answer the run of ${opts.jar} in time; the job may still start`, {
        code: 'JOB_RUN_TIMEOUT', exit: ExitCode.Timeout, cause: err, hint: 'see `flinkctl job list`; a main() that works long before it submits needs a longer --timeout',
      })
    }
    if (!(err instanceof RestError) || err.status === undefined || err.leaderElection) throw err
    const why = restErrorSummary(err)
    throw new FlinkctlError(`Flink did not run ${opts.jar}: ${why}`, {
      code: 'JOB_RUN_FAILED', exit: ExitCode.Failed, cause: err, details: {status: err.status, errors: err.errors},
      hint: /entry point class|main class|no main|ClassNotFound/i.test(why) ? 'name the main class with --class' : "the program's main() failed on the JobManager; its log has the whole trace (`flinkctl logs --daemon jobmanager`)",
    })
  } finally {
    // a run that did not answer may still be reading the jar: leave it
    if (runTimedOut) emit({level: 'warn', message: `left the uploaded jar ${jarId} on the JobManager (DELETE /jars/${jarId} removes it)`})
    else {
      try {
        await rest.deleteJar(jarId)
        jarDeleted = true
      } catch (err) {
        emit({level: 'warn', message: `could not delete the uploaded jar ${jarId}: ${err instanceof Error ? err.message : String(err)}`})
      }
    }
  }
  emit({level: 'info', message: `submitted job ${jobId} in ${secs(runMs)}`})
  const report: SubmitReport = {jobId, jar: jar.path, jarId, restUrl: target.url, leader: target.leader, waited: false, timings: {uploadMs, runMs}, jarDeleted}
  if (opts.wait === false) return report
  report.waited = true
  return waitRunning(rest, report, deadline, timeoutMs, emit)
}

async function waitRunning(rest: RestClient, report: SubmitReport, deadline: number, timeoutMs: number, emit: Emit): Promise<SubmitReport> {
  const {jobId} = report
  const t0 = Date.now()
  let restartingTold = false
  for (;;) {
    let job: JobOverview | undefined
    try {
      job = await findJob(rest, jobId)
    } catch (err) {
      if (!(err instanceof RestError && (err.leaderElection || err.code === 'REST_TIMEOUT'))) throw err
    }
    if (job) {
      report.name = job.name
      report.state = job.state
      report.tasks = taskCounts(job)
      if (job.state === 'RUNNING' && report.timings.runningMs === undefined) {
        report.timings.runningMs = Date.now() - t0
        emit({level: 'info', message: `job ${jobId} RUNNING after ${secs(report.timings.runningMs)}`})
      }
      if (job.state === 'RUNNING' && allTasksRunning(report.tasks)) {
        report.timings.allRunningMs = Date.now() - t0
        emit({level: 'info', message: `all ${report.tasks.total} tasks running after ${secs(report.timings.allRunningMs)}`})
        return report
      }
      if (job.state === 'FINISHED') {
        emit({level: 'info', message: `job ${jobId} FINISHED after ${secs(Date.now() - t0)}`})
        return report
      }
      if (TERMINAL.has(job.state)) {
        const ex = await latestException(rest, jobId)
        throw new OutcomeError(`job ${jobId} (${job.name}) ${job.state}${ex ? `: ${ex.summary}` : ''}`, {
          code: job.state === 'CANCELED' ? 'JOB_CANCELED' : 'JOB_FAILED', exit: ExitCode.Failed, result: report, details: ex,
          hint: job.state === 'CANCELED' ? 'someone canceled it while it started' : 'the TaskManager and JobManager logs have the whole trace (`flinkctl logs`)',
        })
      }
      if ((job.state === 'RESTARTING' || job.state === 'FAILING') && !restartingTold) {
        restartingTold = true
        const ex = await latestException(rest, jobId)
        emit({level: 'warn', message: `job ${jobId} is ${job.state}${ex ? `: ${ex.summary}` : ''}`})
      }
    }
    if (Date.now() >= deadline) {
      const ex = await latestException(rest, jobId)
      const seen = report.state ? `${report.state}, ${report.tasks?.running ?? 0}/${report.tasks?.total ?? 0} tasks running` : 'not listed by the JobManager'
      throw new OutcomeError(`job ${jobId} not running after ${secs(timeoutMs)} (${seen})${ex ? `; latest exception: ${ex.summary}` : ''}`, {
        code: 'JOB_NOT_RUNNING', exit: ExitCode.Timeout, result: report, details: ex,
        hint: `the job stays submitted: too few free slots? see \`flinkctl status\`; raise --timeout, or cancel it with \`flinkctl job cancel ${jobId}\``,
      })
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
  }
}

export interface JobEntry {
  id: string
  name: string
  state: string
  /** Epoch milliseconds. */
  startTime?: number
  endTime?: number
  durationMs?: number
  tasks: TaskCounts
}

export interface ListReport {
  restUrl: string
  leader?: string
  jobs: JobEntry[]
}

/** The jobs the leading JobManager knows (running and recently ended), newest first. */
export async function listJobs(session: Session, opts: {timeoutMs?: number; rest?: RestTarget} = {}, emit: Emit = session.emit): Promise<ListReport> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  const target = opts.rest ?? await locateRest(session, deadline, emit)
  const rest = new RestClient(target.url)
  const jobs = await retryElection('list', deadline, emit, () => rest.jobsOverview())
  const entries = jobs.map((j): JobEntry => ({
    id: j.jid,
    name: j.name,
    state: j.state,
    startTime: j['start-time'] !== undefined && j['start-time'] > 0 ? j['start-time'] : undefined,
    endTime: j['end-time'] !== undefined && j['end-time'] > 0 ? j['end-time'] : undefined,
    durationMs: j.duration,
    tasks: taskCounts(j),
  }))
  entries.sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0))
  return {restUrl: target.url, leader: target.leader, jobs: entries}
}

export interface CancelReport {
  jobId: string
  name: string
  restUrl: string
  /** The state before the cancel. */
  previousState: string
  /** The last state seen. */
  state: string
  /** The job had ended already: nothing was sent. */
  alreadyEnded: boolean
  waited: boolean
  /** From the cancel request until the job was seen ended. */
  endedMs?: number
}

/**
 * PATCH /jobs/<id>?mode=cancel, then (unless wait is false) waits until the job ended. A job that
 * ended already is reported, not an error. Errors: a malformed id (exit 2, nothing sent), an id the
 * JobManager does not know (6), still not ended at the deadline (5).
 */
export async function cancelJob(session: Session, id: string, opts: {wait?: boolean; timeoutMs?: number; rest?: RestTarget} = {}, emit: Emit = session.emit): Promise<CancelReport> {
  const jobId = checkJobId(id)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  const target = opts.rest ?? await locateRest(session, deadline, emit)
  const rest = new RestClient(target.url)
  const notFound = () => new FlinkctlError(`the JobManager at ${target.url} knows no job ${jobId}`, {
    code: 'JOB_NOT_FOUND', exit: ExitCode.Failed, hint: 'see `flinkctl job list`; ended jobs are forgotten after jobstore.expiration-time (1 h)',
  })
  const job = await retryElection('cancel', deadline, emit, () => findJob(rest, jobId))
  if (!job) throw notFound()
  const report: CancelReport = {jobId, name: job.name, restUrl: target.url, previousState: job.state, state: job.state, alreadyEnded: false, waited: false}
  if (TERMINAL.has(job.state)) {
    emit({level: 'warn', message: `job ${jobId} (${job.name}) already ended ${job.state}; nothing to cancel`})
    report.alreadyEnded = true
    return report
  }
  const t0 = Date.now()
  try {
    await retryElection('cancel', deadline, emit, () => rest.cancelJob(jobId))
  } catch (err) {
    if (err instanceof RestError && err.status === 404) throw notFound()
    throw err
  }
  emit({level: 'info', message: `cancel of job ${jobId} (${job.name}) accepted`})
  if (opts.wait === false) return report
  report.waited = true
  for (;;) {
    let now: JobOverview | undefined
    try {
      now = await findJob(rest, jobId)
    } catch (err) {
      if (!(err instanceof RestError && (err.leaderElection || err.code === 'REST_TIMEOUT'))) throw err
    }
    if (now) report.state = now.state
    if (now && TERMINAL.has(now.state)) {
      report.endedMs = Date.now() - t0
      if (now.state !== 'CANCELED') emit({level: 'warn', message: `job ${jobId} ended ${now.state}, not CANCELED`})
      return report
    }
    if (Date.now() >= deadline) {
      throw new OutcomeError(`job ${jobId} not ended ${secs(timeoutMs)} after the cancel (${report.state})`, {
        code: 'JOB_NOT_CANCELED', exit: ExitCode.Timeout, result: report,
        hint: 'a task that ignores interruption keeps it CANCELLING; see the TaskManager logs (`flinkctl logs --daemon taskmanager`), or raise --timeout',
      })
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
  }
}
