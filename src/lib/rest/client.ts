import {openAsBlob} from 'node:fs'
import {basename} from 'node:path'
import {ExitCode, FlinkctlError} from '../errors.ts'

/**
 * Codes: REST_LEADER_ELECTION (503 "ongoing leader election": no leader known yet),
 * REST_HTTP (any other non-2xx), REST_UNREACHABLE (no TCP/TLS connection), REST_TIMEOUT,
 * REST_BAD_RESPONSE (2xx whose body is not the JSON expected).
 */
export class RestError extends FlinkctlError {
  readonly url: string
  /** HTTP status; undefined when no response arrived. */
  readonly status: number | undefined
  /** Response body as text (may be long: Flink puts server stack traces in 500 answers). */
  readonly body: string | undefined
  /** Flink's `errors` array, when the body had one. */
  readonly errors: string[]
  /** 503 with Flink's "ongoing leader election" text: retry, a leader is being elected. */
  readonly leaderElection: boolean

  constructor(message: string, opts: {code: string; url: string; status?: number; body?: string; errors?: string[]; hint?: string; cause?: unknown}) {
    super(message, {code: opts.code, exit: ExitCode.Failed, hint: opts.hint, cause: opts.cause})
    this.name = 'RestError'
    this.url = opts.url
    this.status = opts.status
    this.body = opts.body
    this.errors = opts.errors ?? []
    this.leaderElection = opts.code === 'REST_LEADER_ELECTION'
  }
}

/** The body of a request (JSON or multipart form) and a deadline of its own. */
export interface RequestOptions {
  /** Sent as application/json. */
  json?: unknown
  /** Sent as multipart/form-data (the boundary is fetch's). */
  form?: FormData
  /** This request's deadline instead of the client's, e.g. for an upload. */
  timeoutMs?: number
}

export interface RestClientOptions {
  /** Per request, body included. Default 10000. */
  timeoutMs?: number
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch
}

/** GET /config: answered locally by any JobManager; the cheapest version probe. */
export interface DashboardConfig {
  'refresh-interval': number
  'timezone-name'?: string
  'timezone-offset'?: number
  'flink-version': string
  'flink-revision'?: string
  features?: Record<string, boolean>
  [key: string]: unknown
}

/** GET /overview: from the leading Dispatcher. */
export interface ClusterOverview {
  taskmanagers: number
  'slots-total': number
  'slots-available': number
  'jobs-running': number
  'jobs-finished': number
  'jobs-cancelled': number
  'jobs-failed': number
  'flink-version'?: string
  'flink-commit'?: string
  [key: string]: unknown
}

export interface TaskManagerInfo {
  id: string
  path?: string
  dataPort?: number
  slotsNumber?: number
  freeSlots?: number
  timeSinceLastHeartbeat?: number
  [key: string]: unknown
}

export interface JobOverview {
  jid: string
  name: string
  state: string
  'start-time'?: number
  'end-time'?: number
  duration?: number
  'last-modification'?: number
  tasks?: Record<string, number>
  [key: string]: unknown
}

/** GET /jobs/<id>: the parts a drill reads. */
export interface JobDetails {
  jid: string
  name: string
  state: string
  'start-time'?: number
  now?: number
  timestamps?: Record<string, number>
  vertices?: Array<{id: string; name: string; parallelism: number; status: string; tasks?: Record<string, number>}>
  'status-counts'?: Record<string, number>
  [key: string]: unknown
}

/** GET /jobs/<id>/vertices/<vid>/taskmanagers: where a vertex's subtasks run (1.x says host, 2.x endpoint). */
export interface VertexTaskManagers {
  id: string
  taskmanagers: Array<{'taskmanager-id'?: string; host?: string; endpoint?: string; status?: string; 'status-counts'?: Record<string, number>; [key: string]: unknown}>
  [key: string]: unknown
}

/** GET /jobs/<id>/checkpoints: counts and the latest completed/restored checkpoint. */
export interface CheckpointStats {
  counts?: {restored?: number; total?: number; in_progress?: number; completed?: number; failed?: number}
  latest?: {
    completed?: {id: number; latest_ack_timestamp?: number; trigger_timestamp?: number; external_path?: string} | null
    restored?: {id: number; restore_timestamp?: number; is_savepoint?: boolean; external_path?: string} | null
    [key: string]: unknown
  }
  [key: string]: unknown
}

/** GET /jobs/<id>/exceptions. Flink 2 dropped root-exception/all-exceptions; exceptionHistory is in both. */
export interface JobExceptions {
  'root-exception'?: string | null
  timestamp?: number | null
  exceptionHistory?: {
    entries: Array<{exceptionName?: string; stacktrace?: string; timestamp?: number; taskName?: string | null; endpoint?: string | null; taskManagerId?: string | null; failureLabels?: Record<string, string>; concurrentExceptions?: unknown[]}>
    truncated?: boolean
  }
  [key: string]: unknown
}

/** The body of POST /jars/<id>/run; fields left undefined are not sent (Flink's defaults apply). */
export interface JarRunOptions {
  entryClass?: string
  parallelism?: number
  /** One entry per program argument, passed to main() as is (no shell splitting). */
  programArgsList?: string[]
  savepointPath?: string
  allowNonRestoredState?: boolean
  /** The job's own configuration over the cluster's (honoured by 1.20 and 2.3; Flink ignores body fields it does not know). */
  flinkConfiguration?: Record<string, string>
}

const LEADER_ELECTION = /leader election/i

/** Default deadline of an upload or a run (the run executes the program's main() on the JobManager). */
export const SUBMIT_TIMEOUT_MS = 120_000

// wrappers Flink puts around the exception that says what happened
const WRAPPERS = /^(?:(?:java\.util\.concurrent\.(?:CompletionException|ExecutionException)|org\.apache\.flink\.runtime\.rest\.handler\.RestHandlerException|org\.apache\.flink\.util\.FlinkException|org\.apache\.flink\.runtime\.rest\.NotFoundException):\s*)+/

/**
 * The lines of a Java stack trace that say what went wrong: the top exception (wrappers such as
 * CompletionException stripped) and the innermost "Caused by", which is usually the real reason.
 */
export function exceptionSummary(stacktrace: string): {first: string; root?: string} {
  const lines = stacktrace.replace(/^<Exception on server side:\n/, '').split('\n')
  const first = (lines[0] ?? '').replace(WRAPPERS, '').trim().slice(0, 500)
  const causes = lines.filter((l) => l.startsWith('Caused by: '))
  const root = causes.at(-1)?.slice('Caused by: '.length).replace(WRAPPERS, '').trim().slice(0, 500)
  return root && !first.includes(root) ? {first, root} : {first}
}

/** One line saying why Flink refused a request: from its `errors` list, without the stack trace. */
export function restErrorSummary(err: RestError): string {
  const errors = err.errors.filter((e) => e !== 'Internal server error.')
  const text = errors[0] ?? err.body?.trim() ?? ''
  if (!text) return err.message
  const {first, root} = exceptionSummary(text)
  return root ? `${first} (caused by ${root})` : first
}

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as {cause?: unknown}).cause, depth++) {
    const code = (e as {code?: unknown}).code
    if (typeof code === 'string') return code
  }
  return undefined
}

function flinkErrors(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as {errors?: unknown}
    return Array.isArray(parsed.errors) ? parsed.errors.map(String) : []
  } catch {
    return []
  }
}

/** A small Flink REST client: GET with a deadline, every failure a RestError. */
export class RestClient {
  readonly baseUrl: string
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch

  constructor(baseUrl: string, opts: RestClientOptions = {}) {
    // A trailing slash makes relative paths keep any prefix (e.g. the YARN proxy /proxy/<app>/).
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
    this.#timeoutMs = opts.timeoutMs ?? 10_000
    this.#fetch = opts.fetch ?? fetch
  }

  /** The absolute URL of a REST path such as `/jobs/overview`. */
  url(path: string): string {
    return new URL(path.replace(/^\/+/, ''), this.baseUrl).toString()
  }

  /** One request; the JSON answer, or undefined for an empty 2xx body. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path)
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs
    const headers: Record<string, string> = {accept: 'application/json'}
    let body: string | FormData | undefined
    if (opts.form !== undefined) {
      // fetch writes the multipart content-type with its boundary
      body = opts.form
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.json)
    }
    let res: Response
    let text: string
    try {
      res = await this.#fetch(url, {method, headers, ...(body === undefined ? {} : {body}), signal: AbortSignal.timeout(timeoutMs)})
      text = await res.text()
    } catch (err) {
      const name = (err as {name?: string}).name
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new RestError(`${method} ${url}: no answer within ${timeoutMs} ms`, {
          code: 'REST_TIMEOUT', url, cause: err, hint: 'the JobManager is overloaded or a standby is still forwarding to a dead leader',
        })
      }
      const code = causeCode(err)
      throw new RestError(`${method} ${url}: cannot connect${code ? ` (${code})` : ''}`, {
        code: 'REST_UNREACHABLE', url, cause: err,
        hint: 'check that a JobManager runs there and that rest.address/rest.port are reachable',
      })
    }
    if (!res.ok) {
      const errors = flinkErrors(text)
      const election = res.status === 503 && errors.some((e) => LEADER_ELECTION.test(e))
      const first = (errors[0] ?? text.trim().split('\n')[0] ?? '').slice(0, 300)
      throw new RestError(`${method} ${url}: HTTP ${res.status}${first ? `: ${first}` : ''}`, {
        code: election ? 'REST_LEADER_ELECTION' : 'REST_HTTP', url, status: res.status, body: text, errors,
        hint: election ? 'a JobManager leader is being elected; retry in a few seconds'
          : res.status === 413 ? 'the request is larger than rest.server.max-content-length of the JobManager (default 100 MiB)' : undefined,
      })
    }
    if (text.trim() === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch (cause) {
      throw new RestError(`${method} ${url}: answer is not JSON`, {code: 'REST_BAD_RESPONSE', url, status: res.status, body: text, cause})
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }

  config(): Promise<DashboardConfig> {
    return this.get<DashboardConfig>('/config')
  }

  overview(): Promise<ClusterOverview> {
    return this.get<ClusterOverview>('/overview')
  }

  async taskManagers(): Promise<TaskManagerInfo[]> {
    const r = await this.get<{taskmanagers?: TaskManagerInfo[]}>('/taskmanagers')
    return this.#list(r?.taskmanagers, '/taskmanagers')
  }

  /** The effective configuration of the JobManager asked (not necessarily the leader). */
  async jobManagerConfig(): Promise<Map<string, string>> {
    const r = await this.get<Array<{key: string; value: string}>>('/jobmanager/config')
    return new Map(this.#list(r, '/jobmanager/config').map((e) => [String(e.key), String(e.value)]))
  }

  async jobsOverview(): Promise<JobOverview[]> {
    const r = await this.get<{jobs?: JobOverview[]}>('/jobs/overview')
    return this.#list(r?.jobs, '/jobs/overview')
  }

  jobDetails(jobId: string): Promise<JobDetails> {
    return this.get<JobDetails>(`/jobs/${encodeURIComponent(jobId)}`)
  }

  async vertexTaskManagers(jobId: string, vertexId: string): Promise<VertexTaskManagers> {
    const path = `/jobs/${encodeURIComponent(jobId)}/vertices/${encodeURIComponent(vertexId)}/taskmanagers`
    const r = await this.get<VertexTaskManagers>(path)
    return {...r, taskmanagers: this.#list(r?.taskmanagers, path)}
  }

  checkpoints(jobId: string): Promise<CheckpointStats> {
    return this.get<CheckpointStats>(`/jobs/${encodeURIComponent(jobId)}/checkpoints`)
  }

  /** GET /jobs/<id>/exceptions: the latest maxExceptions failures of the job. */
  jobExceptions(jobId: string, maxExceptions = 1): Promise<JobExceptions> {
    return this.get<JobExceptions>(`/jobs/${encodeURIComponent(jobId)}/exceptions?maxExceptions=${maxExceptions}`)
  }

  /**
   * POST /jars/upload: the file as the multipart field `jarfile`. Returns the jar id (the base
   * name of the stored file). Flink refuses a file name not ending in .jar, so the name sent
   * always does. The jar stays on the JobManager that received it: run it there.
   */
  async uploadJar(path: string, opts: {timeoutMs?: number} = {}): Promise<string> {
    const name = basename(path).endsWith('.jar') ? basename(path) : `${basename(path)}.jar`
    const form = new FormData()
    form.append('jarfile', await openAsBlob(path, {type: 'application/x-java-archive'}), name)
    const r = await this.request<{filename?: unknown; status?: unknown}>('POST', '/jars/upload', {form, timeoutMs: opts.timeoutMs ?? Math.max(this.#timeoutMs, SUBMIT_TIMEOUT_MS)})
    const id = typeof r?.filename === 'string' ? r.filename.split(/[\\/]/).pop() : undefined
    if (!id) {
      const url = this.url('/jars/upload')
      throw new RestError(`POST ${url}: answer names no uploaded file`, {code: 'REST_BAD_RESPONSE', url, body: JSON.stringify(r)})
    }
    return id
  }

  /** POST /jars/<id>/run: runs the program's main() on the JobManager; returns the job id. */
  async runJar(jarId: string, opts: JarRunOptions = {}, request: {timeoutMs?: number} = {}): Promise<string> {
    const path = `/jars/${encodeURIComponent(jarId)}/run`
    const body = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined))
    const r = await this.request<{jobid?: unknown}>('POST', path, {json: body, timeoutMs: request.timeoutMs ?? Math.max(this.#timeoutMs, SUBMIT_TIMEOUT_MS)})
    if (typeof r?.jobid !== 'string' || r.jobid === '') {
      const url = this.url(path)
      throw new RestError(`POST ${url}: answer has no jobid`, {code: 'REST_BAD_RESPONSE', url, body: JSON.stringify(r)})
    }
    return r.jobid
  }

  /** DELETE /jars/<id>. */
  async deleteJar(jarId: string): Promise<void> {
    await this.request('DELETE', `/jars/${encodeURIComponent(jarId)}`)
  }

  /** PATCH /jobs/<id>?mode=cancel: Flink answers 202 at once; the job then goes CANCELLING, CANCELED. */
  async cancelJob(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${encodeURIComponent(jobId)}?mode=cancel`)
  }

  #list<T>(value: T[] | undefined, path: string): T[] {
    if (Array.isArray(value)) return value
    const url = this.url(path)
    throw new RestError(`GET ${url}: answer has no list where one was expected`, {code: 'REST_BAD_RESPONSE', url})
  }
}
