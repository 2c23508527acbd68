// A ZooKeeper peer's host down while the quorum and the cluster start (the other host faults are
// in faults.test.ts): 3 peers in zoo.cfg, h3's link down. start-zookeeper-quorum starts the two
// it reaches and settles on their majority (exit 4 naming h3, not a wait until --timeout),
// start-cluster comes up on that quorum, status names h3, counts 2/3 serving and still finds the
// leader through ZooKeeper, and the stop commands stop what runs and name h3 again. Real JVMs, sized as in test/helpers/ha-cluster.ts.
//
//   zoo.cfg server.1=h1 server.2=h2 server.3=h3    masters h1:8081    workers h2
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {connectZk} from '../../src/lib/zk/client.ts'
import {assertExit, assertJsonHosts, rowOf, stderrLineOf} from '../helpers/fault-checks.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {hostOf, linkDown, linkUp} from '../helpers/ground-faults.ts'
import {groundInstall, groundUp, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'

const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const TAG = process.env.FLINKCTL_GROUND_TAG
const BASE = `/var/tmp/flinkctl-e2e${TAG ? `-${TAG}` : ''}/faults-quorum`
const CONF = `${BASE}/conf`
const {version, home} = groundFlinkHomes().at(-1)!
const JVM = (cls: string) => `pgrep -f '[o]rg.apache.flink.${cls}' || true`
const JM = JVM('runtime.entrypoint.StandaloneSessionClusterEntrypoint')
const TM = JVM('runtime.taskexecutor.TaskManagerRunner')
const ZK = JVM('runtime.zookeeper.FlinkZooKeeperQuorumPeer')

function srvrMode(ip: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let data = ''
    const sock = connect({host: ip, port: 2181, timeout: 2000}, () => sock.end('srvr'))
    sock.on('data', (d) => (data += d))
    sock.on('close', () => resolve(/Mode: (\w+)/.exec(data)?.[1]))
    sock.on('error', () => resolve(undefined))
    sock.on('timeout', () => sock.destroy())
  })
}

describe(`a ZooKeeper peer's host down during start-zookeeper-quorum and start-cluster, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 420_000}, () => {
  let ground: Ground | undefined
  let failed = false
  const g = () => ground!
  const ip = (h: string) => hostOf(g(), h).ip
  const cli = (args: string[], timeoutMs = 240_000) => flinkctl([...args, '--conf-dir', CONF, '--flink-home', home], {timeoutMs})
  const pids = async (host: string, probe: string) => {
    const r = await g().ssh(host, probe)
    assert.equal(r.code, 0, `${host}: ${r.stderr}`)
    return r.stdout.split('\n').filter(Boolean).map(Number)
  }
  const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))

  before(async () => {
    assertHomeBuilt({version, home})
    await groundInstall()
    rmSync(BASE, {recursive: true, force: true})
    for (const d of [CONF, `${BASE}/shared`]) mkdirSync(d, {recursive: true})
    ground = await groundUp({hosts: 3, privateEmpty: ['/tmp', CONF, `${BASE}/log`, `${BASE}/zk`]})
    writeFileSync(join(CONF, 'config.yaml'), [
      'jobmanager.bind-host: 0.0.0.0',
      'jobmanager.memory.process.size: 700m',
      'taskmanager.bind-host: 0.0.0.0',
      'taskmanager.memory.process.size: 1g',
      'taskmanager.numberOfTaskSlots: 1',
      'rest.bind-address: 0.0.0.0',
      'high-availability.type: zookeeper',
      'high-availability.zookeeper.quorum: h1:2181,h2:2181,h3:2181',
      '# shared: every ground host sees this folder',
      `high-availability.storageDir: file://${BASE}/shared/ha`,
      'high-availability.cluster-id: /faults-quorum',
      // ZooKeeper's client gives each server session-timeout / servers to connect: 2 s for the down one
      'high-availability.zookeeper.client.session-timeout: 6000',
      'zookeeper.heap.mb: 128',
      `env.log.dir: ${BASE}/log`,
      `env.ssh.opts: -F ${ground.sshConfig}`,
      `env.java.opts.all: ${JDK17_OPTS}`,
      '',
    ].join('\n'))
    writeFileSync(join(CONF, 'zoo.cfg'), [
      'tickTime=2000', 'initLimit=10', 'syncLimit=5', 'clientPort=2181', `dataDir=${BASE}/zk`,
      '4lw.commands.whitelist=srvr,ruok', 'admin.enableServer=false',
      'server.1=h1:2888:3888', 'server.2=h2:2888:3888', 'server.3=h3:2888:3888', '',
    ].join('\n'))
    writeFileSync(join(CONF, 'masters'), 'h1:8081\n')
    writeFileSync(join(CONF, 'workers'), 'h2\n')
    for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(CONF, f))
    await linkDown(hostOf(ground, 'h3'), ground.bridge)
  })

  after(async () => {
    if (!ground) return
    try {
      await linkUp(hostOf(ground, 'h3'), ground.bridge).catch(() => {})
      if (failed) {
        const dir = join(BASE, 'failed-logs')
        await ground.keepLogs(dir)
        console.error(`# hosts' logs kept in ${dir}`)
      }
    } finally {
      if (!process.env.FLINKCTL_GROUND_KEEP_UP) await ground.down()
    }
  })

  it('start-zookeeper-quorum: h3 fails, the other two peers form the quorum and it settles at once (exit 4, not 5)', async (t) => {
    mark(t)
    const args = ['start-zookeeper-quorum', '--connect-timeout', '3s', '--timeout', '90s']
    const r = await cli(args)
    assertExit(args, r, 4)
    assert.match(rowOf(args, r, 'h3', 'zookeeper'), /failed: SSH_TIMEOUT/)
    stderrLineOf(args, r, 'h3', /timed out/i)
    for (const h of ['h1', 'h2']) assert.match(rowOf(args, r, h, 'zookeeper'), new RegExp(`started ${(await pids(h, ZK))[0]}`))
    assert.match(r.stdout, /^ready after [\d.]+ s: quorum 2\/3 serving, leader server\.[12] \(h[12]\)/m, explain(args, r))
    assert.match(r.stdout, /missing h3: server\.3 on port 2181: not started \(its host failed\)/, explain(args, r))
    const modes = await Promise.all(['h1', 'h2'].map((h) => srvrMode(ip(h))))
    assert.deepEqual([...modes].sort(), ['follower', 'leader'], `srvr on h1, h2: ${modes}`)
  })

  it('start-cluster with that peer still down: the JobManager leads and the TaskManager registers on the 2-peer quorum', async (t) => {
    mark(t)
    const args = ['start-cluster', '--connect-timeout', '3s', '--timeout', '180s', '--json']
    const r = await cli(args)
    assertExit(args, r, 0)
    const ready = r.json!.result.ready
    assert.equal(ready.leader.host, 'h1', explain(args, r))
    assert.equal(ready.taskmanagers.registered, 1)
    const overview = await (await fetch(`http://${ip('h1')}:8081/overview`)).json() as {taskmanagers: number}
    assert.equal(overview.taskmanagers, 1)
    assert.equal((await pids('h1', JM)).length, 1)
    assert.equal((await pids('h2', TM)).length, 1)
  })

  it('status names h3 as unreachable and the quorum as 2/3 serving, with the leader', async (t) => {
    mark(t)
    const args = ['status', '--connect-timeout', '3s']
    const jargs = [...args, '--json']
    const [r, j] = await Promise.all([cli(args), cli(jargs)])
    assertExit(args, r, 4)
    assert.match(rowOf(args, r, 'h3'), /unreachable: SSH_TIMEOUT .*timed out/i)
    assert.match(r.stdout, /^JobManager: leader h1 /m, explain(args, r))
    assert.match(r.stdout, /^ZooKeeper: healthy \(2\/3 serving\): .*server\.3 h3:2181 /m, explain(args, r))
    assertExit(jargs, j, 4)
    assertJsonHosts(jargs, j, 'h3', 'SSH_TIMEOUT', /timed out/i)
    assert.equal(j.json!.result.quorum.serving, 2)
    assert.equal(j.json!.result.quorum.peers.find((p: any) => p.id === 3).ok, false)
  })

  it("ZooKeeper's client reaches the live peers within its connect budget whichever server it tries first", async (t) => {
    mark(t)
    // the client shuffles the servers; with h3 first it once spent the whole budget on h3 alone
    for (let i = 0; i < 8; i++) {
      const zk = await connectZk(['h3', 'h1', 'h2'].map((h) => `${ip(h)}:2181`).join(','), {sessionTimeoutMs: 10_000, connectTimeoutMs: 3000})
      await zk.close()
    }
  })

  it('stop-cluster stops what runs; stop-zookeeper-quorum stops two peers and names h3 (exit 4)', async (t) => {
    mark(t)
    let args = ['stop-cluster', '--connect-timeout', '3s']
    let r = await cli(args)
    assertExit(args, r, 0)
    args = ['stop-zookeeper-quorum', '--connect-timeout', '3s', '--json']
    r = await cli(args)
    assertExit(args, r, 4)
    assertJsonHosts(args, r, 'h3', 'SSH_TIMEOUT', /timed out/i)
    for (const h of ['h1', 'h2']) assert.deepEqual([...await pids(h, JM), ...await pids(h, TM), ...await pids(h, ZK)], [], `${h} has no JVM left`)
  })
})
