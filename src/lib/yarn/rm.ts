// The YARN ResourceManager's REST API (/ws/v1/cluster): what flinkctl needs to find, watch and
// kill the applications it started. Sessions are found by tag, never by name.
import {ExitCode, FlinkctlError} from '../errors.ts'

export class YarnError extends FlinkctlError {
  constructor(message: string, code: string, hint?: string, exit: typeof ExitCode[keyof typeof ExitCode] = ExitCode.Failed) {
    super(message, {code, exit, hint})
    this.name = 'YarnError'
  }
}

/** One application as /ws/v1/cluster/apps reports it (the fields flinkctl reads). */
export interface YarnApp {
  id: string
  name: string
  user?: string
  queue?: string
  state: string
  finalStatus?: string
  applicationType?: string
  applicationTags?: string
  trackingUrl?: string
  trackingUI?: string
  amHostHttpAddress?: string
  /** What the ApplicationMaster registered as its RPC address: Flink registers its REST host:port. */
  amRPCAddress?: string
  amContainerLogs?: string
  startedTime?: number
  finishedTime?: number
  runningContainers?: number
  allocatedMB?: number
  diagnostics?: string
  [key: string]: unknown
}

export interface YarnAppAttempt {
  id: number | string
  appAttemptId?: string
  containerId?: string
  nodeHttpAddress?: string
  nodeId?: string
  startTime?: number
  finishedTime?: number
  appAttemptState?: string
  [key: string]: unknown
}

/** States YARN keeps an application in until it ends. */
export const ACTIVE_STATES = ['NEW', 'NEW_SAVING', 'SUBMITTED', 'ACCEPTED', 'RUNNING'] as const
export const ENDED_STATES = ['FINISHED', 'FAILED', 'KILLED'] as const

/** The tags YARN stores: it lower-cases them and refuses non-ASCII and more than 100 characters. */
export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase()
}

export class ResourceManager {
  readonly url: string
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch

  constructor(url: string, opts: {timeoutMs?: number; fetch?: typeof fetch} = {}) {
    this.url = url.replace(/\/+$/, '')
    this.#timeoutMs = opts.timeoutMs ?? 10_000
    this.#fetch = opts.fetch ?? fetch
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.url}${path}`
    let res: Response
    try {
      res = await this.#fetch(url, {
        method, signal: AbortSignal.timeout(this.#timeoutMs),
        headers: {accept: 'application/json', ...(body === undefined ? {} : {'content-type': 'application/json'})},
        ...(body === undefined ? {} : {body: JSON.stringify(body)}),
      })
    } catch (err) {
      throw new YarnError(`the YARN ResourceManager at ${this.url} does not answer: ${(err as Error).message}`, 'YARN_RM_UNREACHABLE',
        'check yarn.resourcemanager.webapp.address in yarn-site.xml ($HADOOP_CONF_DIR) and that the ResourceManager runs')
    }
    const text = await res.text()
    if (!res.ok) {
      const msg = /"message"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 200)
      throw new YarnError(`${method} ${url}: HTTP ${res.status}${msg ? `: ${msg}` : ''}`, res.status === 404 ? 'YARN_NOT_FOUND' : 'YARN_RM_HTTP')
    }
    if (!text) return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new YarnError(`${method} ${url}: the answer is not JSON`, 'YARN_RM_BAD_RESPONSE')
    }
  }

  async info(): Promise<{state: string; haState?: string; resourceManagerVersion?: string; hadoopVersion?: string; [k: string]: unknown}> {
    return (await this.#call<{clusterInfo: never}>('GET', '/ws/v1/cluster/info')).clusterInfo
  }

  /** Applications carrying every tag given (YARN matches tags lower-cased), optionally in some states. */
  async apps(filter: {tags?: readonly string[]; states?: readonly string[]} = {}): Promise<YarnApp[]> {
    const q = new URLSearchParams()
    if (filter.tags?.length) q.set('applicationTags', filter.tags.map(normalizeTag).join(','))
    if (filter.states?.length) q.set('states', filter.states.join(','))
    const r = await this.#call<{apps: {app?: YarnApp[]} | null}>('GET', `/ws/v1/cluster/apps${q.size ? `?${q}` : ''}`)
    const apps = r?.apps?.app ?? []
    // the RM ORs several applicationTags: keep only apps that carry all of them
    const want = (filter.tags ?? []).map(normalizeTag)
    return apps.filter((a) => want.every((t) => tagsOf(a).includes(t)))
  }

  async app(id: string): Promise<YarnApp> {
    return (await this.#call<{app: YarnApp}>('GET', `/ws/v1/cluster/apps/${encodeURIComponent(id)}`)).app
  }

  async attempts(id: string): Promise<YarnAppAttempt[]> {
    const r = await this.#call<{appAttempts: {appAttempt?: YarnAppAttempt[]} | null}>('GET', `/ws/v1/cluster/apps/${encodeURIComponent(id)}/appattempts`)
    return r?.appAttempts?.appAttempt ?? []
  }

  /** Asks YARN to kill the application (PUT …/state KILLED); YARN answers before it is done. */
  async kill(id: string): Promise<void> {
    await this.#call('PUT', `/ws/v1/cluster/apps/${encodeURIComponent(id)}/state`, {state: 'KILLED'})
  }
}

export function tagsOf(app: Pick<YarnApp, 'applicationTags'>): string[] {
  return (app.applicationTags ?? '').split(',').map((t) => t.trim()).filter(Boolean)
}
