// RestClient against a real node:http server: Flink-shaped answers, the 503 of a leader election,
// a 500 with Flink's error list, a server that never answers, and a refused connection; then
// the job calls (multipart jar upload, run, delete, cancel) against a fake Flink.
import assert from 'node:assert/strict'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createTcpServer} from 'node:net'
import {after, before, describe, it} from 'node:test'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {exceptionSummary, RestClient, RestError, restErrorSummary} from '../../../src/lib/rest/client.ts'
import {ENTRY_CLASS_500, FAILED_EXCEPTIONS, FakeFlink} from '../../helpers/fake-flink-rest.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const ELECTION = {errors: ['Service temporarily unavailable due to an ongoing leader election. Please refresh.']}
const INTERNAL = {errors: ['Internal server error.', '<Exception on server side:\norg.apache.flink.runtime.rpc.exceptions.RecipientUnreachableException: Could not send message\n\tat ...>']}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/config': (_q, res) => json(res, 200, {'refresh-interval': 3000, 'timezone-name': 'Coordinated Universal Time', 'timezone-offset': 0, 'flink-version': '1.20.0', 'flink-revision': 'b1fe7b4 @ 2024-07-25T15:29:50+02:00', features: {'web-submit': false, 'web-cancel': false}}),
  '/overview': (_q, res) => json(res, 200, {taskmanagers: 2, 'slots-total': 4, 'slots-available': 3, 'jobs-running': 1, 'jobs-finished': 0, 'jobs-cancelled': 0, 'jobs-failed': 0, 'flink-version': '1.20.0', 'flink-commit': 'b1fe7b4'}),
  '/taskmanagers': (_q, res) => json(res, 200, {taskmanagers: [{id: '10.0.0.12:35871-a1b2c3', path: 'pekko.tcp://flink@10.0.0.12:35871/user/rpc/taskmanager_0', dataPort: 40123, slotsNumber: 2, freeSlots: 1, timeSinceLastHeartbeat: 1700000000000}]}),
  '/jobmanager/config': (_q, res) => json(res, 200, [{key: 'rest.address', value: 'jm1'}, {key: 'high-availability.type', value: 'zookeeper'}, {key: 'rest.port', value: '8081'}]),
  '/jobs/overview': (_q, res) => json(res, 200, {jobs: [{jid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'TopSpeedWindowing', state: 'RUNNING', 'start-time': 1, 'end-time': -1, duration: 5, 'last-modification': 2, tasks: {running: 4, total: 4}}]}),
  '/election/overview': (_q, res) => json(res, 503, ELECTION),
  '/other503/overview': (_q, res) => json(res, 503, {errors: ['Service Unavailable']}),
  '/broken/overview': (_q, res) => json(res, 500, INTERNAL),
  '/plain/overview': (_q, res) => {
    res.writeHead(502, {'content-type': 'text/html'})
    res.end('<html><body>Bad Gateway</body></html>\n')
  },
  '/notjson/overview': (_q, res) => {
    res.writeHead(200, {'content-type': 'text/html'})
    res.end('<html>Apache Flink Web Dashboard</html>')
  },
  '/wrongshape/taskmanagers': (_q, res) => json(res, 200, {errors: []}),
  '/hang/overview': () => {}, // never answers
  '/proxy/application_1_0001/overview': (req, res) => json(res, 200, {taskmanagers: 7, seen: req.url}),
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, {'content-type': 'application/json; charset=UTF-8'})
  res.end(JSON.stringify(body))
}

let server: Server
let base = ''
const seen: string[] = []

before(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.accept}`)
    const route = routes[req.url!.replace(/^\/v1/, '')]
    if (route) route(req, res)
    else json(res, 404, {errors: ['Not found: ' + req.url]})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as {port: number}).port}`
})

after(() => {
  server.closeAllConnections()
  server.close()
})

const restError = (check: (e: RestError) => void) => (err: unknown) => {
  assert.ok(err instanceof RestError, `not a RestError: ${String(err)}`)
  check(err)
  return true
}

describe('RestClient', () => {
  it('reads config, overview, task managers, JobManager config and jobs', async () => {
    const rest = new RestClient(base, {timeoutMs: 2000})
    assert.equal((await rest.config())['flink-version'], '1.20.0')
    const o = await rest.overview()
    assert.deepEqual([o.taskmanagers, o['slots-total'], o['slots-available'], o['jobs-running']], [2, 4, 3, 1])
    const tms = await rest.taskManagers()
    assert.deepEqual(tms.map((t) => [t.id, t.slotsNumber]), [['10.0.0.12:35871-a1b2c3', 2]])
    const conf = await rest.jobManagerConfig()
    assert.ok(conf instanceof Map)
    assert.equal(conf.get('rest.address'), 'jm1')
    assert.equal(conf.get('high-availability.type'), 'zookeeper')
    assert.equal(conf.size, 3)
    assert.deepEqual((await rest.jobsOverview()).map((j) => [j.jid, j.state]), [['a1b2c3d4e5f60718293a4b5c6d7e8f90', 'RUNNING']])
    assert.ok(seen.includes('GET /overview application/json'))
  })

  it('keeps a path prefix of the base URL (e.g. the YARN proxy), with or without a trailing slash', async () => {
    for (const b of [`${base}/proxy/application_1_0001`, `${base}/proxy/application_1_0001/`]) {
      const o = await new RestClient(b, {timeoutMs: 2000}).overview()
      assert.equal(o.seen, '/proxy/application_1_0001/overview')
    }
  })

  it('503 during a leader election: code REST_LEADER_ELECTION, leaderElection true', async () => {
    await assert.rejects(new RestClient(`${base}/election`).overview(), restError((e) => {
      assert.equal(e.code, 'REST_LEADER_ELECTION')
      assert.equal(e.leaderElection, true)
      assert.equal(e.status, 503)
      assert.equal(e.url, `${base}/election/overview`)
      assert.equal(e.body, JSON.stringify(ELECTION))
      assert.deepEqual(e.errors, ELECTION.errors)
      assert.equal(e.exit, 6)
      assert.match(e.message, /HTTP 503: Service temporarily unavailable due to an ongoing leader election/)
      assert.match(e.hint ?? '', /retry/)
    }))
  })

  it('any other 503 is not a leader election', async () => {
    await assert.rejects(new RestClient(`${base}/other503`).overview(), restError((e) => {
      assert.deepEqual([e.code, e.leaderElection, e.status], ['REST_HTTP', false, 503])
    }))
  })

  it('500 with Flink\'s errors list: REST_HTTP, first error in the message, the stack trace kept in body/errors', async () => {
    await assert.rejects(new RestClient(`${base}/broken`).overview(), restError((e) => {
      assert.deepEqual([e.code, e.status, e.leaderElection], ['REST_HTTP', 500, false])
      assert.match(e.message, /HTTP 500: Internal server error\.$/)
      assert.match(e.errors[1]!, /RecipientUnreachableException/)
      assert.match(e.body!, /RecipientUnreachableException/)
    }))
    await assert.rejects(new RestClient(`${base}/plain`).overview(), restError((e) => {
      assert.deepEqual([e.code, e.status, e.errors], ['REST_HTTP', 502, []])
      assert.match(e.message, /HTTP 502: <html><body>Bad Gateway/)
    }))
    await assert.rejects(new RestClient(base).get('/nope'), restError((e) => assert.equal(e.status, 404)))
  })

  it('a 200 that is not the JSON expected: REST_BAD_RESPONSE', async () => {
    await assert.rejects(new RestClient(`${base}/notjson`).overview(), restError((e) => assert.deepEqual([e.code, e.status], ['REST_BAD_RESPONSE', 200])))
    await assert.rejects(new RestClient(`${base}/wrongshape`).taskManagers(), restError((e) => assert.equal(e.code, 'REST_BAD_RESPONSE')))
  })

  it('a server that never answers: REST_TIMEOUT at the deadline', async () => {
    const t0 = Date.now()
    await assert.rejects(new RestClient(`${base}/hang`, {timeoutMs: 300}).overview(), restError((e) => {
      assert.deepEqual([e.code, e.status, e.leaderElection], ['REST_TIMEOUT', undefined, false])
      assert.match(e.message, /no answer within 300 ms/)
    }))
    assert.ok(Date.now() - t0 < 2000)
  })

  it('nothing listening: REST_UNREACHABLE with the system error code', async () => {
    const probe = createTcpServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const {port} = probe.address() as {port: number}
    await new Promise<void>((r) => probe.close(() => r()))
    await assert.rejects(new RestClient(`http://127.0.0.1:${port}`, {timeoutMs: 2000}).config(), restError((e) => {
      assert.deepEqual([e.code, e.status, e.leaderElection, e.url], ['REST_UNREACHABLE', undefined, false, `http://127.0.0.1:${port}/config`])
      assert.match(e.message, /ECONNREFUSED/)
    }))
  })
})

describe('RestClient: jars and cancel', () => {
  let flink: FakeFlink
  before(async () => {
    flink = await new FakeFlink().start()
  })
  after(() => flink.stop())

  it('uploadJar sends the file as multipart field jarfile, the bytes unchanged, and returns the stored base name', async () => {
    const bytes = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from(Array.from({length: 70_000}, (_, i) => i % 256))])
    const dir = writeTree({})
    writeFileSync(join(dir, 'TopSpeedWindowing.jar'), bytes)
    const id = await new RestClient(flink.base).uploadJar(join(dir, 'TopSpeedWindowing.jar'))
    assert.equal(id, 'db88d3e3-0aa5-4537-b073-f641014d4714_TopSpeedWindowing.jar')
    const upload = flink.requests.at(-1)!
    assert.equal(`${upload.method} ${upload.url}`, 'POST /jars/upload')
    assert.match(String(upload.headers['content-type']), /^multipart\/form-data; boundary=/)
    const [part, ...rest] = flink.uploads.at(-1)!
    assert.equal(rest.length, 0)
    assert.deepEqual([part!.name, part!.filename, part!.contentType], ['jarfile', 'TopSpeedWindowing.jar', 'application/x-java-archive'])
    assert.ok(part!.data.equals(bytes), 'the bytes arrive unchanged')
  })

  it('names the upload *.jar, which Flink insists on, whatever the local file is called', async () => {
    const dir = writeTree({'job.bin': 'PK\u0005\u0006'})
    await new RestClient(flink.base).uploadJar(join(dir, 'job.bin'))
    assert.equal(flink.uploads.at(-1)![0]!.filename, 'job.bin.jar')
  })

  it('an upload gets a longer deadline than the client default', async () => {
    flink.uploadDelayMs = 400
    try {
      const dir = writeTree({'a.jar': 'PK\u0005\u0006'})
      const rest = new RestClient(flink.base, {timeoutMs: 100})
      assert.ok((await rest.uploadJar(join(dir, 'a.jar'))).endsWith('_a.jar'))
      await assert.rejects(rest.uploadJar(join(dir, 'a.jar'), {timeoutMs: 100}), restError((e) => assert.equal(e.code, 'REST_TIMEOUT')))
    } finally {
      flink.uploadDelayMs = 0
    }
  })

  it('runJar posts the run body as JSON, leaving out unset fields, and returns the job id', async () => {
    const rest = new RestClient(flink.base)
    const jobId = await rest.runJar('abc_TopSpeedWindowing.jar', {entryClass: 'org.example.Main', parallelism: 3, programArgsList: ['--input', 'a b', '--x=1'], savepointPath: 'file:///sp/1', allowNonRestoredState: true})
    assert.match(jobId, /^[0-9a-f]{32}$/)
    const run = flink.requests.at(-1)!
    assert.equal(`${run.method} ${run.url}`, 'POST /jars/abc_TopSpeedWindowing.jar/run')
    assert.equal(run.headers['content-type'], 'application/json')
    assert.deepEqual(flink.runBodies.at(-1), {entryClass: 'org.example.Main', parallelism: 3, programArgsList: ['--input', 'a b', '--x=1'], savepointPath: 'file:///sp/1', allowNonRestoredState: true})
    await rest.runJar('abc_TopSpeedWindowing.jar', {parallelism: undefined})
    assert.deepEqual(flink.runBodies.at(-1), {})
  })

  it('deleteJar and cancelJob (202 with an empty object)', async () => {
    const rest = new RestClient(flink.base)
    await rest.deleteJar('abc_x.jar')
    assert.deepEqual(flink.deleted.at(-1), 'abc_x.jar')
    flink.addJob('0123456789abcdef0123456789abcdef', [{state: 'RUNNING', running: 2}])
    await rest.cancelJob('0123456789abcdef0123456789abcdef')
    assert.equal(`${flink.requests.at(-1)!.method} ${flink.requests.at(-1)!.url}`, 'PATCH /jobs/0123456789abcdef0123456789abcdef?mode=cancel')
    await assert.rejects(rest.cancelJob('ffffffffffffffffffffffffffffffff'), restError((e) => {
      assert.equal(e.status, 404)
      assert.equal(restErrorSummary(e), 'Job could not be found. (caused by org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (ffffffffffffffffffffffffffffffff))')
    }))
  })

  it("a refused run: the summary is the server-side exception, without Flink's wrappers or the stack", async () => {
    flink.runFailure = {status: 500, body: ENTRY_CLASS_500}
    try {
      await assert.rejects(new RestClient(flink.base).runJar('x.jar', {entryClass: 'no.Such'}), restError((e) => {
        assert.equal(e.status, 500)
        assert.equal(restErrorSummary(e), "org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'no.Such' was not found in the jar file. (caused by java.lang.ClassNotFoundException: no.Such)")
      }))
    } finally {
      flink.runFailure = undefined
    }
  })

  it('exceptionSummary: the top line and the innermost cause', () => {
    const s = exceptionSummary(FAILED_EXCEPTIONS.exceptionHistory.entries[0]!.stacktrace)
    assert.equal(s.first, 'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy')
    assert.match(s.root!, /^java\.io\.FileNotFoundException: File \/nonexistent\/cars\.csv does not exist/)
    assert.deepEqual(exceptionSummary('java.lang.RuntimeException: boom\n\tat X.y(X.java:1)'), {first: 'java.lang.RuntimeException: boom'})
  })
})
