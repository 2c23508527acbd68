// Flink sessions on YARN: started through Flink's own client (FlinkYarnSessionCli, as
// yarn-session.sh runs it), tagged so they are found by tag rather than by name, and stopped
// through Flink (DELETE /cluster) before YARN is asked to kill anything.
import {createWriteStream, mkdirSync} from 'node:fs'
import {hostname, userInfo} from 'node:os'
import {dirname} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {refuseInvalid} from '../cluster/guard.ts'
import type {Emit} from '../cluster/events.ts'
import {getValue, isZooKeeperHa} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ConfigError, ExitCode, UsageError} from '../errors.ts'
import {planYarnSession, type LaunchPlan} from '../launch/plan.ts'
import {RestClient, type ClusterOverview} from '../rest/client.ts'
import {findHadoop, findHadoopConf, resourceManagerUrl, type HadoopConfDir, type HadoopSetup} from './hadoop.ts'
import {ACTIVE_STATES, ENDED_STATES, normalizeTag, ResourceManager, tagsOf, YarnError, type YarnApp, type YarnAppAttempt} from './rm.ts'

/** Every session flinkctl starts carries this tag, and one naming it. */
export const FLINKCTL_TAG = 'flinkctl'
const SESSION_TAG_PREFIX = 'flinkctl-session:'
const HA_TAG_PREFIX = 'flinkctl-ha:'
export const DEFAULT_SESSION_NAME = 'flinkctl-session'

const APP_ID = /\bapplication_\d+_\d+\b/

/** The tag naming a session; YARN keeps tags lower-case, ASCII, at most 100 characters, and Flink splits yarn.tags at commas. */
export function sessionTag(name: string): string {
  const tag = normalizeTag(`${SESSION_TAG_PREFIX}${name}`)
  // eslint-disable-next-line no-control-regex
  if (!/^[\x20-\x7e]+$/.test(tag) || tag.includes(',') || tag.length > 100) {
    throw new UsageError(`session name '${name}' cannot be a YARN tag`, 'use ASCII letters, digits, - _ . : only, no commas, at most 83 characters')
  }
  return tag
}

/** The session name a flinkctl-started application carries in its tags, if any. */
export function sessionNameOf(app: Pick<YarnApp, 'applicationTags'>): string | undefined {
  return tagsOf(app).find((t) => t.startsWith(SESSION_TAG_PREFIX))?.slice(SESSION_TAG_PREFIX.length)
}

export interface YarnContext {
  rm: ResourceManager
  hadoop: HadoopConfDir
}

/** The ResourceManager the Hadoop configuration names (no Hadoop classes needed); exit 3 when there is none. */
export async function yarnContext(conf: ClusterConf | undefined, env: Readonly<Record<string, string | undefined>>, rmUrl?: string, found?: HadoopConfDir): Promise<YarnContext> {
  const hadoop = found ?? findHadoopConf(conf, env)
  const url = rmUrl ?? resourceManagerUrl(hadoop.yarnSite)
  if (!url) {
    throw new YarnError(`no ResourceManager address: ${hadoop.confDir ? `${hadoop.confDir}/yarn-site.xml has no yarn.resourcemanager.webapp.address or hostname` : 'HADOOP_CONF_DIR is not set'}`,
      'YARN_RM_UNKNOWN', 'export HADOOP_CONF_DIR=/etc/hadoop/conf (the folder with yarn-site.xml), or pass --rm-url http://rm:8088', ExitCode.ConfigInvalid)
  }
  return {rm: new ResourceManager(url), hadoop}
}

export interface StartOptions {
  name: string
  detached: boolean
  jobManagerMemory?: string
  taskManagerMemory?: string
  slots?: number
  queue?: string
  /** -D key=value as given: already in conf's entries, and passed on to Flink's client. */
  dynamic: readonly string[]
  /** How long to wait for the session to serve (detached). */
  timeoutMs: number
  env: Readonly<Record<string, string | undefined>>
  rmUrl?: string
  user?: string
  /** Attached: the client's stdout goes to stderr (stdout carries --json). */
  clientStdoutToStderr?: boolean
}

export interface SessionView {
  appId: string
  name?: string
  state: string
  finalStatus?: string
  queue?: string
  user?: string
  tags: string[]
  startedTime?: number
  finishedTime?: number
  /** The JobManager's REST address, when the session serves. */
  restUrl?: string
  /** The ResourceManager's proxy for the web UI. */
  trackingUrl?: string
  attempts?: number
  runningContainers?: number
  diagnostics?: string
}

export interface StartReport extends SessionView {
  detached: boolean
  rmUrl: string
  hadoopClasspathFrom: HadoopSetup['classpathFrom']
  logFile: string
  /** The Flink client's exit code (attached: when the session ended). */
  clientExit: number
  overview?: Pick<ClusterOverview, 'taskmanagers' | 'slots-total' | 'slots-available' | 'jobs-running' | 'flink-version'>
  elapsedMs: number
}

export function viewOf(app: YarnApp, extra: Partial<SessionView> = {}): SessionView {
  return {
    appId: app.id, name: sessionNameOf(app) ?? app.name, state: app.state,
    ...(app.finalStatus ? {finalStatus: app.finalStatus} : {}), ...(app.queue ? {queue: app.queue} : {}), ...(app.user ? {user: app.user} : {}),
    tags: tagsOf(app),
    ...(app.startedTime ? {startedTime: app.startedTime} : {}), ...(app.finishedTime ? {finishedTime: app.finishedTime} : {}),
    ...(app.trackingUrl ? {trackingUrl: app.trackingUrl} : {}),
    ...(app.runningContainers !== undefined ? {runningContainers: Math.max(0, app.runningContainers)} : {}),
    ...(app.diagnostics ? {diagnostics: app.diagnostics} : {}),
    ...extra,
  }
}

/** The FlinkYarnSessionCli arguments for the options, with flinkctl's tags merged into yarn.tags. */
export function clientArgs(conf: ClusterConf, opts: Pick<StartOptions, 'name' | 'detached' | 'jobManagerMemory' | 'taskManagerMemory' | 'slots' | 'queue' | 'dynamic'>, attachTo?: string): string[] {
  if (attachTo) return ['-id', attachTo]
  const tags = [FLINKCTL_TAG, sessionTag(opts.name)]
  const ha = haTag(conf)
  if (ha) tags.push(ha)
  const own = getValue(conf, 'yarn.tags')?.value.split(',').map((t) => t.trim()).filter(Boolean) ?? []
  const args: string[] = []
  if (opts.detached) args.push('-d')
  if (opts.jobManagerMemory) args.push('-jm', opts.jobManagerMemory)
  if (opts.taskManagerMemory) args.push('-tm', opts.taskManagerMemory)
  if (opts.slots !== undefined) args.push('-s', String(opts.slots))
  args.push('-nm', opts.name)
  if (opts.queue) args.push('-qu', opts.queue)
  for (const d of opts.dynamic) if (!d.startsWith('yarn.tags=')) args.push('-D', d)
  args.push('-D', `yarn.tags=${[...new Set([...own.map(normalizeTag), ...tags])].join(',')}`)
  return args
}

/** The tag of a hand-set HA cluster-id, so a second session sharing it is refused. */
function haTag(conf: ClusterConf): string | undefined {
  const id = getValue(conf, 'high-availability.cluster-id')?.value.trim()
  return id && isZooKeeperHa(conf) ? normalizeTag(`${HA_TAG_PREFIX}${id}`) : undefined
}

/** -jm/-tm/-s/-qu as the configuration keys FlinkYarnSessionCli turns them into, so the validator sees them. */
export function optionsAsDynamic(opts: Pick<StartOptions, 'jobManagerMemory' | 'taskManagerMemory' | 'slots' | 'queue'>): string[] {
  const out: string[] = []
  // a bare number is megabytes to Flink's CLI
  const mb = (v: string) => (/^\d+$/.test(v.trim()) ? `${v.trim()}m` : v)
  if (opts.jobManagerMemory) out.push(`jobmanager.memory.process.size=${mb(opts.jobManagerMemory)}`)
  if (opts.taskManagerMemory) out.push(`taskmanager.memory.process.size=${mb(opts.taskManagerMemory)}`)
  if (opts.slots !== undefined) out.push(`taskmanager.numberOfTaskSlots=${opts.slots}`)
  if (opts.queue) out.push(`yarn.application.queue=${opts.queue}`)
  return out
}

export interface ClientOutput {
  appId?: string
  /** "Found Web Interface host:port of application …". */
  webInterface?: string
  /** The first line that says why the client failed. */
  error?: string
}

/** What Flink's YARN client says it did, from its console output (log lines and System.out alike). */
export function parseClientOutput(text: string): ClientOutput {
  const out: ClientOutput = {}
  // a System.out line, whatever the log level: "JobManager Web Interface: http://host:port"
  const web = /^JobManager Web Interface: (\S+)$/m.exec(text)?.[1] ?? /Found Web Interface (\S+) of application/.exec(text)?.[1]
  if (web) out.webInterface = web
  out.appId = /^\$ yarn application -kill (application_\d+_\d+)$/m.exec(text)?.[1] ?? /Submitted application (application_\d+_\d+)/.exec(text)?.[1] ?? APP_ID.exec(text)?.[0]
  const err = text.split('\n').find((l) => /\b(ERROR|Exception|Error:)\b/.test(l) && !/^\s+at /.test(l))
  if (err) out.error = err.trim()
  return out
}

/**
 * The JobManager's REST address of a running session. Flink registers its REST port as the
 * ApplicationMaster's RPC port, so amRPCAddress is the JobManager's REST endpoint; the RM's proxy
 * (the tracking URL) forwards GETs only (it answers 405 to DELETE), so it is the fallback for reads.
 */
export async function sessionRestUrl(app: YarnApp, hint?: string): Promise<{url: string; proxied: boolean} | undefined> {
  if (app.state !== 'RUNNING') return undefined
  const direct = typeof app.amRPCAddress === 'string' && /:[1-9]\d*$/.test(app.amRPCAddress) ? `http://${app.amRPCAddress}` : hint ? (hint.startsWith('http') ? hint : `http://${hint}`) : undefined
  if (direct) {
    try {
      await new RestClient(direct, {timeoutMs: 2000}).config()
      return {url: direct, proxied: false}
    } catch { /* not reachable from here: the proxy */ }
  }
  return app.trackingUrl ? {url: app.trackingUrl.replace(/\/+$/, ''), proxied: true} : undefined
}

async function overviewOf(url: string | undefined): Promise<StartReport['overview'] | undefined> {
  if (!url) return undefined
  try {
    const o = await new RestClient(url, {timeoutMs: 3000}).overview()
    return {taskmanagers: o.taskmanagers, 'slots-total': o['slots-total'], 'slots-available': o['slots-available'], 'jobs-running': o['jobs-running'], ...(o['flink-version'] ? {'flink-version': o['flink-version']} : {})}
  } catch {
    return undefined
  }
}

/**
 * Starts a session (detached: returns once its JobManager answers; attached: runs Flink's client
 * in the foreground until it ends). Refuses before submitting anything when the configuration
 * breaks a YARN rule, Hadoop is missing, or a session of the same name (or HA cluster-id) runs.
 */
export async function startYarnSession(conf: ClusterConf, opts: StartOptions, emit: Emit, attachTo?: string): Promise<StartReport> {
  const started = Date.now()
  if (!attachTo) refuseInvalid(conf, 'yarn')
  const hadoop: HadoopSetup = await findHadoop(conf, opts.env)
  const {rm} = await yarnContext(conf, opts.env, opts.rmUrl, hadoop)
  await rm.info()
  let appId: string | undefined
  if (attachTo) {
    const target = await resolveSession(rm, attachTo)
    if (!ACTIVE_STATES.includes(target.state as never)) throw new YarnError(`${target.id} has ended (${target.state}): nothing to attach to`, 'YARN_SESSION_NOT_RUNNING', 'list the running sessions: flinkctl yarn-session list')
    appId = target.id
  } else {
    const clash = await rm.apps({tags: [sessionTag(opts.name)], states: ACTIVE_STATES})
    if (clash.length > 0) {
      throw new YarnError(`a session named '${opts.name}' runs already: ${clash.map((a) => `${a.id} (${a.state})`).join(', ')}`, 'YARN_SESSION_EXISTS',
        `stop it first (flinkctl yarn-session stop ${opts.name}) or name this one differently with -nm`)
    }
    const ha = haTag(conf)
    if (ha) {
      const id = ha.slice(HA_TAG_PREFIX.length)
      const shared = await rm.apps({tags: [ha], states: ACTIVE_STATES})
      if (shared.length > 0) {
        throw new YarnError(`high-availability.cluster-id '${id}' is in use by ${shared.map((a) => a.id).join(', ')}: two sessions would share one ZooKeeper path`, 'YARN_CLUSTER_ID_IN_USE',
          'remove high-availability.cluster-id so YARN uses the application id, or give this session its own')
      }
    }
  }
  const plan: LaunchPlan = planYarnSession(conf, {
    // the client runs here: its log is named after this user and host, as yarn-session.sh names it
    host: 'localhost', hostname: opts.env.HOSTNAME || hostname(), user: opts.user ?? (opts.env.USER || userInfo().username),
    env: {...opts.env, HADOOP_CLASSPATH: hadoop.classpath},
    args: clientArgs(conf, opts, appId),
  })
  try {
    mkdirSync(dirname(plan.paths.logFile), {recursive: true})
  } catch (err) {
    throw new ConfigError(`cannot create the log folder of the client: ${(err as Error).message}`, {code: 'LOG_DIR_UNWRITABLE', hint: 'set env.log.dir (or FLINK_LOG_DIR) to a folder this user can write'})
  }
  emit({level: 'info', message: `submitting ${attachTo ? `an attached client to ${appId}` : `session '${opts.name}'`} to ${rm.url} (Hadoop from ${hadoop.classpathFrom}); client log ${plan.paths.logFile}`})

  const detached = opts.detached && !attachTo
  const child = execa(plan.argv[0]!, plan.argv.slice(1), {
    env: plan.env, extendEnv: true, reject: false, all: detached, buffer: false,
    stdin: detached ? 'ignore' : 'inherit', stdout: detached ? 'pipe' : opts.clientStdoutToStderr ? process.stderr : 'inherit', stderr: detached ? 'pipe' : 'inherit',
    ...(detached ? {timeout: opts.timeoutMs} : {}), forceKillAfterDelay: 5000,
  })
  let output = ''
  if (detached) {
    const log = createWriteStream(plan.paths.logFile, {flags: 'a'})
    let logProblem: string | undefined
    log.on('error', (err) => { logProblem = err.message })
    child.all?.on('data', (b: Buffer) => { output += b.toString(); if (!logProblem) log.write(b) })
    const r = await child
    log.end()
    if (logProblem) emit({level: 'warn', message: `the client's log ${plan.paths.logFile} could not be written: ${logProblem}`})
    const said = parseClientOutput(output)
    appId ??= said.appId
    if (r.exitCode !== 0 || r.timedOut) {
      const app = appId ? await rm.app(appId).catch(() => undefined) : undefined
      throw new YarnError(`Flink's YARN client ${r.timedOut ? `did not finish within ${Math.round(opts.timeoutMs / 1000)} s` : `failed (${r.exitCode !== undefined ? `exit ${r.exitCode}` : r.shortMessage})`}${said.error ? `: ${said.error}` : ''}${app ? `; ${app.id} is ${app.state}${app.diagnostics ? ` (${app.diagnostics.split('\n')[0]})` : ''}` : ''}`,
        'YARN_SUBMIT_FAILED', `the client's output is in ${plan.paths.logFile}${app && ACTIVE_STATES.includes(app.state as never) ? `; ${app.id} may still be starting: flinkctl yarn-session stop ${app.id}` : ''}`,
        r.timedOut ? ExitCode.Timeout : ExitCode.Failed)
    }
    if (!appId) {
      const mine = await rm.apps({tags: [sessionTag(opts.name)], states: ACTIVE_STATES})
      appId = mine[0]?.id
    }
    if (!appId) throw new YarnError('Flink\'s YARN client finished but named no application, and none carries the session tag', 'YARN_SUBMIT_FAILED', `see ${plan.paths.logFile}`)
    emit({level: 'info', message: `${appId} submitted; waiting for its JobManager`})
    const ready = await waitServing(rm, appId, started + opts.timeoutMs, said.webInterface)
    return {
      ...ready.view, detached: true, rmUrl: rm.url, hadoopClasspathFrom: hadoop.classpathFrom, logFile: plan.paths.logFile,
      clientExit: 0, ...(ready.overview ? {overview: ready.overview} : {}), elapsedMs: Date.now() - started,
    }
  }
  const r = await child
  // an attached start names its application only on the terminal: find it by its tag
  appId ??= (await rm.apps({tags: [sessionTag(opts.name)]}).catch(() => [])).sort((a, b) => (b.startedTime ?? 0) - (a.startedTime ?? 0))[0]?.id
  const app = appId ? await rm.app(appId).catch(() => undefined) : undefined
  if (r.exitCode !== 0) {
    throw new YarnError(`Flink's YARN client ${r.exitCode !== undefined ? `exited ${r.exitCode}` : `did not run: ${r.shortMessage}`}${app ? `; ${app.id} is ${app.state}` : ''}`, 'YARN_CLIENT_FAILED', `its output is above; its log is ${plan.paths.logFile}`)
  }
  if (!app) throw new YarnError('Flink\'s YARN client ended, and no application carries the session tag', 'YARN_SUBMIT_FAILED', `its output is above; its log is ${plan.paths.logFile}`)
  return {
    ...viewOf(app), detached: false, rmUrl: rm.url,
    hadoopClasspathFrom: hadoop.classpathFrom, logFile: plan.paths.logFile, clientExit: r.exitCode ?? 1, elapsedMs: Date.now() - started,
  }
}

/** Waits until YARN runs the application and its JobManager answers REST; a YarnError when it ends first or the deadline passes. */
export async function waitServing(rm: ResourceManager, appId: string, deadline: number, webInterface?: string): Promise<{view: SessionView; overview?: StartReport['overview']}> {
  let last: YarnApp | undefined
  for (;;) {
    last = await rm.app(appId)
    if (ENDED_STATES.includes(last.state as never)) {
      throw new YarnError(`${appId} ended ${last.state}/${last.finalStatus ?? '?'} before it served${last.diagnostics ? `: ${last.diagnostics.split('\n')[0]}` : ''}`,
        'YARN_SESSION_ENDED', `the JobManager's log is in the container logs: ${last.amContainerLogs ?? 'yarn logs -applicationId ' + appId}`)
    }
    if (last.state === 'RUNNING') {
      const url = (await sessionRestUrl(last, webInterface))?.url
      const overview = await overviewOf(url)
      if (overview) return {view: viewOf(last, {restUrl: url, attempts: (await rm.attempts(appId)).length}), overview}
    }
    if (Date.now() >= deadline) {
      throw new YarnError(`${appId} is ${last.state} but its JobManager did not answer in time`, 'YARN_SESSION_TIMEOUT',
        `raise --timeout, or look at ${last.trackingUrl ?? rm.url}`, ExitCode.Timeout)
    }
    await sleep(250)
  }
}

/** An application id as is, or the one active session carrying the name's tag. */
export async function resolveSession(rm: ResourceManager, ref: string): Promise<YarnApp> {
  if (APP_ID.test(ref) && APP_ID.exec(ref)![0] === ref) {
    try {
      return await rm.app(ref)
    } catch (err) {
      if (err instanceof YarnError && err.code === 'YARN_NOT_FOUND') throw new YarnError(`YARN knows no application ${ref}`, 'YARN_SESSION_NOT_FOUND', 'list the sessions: flinkctl yarn-session list --all')
      throw err
    }
  }
  const tag = sessionTag(ref)
  const active = await rm.apps({tags: [tag], states: ACTIVE_STATES})
  if (active.length === 1) return active[0]!
  if (active.length > 1) {
    throw new UsageError(`${active.length} active sessions are named '${ref}': ${active.map((a) => a.id).join(', ')}`, 'name one by its application id')
  }
  const ended = (await rm.apps({tags: [tag]})).sort((a, b) => (b.startedTime ?? 0) - (a.startedTime ?? 0))
  if (ended[0]) return ended[0]
  throw new YarnError(`no session named '${ref}' (tag ${tag}) is known to YARN`, 'YARN_SESSION_NOT_FOUND', 'list the sessions: flinkctl yarn-session list --all')
}

export interface ListReport {
  rmUrl: string
  sessions: SessionView[]
}

/** Sessions flinkctl started (by tag): active ones, or all YARN still remembers. */
export async function listYarnSessions(ctx: YarnContext, opts: {all?: boolean} = {}): Promise<ListReport> {
  const apps = await ctx.rm.apps({tags: [FLINKCTL_TAG], ...(opts.all ? {} : {states: ACTIVE_STATES})})
  apps.sort((a, b) => (b.startedTime ?? 0) - (a.startedTime ?? 0))
  return {rmUrl: ctx.rm.url, sessions: apps.map((a) => viewOf(a))}
}

export interface StatusReport extends SessionView {
  rmUrl: string
  attemptList: YarnAppAttempt[]
  overview?: StartReport['overview']
  jobs?: Array<{jid: string; name: string; state: string}>
  /** The HA cluster-id (the application id unless set by hand). */
  haClusterId?: string
  startedByFlinkctl: boolean
}

export async function yarnSessionStatus(ctx: YarnContext, ref: string): Promise<StatusReport> {
  const app = await resolveSession(ctx.rm, ref)
  const attempts = await ctx.rm.attempts(app.id)
  const url = (await sessionRestUrl(app))?.url
  const overview = await overviewOf(url)
  let jobs: StatusReport['jobs']
  let haClusterId: string | undefined
  if (overview && url) {
    const rest = new RestClient(url, {timeoutMs: 3000})
    jobs = (await rest.jobsOverview().catch(() => [])).map((j) => ({jid: j.jid, name: j.name, state: j.state}))
    haClusterId = (await rest.jobManagerConfig().catch(() => new Map<string, string>())).get('high-availability.cluster-id')
  }
  return {
    ...viewOf(app, {...(overview ? {restUrl: url} : {}), attempts: attempts.length}), rmUrl: ctx.rm.url, attemptList: attempts,
    ...(overview ? {overview} : {}), ...(jobs ? {jobs} : {}), ...(haClusterId ? {haClusterId} : {}), startedByFlinkctl: tagsOf(app).includes(FLINKCTL_TAG),
  }
}

export interface StopReport {
  appId: string
  name?: string
  /** rest: Flink shut the session down (DELETE /cluster); yarn-kill: YARN killed it; none: it had ended already. */
  method: 'rest' | 'yarn-kill' | 'none'
  /** Why the REST shutdown was not used or did not end it. */
  restProblem?: string
  state: string
  finalStatus?: string
  runningContainers?: number
  elapsedMs: number
}

/** Shuts a session down through Flink; kills the YARN application only when that fails or does not end it within graceMs. */
export async function stopYarnSession(ctx: YarnContext, ref: string, opts: {graceMs: number; timeoutMs: number}, emit: Emit): Promise<StopReport> {
  const started = Date.now()
  const app = await resolveSession(ctx.rm, ref)
  const base = {appId: app.id, ...(sessionNameOf(app) ? {name: sessionNameOf(app)} : {})}
  if (ENDED_STATES.includes(app.state as never)) {
    return {...base, method: 'none', state: app.state, ...(app.finalStatus ? {finalStatus: app.finalStatus} : {}), elapsedMs: Date.now() - started}
  }
  let restProblem: string | undefined
  const rest = await sessionRestUrl(app)
  if (rest && !rest.proxied) {
    let deleted = false
    try {
      emit({level: 'info', message: `${app.id}: asking Flink to shut the session down (DELETE ${rest.url}/cluster)`})
      await new RestClient(rest.url, {timeoutMs: 10_000}).request('DELETE', '/cluster')
      deleted = true
    } catch (err) {
      restProblem = `DELETE /cluster failed: ${(err as Error).message}`
    }
    if (deleted) {
      const ended = await waitEnded(ctx.rm, app.id, Date.now() + opts.graceMs)
      if (ended) return {...base, method: 'rest', state: ended.state, ...(ended.finalStatus ? {finalStatus: ended.finalStatus} : {}), runningContainers: ended.runningContainers ?? 0, elapsedMs: Date.now() - started}
      restProblem = `the session did not end within ${Math.round(opts.graceMs / 1000)} s of DELETE /cluster`
    }
  } else {
    restProblem = rest ? `the JobManager answers only through the ResourceManager's proxy, which refuses DELETE` : `the session is ${app.state}, with no JobManager to ask`
  }
  emit({level: 'warn', message: `${app.id}: ${restProblem}; asking YARN to kill it`})
  await ctx.rm.kill(app.id)
  const ended = await waitEnded(ctx.rm, app.id, Date.now() + opts.timeoutMs)
  if (!ended) throw new YarnError(`${app.id} did not end within ${Math.round(opts.timeoutMs / 1000)} s of YARN's kill`, 'YARN_STOP_TIMEOUT', `look at ${ctx.rm.url}/cluster/app/${app.id}`, ExitCode.Timeout)
  return {...base, method: 'yarn-kill', restProblem, state: ended.state, ...(ended.finalStatus ? {finalStatus: ended.finalStatus} : {}), runningContainers: ended.runningContainers ?? 0, elapsedMs: Date.now() - started}
}

/** The application once it ended and YARN released its containers (which follows the end by a heartbeat or two). */
async function waitEnded(rm: ResourceManager, appId: string, deadline: number): Promise<YarnApp | undefined> {
  let ended: YarnApp | undefined
  for (;;) {
    const app = await rm.app(appId)
    if (ENDED_STATES.includes(app.state as never)) {
      ended = app
      // YARN reports -1 once an ended application has no attempt holding containers
      if ((app.runningContainers ?? 0) <= 0) return {...app, runningContainers: 0}
    }
    // an ended application whose containers linger past the deadline is still reported, with their count
    if (Date.now() >= deadline + (ended ? 30_000 : 0)) return ended
    await sleep(500)
  }
}

/** The REST address of a running session's JobManager, for the job commands; a YarnError when it does not serve. */
export async function yarnRestTarget(ctx: YarnContext, ref: string, opts: {write: boolean}): Promise<{url: string}> {
  const app = await resolveSession(ctx.rm, ref)
  const rest = await sessionRestUrl(app)
  if (!rest) throw new YarnError(`${app.id} is ${app.state}: no JobManager serves`, 'YARN_SESSION_NOT_RUNNING', `see flinkctl yarn-session status ${app.id}`)
  if (rest.proxied && opts.write) {
    throw new YarnError(`${app.id}'s JobManager (${app.amRPCAddress ?? '?'}) does not answer from here, and the ResourceManager's proxy forwards only GETs`, 'YARN_JOBMANAGER_UNREACHABLE',
      'run this from a host that reaches the NodeManagers (the JobManager runs in a YARN container)')
  }
  return {url: rest.url}
}
