// HA you can see and test, on real hosts: a 3-peer quorum (h1-h3), two JobManagers (h1, h2),
// two TaskManagers (h3, h4), the example streaming job with checkpoints every second, and
// ZooKeeper session timeouts set low (4 s) so a hard-killed leader is noticed in seconds.
// Every claim is checked independently: the JobManagers' own logs, ssh + pgrep, REST, srvr.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {drillReportSchema} from '../../src/lib/output/drill-schema.ts'
import {explain} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'
import {haClusterGround, parseLogTime, type HaCluster} from '../helpers/ha-cluster.ts'
import {waitFor} from '../helpers/wait.ts'

const BASE = '/var/tmp/flinkctl-e2e/ha'
const JM = "pgrep -f '[o]rg.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint' || true"
const {version, home} = groundFlinkHomes().at(-1)!

describe(`HA status, jobs and failover drills on SSH hosts, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 1_200_000}, () => {
  let ground: Ground | undefined
  let cli: HaCluster['cli']
  let failed = false
  let jobId = ''
  const onHost = async (host: string, cmd: string) => {
    const r = await ground!.ssh(host, cmd)
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`)
    return r.stdout.trim()
  }
  const jmPids = async () => Object.fromEntries(await Promise.all(['h1', 'h2'].map(async (h) => [h, (await onHost(h, JM)).split('\n').filter(Boolean).map(Number)] as const)))
  const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))
  const rest = async (path: string) => {
    const s = await cli('ha', 'status', '--json')
    const url = s.json?.result?.leader?.url
    assert.ok(url, explain(['ha', 'status'], s))
    const res = await fetch(new URL(path, url))
    assert.equal(res.status, 200, `${url}${path}`)
    return res.json() as Promise<any>
  }
  /** Lines of the JobManager log on a host that say it became leader, newest last. */
  const grants = async (host: string) => (await onHost(host, `cat ${BASE}/log/flink-*-standalonesession-*-${host}.log* 2>/dev/null | grep -i 'granted leadership' || true`)).split('\n').filter(Boolean)

  before(async () => {
    assertHomeBuilt({version, home})
    const c = await haClusterGround(BASE, home)
    ground = c.ground
    cli = c.cli
    for (const args of [['start-zookeeper-quorum'], ['start-cluster', '--timeout', '240s']]) {
      const r = await cli(...args, '--json')
      assert.equal(r.code, 0, explain(args, r))
    }
    const sub = await cli('job', 'submit', join(home, 'examples/streaming/TopSpeedWindowing.jar'), '--json')
    assert.equal(sub.code, 0, explain(['job', 'submit'], sub))
    jobId = sub.json!.result.jobId
    assert.match(jobId, /^[0-9a-f]{32}$/)
    await waitFor('a completed checkpoint', 120_000, async () => (((await rest(`/jobs/${jobId}/checkpoints`)).counts?.completed ?? 0) >= 2 ? true : undefined))
  })

  after(async () => {
    if (!ground) return
    if (failed) await ground.keepLogs(join(BASE, 'failed-logs'))
    if (process.env.FLINKCTL_GROUND_KEEP_UP) return
    await ground.down()
  })

  it('ha status names the leader ZooKeeper publishes, the standby, the quorum and the job', async (t) => {
    mark(t)
    const r = await cli('ha', 'status', '--json')
    assert.equal(r.code, 0, explain(['ha', 'status'], r))
    const s = r.json!.result
    assert.ok(['h1', 'h2'].includes(s.leader.label), JSON.stringify(s.leader))
    const standby = s.leader.label === 'h1' ? 'h2' : 'h1'
    // independent: only the leader's own log says it was granted leadership (nothing failed over yet)
    assert.ok((await grants(s.leader.label)).length > 0, `the ${s.leader.label} log has no leadership grant`)
    assert.deepEqual(await grants(standby), [], `the standby ${standby} never led`)
    // the REST API at the leader's address answers with the cluster's state
    assert.equal(s.leader.restAnswers, true)
    assert.equal(s.leader.taskmanagers, 2)
    assert.match(s.leader.sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.ok(Math.abs(s.leader.since - Date.now()) < 30 * 60_000)
    assert.deepEqual(s.standbys.map((m: any) => m.label), [standby])
    assert.equal(s.state.contenders.length, 2, 'both JobManagers contend for the latch')
    // both processes run
    const pids = await jmPids()
    assert.equal(pids.h1!.length + pids.h2!.length, 2)
    assert.equal(s.quorum.serving, 3)
    assert.deepEqual(s.quorum.peers.map((p: any) => p.mode).sort(), ['follower', 'follower', 'leader'])
    const job = s.jobs.find((j: any) => j.jobId === jobId)
    assert.ok(job, JSON.stringify(s.jobs))
    assert.equal(job.state, 'RUNNING')
    assert.equal(job.stored, true, 'the job graph is stored for recovery')
    assert.ok(job.checkpointCounter > job.lastCompleted, `counter ${job.checkpointCounter} is the next id after ${job.lastCompleted}`)
    const human = await cli('ha', 'status')
    assert.match(human.stdout, new RegExp(`leader +${s.leader.label} `))
  })

  it('refuses to drill when no standby is alive, and faults nothing', async (t) => {
    mark(t)
    const s = (await cli('ha', 'status', '--json')).json!.result
    const standby = s.standbys[0].label
    const stop = await cli('jobmanager', 'stop', '--host', standby, '--json')
    assert.equal(stop.code, 0, explain(['jobmanager', 'stop'], stop))
    const before = await jmPids()
    const r = await cli('drill', '--json')
    assert.equal(r.code, 7, explain(['drill'], r))
    assert.equal(r.json!.error!.code, 'DRILL_NOT_STEADY')
    assert.match(r.json!.error!.message, /no standby JobManager is alive/)
    assert.deepEqual(await jmPids(), before, 'the leader was not touched')
    const start = await cli('jobmanager', 'start', '--host', standby, '8081', '--json')
    assert.equal(start.code, 0, explain(['jobmanager', 'start'], start))
    await waitFor('the standby answers', 120_000, async () => ((await cli('ha', 'status', '--json')).json?.result?.standbys?.length === 1 ? true : undefined))
  })

  it('a 3-round SIGKILL drill: each round elects the other JobManager, the job resumes from a checkpoint not older than before, the killed one is back as standby', async (t) => {
    mark(t)
    const report = join(BASE, 'drill.json')
    const r = await cli('drill', '--rounds', '3', '--max-recovery', '120s', '--report', report, '--json')
    assert.equal(r.code, 0, explain(['drill'], r))
    const d = drillReportSchema.parse(r.json!.result)
    assert.deepEqual(JSON.parse(readFileSync(report, 'utf8')), r.json!.result, '--report keeps the same record')
    assert.equal(d.rounds.length, 3)
    for (const round of d.rounds) {
      assert.equal(round.ok, true, JSON.stringify(round.checks))
      assert.equal(round.target.kind, 'leader')
      assert.notEqual(round.after.leader, round.before.leader, `round ${round.round} elected the other JobManager`)
      assert.deepEqual(round.phases.map((p) => p.name), ['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
      // phases happen in order, all after the fault, and the old session expires no earlier than it can
      const ms = round.phases.map((p) => p.ms!)
      assert.deepEqual([...ms].sort((a, b) => a - b), ms)
      assert.ok(ms[0]! >= 1000 && ms[0]! <= 20_000, `leader gone after ${ms[0]} ms with a 4 s session timeout`)
      const job = round.before.jobs.find((j) => j.jobId === jobId)!
      assert.ok(job.lastCompleted! >= 1)
      assert.ok(round.checks.some((c) => c.name.includes('restored a checkpoint not older') && c.ok))
      assert.equal(round.restored.ok, true)
      assert.ok(round.explanation.length > 0)
      // independently: the new leader's own log says it was granted leadership after the fault,
      // and flinkctl did not report the new leader before that
      const granted = (await grants(round.after.leader!)).map(parseLogTime).filter((x): x is number => x !== undefined && x >= round.faultAt)
      assert.ok(granted.length > 0, `round ${round.round}: no leadership grant in ${round.after.leader}'s log after the fault`)
      assert.ok(round.phases[1]!.at! >= Math.min(...granted) - 50, `round ${round.round}: flinkctl reported the new leader before it was granted leadership`)
    }
    // leadership alternated: h1, h2, h1 or h2, h1, h2
    assert.deepEqual(d.rounds.map((x) => x.target.label), [d.rounds[0]!.target.label, d.rounds[1]!.target.label, d.rounds[0]!.target.label])
    assert.ok(d.summary.some((p) => p.phase === 'new-leader' && p.rounds === 3))
    // independently: both JobManagers run, the job is RUNNING with the same id, checkpoints moved on
    const pids = await jmPids()
    assert.equal(pids.h1!.length, 1)
    assert.equal(pids.h2!.length, 1)
    const details = await rest(`/jobs/${jobId}`)
    assert.equal(details.state, 'RUNNING')
    const cps = await rest(`/jobs/${jobId}/checkpoints`)
    assert.ok(cps.latest.restored.id >= d.rounds[2]!.before.jobs[0]!.lastCompleted!, 'restored from a checkpoint not older than the last before the fault')
    const human = await cli('ha', 'status', '--json')
    assert.equal(human.json!.result.standbys.length, 1, 'the last killed JobManager is a standby again')
  })

  it('a drill against a ZooKeeper peer keeps the cluster up and restores the peer', async (t) => {
    mark(t)
    const before = (await cli('ha', 'status', '--json')).json!.result
    const r = await cli('drill', '--target', 'zk-peer', '--json')
    assert.equal(r.code, 0, explain(['drill', '--target', 'zk-peer'], r))
    const d = drillReportSchema.parse(r.json!.result)
    const round = d.rounds[0]!
    assert.equal(round.target.kind, 'zk-peer')
    assert.deepEqual(round.phases.map((p) => p.name), ['quorum-degraded', 'checkpoint'])
    const after = (await cli('ha', 'status', '--json')).json!.result
    assert.equal(after.quorum.serving, 3, 'the peer serves again')
    assert.equal(after.leader.restAnswers, true)
    assert.equal(after.jobs.find((j: any) => j.jobId === jobId).state, 'RUNNING')
    assert.ok(before.leader.label)
  })

  it('job list and cancel end the smoke job', async (t) => {
    mark(t)
    const list = await cli('job', 'list', '--json')
    assert.equal(list.code, 0, explain(['job', 'list'], list))
    assert.ok(JSON.stringify(list.json!.result).includes(jobId))
    const cancel = await cli('job', 'cancel', jobId, '--json')
    assert.equal(cancel.code, 0, explain(['job', 'cancel'], cancel))
    assert.equal((await rest(`/jobs/${jobId}`)).state, 'CANCELED')
    const stop = await cli('stop-cluster', '--json')
    assert.equal(stop.code, 0, explain(['stop-cluster'], stop))
    const pids = await jmPids()
    assert.deepEqual(pids, {h1: [], h2: []})
  })
})
