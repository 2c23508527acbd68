import {spawn} from 'node:child_process'
import {constants} from 'node:os'
import {ExitCode} from '../errors.ts'
import {DAEMON_MAIN_CLASSES, type LaunchPlan} from '../launch/plan.ts'
import {assertOk, HostError, type ExecResult, type Host} from '../remote/host.ts'
import {LocalHost} from '../remote/local.ts'
import {statusScript} from './process-scripts.ts'
import {forgetScript, foregroundScript, startScript, stopScript, type ScriptPlan} from './scripts.ts'
import type {
  DaemonStatus, DroppedEntry, ForegroundOptions, PidEntryStatus, StartedInstance, StartOptions, StartResult,
  StatusSpec, StopOutcome, StopRequest, StopResult,
} from './types.ts'

const DEFAULT_VERIFY_MS = 700
const DEFAULT_LOCK_WAIT_MS = 30_000
const DEFAULT_GRACE_MS = 10_000
const DEFAULT_KILL_WAIT_MS = 5_000
/** Room for process start-up, file writes and the round trip on top of the waits a script does. */
const SLACK_MS = 60_000

export function mainClassOf(daemon: string, mainClass?: string): string {
  if (mainClass) return mainClass
  const known = (DAEMON_MAIN_CLASSES as Record<string, string>)[daemon]
  if (!known) throw new Error(`no main class known for daemon '${daemon}'`)
  return known
}

/** The pid file and class `stop` needs for the daemons a plan starts. */
export function stopRequestFor(plan: LaunchPlan, extra: Omit<StopRequest, 'daemon' | 'pidFile' | 'mainClass'> = {}): StopRequest {
  return {daemon: plan.daemon, pidFile: plan.paths.pidFile, mainClass: plan.mainClass, ...extra}
}

export function statusSpecFor(plan: LaunchPlan): StatusSpec {
  return {daemon: plan.daemon, pidFile: plan.paths.pidFile, mainClass: plan.mainClass}
}

/**
 * What makes a running process this plan's rather than a sibling's on the same host: a
 * JobManager's web UI port, a ZooKeeper peer's id. TaskManagers are interchangeable.
 */
export function identityTokens(plan: LaunchPlan): string[] {
  const at = plan.argv.lastIndexOf(plan.mainClass)
  const args = at < 0 ? [] : plan.argv.slice(at + 1)
  const tokens: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = args[i + 1]
    if (plan.daemon === 'zookeeper') {
      if (a === '--peerId' && next !== undefined) tokens.push(`${a} ${next}`)
    } else if (plan.daemon === 'standalonesession' || plan.daemon === 'standalonejob') {
      if (a === '--webui-port' && next !== undefined) tokens.push(`${a} ${next}`)
      else if (a === '-D' && next?.startsWith('rest.port=')) tokens.push(`${a} ${next}`)
      else if (a.startsWith('-Drest.port=')) tokens.push(a)
    }
  }
  return tokens
}

interface Layout {
  daemon: string
  pidFile: string
  mainClass: string
  logDir: string
  head: string
}

/** The naming flink-daemon.sh uses: `<logDir>/flink-<ident>-<daemon>-<n>-<host>.{log,out}`. */
function layoutOf(plan: LaunchPlan): Layout & {prefix: string} {
  if (plan.daemon === 'yarn-session') throw new Error('a yarn-session client is not a daemon')
  const head = `${plan.paths.logDir}/flink-${plan.ident}-${plan.daemon}-`
  const prefix = plan.paths.logFile.replace(/\.log$/, '')
  if (prefix !== `${head}${plan.index}-${plan.hostname}`) {
    throw new Error(`log file ${plan.paths.logFile} does not follow ${head}<n>-<host>.log`)
  }
  return {daemon: plan.daemon, pidFile: plan.paths.pidFile, mainClass: plan.mainClass, logDir: plan.paths.logDir, head, prefix}
}

function scriptPlan(plan: LaunchPlan, prefix: string): ScriptPlan {
  return {argv: plan.argv, prefix, env: plan.env, files: plan.files, tokens: identityTokens(plan)}
}

const fields = (line: string) => line.split('\t')
const rest = (f: string[], from: number) => f.slice(from).join('\t')
const toPid = (raw: string): number | undefined => (/^[1-9]\d*$/.test(raw) ? Number(raw) : undefined)

/** Turns the script's own error records into HostErrors; any other failure via assertOk. */
function checkRun(host: Host, what: string, r: ExecResult): void {
  for (const line of r.stdout.split('\n')) {
    const f = fields(line)
    if (f[0] !== 'error') continue
    const message = `${what} on ${host.name}: ${rest(f, 2)}`
    if (f[1] === 'lock') {
      throw new HostError(host.name, message, {
        code: 'DAEMON_LOCK', exit: ExitCode.Timeout,
        hint: 'another flinkctl or Flink script is starting or stopping daemons there; retry once it is done',
      })
    }
    throw new HostError(host.name, message, {code: 'DAEMON_FILES', hint: 'check env.pid.dir / env.log.dir and their permissions on that host'})
  }
  assertOk(host, what, r)
}

function parseDropped(f: string[]): DroppedEntry {
  const raw = rest(f, 3)
  return {line: Number(f[1]), state: f[2] as DroppedEntry['state'], pid: toPid(raw), raw}
}

/**
 * Starts the plans' daemons on one host: all plans are for the same daemon type there (two
 * TaskManagers for a host listed twice in workers, JobManagers with distinct web UI ports,
 * ZooKeeper peers with distinct ids). Plans already satisfied by a running instance start
 * nothing. The instance index and host name of the log files are decided on the host, under the
 * lock: the lowest index no running instance logs to — unlike Flink, whose index counts dead
 * pid-file lines too and drifts to -1-, -2-, … after crashes.
 *
 * Log rotation is left to log4j as Flink ≥ 1.12 does: the shipped log4j.properties rolls the
 * .log on start-up keeping MAX_LOG_FILE_NUMBER files (exported by the plan); the .out file is
 * truncated on every start.
 *
 * Throws HostError only when the script could not run; dead instances come back with ok=false.
 */
export async function startDaemons(host: Host, plans: readonly LaunchPlan[], opts: StartOptions = {}): Promise<StartResult> {
  const started = performance.now()
  if (plans.length === 0) throw new Error('startDaemons needs at least one plan')
  const layouts = plans.map(layoutOf)
  const first = layouts[0]!
  for (const l of layouts) {
    if (l.pidFile !== first.pidFile || l.head !== first.head || l.mainClass !== first.mainClass) {
      throw new Error(`startDaemons: plans for different daemons or pid files (${first.pidFile}, ${l.pidFile})`)
    }
  }
  const verifyMs = opts.verifyMs ?? DEFAULT_VERIFY_MS
  const lockWaitMs = opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
  const script = startScript({
    pidFile: first.pidFile, mainClass: first.mainClass, lockWaitMs, logDir: first.logDir, head: first.head, verifyMs,
    plans: plans.map((p, i) => scriptPlan(p, layouts[i]!.prefix)),
  })
  const r = await host.sh(script, [], {timeoutMs: lockWaitMs + verifyMs + SLACK_MS, signal: opts.signal})
  checkRun(host, `starting ${first.daemon}`, r)

  let hostname = ''
  const dropped: DroppedEntry[] = []
  const instances = new Array<StartedInstance | undefined>(plans.length)
  const tails = new Map<number, string[]>()
  for (const line of r.stdout.split('\n')) {
    const f = fields(line)
    switch (f[0]) {
      case 'host':
        hostname = rest(f, 1)
        break
      case 'drop':
        dropped.push(parseDropped(f))
        break
      case 'already': {
        const i = Number(f[1])
        instances[i] = {status: 'already-running', ok: true, plan: plans[i]!, pid: Number(f[2]), line: Number(f[3])}
        break
      }
      case 'started': {
        const i = Number(f[1])
        const index = Number(f[3])
        const prefix = `${first.head}${index}-${hostname}`
        const alive = f[4] === 'alive'
        instances[i] = {status: 'started', ok: alive, plan: plans[i]!, pid: Number(f[2]), index, hostname, logFile: `${prefix}.log`, outFile: `${prefix}.out`, alive}
        break
      }
      case 'out': {
        const i = Number(f[1])
        tails.set(i, [...(tails.get(i) ?? []), rest(f, 2)])
        break
      }
      default: // login-shell noise
    }
  }
  const missing = instances.findIndex((x) => x === undefined)
  if (missing >= 0 || instances.length !== plans.length) {
    throw new HostError(host.name, `starting ${first.daemon} on ${host.name}: no result for plan ${missing} (output: ${r.stdout.slice(-300)})`, {code: 'DAEMON_PROTOCOL'})
  }
  for (const [i, lines] of tails) {
    const inst = instances[i]
    if (inst?.status === 'started') inst.outTail = lines.join('\n')
  }
  const all = instances as StartedInstance[]
  return {
    host: host.name, daemon: first.daemon, pidFile: first.pidFile, hostname, instances: all,
    alreadyRunning: all.every((x) => x.status === 'already-running'), dropped, ok: all.every((x) => x.ok),
    durationMs: Math.round(performance.now() - started),
  }
}

/**
 * Stops the newest running instance (Flink's `stop`) or all of them (`stop-all`; stop-cluster
 * wants this). Each target gets SIGTERM at the same time, SIGKILL after graceMs, and its pid
 * line is removed only once the process is gone. A pid whose process has another command line
 * is never signalled.
 */
export async function stopDaemons(host: Host, req: StopRequest): Promise<StopResult> {
  const started = performance.now()
  const graceMs = req.graceMs ?? DEFAULT_GRACE_MS
  const killWaitMs = req.killWaitMs ?? DEFAULT_KILL_WAIT_MS
  const lockWaitMs = req.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
  const script = stopScript({pidFile: req.pidFile, mainClass: mainClassOf(req.daemon, req.mainClass), lockWaitMs, all: req.all ?? false, graceMs, killWaitMs})
  const r = await host.sh(script, [], {timeoutMs: 2 * lockWaitMs + graceMs + killWaitMs + SLACK_MS, signal: req.signal})
  checkRun(host, `stopping ${req.daemon}`, r)
  const outcomes: StopOutcome[] = []
  for (const line of r.stdout.split('\n')) {
    const f = fields(line)
    switch (f[0]) {
      case 'drop':
        outcomes.push({result: 'dropped', ok: true, ...parseDropped(f)})
        break
      case 'gone':
        outcomes.push({result: 'dropped', ok: true, state: 'stale', line: Number(f[2]), pid: Number(f[1]), raw: f[1]!})
        break
      case 'stopped':
        outcomes.push({result: 'stopped', ok: true, pid: Number(f[1]), line: Number(f[2]), signal: f[3] === 'KILL' ? 'KILL' : 'TERM', waitedMs: Number(f[4])})
        break
      case 'failed':
        outcomes.push({result: 'failed', ok: false, pid: Number(f[1]), line: Number(f[2]), reason: rest(f, 3)})
        break
      default:
    }
  }
  const stopped = outcomes.filter((o) => o.result === 'stopped').length
  return {
    host: host.name, daemon: req.daemon, pidFile: req.pidFile, outcomes, stopped,
    nothingToStop: !outcomes.some((o) => o.result !== 'dropped'), ok: outcomes.every((o) => o.ok),
    durationMs: Math.round(performance.now() - started),
  }
}

/** `[[dd-]hh:]mm:ss` (ps etime) or plain seconds. */
export function parseUptime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text)
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text)
  if (!m) return undefined
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4])
}

/** Every pid-file entry of every spec, plus unrecorded processes, in one round trip. */
export async function daemonStatus(host: Host, specs: readonly StatusSpec[], opts: {signal?: AbortSignal} = {}): Promise<DaemonStatus[]> {
  const out: DaemonStatus[] = specs.map((s) => ({daemon: s.daemon, pidFile: s.pidFile, mainClass: mainClassOf(s.daemon, s.mainClass), entries: [], unrecorded: [], running: 0}))
  if (specs.length === 0) return out
  const r = await host.sh(statusScript(out), [], {signal: opts.signal})
  checkRun(host, 'daemon status', r)
  for (const line of r.stdout.split('\n')) {
    const f = fields(line)
    const s = out[Number(f[1])]
    if (!s) continue
    if (f[0] === 'entry') {
      const raw = rest(f, 6)
      const entry: PidEntryStatus = {line: Number(f[2]), pid: toPid(raw), raw, state: f[3] as PidEntryStatus['state']}
      const up = parseUptime(f[4] ?? '')
      if (up !== undefined) entry.uptimeSeconds = up
      if (f[5]) entry.logFile = f[5]
      s.entries.push(entry)
      if (entry.state === 'running') s.running++
    } else if (f[0] === 'unrecorded') {
      const u: DaemonStatus['unrecorded'][number] = {pid: Number(f[2])}
      const up = parseUptime(f[3] ?? '')
      if (up !== undefined) u.uptimeSeconds = up
      if (f[4]) u.logFile = f[4]
      s.unrecorded.push(u)
    }
  }
  return out
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * start-foreground on this machine, for containers and supervisors: the pid goes into the pid
 * file (so `stop` finds it), then java is exec'd with the terminal's stdio (the plan should be
 * built with foreground: true, i.e. log4j-console.properties). SIGINT/SIGTERM/SIGHUP sent to
 * flinkctl are passed on. Resolves with the JVM's exit code (128+n for signal n). Its pid line
 * is removed afterwards, which Flink's flink-console.sh never does.
 */
export async function runForeground(plan: LaunchPlan, opts: ForegroundOptions = {}): Promise<number> {
  const layout = layoutOf(plan)
  const lockWaitMs = opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
  const script = foregroundScript({pidFile: layout.pidFile, mainClass: layout.mainClass, lockWaitMs, logDir: layout.logDir, head: layout.head, plan: scriptPlan(plan, layout.prefix)})
  const child = spawn('/bin/sh', ['-c', script, 'sh', layout.mainClass], {stdio: 'inherit'})
  const forward = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig)
    } catch { /* already gone */ }
  }
  for (const sig of FORWARDED) process.on(sig, forward)
  let code: number
  try {
    code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => { if (child.pid !== undefined) opts.onSpawn?.(child.pid) })
      child.once('exit', (c, signal) => resolve(c ?? 128 + (signal ? constants.signals[signal] : 0)))
    })
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward)
  }
  if (child.pid !== undefined) {
    const local = new LocalHost()
    const r = await local.sh(forgetScript({pidFile: layout.pidFile, mainClass: layout.mainClass, lockWaitMs, pids: [child.pid]}), [], {timeoutMs: lockWaitMs + SLACK_MS})
    checkRun(local, `removing pid ${child.pid} from ${layout.pidFile}`, r)
  }
  return code
}
