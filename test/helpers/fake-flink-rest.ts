// A node:http server that answers like Flink's REST API (answers copied from Flink 2.3.0) for
// the job commands: jar upload/run/delete, /jobs/overview, exceptions, cancel, and what
// probeJobManagers asks (/overview, /taskmanagers). Each job follows a script of states, one
// step per /jobs/overview request; tests queue 503 "leader election" answers and failures.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {writeTree} from './fixtures.ts'

export const ELECTION_503 = {errors: ['Service temporarily unavailable due to an ongoing leader election. Please refresh.']}

export interface Step {
  state: string
  /** Running tasks; the rest are CREATED (or CANCELED/FAILED in those states). */
  running: number
}

export interface FakeJob {
  id: string
  name: string
  total: number
  startTime: number
  script: Step[]
  step: number
}

export interface Part {
  name: string
  filename?: string
  contentType?: string
  data: Buffer
}

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/** Splits a multipart/form-data body into its parts. */
export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  if (!boundary) throw new Error(`no boundary in ${contentType}`)
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const parts: Part[] = []
  let at = body.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    if (body.subarray(start, start + 2).toString() === '--') break
    const next = body.indexOf(delimiter, start)
    if (next < 0) break
    const chunk = body.subarray(start + 2, next - 2) // after CRLF, before CRLF
    const split = chunk.indexOf('\r\n\r\n')
    const head = chunk.subarray(0, split).toString('utf8')
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? ''
    parts.push({
      name: /\bname="([^"]*)"/.exec(disposition)?.[1] ?? '',
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1],
      data: Buffer.from(chunk.subarray(split + 4)),
    })
    at = next
  }
  return parts
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, {'content-type': 'application/json; charset=UTF-8'})
  res.end(JSON.stringify(body))
}

/** Flink 2.3's answer when the program's main() cannot be run. */
export const ENTRY_CLASS_500 = {
  errors: ['Internal server error.', "<Exception on server side:\njava.util.concurrent.CompletionException: org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'no.Such' was not found in the jar file.\n\tat org.apache.flink.runtime.webmonitor.handlers.utils.JarHandlerUtils$JarHandlerContext.toPackagedProgram(JarHandlerUtils.java:204)\n\tat java.base/java.lang.Thread.run(Thread.java:840)\nCaused by: java.lang.ClassNotFoundException: no.Such\n\tat java.base/java.net.URLClassLoader.findClass(URLClassLoader.java:445)\n\t... 3 more\n\nEnd of exception on server side>"],
}

/** Flink 2.3's GET /jobs/<id>/exceptions of a job that failed on a missing input file. */
export const FAILED_EXCEPTIONS = {
  exceptionHistory: {
    entries: [{
      exceptionName: 'org.apache.flink.runtime.JobException',
      stacktrace: "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:213)\nCaused by: org.apache.flink.util.FlinkException: Global failure triggered by OperatorCoordinator for 'Source: file-input -> parse-input -> Timestamps/Watermarks' (operator cbc357ccb763df2852fee8c4fc7d55f2).\n\tat org.apache.flink.runtime.operators.coordination.OperatorCoordinatorHolder$LazyInitializedCoordinatorContext.failJob(OperatorCoordinatorHolder.java:651)\nCaused by: org.apache.flink.util.FlinkRuntimeException: Could not enumerate file splits\n\tat org.apache.flink.connector.file.src.impl.ContinuousFileSplitEnumerator.processDiscoveredSplits(ContinuousFileSplitEnumerator.java:217)\nCaused by: java.io.FileNotFoundException: File /nonexistent/cars.csv does not exist or the user running Flink ('root') has insufficient permissions to access it.\n\tat org.apache.flink.core.fs.local.LocalFileSystem.getFileStatus(LocalFileSystem.java:107)\n",
      timestamp: 1795310434811,
      failureLabels: {},
      concurrentExceptions: [],
    }],
    truncated: false,
  },
}

export class FakeFlink {
  server!: Server
  base = ''
  port = 0
  readonly requests: SeenRequest[] = []
  readonly uploads: Part[][] = []
  readonly runBodies: Array<Record<string, unknown>> = []
  readonly deleted: string[] = []
  readonly jobs = new Map<string, FakeJob>()
  /** Answers 503 "leader election" to the next n requests of a route: 'upload', 'run', 'overview-jobs', 'cancel'. */
  readonly elections: Record<string, number> = {}
  /** The answer of the next run instead of a job. */
  runFailure: {status: number; body: unknown} | undefined
  /** The script a job started by a run follows. */
  script: Step[] = [{state: 'INITIALIZING', running: 0}, {state: 'RUNNING', running: 0}, {state: 'RUNNING', running: 1}, {state: 'RUNNING', running: 2}]
  exceptions: unknown = {exceptionHistory: {entries: [], truncated: false}}
  /** Milliseconds before answering an upload. */
  uploadDelayMs = 0
  #nextId = 0

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        this.requests.push({method: req.method!, url: req.url!, headers: req.headers, body})
        this.#route(req, res, body)
      })
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()))
    this.port = (this.server.address() as {port: number}).port
    this.base = `http://127.0.0.1:${this.port}`
    return this
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  /** A conf dir (no HA) whose REST endpoint is this server. */
  confDir(): string {
    return `${writeTree({'conf/config.yaml': `rest.address: 127.0.0.1\nrest.port: ${this.port}\njobmanager.memory.process.size: 1g\ntaskmanager.memory.process.size: 1g\n`, 'conf/workers': 'localhost\n'})}/conf`
  }

  /** Requests other than the probe's /overview and /taskmanagers. */
  jobRequests(): string[] {
    return this.requests.filter((r) => !/^\/(overview|taskmanagers)$/.test(r.url)).map((r) => `${r.method} ${r.url}`)
  }

  addJob(id: string, script: Step[], name = 'CarTopSpeedWindowingExample', startTime = 1795310408896): FakeJob {
    const job = {id, name, total: 2, startTime, script, step: 0}
    this.jobs.set(id, job)
    return job
  }

  #election(route: string, res: ServerResponse): boolean {
    if (!this.elections[route]) return false
    this.elections[route]--
    json(res, 503, ELECTION_503)
    return true
  }

  #route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url!, this.base)
    const path = url.pathname
    if (req.method === 'GET' && path === '/overview') return json(res, 200, {taskmanagers: 2, 'slots-total': 4, 'slots-available': 4, 'jobs-running': 0, 'jobs-finished': 0, 'jobs-cancelled': 0, 'jobs-failed': 0, 'flink-version': '2.3.0'})
    if (req.method === 'GET' && path === '/taskmanagers') return json(res, 200, {taskmanagers: []})
    if (req.method === 'POST' && path === '/jars/upload') {
      if (this.#election('upload', res)) return
      const parts = parseMultipart(body, String(req.headers['content-type']))
      this.uploads.push(parts)
      const file = parts.find((p) => p.filename)
      if (!file?.filename?.endsWith('.jar')) return json(res, 400, {errors: ['org.apache.flink.runtime.rest.handler.RestHandlerException: Only Jar files are allowed.\n\tat org.apache.flink.runtime.webmonitor.handlers.JarUploadHandler.lambda$handleRequest$0(JarUploadHandler.java:87)\n']})
      const answer = () => json(res, 200, {filename: `/tmp/flink-web-7080e1ad/flink-web-upload/db88d3e3-0aa5-4537-b073-f641014d4714_${file.filename}`, status: 'success'})
      if (this.uploadDelayMs) setTimeout(answer, this.uploadDelayMs)
      else answer()
      return
    }
    const run = /^\/jars\/([^/]+)\/run$/.exec(path)
    if (req.method === 'POST' && run) {
      if (this.#election('run', res)) return
      this.runBodies.push(JSON.parse(body.toString('utf8') || '{}'))
      if (this.runFailure) return json(res, this.runFailure.status, this.runFailure.body)
      const id = (0x51cb08c8 + this.#nextId++).toString(16).padStart(8, '0') + 'aec3e8da0b768336d50f63a9'
      this.addJob(id, this.script.map((s) => ({...s})), 'CarTopSpeedWindowingExample', Date.now())
      return json(res, 200, {jobid: id, applicationId: id})
    }
    const jar = /^\/jars\/([^/]+)$/.exec(path)
    if (req.method === 'DELETE' && jar) {
      this.deleted.push(decodeURIComponent(jar[1]!))
      return json(res, 200, {})
    }
    if (req.method === 'GET' && path === '/jobs/overview') {
      if (this.#election('overview-jobs', res)) return
      const jobs = [...this.jobs.values()].map((j) => {
        const s = j.script[Math.min(j.step, j.script.length - 1)]!
        j.step++
        const ended = ['CANCELED', 'FAILED', 'FINISHED'].includes(s.state)
        return {
          jid: j.id, name: j.name, jobType: 'STREAMING', 'start-time': j.startTime, 'end-time': ended ? j.startTime + 15714 : -1, duration: 15714, state: s.state, 'last-modification': j.startTime + 1000,
          tasks: {running: s.running, canceling: 0, canceled: s.state === 'CANCELED' ? j.total : 0, total: j.total, created: ended ? 0 : j.total - s.running, scheduled: 0, deploying: 0, reconciling: 0, finished: s.state === 'FINISHED' ? j.total : 0, initializing: 0, failed: 0},
          'pending-operators': 0,
        }
      })
      return json(res, 200, {jobs})
    }
    const exceptions = /^\/jobs\/([0-9a-f]{32})\/exceptions$/.exec(path)
    if (req.method === 'GET' && exceptions) return json(res, 200, this.exceptions)
    const job = /^\/jobs\/([^/]+)$/.exec(path)
    if (req.method === 'PATCH' && job && url.searchParams.get('mode') === 'cancel') {
      if (this.#election('cancel', res)) return
      const j = this.jobs.get(job[1]!)
      if (!j) return json(res, 404, {errors: ['org.apache.flink.runtime.rest.handler.RestHandlerException: Job could not be found.\n\tat org.apache.flink.runtime.rest.handler.job.JobCancellationHandler.lambda$handleRequest$0(JobCancellationHandler.java:128)\nCaused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (' + job[1] + ')\n']})
      j.script = [{state: 'CANCELLING', running: 0}, {state: 'CANCELED', running: 0}]
      j.step = 0
      res.writeHead(202, {'content-type': 'application/json; charset=UTF-8'})
      return void res.end('{}')
    }
    json(res, 404, {errors: [`Not found: ${req.url}`]})
  }
}
