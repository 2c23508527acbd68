// flinkctl job submit|list|cancel against the real local HA cluster of conf/ (bin/quickstart: 3
// ZooKeeper peers, 2 JobManagers, 2 TaskManagers, no SSH): Flink's example TopSpeedWindowing
// reaches RUNNING with every task, checkpoints, is listed RUNNING, and ends CANCELED.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {RestClient} from '../../src/lib/rest/client.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'
import {waitFor} from '../helpers/wait.ts'

const {version, home} = groundFlinkHomes().at(-1)!
const jar = join(home, 'examples/streaming/TopSpeedWindowing.jar')
const env = {FLINK_HOME: home}
const quickstart = (arg: string) => new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
  execFile(join(repoRoot, 'bin/quickstart'), [arg], {env: {...process.env, FLINK_HOME: home, NO_COLOR: '1'}, timeout: 300_000}, (err, stdout, stderr) =>
    resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr}))
})
const ours = () => new Promise<string>((resolve) => execFile('pgrep', ['-f', `${repoRoot}conf|/tmp/flinkctl-local`], (_e, out) => resolve(out.trim())))

describe(`flinkctl job on the local HA cluster, Flink ${version}`, {timeout: 600_000}, () => {
  let jobId = ''
  let restUrl = ''

  before(async () => {
    assertHomeBuilt({version, home})
    const r = await quickstart('start')
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
  })
  after(async () => {
    if ((await ours()) !== '') await quickstart('stop')
  })

  it('job submit: TopSpeedWindowing reaches RUNNING with every task, at the leader; the upload is deleted', async () => {
    const args = ['job', 'submit', jar, '--conf-dir', 'conf', '--timeout', '120s', '--job-conf', 'execution.checkpointing.interval=1s', '--json']
    const r = await flinkctl(args, {env})
    assert.equal(r.code, 0, explain(args, r))
    const res = r.json!.result
    assert.match(res.jobId, /^[0-9a-f]{32}$/)
    assert.deepEqual([res.state, res.waited, res.jarDeleted, res.tasks.running, res.tasks.total], ['RUNNING', true, true, 2, 2])
    assert.ok(res.timings.allRunningMs >= res.timings.runningMs, JSON.stringify(res.timings))
    // the leader ZooKeeper names, on its own port
    assert.ok(['localhost:8081', 'localhost:8082'].includes(res.leader), res.leader)
    assert.equal(res.restUrl, `http://localhost:${res.leader.split(':')[1]}`)
    const jars = await (await fetch(`${res.restUrl}/jars`)).json() as {files: Array<{id: string}>}
    assert.ok(!jars.files.some((f) => f.id === res.jarId), 'the uploaded jar was deleted')
    // --job-conf wins over conf/'s 5 s
    const cpConf = await (await fetch(`${res.restUrl}/jobs/${res.jobId}/checkpoints/config`)).json() as {interval: number}
    assert.equal(cpConf.interval, 1000)
    jobId = res.jobId
    restUrl = res.restUrl
  })

  it('job list --json shows it RUNNING; it completes checkpoints', async () => {
    const args = ['job', 'list', '--conf-dir', 'conf', '--json']
    const r = await flinkctl(args, {env})
    assert.equal(r.code, 0, explain(args, r))
    const job = r.json!.result.jobs.find((j: {id: string}) => j.id === jobId)
    assert.ok(job, r.stdout)
    assert.deepEqual([job.name, job.state, job.tasks.running, job.tasks.total], ['CarTopSpeedWindowingExample', 'RUNNING', 2, 2])
    // every second (--job-conf): several completed within seconds
    const cp = await waitFor('3 completed checkpoints', 60_000, async () => {
      const c = await new RestClient(restUrl).checkpoints(jobId)
      return (c.counts?.completed ?? 0) >= 3 ? c : undefined
    })
    assert.ok(cp.latest?.completed?.id)
  })

  it('job submit with a main class the jar lacks: exit 6, Flink\'s reason, no stack trace', async () => {
    const args = ['job', 'submit', jar, '--conf-dir', 'conf', '-c', 'org.example.NoSuchMain']
    const r = await flinkctl(args, {env})
    assert.equal(r.code, 6, explain(args, r))
    assert.match(r.stderr, /error: Flink did not run .*TopSpeedWindowing\.jar: .*ProgramInvocationException: The program's entry point class 'org\.example\.NoSuchMain' was not found in the jar file\./)
    assert.doesNotMatch(r.stderr, /\tat /)
  })

  it('job cancel ends it CANCELED; job list agrees', async () => {
    const args = ['job', 'cancel', jobId, '--conf-dir', 'conf']
    const r = await flinkctl(args, {env})
    assert.equal(r.code, 0, explain(args, r))
    assert.match(r.stdout, new RegExp(`^job ${jobId} \\(CarTopSpeedWindowingExample\\) CANCELED after `))
    const list = await flinkctl(['job', 'list', '--conf-dir', 'conf', '--json'], {env})
    assert.equal(list.json!.result.jobs.find((j: {id: string}) => j.id === jobId).state, 'CANCELED')
    // a second cancel reports the end, exit 0
    const again = await flinkctl([...args, '--json'], {env})
    assert.equal(again.code, 0, explain(args, again))
    assert.deepEqual([again.json!.result.alreadyEnded, again.json!.result.state], [true, 'CANCELED'])
  })
})
