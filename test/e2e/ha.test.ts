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
    // the effect of a lost peer can come after the first checkpoint: the drill watched until the jobs settled
    assert.ok(round.checks.some((c) => c.name.includes('after the quorum lost the peer') && c.ok), JSON.stringify(round.checks))
    const after = (await cli('ha', 'status', '--json')).json!.result
    assert.equal(after.quorum.serving, 3, 'the peer serves again')
    assert.equal(after.leader.restAnswers, true)
    assert.equal(after.jobs.find((j: any) => j.jobId === jobId).state, 'RUNNING')
    assert.ok(before.leader.label)
  })

  it('a standby drill kills the standby JobManager: the leader keeps its session, the standby leaves the latch and comes back', async (t) => {
    mark(t)
    const before = (await cli('ha', 'status', '--json')).json!.result
    const r = await cli('drill', '--target', 'standby', '--json')
    assert.equal(r.code, 0, explain(['drill', '--target', 'standby'], r))
    const round = drillReportSchema.parse(r.json!.result).rounds[0]!
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.equal(round.target.label, before.standbys[0].label, 'the drill hit the standby ZooKeeper does not name leader')
    assert.deepEqual(round.phases.map((p) => p.name), ['contender-gone', 'checkpoint'])
    assert.equal(round.after.leaderSession, round.before.leaderSession, 'the leader kept its session')
    const after = (await cli('ha', 'status', '--json')).json!.result
    assert.equal(after.leader.label, before.leader.label)
    assert.deepEqual(after.standbys.map((m: any) => m.label), [round.target.label], 'the standby runs again')
    assert.equal(after.state.contenders.length, 2)
  })

  it('a drill against the quorum leader: the peers elect another leader, the cluster stays up, the old leader serves again', async (t) => {
    mark(t)
    const leaderPeer = async () => {
      const modes = await Promise.all(['h1', 'h2', 'h3'].map(async (h) => (await onHost(h, "exec 3<>/dev/tcp/127.0.0.1/2181; printf srvr >&3; cat <&3 | sed -n 's/^Mode: //p'")).trim()))
      return modes
    }
    const modes = await leaderPeer()
    const old = modes.indexOf('leader') + 1
    assert.ok(old >= 1, `no quorum leader: ${modes.join(',')}`)
    const r = await cli('drill', '--target', 'zk-leader', '--json')
    assert.equal(r.code, 0, explain(['drill', '--target', 'zk-leader'], r))
    const round = drillReportSchema.parse(r.json!.result).rounds[0]!
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.equal(round.target.label, `peer ${old} (h${old})`, 'the drill hit the peer srvr calls leader')
    assert.deepEqual(round.phases.map((p) => p.name), ['quorum-degraded', 'quorum-leader', 'checkpoint'])
    assert.match(round.phases[1]!.detail!, /^peer [123] leads$/)
    assert.notEqual(round.phases[1]!.detail, `peer ${old} leads`)
    // independently: three peers serve again, one of them leads
    const now = await waitFor('three serving peers', 60_000, async () => {
      const m = await leaderPeer()
      return m.filter((x) => x === 'leader' || x === 'follower').length === 3 ? m : undefined
    })
    assert.equal(now.filter((x) => x === 'leader').length, 1)
    assert.equal((await rest('/jobs/overview')).jobs.find((j: any) => j.jid === jobId)?.state, 'RUNNING')
  })

  it('a SIGTERM drill: the leader gives up leadership at once, without waiting for its ZooKeeper session, and the other JobManager takes over', async (t) => {
    mark(t)
    const r = await cli('drill', '--term', '--json')
    assert.equal(r.code, 0, explain(['drill', '--term'], r))
    const d = drillReportSchema.parse(r.json!.result)
    const round = d.rounds[0]!
    assert.equal(round.fault, 'term')
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.notEqual(round.after.leader, round.before.leader)
    assert.deepEqual(round.phases.map((p) => p.name), ['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
    const gone = round.phases[0]!.ms!
    assert.ok(gone < d.sessionTimeout.effectiveMs, `SIGTERM: the leader left after ${gone} ms, not by its ${d.sessionTimeout.effectiveMs} ms session expiring`)
    // independently: the old leader's own log says it was asked to shut down by SIGTERM
    const said = await onHost(round.target.host, `cat ${BASE}/log/flink-*-standalonesession-*-${round.target.host}.log* | grep -c 'RECEIVED SIGNAL 15' || true`)
    assert.ok(Number(said) >= 1, `${round.target.host}'s log does not show SIGTERM`)
    assert.equal(round.restored.ok, true)
    const pids = await jmPids()
    assert.equal(pids.h1!.length + pids.h2!.length, 2, 'the JobManager that was stopped runs again')
  })

  it('a --pause drill longer than the session timeout fails the leader over; the resumed JobManager is a standby again', async (t) => {
    mark(t)
    const r = await cli('drill', '--pause', '8s', '--json')
    assert.equal(r.code, 0, explain(['drill', '--pause', '8s'], r))
    const round = drillReportSchema.parse(r.json!.result).rounds[0]!
    assert.equal(round.fault, 'pause')
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.notEqual(round.after.leader, round.before.leader, 'a stopped leader loses its session and its leadership')
    assert.deepEqual(round.phases.map((p) => p.name), ['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
    assert.ok(round.phases[0]!.ms! >= 1000, 'the session of a stopped process expires only after the timeout')
    assert.match(round.restored.detail, /SIGCONT/)
    assert.ok(round.checks.some((c) => c.name.includes('after the paused process resumed') && c.ok), JSON.stringify(round.checks))
    // independently: the same process (never restarted) runs and is not stopped, and it stands by
    const state = await onHost(round.target.host, `cut -d' ' -f3 /proc/${round.target.pid}/stat`)
    assert.notEqual(state, 'T', `pid ${round.target.pid} is still stopped`)
    await waitFor('the resumed JobManager stands by', 90_000, async () => {
      const s = (await cli('ha', 'status', '--json')).json?.result
      return s?.standbys?.some((m: any) => m.label === round.target.label) && s.state.contenders.length === 2 ? true : undefined
    })
  })

  it('a TaskManager drill kills the one running the job: the job restarts from a checkpoint on the other, the leader stays, the TaskManager comes back', async (t) => {
    mark(t)
    await waitFor('every task RUNNING again', 60_000, async () => {
      const j = (await rest('/jobs/overview')).jobs.find((x: any) => x.jid === jobId)
      return j?.state === 'RUNNING' && j.tasks.running === j.tasks.total ? true : undefined
    })
    // independently: where the job's tasks run, by IP from REST, and which ground host has that IP
    const job = await rest(`/jobs/${jobId}`)
    const tms = await rest(`/jobs/${jobId}/vertices/${job.vertices[0].id}/taskmanagers`)
    // Flink 2 names the TaskManager's host (endpoint host:port), 1.x its address (host)
    const addr = String(tms.taskmanagers[0].endpoint ?? tms.taskmanagers[0].host).replace(/:\d+$/, '')
    const busy = (await Promise.all(['h3', 'h4'].map(async (h) => (h === addr || (await onHost(h, 'hostname -I')).split(/\s+/).includes(addr) ? h : undefined)))).find(Boolean)
    assert.ok(busy, `no worker is ${addr}`)
    const r = await cli('drill', '--target', 'taskmanager', '--json')
    assert.equal(r.code, 0, explain(['drill', '--target', 'taskmanager'], r))
    const round = drillReportSchema.parse(r.json!.result).rounds[0]!
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.equal(round.target.kind, 'taskmanager')
    assert.equal(round.target.host, busy, 'the drill picked the TaskManager that runs the job')
    assert.ok(round.target.tasks! > 0)
    assert.deepEqual(round.phases.map((p) => p.name), ['job-restarted', 'jobs-running', 'tasks-running', 'checkpoint'])
    assert.equal(round.after.leaderSession, round.before.leaderSession, 'the leader kept its leadership')
    assert.ok(round.checks.some((c) => c.name.includes('RUNNING with the same id') && c.ok))
    const count = async (h: string) => (await onHost(h, "pgrep -f '[o]rg.apache.flink.runtime.taskexecutor.TaskManagerRunner' || true")).split('\n').filter(Boolean).length
    assert.deepEqual([await count('h3'), await count('h4')], [1, 1], 'the killed TaskManager runs again')
    assert.equal((await rest('/overview')).taskmanagers, 2)
  })

  it('job list and cancel end the smoke job', async (t) => {
    mark(t)
    const list = await cli('job', 'list', '--json')
    assert.equal(list.code, 0, explain(['job', 'list'], list))
    assert.ok(JSON.stringify(list.json!.result).includes(jobId))
    const cancel = await cli('job', 'cancel', jobId, '--json')
    assert.equal(cancel.code, 0, explain(['job', 'cancel'], cancel))
    // /jobs/<id> is cached for web.refresh-interval; the overview is not
    assert.equal((await rest('/jobs/overview')).jobs.find((j: any) => j.jid === jobId)?.state, 'CANCELED')
    const stop = await cli('stop-cluster', '--json')
    assert.equal(stop.code, 0, explain(['stop-cluster'], stop))
    const pids = await jmPids()
    assert.deepEqual(pids, {h1: [], h2: []})
  })
})
