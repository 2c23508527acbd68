// flinkctl job submit|list|cancel as a user runs them (bin/run.js over dist/: npm run build first),
// against a fake Flink REST server: --json holds only the envelope, the exit codes of the help,
// user errors without a stack trace and without a request, no colour with NO_COLOR.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {jobCancelResultSchema, jobListResultSchema, jobSubmitResultSchema} from '../../src/lib/output/job-schema.ts'
import {errorEnvelopeSchema, successEnvelopeSchema} from '../../src/lib/output/schemas.ts'
import {FAILED_EXCEPTIONS, FakeFlink} from '../helpers/fake-flink-rest.ts'
import {writeTree} from '../helpers/fixtures.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

// the fake server runs in this process: the CLI must run asynchronously
function flinkctl(args: string[], env: Record<string, string | undefined> = {}): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, env: {...process.env, FLINK_CONF_DIR: undefined, FLINK_HOME: undefined, ...env}, timeout: 60_000}, (err, stdout, stderr) => {
      resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr)})
    })
  })
}

let flink: FakeFlink
let conf: string
const jar = join(writeTree({'TopSpeedWindowing.jar': 'PK\u0003\u0004 a jar'}), 'TopSpeedWindowing.jar')
const noTrace = (text: string) => assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+|\tat /)

before(async () => {
  flink = await new FakeFlink().start()
  conf = flink.confDir()
})
after(() => flink.stop())
beforeEach(() => {
  flink.requests.length = 0
  flink.jobs.clear()
  flink.exceptions = {exceptionHistory: {entries: [], truncated: false}}
  flink.script = [{state: 'INITIALIZING', running: 0}, {state: 'RUNNING', running: 0}, {state: 'RUNNING', running: 2}]
})


describe('flinkctl job submit', () => {
  it('prints only the job id on stdout, progress and timings on stderr', async () => {
    const r = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--arg=--input', '--arg', '/data/in', '-p', '2', '-c', 'org.example.Main', '--job-conf', 'execution.checkpointing.interval=1s', '--job-conf', 'restart-strategy.type=none'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^[0-9a-f]{32}\n$/)
    assert.match(r.stderr, /uploaded .*TopSpeedWindowing\.jar/)
    assert.match(r.stderr, /RUNNING: upload .* all 2 tasks after /)
    assert.deepEqual(flink.runBodies.at(-1), {entryClass: 'org.example.Main', parallelism: 2, programArgsList: ['--input', '/data/in'], flinkConfiguration: {'execution.checkpointing.interval': '1s', 'restart-strategy.type': 'none'}})
  })

  it('--json: stdout is the envelope alone', async () => {
    const r = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const doc = successEnvelopeSchema(jobSubmitResultSchema).parse(JSON.parse(r.stdout))
    assert.deepEqual([doc.command, doc.result.state, doc.result.waited, doc.result.jarDeleted], ['job:submit', 'RUNNING', true, true])
    assert.ok(doc.result.timings.allRunningMs !== undefined)
  })

  it('a missing jar: exit 2, error and hint, no stack trace, nothing sent; the same under --json', async () => {
    const r = await flinkctl(['job', 'submit', '/nonexistent/app.jar', '--conf-dir', conf])
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^error: jar file \/nonexistent\/app\.jar does not exist\n {2}hint: /)
    noTrace(r.stderr)
    const j = await flinkctl(['job', 'submit', '/nonexistent/app.jar', '--conf-dir', conf, '--json'])
    assert.equal(j.code, 2)
    const doc = errorEnvelopeSchema.parse(JSON.parse(j.stdout))
    assert.deepEqual([doc.error.code, doc.error.exit], ['JAR_NOT_FOUND', 2])
    assert.deepEqual(flink.requests, [])
  })

  it('a failed job: exit 6 with its root exception; --json keeps the result beside the error', async () => {
    flink.script = [{state: 'RUNNING', running: 0}, {state: 'FAILED', running: 0}]
    flink.exceptions = FAILED_EXCEPTIONS
    const r = await flinkctl(['job', 'submit', jar, '--conf-dir', conf])
    assert.equal(r.code, 6)
    assert.match(r.stderr, /error: job [0-9a-f]{32} \(CarTopSpeedWindowingExample\) FAILED: java\.io\.FileNotFoundException: File \/nonexistent\/cars\.csv/)
    noTrace(r.stderr)
    const j = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--json'])
    assert.equal(j.code, 6)
    const doc = errorEnvelopeSchema.parse(JSON.parse(j.stdout))
    const result = jobSubmitResultSchema.parse(doc.result)
    assert.deepEqual([doc.error.code, doc.error.exit, result.state], ['JOB_FAILED', 6, 'FAILED'])
  })

  it('not running before --timeout: exit 5', async () => {
    flink.script = [{state: 'CREATED', running: 0}]
    const r = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--timeout', '1s', '--json'])
    assert.equal(r.code, 5, r.stderr)
    assert.deepEqual([JSON.parse(r.stdout).error.code, JSON.parse(r.stdout).error.exit], ['JOB_NOT_RUNNING', 5])
  })

  it('bad flags: exit 2 (parallelism 0, a timeout that is no duration)', async () => {
    assert.equal((await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '-p', '0'])).code, 2)
    const t = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--timeout', 'soon'])
    assert.equal(t.code, 2)
    assert.match(t.stderr, /--timeout soon/)
    const jc = await flinkctl(['job', 'submit', jar, '--conf-dir', conf, '--job-conf', 'execution.checkpointing.interval'])
    assert.equal(jc.code, 2)
    assert.match(jc.stderr, /^error: --job-conf execution\.checkpointing\.interval: not key=value\n/)
    // -c is the main class here, as in `flink run -c`; --conf-dir's short form elsewhere
    const c = await flinkctl(['job', 'submit', jar, '-c', conf])
    assert.equal(c.code, 2)
    assert.match(c.stderr, /^error: --class .*: a directory\n {2}hint: .*--conf-dir/)
    assert.deepEqual(flink.requests, [])
  })

  it('no JobManager answers: exit 6 with a hint', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const {port} = probe.address() as {port: number}
    await new Promise<void>((r) => probe.close(() => r()))
    const dead = writeTree({'conf/config.yaml': `rest.address: 127.0.0.1\nrest.port: ${port}\n`})
    const r = await flinkctl(['job', 'submit', jar, '--conf-dir', join(dead, 'conf')])
    assert.equal(r.code, 6)
    assert.equal(r.stderr, `error: no JobManager answers REST: GET http://127.0.0.1:${port}/overview: cannot connect (ECONNREFUSED)\n  hint: is the cluster running? check \`flinkctl status\`\n`)
  })
})

describe('flinkctl job list', () => {
  it('a table on stdout; --json the envelope', async () => {
    flink.addJob('51cb08c8aec3e8da0b768336d50f63a9', [{state: 'RUNNING', running: 2}], 'CarTopSpeedWindowingExample', Date.UTC(2026, 10, 22, 1, 20, 8))
    const r = await flinkctl(['job', 'list', '--conf-dir', conf], {NO_COLOR: '1', FORCE_COLOR: '1'})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^JOB ID +NAME +STATE +STARTED +DURATION +TASKS RUNNING\n51cb08c8aec3e8da0b768336d50f63a9 +CarTopSpeedWindowingExample +RUNNING +2026-11-22 01:20:08Z +15s +2\/2\n$/)
    assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/)
    const j = await flinkctl(['job', 'list', '--conf-dir', conf, '--json'])
    const doc = successEnvelopeSchema(jobListResultSchema).parse(JSON.parse(j.stdout))
    assert.deepEqual(doc.result.jobs.map((x) => [x.id, x.state, x.tasks.running]), [['51cb08c8aec3e8da0b768336d50f63a9', 'RUNNING', 2]])
  })
})

describe('flinkctl job cancel', () => {
  it('cancels and waits: CANCELED on stdout; --json the envelope', async () => {
    flink.addJob('51cb08c8aec3e8da0b768336d50f63a9', [{state: 'RUNNING', running: 2}])
    const r = await flinkctl(['job', 'cancel', '51cb08c8aec3e8da0b768336d50f63a9', '--conf-dir', conf])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^job 51cb08c8aec3e8da0b768336d50f63a9 \(CarTopSpeedWindowingExample\) CANCELED after \d+\.\d s\n$/)
    flink.addJob('61cb08c8aec3e8da0b768336d50f63a9', [{state: 'RUNNING', running: 2}])
    const j = await flinkctl(['job', 'cancel', '61cb08c8aec3e8da0b768336d50f63a9', '--conf-dir', conf, '--json'])
    assert.equal(j.code, 0, j.stderr)
    assert.equal(successEnvelopeSchema(jobCancelResultSchema).parse(JSON.parse(j.stdout)).result.state, 'CANCELED')
  })

  it('not a job id: exit 2 before reading the conf or asking the cluster; unknown job: exit 6', async () => {
    const r = await flinkctl(['job', 'cancel', 'xyz', '--conf-dir', '/nonexistent/conf'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^error: 'xyz' is not a Flink job id: a job id is 32 hexadecimal characters\n {2}hint: /)
    noTrace(r.stderr)
    const j = await flinkctl(['job', 'cancel', 'xyz', '--conf-dir', conf, '--json'])
    assert.deepEqual([j.code, JSON.parse(j.stdout).error.code], [2, 'BAD_JOB_ID'])
    assert.deepEqual(flink.requests, [])
    const unknown = await flinkctl(['job', 'cancel', 'ffffffffffffffffffffffffffffffff', '--conf-dir', conf, '--json'])
    assert.deepEqual([unknown.code, JSON.parse(unknown.stdout).error.code], [6, 'JOB_NOT_FOUND'])
  })
})
