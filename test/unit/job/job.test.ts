// submitJob, listJobs and cancelJob against a fake Flink REST server (no HA: the REST endpoint of
// the conf): the whole submission, 503 leader elections retried, a job that fails reporting its
// root exception, a refused program, the wait's deadline, and bad input refused before any request.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, afterEach, before, beforeEach, describe, it} from 'node:test'
import type {ProgressEvent} from '../../../src/lib/cluster/events.ts'
import {openSession, type Session} from '../../../src/lib/cluster/session.ts'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {FlinkctlError, OutcomeError} from '../../../src/lib/errors.ts'
import {cancelJob, checkEntryClass, checkJobId, listJobs, submitJob, type SubmitReport} from '../../../src/lib/job/index.ts'
import {ENTRY_CLASS_500, FAILED_EXCEPTIONS, FakeFlink} from '../../helpers/fake-flink-rest.ts'
import {writeTree} from '../../helpers/fixtures.ts'

let flink: FakeFlink
let session: Session
let events: ProgressEvent[]
const jarDir = writeTree({'TopSpeedWindowing.jar': 'PK\u0003\u0004 a jar', 'notes.txt': 'hello'})
const jar = join(jarDir, 'TopSpeedWindowing.jar')
const emit = (e: ProgressEvent) => void events.push(e)

before(async () => {
  flink = await new FakeFlink().start()
})
after(() => flink.stop())

beforeEach(() => {
  session = openSession(loadCluster({confDir: flink.confDir(), flinkVersion: '2.3.0'}))
  events = []
  flink.requests.length = 0
  flink.jobs.clear()
  for (const k of Object.keys(flink.elections)) delete flink.elections[k]
  flink.runFailure = undefined
  flink.exceptions = {exceptionHistory: {entries: [], truncated: false}}
  flink.script = [{state: 'INITIALIZING', running: 0}, {state: 'RUNNING', running: 0}, {state: 'RUNNING', running: 1}, {state: 'RUNNING', running: 2}]
})
afterEach(() => session.pool.close())

const flinkctlError = (code: string, exit: number, check: (e: FlinkctlError) => void = () => {}) => (err: unknown) => {
  assert.ok(err instanceof FlinkctlError, `not a FlinkctlError: ${String(err)}`)
  assert.deepEqual([err.code, err.exit], [code, exit], err.message)
  check(err)
  return true
}

describe('submitJob', () => {
  it('uploads, runs with the given fields, deletes the upload, and waits until the job and every task run', async () => {
    const r = await submitJob(session, {jar, entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing', parallelism: 2, args: ['--output', '/tmp/out dir']}, emit)
    assert.equal(r.restUrl, flink.base)
    assert.match(r.jobId, /^[0-9a-f]{32}$/)
    assert.equal(r.jarId, 'db88d3e3-0aa5-4537-b073-f641014d4714_TopSpeedWindowing.jar')
    assert.deepEqual(flink.runBodies.at(-1), {entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing', parallelism: 2, programArgsList: ['--output', '/tmp/out dir']})
    assert.deepEqual(flink.deleted.at(-1), r.jarId)
    assert.equal(r.jarDeleted, true)
    // upload, run, delete, then polls until RUNNING 2/2 (the script's 4th step)
    const calls = flink.jobRequests()
    assert.deepEqual(calls.slice(0, 3), ['POST /jars/upload', `POST /jars/${r.jarId}/run`, `DELETE /jars/${r.jarId}`])
    assert.deepEqual(calls.slice(3), Array(4).fill('GET /jobs/overview'))
    assert.deepEqual([r.state, r.tasks?.running, r.tasks?.total, r.waited], ['RUNNING', 2, 2, true])
    assert.ok(r.timings.runningMs !== undefined && r.timings.allRunningMs !== undefined)
    assert.ok(r.timings.allRunningMs > r.timings.runningMs, 'all tasks ran after the job did (two polls later)')
    assert.ok(events.some((e) => /RUNNING after/.test(e.message)) && events.some((e) => /all 2 tasks running after/.test(e.message)))
  })

  it('--no-wait: returns once Flink accepted the job, polling nothing', async () => {
    const r = await submitJob(session, {jar, wait: false}, emit)
    assert.deepEqual([r.waited, r.state, r.timings.runningMs], [false, undefined, undefined])
    assert.ok(!flink.jobRequests().includes('GET /jobs/overview'))
    assert.deepEqual(flink.runBodies.at(-1), {}, 'nothing the user did not set')
  })

  it('retries upload, run and polls while Flink answers 503 "leader election"', async () => {
    Object.assign(flink.elections, {upload: 2, run: 1, 'overview-jobs': 2})
    const r = await submitJob(session, {jar, timeoutMs: 20_000}, emit)
    assert.equal(r.state, 'RUNNING')
    const calls = flink.jobRequests()
    assert.equal(calls.filter((c) => c === 'POST /jars/upload').length, 3)
    assert.equal(calls.filter((c) => c.endsWith('/run')).length, 2)
    assert.equal(flink.runBodies.length > 0, true)
    assert.ok(events.some((e) => e.level === 'warn' && /upload: a JobManager leader is being elected/.test(e.message)))
  })

  it('a leader election that outlasts the timeout fails with the REST error', async () => {
    flink.elections.upload = 1000
    await assert.rejects(submitJob(session, {jar, timeoutMs: 1200}, emit), flinkctlError('REST_LEADER_ELECTION', 6))
  })

  it('a job that ends FAILED: exit 6 with its root exception, the job id in the result', async () => {
    flink.script = [{state: 'INITIALIZING', running: 0}, {state: 'RUNNING', running: 0}, {state: 'FAILING', running: 0}, {state: 'FAILED', running: 0}]
    flink.exceptions = FAILED_EXCEPTIONS
    await assert.rejects(submitJob(session, {jar, timeoutMs: 20_000}, emit), flinkctlError('JOB_FAILED', 6, (e) => {
      assert.ok(e instanceof OutcomeError)
      const result = e.result as SubmitReport
      assert.match(e.message, new RegExp(`^job ${result.jobId} \\(CarTopSpeedWindowingExample\\) FAILED: java\\.io\\.FileNotFoundException: File /nonexistent/cars\\.csv does not exist`))
      assert.equal(result.state, 'FAILED')
      assert.match((e.details as {stacktrace: string}).stacktrace, /NoRestartBackoffTimeStrategy/)
    }))
    assert.ok(flink.jobRequests().some((c) => /^GET \/jobs\/[0-9a-f]{32}\/exceptions\?maxExceptions=1$/.test(c)))
  })

  it('Flink 1.x exceptions (root-exception) are read too', async () => {
    flink.script = [{state: 'FAILED', running: 0}]
    flink.exceptions = {'root-exception': 'java.lang.RuntimeException: boom\n\tat X.main(X.java:1)', timestamp: 1, 'all-exceptions': [], truncated: false}
    await assert.rejects(submitJob(session, {jar}, emit), flinkctlError('JOB_FAILED', 6, (e) => assert.match(e.message, /FAILED: java\.lang\.RuntimeException: boom$/)))
  })

  it('a job canceled while it starts: JOB_CANCELED, exit 6', async () => {
    flink.script = [{state: 'RUNNING', running: 0}, {state: 'CANCELED', running: 0}]
    await assert.rejects(submitJob(session, {jar}, emit), flinkctlError('JOB_CANCELED', 6))
  })

  it('a program Flink refuses: JOB_RUN_FAILED, exit 6, the server-side reason and a --class hint; the upload still deleted', async () => {
    flink.runFailure = {status: 500, body: ENTRY_CLASS_500}
    await assert.rejects(submitJob(session, {jar, entryClass: 'no.Such'}, emit), flinkctlError('JOB_RUN_FAILED', 6, (e) => {
      assert.match(e.message, /^Flink did not run .*TopSpeedWindowing\.jar: org\.apache\.flink\.client\.program\.ProgramInvocationException: The program's entry point class 'no\.Such' was not found in the jar file\./)
      assert.doesNotMatch(e.message, /\n|\tat /)
      assert.match(e.hint ?? '', /--class/)
    }))
    assert.equal(flink.deleted.at(-1), 'db88d3e3-0aa5-4537-b073-f641014d4714_TopSpeedWindowing.jar')
  })

  it('not running before the deadline: JOB_NOT_RUNNING, exit 5, with the state seen and the latest exception', async () => {
    flink.script = [{state: 'RESTARTING', running: 0}]
    flink.exceptions = FAILED_EXCEPTIONS
    const t0 = Date.now()
    await assert.rejects(submitJob(session, {jar, timeoutMs: 1000}, emit), flinkctlError('JOB_NOT_RUNNING', 5, (e) => {
      assert.match(e.message, /not running after 1\.0 s \(RESTARTING, 0\/2 tasks running\); latest exception: java\.io\.FileNotFoundException/)
      assert.match(e.hint ?? '', /job cancel [0-9a-f]{32}/)
    }))
    assert.ok(Date.now() - t0 < 3000)
    assert.ok(events.some((e) => e.level === 'warn' && /is RESTARTING: java\.io\.FileNotFoundException/.test(e.message)))
  })

  it('a missing jar, a directory, a file that is not a jar: exit 2, nothing sent', async () => {
    await assert.rejects(submitJob(session, {jar: join(jarDir, 'missing.jar')}, emit), flinkctlError('JAR_NOT_FOUND', 2, (e) => {
      assert.equal(e.message, `jar file ${join(jarDir, 'missing.jar')} does not exist`)
      assert.ok(e.hint)
    }))
    await assert.rejects(submitJob(session, {jar: jarDir}, emit), flinkctlError('JAR_INVALID', 2, (e) => assert.match(e.message, /is a directory/)))
    await assert.rejects(submitJob(session, {jar: join(jarDir, 'notes.txt')}, emit), flinkctlError('JAR_INVALID', 2, (e) => assert.match(e.message, /is not a jar \(zip\) file/)))
    assert.deepEqual(flink.requests, [])
  })

  it('a main class that is no class name, or a directory (-c conf, --conf-dir elsewhere): exit 2, nothing sent', async () => {
    await assert.rejects(submitJob(session, {jar, entryClass: jarDir}, emit), flinkctlError('BAD_CLASS', 2, (e) => assert.match(e.hint ?? '', /--conf-dir/)))
    await assert.rejects(submitJob(session, {jar, entryClass: 'org.example.'}, emit), flinkctlError('BAD_CLASS', 2, (e) => assert.match(e.hint ?? '', /fully qualified/)))
    assert.deepEqual(flink.requests, [])
    assert.equal(checkEntryClass('org.apache.flink.streaming.examples.windowing.TopSpeedWindowing$Inner'), 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing$Inner')
  })
})

describe('listJobs', () => {
  it('every job, newest first, with state, times and task counts', async () => {
    flink.addJob('00000000000000000000000000000001', [{state: 'CANCELED', running: 0}], 'old', 1000)
    flink.addJob('00000000000000000000000000000002', [{state: 'RUNNING', running: 2}], 'new', 2000)
    const r = await listJobs(session, {}, emit)
    assert.equal(r.restUrl, flink.base)
    assert.deepEqual(r.jobs.map((j) => [j.id, j.name, j.state, j.startTime, j.tasks.running, j.tasks.total]), [
      ['00000000000000000000000000000002', 'new', 'RUNNING', 2000, 2, 2],
      ['00000000000000000000000000000001', 'old', 'CANCELED', 1000, 0, 2],
    ])
    assert.equal(r.jobs[1]!.endTime, 1000 + 15714)
    assert.equal(r.jobs[0]!.endTime, undefined)
  })
})

describe('cancelJob', () => {
  const id = '51cb08c8aec3e8da0b768336d50f63a9'

  it('PATCH mode=cancel, then waits until CANCELED', async () => {
    flink.addJob(id, [{state: 'RUNNING', running: 2}])
    const r = await cancelJob(session, id, {}, emit)
    assert.deepEqual([r.previousState, r.state, r.alreadyEnded, r.waited], ['RUNNING', 'CANCELED', false, true])
    assert.ok(r.endedMs !== undefined)
    const calls = flink.jobRequests()
    assert.deepEqual(calls.slice(0, 2), ['GET /jobs/overview', `PATCH /jobs/${id}?mode=cancel`])
    assert.equal(calls.slice(2).length, 2, 'CANCELLING, then CANCELED')
  })

  it('accepts an upper-case id; a job that ended already is reported, nothing sent', async () => {
    flink.addJob(id, [{state: 'FAILED', running: 0}])
    const r = await cancelJob(session, id.toUpperCase(), {}, emit)
    assert.deepEqual([r.alreadyEnded, r.state], [true, 'FAILED'])
    assert.ok(!flink.jobRequests().some((c) => c.startsWith('PATCH')))
  })

  it('retries the cancel during a leader election', async () => {
    flink.addJob(id, [{state: 'RUNNING', running: 2}])
    flink.elections.cancel = 1
    const r = await cancelJob(session, id, {timeoutMs: 10_000}, emit)
    assert.equal(r.state, 'CANCELED')
    assert.equal(flink.jobRequests().filter((c) => c.startsWith('PATCH')).length, 2)
  })

  it('an unknown job: JOB_NOT_FOUND, exit 6', async () => {
    await assert.rejects(cancelJob(session, 'ffffffffffffffffffffffffffffffff', {}, emit), flinkctlError('JOB_NOT_FOUND', 6))
  })

  it('a malformed id: BAD_JOB_ID, exit 2, before any request', async () => {
    for (const bad of ['xyz', `${id}0`, id.slice(1), `${id.slice(1)}g`, '']) {
      await assert.rejects(cancelJob(session, bad, {}, emit), flinkctlError('BAD_JOB_ID', 2, (e) => assert.match(e.hint ?? '', /job list/)))
    }
    assert.deepEqual(flink.requests, [])
    assert.equal(checkJobId(id.toUpperCase()), id)
  })
})
