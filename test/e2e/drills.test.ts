// Failover drills that prove no record was lost or doubled, on real hosts and both Flink homes:
// every drill kind (leader, standby, taskmanager, zk-peer, zk-leader) with --kill, --term and
// --pause under --verify (the checker job's own counts), two TaskManagers on one host, JUnit XML,
// and a job restarted without its checkpoint reported as lost state. ZooKeeper sessions of 4 s.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {connectZk} from '../../src/lib/zk/client.ts'
import {explain} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes, groundVersions} from '../helpers/ground-flink.ts'
import {skipUnlessRoot} from '../helpers/ground-hosts.ts'
import {assertQuorumLoss, assertVerified, drillGround, expectedPhases, MAIN, type DrillGround} from '../helpers/drill-ground.ts'
import {parseLogTime} from '../helpers/ha-cluster.ts'
import {mountSmallFs, unmountAll} from '../helpers/ground-faults.ts'
import {waitFor} from '../helpers/wait.ts'

const homes = groundFlinkHomes()
const latest = process.env.FLINKCTL_TEST_FLINK_HOME ? homes.at(-1)!.version : groundVersions().at(-1)!
const FAULTS = {kill: ['--kill'], term: ['--term'], pause: ['--pause', '8s']} as const
type Fault = keyof typeof FAULTS

for (const {version, home} of homes) {
  const full = version === latest
  const base = `/var/tmp/flinkctl-e2e/drills-${version}`
  // the older home keeps Flink's default metrics fetch interval (10 s): --verify must cope with it,
  // and rides out suspended ZooKeeper connections in its peer drills (drills-quorum.test.ts: quorum loss with it on 2.3.0)
  // heartbeats of 10 s, so that a TaskManager cut off for 15 s is declared lost
  const conf = ['heartbeat.interval: 2000', 'heartbeat.timeout: 10000', ...(full ? ['metrics.fetcher.update-interval: 1000'] : ['high-availability.zookeeper.client.tolerate-suspended-connections: true'])]
  // every kind on both homes; every fault of every kind on the newest
  const cases: Array<[string, Fault]> = full
    ? ['standby', 'taskmanager', 'zk-peer', 'zk-leader'].flatMap((k) => (['kill', 'term', 'pause'] as const).map((f) => [k, f] as [string, Fault])).concat([['leader', 'term'], ['leader', 'pause']])
    : [['standby', 'kill'], ['taskmanager', 'kill'], ['taskmanager', 'term'], ['zk-peer', 'kill'], ['zk-leader', 'kill'], ['leader', 'term'], ['leader', 'pause']]

  describe(`drills with --verify on SSH hosts, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 2_400_000}, () => {
    let g: DrillGround | undefined
    let failed = false
    const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))
    const grants = async (host: string) => (await g!.onHost(host, `cat ${base}/log/flink-*-standalonesession-*-${host}.log* 2>/dev/null | grep -i 'granted leadership' || true`)).split('\n').filter(Boolean)

    before(async () => {
      assertHomeBuilt({version, home})
      g = await drillGround(base, home, conf)
    })

    after(async () => {
      if (!g) return
      if (failed) await g.ground.keepLogs(join(base, 'failed-logs'))
      if (process.env.FLINKCTL_GROUND_KEEP_UP) return
      await g.ground.down()
    })

    it('ha status names the leader ZooKeeper publishes, the standby, the quorum and the checker job', async (t) => {
      mark(t)
      const r = await g!.cli('ha', 'status', '--json')
      assert.equal(r.code, 0, explain(['ha', 'status'], r))
      const s = r.json!.result
      assert.ok(['h1', 'h2'].includes(s.leader.label), JSON.stringify(s.leader))
      const standby = s.leader.label === 'h1' ? 'h2' : 'h1'
      // independent: only the leader's own log says it was granted leadership (nothing failed over yet)
      assert.ok((await grants(s.leader.label)).length > 0, `the ${s.leader.label} log has no leadership grant`)
      assert.deepEqual(await grants(standby), [], `the standby ${standby} never led`)
      assert.equal(s.leader.restAnswers, true)
      assert.equal(s.leader.taskmanagers, 3)
      assert.deepEqual(s.standbys.map((m: any) => m.label), [standby])
      assert.equal(s.state.contenders.length, 2, 'both JobManagers contend for the latch')
      assert.deepEqual(s.quorum.peers.map((p: any) => p.mode).sort(), ['follower', 'follower', 'leader'])
      const job = s.jobs.find((j: any) => j.jobId === g!.jobId)
      assert.equal(job?.state, 'RUNNING')
      assert.equal(job.stored, true, 'the job graph is stored for recovery')
      // the checker is what --checker says: a source, and the checker operator at parallelism 2
      const d = await g!.rest(`/jobs/${g!.jobId}`)
      assert.deepEqual(d.vertices.map((v: any) => [v.name.includes('checker') ? 'checker' : 'source', v.parallelism]).sort(), [['checker', 2], ['source', 1]])
      await g!.whole()
    })

    if (full) {
      it('refuses to drill when no standby is alive, and faults nothing', async (t) => {
        mark(t)
        const s = (await g!.cli('ha', 'status', '--json')).json!.result
        const standby = s.standbys[0].label
        const stop = await g!.cli('jobmanager', 'stop', '--host', standby, '--json')
        assert.equal(stop.code, 0, explain(['jobmanager', 'stop'], stop))
        const leaderPids = await g!.pids(s.leader.label, MAIN.jm)
        const r = await g!.cli('drill', '--verify', '--json')
        assert.equal(r.code, 7, explain(['drill'], r))
        assert.equal(r.json!.error!.code, 'DRILL_NOT_STEADY')
        assert.match(r.json!.error!.message, /no standby JobManager is alive/)
        assert.deepEqual(await g!.pids(s.leader.label, MAIN.jm), leaderPids, 'the leader was not touched')
        const start = await g!.cli('jobmanager', 'start', '--host', standby, '8081', '--json')
        assert.equal(start.code, 0, explain(['jobmanager', 'start'], start))
        await waitFor('the standby answers', 120_000, async () => ((await g!.cli('ha', 'status', '--json')).json?.result?.standbys?.length === 1 ? true : undefined))
      })
    }

    it('3 SIGKILL rounds with --verify and --junit: each elects the other JobManager, no record lost or doubled, JUnit XML per round and check', async (t) => {
      mark(t)
      const junit = join(base, 'drill.xml')
      const {report: d} = await g!.drill(['--verify', '--rounds', '3', '--max-recovery', '120s', '--junit', junit])
      assert.equal(d.rounds.length, 3)
      for (const round of d.rounds) {
        assert.equal(round.ok, true, JSON.stringify(round.checks))
        assert.notEqual(round.after.leader, round.before.leader, `round ${round.round} elected the other JobManager`)
        assert.deepEqual(round.phases.map((p) => p.name), expectedPhases('leader', 'kill'))
        assertVerified(round, g!.jobId)
        assert.ok(round.checks.some((c) => c.name.endsWith('state restored from a checkpoint') && c.ok), 'the job restarted from its checkpoint')
        assert.ok(round.verify!.after!.generation > round.verify!.before.generation)
        // independently: the new leader's own log says it was granted leadership after the fault
        const granted = (await grants(round.after.leader!)).map(parseLogTime).filter((x): x is number => x !== undefined && x >= round.faultAt)
        assert.ok(granted.length > 0, `round ${round.round}: no leadership grant in ${round.after.leader}'s log after the fault`)
        assert.ok(round.phases[1]!.at! >= Math.min(...granted) - 50, `round ${round.round}: flinkctl reported the new leader before it was granted leadership`)
      }
      assert.deepEqual(d.rounds.map((x) => x.target.label), [d.rounds[0]!.target.label, d.rounds[1]!.target.label, d.rounds[0]!.target.label])
      const xml = readFileSync(junit, 'utf8')
      assert.equal((xml.match(/<testsuite /g) ?? []).length, 3, 'a suite per round')
      assert.ok((xml.match(/<testcase /g) ?? []).length >= d.rounds.reduce((a, r) => a + r.checks.length, 0), 'a case per check at least')
      assert.doesNotMatch(xml, /<failure|<error/)
      await g!.whole()
    })

    for (const [kind, fault] of cases) {
      it(`${kind} --${fault} with --verify: recovers as a ${kind} drill should, nothing lost or doubled, the faulted process back`, async (t) => {
        mark(t)
        const before = await g!.whole()
        const extra = kind === 'taskmanager' ? ['--host', 'h3'] : []
        const {report: d} = await g!.drill(['--target', kind, ...FAULTS[fault], '--verify', ...extra])
        const round = d.rounds[0]!
        assert.equal(round.ok, true, JSON.stringify(round.checks))
        assert.equal(round.target.kind, kind)
        assert.equal(round.fault, fault)
        assert.deepEqual(round.phases.map((p) => p.name), expectedPhases(kind, fault, (round.target.tasks ?? 1) > 0))
        assertVerified(round, g!.jobId)
        assert.ok(round.explanation.length > 0)
        if (kind === 'taskmanager') assert.doesNotMatch(round.explanation.join(' '), /new leader/, 'a TaskManager drill changes no leader')
        // independently: the faulted process is back (a new pid, or for --pause the same one, running), the others untouched
        const now = await g!.whole()
        const family = kind === 'taskmanager' ? 'tm' : kind.startsWith('zk') ? 'zk' : 'jm'
        const on = now[family]![round.target.host]!
        if (fault === 'pause') {
          assert.ok(on.includes(round.target.pid), 'the paused process was resumed, not replaced')
          assert.notEqual(await g!.onHost(round.target.host, `cut -d' ' -f3 /proc/${round.target.pid}/stat`), 'T')
        } else {
          assert.ok(!on.includes(round.target.pid), 'the faulted process is gone')
        }
        const others = before[family]![round.target.host]!.filter((p) => p !== round.target.pid)
        assert.deepEqual(others.filter((p) => !on.includes(p)), [], 'restore started exactly the faulted one; the others ran on')
        if (kind === 'taskmanager') {
          assert.match(round.target.label, /^h3 taskexecutor-[01]$/, 'two TaskManagers on h3: the label names the instance')
          assert.equal((await g!.rest('/overview')).taskmanagers, 3)
        }
      })
    }

    if (full) {
      // an independent look from inside the host: can it open a TCP connection to another host?
      const reaches = async (from: string, to: string) => {
        const ip = g!.ground.hosts.find((h) => h.name === to)!.ip
        return (await g!.ground.ssh(from, `timeout 2 bash -c '</dev/tcp/${ip}/2181' 2>/dev/null && echo yes || echo no`)).stdout.trim() === 'yes'
      }
      const noRules = async (host: string) => assert.doesNotMatch(await g!.onHost(host, 'nft list tables 2>&1 || true'), /flinkctl_drill/, `${host}: the partition rules are gone`)
      /** Runs the drill while watching, from inside the host, that it really was cut off from `other`. */
      const partitioned = async (args: string[], host: () => Promise<string>, other: string) => {
        const h = await host()
        let cutSeen = false
        const drill = g!.drill(args)
        const watch = (async () => {
          for (let i = 0; i < 60 && !cutSeen; i++) {
            if (!(await reaches(h, other))) cutSeen = true
            else await new Promise((r) => setTimeout(r, 500))
          }
        })()
        const out = await drill
        await watch
        assert.ok(cutSeen, `${h} could reach ${other} throughout: no partition seen from inside`)
        assert.equal(await reaches(h, other), true, `${h} reaches ${other} again after the heal`)
        await noRules(h)
        return {...out, host: h}
      }

      it('partition of the leader\'s host (--partition 12s --verify): never two leaders, the cut-off leader gives up leadership in time, a standby takes over, nothing lost or doubled, the host rejoins', async (t) => {
        mark(t)
        const before = await g!.whole()
        const leaderOf = async () => (await g!.cli('ha', 'status', '--json')).json!.result.leader.label as string
        const {report: d, host} = await partitioned(['--partition', '12s', '--verify'], leaderOf, 'h3')
        const round = d.rounds[0]!
        assert.equal(round.ok, true, JSON.stringify(round.checks))
        assert.equal(round.fault, 'partition')
        assert.equal(round.target.host, host)
        assert.deepEqual(round.phases.map((p) => p.name), expectedPhases('leader', 'partition'))
        assert.notEqual(round.after.leader, host, 'the other JobManager leads')
        assertVerified(round, g!.jobId)
        const p = round.partition!
        assert.deepEqual(p.overlaps, [])
        assert.deepEqual([...new Set(p.serving.filter((x) => !x.label.startsWith('ZooKeeper')).map((x) => x.label))].sort(), ['h1', 'h2'], 'both JobManagers were seen answering as leader, one after the other')
        assert.ok(p.serving.some((x) => x.label === `ZooKeeper (${round.after.leader})`), 'ZooKeeper was watched naming the new leader')
        assert.ok(p.revokedAt! - (p.hostAppliedAt ?? p.appliedAt) <= d.sessionTimeout.effectiveMs, JSON.stringify(p))
        for (const name of ['never two JobManagers serving as leader at once', 'gave up leadership within the session timeout', 'rejoined the cluster', 'ran through the partition']) {
          assert.ok(round.checks.some((c) => c.name.includes(name) && c.ok), `check '${name}'`)
        }
        // independently, from the daemons' own logs: the cut-off leader gave up before the other was granted
        const revoked = (await g!.onHost(host, `cat ${base}/log/flink-*-standalonesession-*-${host}.log | grep -i 'revoked.*leadership' || true`)).split('\n').map(parseLogTime).filter((x): x is number => x !== undefined && x >= round.faultAt - 50)
        const granted = (await grants(round.after.leader!)).map(parseLogTime).filter((x): x is number => x !== undefined && x >= round.faultAt - 50)
        assert.ok(revoked.length > 0 && granted.length > 0, `revoked ${revoked.length}, granted ${granted.length}`)
        assert.ok(Math.min(...revoked) < Math.min(...granted), `${host} gave up leadership at ${Math.min(...revoked)}, ${round.after.leader} was granted it at ${Math.min(...granted)}`)
        // the cut-off JobManager and every other daemon ran through it: same pids
        assert.deepEqual(await g!.whole(), before)
      })

      it('partition of a TaskManager host (--target taskmanager --partition 15s, heartbeat.timeout 10 s): its tasks fail over to the other TaskManager, it registers again after the heal, nothing lost or doubled', async (t) => {
        mark(t)
        const before = await g!.whole()
        const {report: d, host} = await partitioned(['--target', 'taskmanager', '--partition', '15s', '--verify'], async () => 'h3', 'h1')
        const round = d.rounds[0]!
        assert.equal(round.ok, true, JSON.stringify(round.checks))
        assert.equal(round.target.host, host)
        assert.ok((round.target.tasks ?? 0) > 0, 'the TaskManager picked ran tasks')
        assert.deepEqual(round.phases.map((p) => p.name), expectedPhases('taskmanager', 'partition'))
        assertVerified(round, g!.jobId)
        assert.equal(round.partition!.serving.length, 0, 'no JobManager on the cut-off host: no leader watch')
        assert.equal((await g!.rest('/overview')).taskmanagers, 3)
        assert.deepEqual(await g!.whole(), before)
      })

      it('partition of a ZooKeeper peer\'s host (--target zk-peer, the standby\'s host): the quorum goes on without it, the standby contends again after the heal', async (t) => {
        mark(t)
        const before = await g!.whole()
        const s = (await g!.cli('ha', 'status', '--json')).json!.result
        const standby = s.standbys[0].label as string
        const peer = s.quorum.peers.find((x: any) => x.host === standby).id as number
        const {report: d} = await partitioned(['--target', 'zk-peer', '--peer-id', String(peer), '--partition', '12s', '--verify'], async () => standby, 'h3')
        const round = d.rounds[0]!
        assert.equal(round.ok, true, JSON.stringify(round.checks))
        assert.deepEqual(round.phases.map((p) => p.name), expectedPhases('zk-peer', 'partition'))
        assertVerified(round, g!.jobId)
        assert.equal(round.after.leader, s.leader.label, 'the leader stayed')
        assert.deepEqual(round.partition!.overlaps, [])
        const after = (await g!.cli('ha', 'status', '--json')).json!.result
        assert.equal(after.state.contenders.length, 2, 'the standby contends again')
        assert.deepEqual(await g!.whole(), before)
      })

      it('a partition the host cannot do (no nft there) is refused before anything changes: exit 6', async (t) => {
        mark(t)
        const before = await g!.whole()
        const leader = (await g!.cli('ha', 'status', '--json')).json!.result.leader.label as string
        const h = g!.ground.hosts.find((x) => x.name === leader)!
        await mountSmallFs(h, '/usr/sbin', 64)
        try {
          const r = await g!.cli('drill', '--partition', '12s', '--json')
          assert.equal(r.code, 6, explain(['drill', '--partition'], r))
          assert.equal(r.json!.error!.code, 'DRILL_PARTITION_NO_NFT')
          assert.match(r.json!.error!.message, new RegExp(`needs nft \\(nftables\\) on ${leader}`))
          assert.ok(r.json!.error!.hint)
        } finally {
          await unmountAll(h, '/usr/sbin')
        }
        await noRules(leader)
        assert.equal(await reaches(leader, 'h3'), true)
        assert.deepEqual(await g!.whole(), before, 'nothing was faulted')
      })
    }

    // On 1.20.0 (Curator 5.4.0) losing every JobManager's ZooKeeper session left a leader election
    // that never ended (REST 503 for 180 s, two JobManagers granted leadership in their logs: the
    // CURATOR-696 double leader, fixed in Curator 5.7): the drill reports it ("the steady state holds
    // again" fails), but the cluster stays broken for the tests after it, so the drill runs on 2.3.0 only
    if (full) it('quorum loss (--target zk-quorum, tolerate-suspended-connections false, the default): the leader gives up leadership as its connection is suspended, the quorum comes back, the job recovers its checkpoint, nothing lost or doubled', async (t) => {
      mark(t)
      t.diagnostic(await assertQuorumLoss(g!, `${base}/log`, false))
    })

    if (full) {
      it('a job restarted without its checkpoint (its checkpoints wiped from ZooKeeper during a failover) is lost state: exit 7', async (t) => {
        mark(t)
        const s = (await g!.cli('ha', 'status', '--json')).json!.result
        const leader = s.leader.label as string
        const [pid] = await g!.pids(leader, MAIN.jm)
        const drill = g!.drill(['--verify'], 7)
        // the moment the leader dies, before the standby (which waits out the 4 s session) recovers the job
        await waitFor('the leader killed', 60_000, async () => ((await g!.pids(leader, MAIN.jm)).includes(pid!) ? undefined : true), {intervalMs: 50})
        const zk = await connectZk(g!.ground.hosts.slice(0, 3).map((h) => `${h.ip}:2181`).join(','))
        try {
          assert.equal(await zk.remove(`/flink/e2e-ha/jobs/${g!.jobId}/checkpoints`, {recursive: true}), true, 'the checkpoints node existed')
        } finally {
          await zk.close()
        }
        const {report: d} = await drill
        const round = d.rounds[0]!
        assert.equal(round.ok, false)
        const lost = round.checks.find((c) => c.name.endsWith('state restored from a checkpoint'))
        assert.ok(lost && !lost.ok, JSON.stringify(round.checks))
        assert.match(lost.detail, /^lost state: the job restarted without its checkpoint/)
        // the state went back: restarted empty, it holds fewer records than before the fault
        // (its generation counts the restores since, so need not be 0 when the job restarted again)
        const v = round.verify!
        assert.ok(v.after!.emitted < v.before.emitted && v.after!.generation < v.before.generation, JSON.stringify(v))
        // independently: the new leader's own log found no checkpoint to restore
        const log = await g!.onHost(round.after.leader!, `cat ${base}/log/flink-*-standalonesession-*-${round.after.leader}.log* | grep -c 'No checkpoint found during restore\\|Found 0 checkpoints' || true`)
        assert.ok(Number(log) >= 1, 'the new leader restored nothing')
      })
    }

    it('job list and cancel end the checker; stop-cluster stops every JobManager', async (t) => {
      mark(t)
      const list = await g!.cli('job', 'list', '--json')
      assert.ok(JSON.stringify(list.json!.result).includes(g!.jobId), explain(['job', 'list'], list))
      const cancel = await g!.cli('job', 'cancel', g!.jobId, '--json')
      assert.equal(cancel.code, 0, explain(['job', 'cancel'], cancel))
      assert.equal((await g!.rest('/jobs/overview')).jobs.find((j: any) => j.jid === g!.jobId)?.state, 'CANCELED')
      const stop = await g!.cli('stop-cluster', '--json')
      assert.equal(stop.code, 0, explain(['stop-cluster'], stop))
      assert.deepEqual([...await g!.pids('h1', MAIN.jm), ...await g!.pids('h2', MAIN.jm)], [])
    })
  })
}
