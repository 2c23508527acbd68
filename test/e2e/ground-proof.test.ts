// Proof that the test ground is real, using only flinkctl's launch plans and plain `ssh`:
// a 3-peer ZooKeeper quorum (Flink's FlinkZooKeeperQuorumPeer) on h1-h3, a JobManager with
// ZooKeeper HA on h1, a TaskManager on h2, the TopSpeedWindowing job RUNNING with a completed
// checkpoint, then everything stopped and no JVM left on any host.
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadCluster} from '../../src/lib/conf/load.ts'
import {planDaemon, renderPlan, type LaunchPlan} from '../../src/lib/launch/plan.ts'
import {quoteArg} from '../../src/lib/launch/shell.ts'
import {groundFlinkHomes, assertHomeBuilt} from '../helpers/ground-flink.ts'
import {groundInstall, groundUp, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'
import {waitFor} from '../helpers/wait.ts'

const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const BASE = '/var/tmp/flinkctl-e2e'
const LOGS_ON_FAILURE = process.env.FLINKCTL_GROUND_KEEP_LOGS ?? join(BASE, 'failed-logs')

function fourLetter(ip: string, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let data = ''
    const sock = connect({host: ip, port: 2181, timeout: timeoutMs}, () => sock.end(word))
    sock.on('data', (d) => (data += d))
    sock.on('close', () => resolve(data))
    sock.on('error', () => resolve(''))
    sock.on('timeout', () => sock.destroy())
  })
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, {signal: AbortSignal.timeout(5000)})
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.json()
}

for (const {version, home} of groundFlinkHomes()) {
  describe(`test ground proof, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 420_000}, () => {
    const base = `${BASE}/${version}`
    const confDir = `${base}/conf`
    let ground: Ground | undefined
    let failed = false
    let rest = ''

    const sshStart = async (host: string, plan: LaunchPlan) => {
      for (const f of plan.files) writeFileSync(f.path, f.content) // conf is seeded per host at `up`; only used for plans
      // only the java command goes to the background, with every stream redirected, so ssh returns at once
      const cmd = `mkdir -p ${quoteArg(plan.paths.logDir)} || exit 1; cd /; nohup ${renderPlan(plan)} > ${quoteArg(plan.paths.outFile)} 2>&1 < /dev/null & echo $!`
      const r = await ground!.ssh(host, cmd)
      assert.equal(r.code, 0, `start on ${host}: ${r.stderr}`)
      return Number(r.stdout.trim())
    }

    before(async () => {
      assertHomeBuilt({version, home})
      await groundInstall()
      rmSync(base, {recursive: true, force: true})
      mkdirSync(confDir, {recursive: true})
      mkdirSync(`${base}/shared`, {recursive: true})
      writeFileSync(join(confDir, 'config.yaml'), [
        'jobmanager.bind-host: 0.0.0.0',
        'jobmanager.memory.process.size: 768m',
        'taskmanager.bind-host: 0.0.0.0',
        'taskmanager.memory.process.size: 1g',
        'taskmanager.numberOfTaskSlots: 2',
        'rest.bind-address: 0.0.0.0',
        'high-availability.type: zookeeper',
        'high-availability.zookeeper.quorum: h1:2181,h2:2181,h3:2181',
        `high-availability.storageDir: file://${base}/shared/ha`,
        'high-availability.cluster-id: /ground-proof',
        'high-availability.zookeeper.client.session-timeout: 6000',
        'execution.checkpointing.interval: 2s',
        `state.checkpoints.dir: file://${base}/shared/checkpoints`,
        `execution.checkpointing.dir: file://${base}/shared/checkpoints`,
        `env.log.dir: ${base}/log`,
        `env.java.opts.all: ${JDK17_OPTS}`,
        '',
      ].join('\n'))
      writeFileSync(join(confDir, 'zoo.cfg'), [
        'tickTime=2000', 'initLimit=10', 'syncLimit=5', 'clientPort=2181', `dataDir=${base}/zk`,
        '4lw.commands.whitelist=srvr,ruok', 'admin.enableServer=false',
        'server.1=h1:2888:3888', 'server.2=h2:2888:3888', 'server.3=h3:2888:3888', '',
      ].join('\n'))
      for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
      ground = await groundUp({hosts: 3, private: [confDir], privateEmpty: [`${base}/log`, `${base}/zk`]})
      rest = `http://${ground.hosts[0]!.ip}:8081`
    })

    after(async () => {
      if (!ground) return
      if (failed) {
        await ground.keepLogs(join(LOGS_ON_FAILURE, version))
        console.error(`# hosts' logs kept in ${join(LOGS_ON_FAILURE, version)}`)
      }
      if (process.env.FLINKCTL_GROUND_KEEP_UP) {
        console.error(`# hosts left up for debugging: ssh -F ${ground.sshConfig} h1; tear down with test/ground/hosts/hosts.sh down`)
        return
      }
      await ground.down()
    })

    const conf = () => loadCluster({confDir, flinkHome: home, env: {}})
    const plan = (opts: Parameters<typeof planDaemon>[1]) => planDaemon(conf(), {env: {}, user: 'root', ...opts}, () => readFileSync(join(confDir, 'zoo.cfg'), 'utf8'))

    it('starts a 3-peer ZooKeeper quorum that elects a leader', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      for (const [i, h] of ground!.hosts.entries()) await sshStart(h.name, plan({daemon: 'zookeeper', host: h.name, peerId: i + 1}))
      const modes = await waitFor('a quorum with a leader', 60_000, async () => {
        const m = await Promise.all(ground!.hosts.map(async (h) => /Mode: (\w+)/.exec(await fourLetter(h.ip, 'srvr'))?.[1]))
        return m.includes('leader') && m.every((x) => x === 'leader' || x === 'follower') ? m : undefined
      })
      assert.deepEqual(modes.filter((m) => m === 'leader').length, 1)
    })

    it('runs a JobManager with ZooKeeper HA on h1 and a TaskManager on h2 that registers', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      await sshStart('h1', plan({daemon: 'standalonesession', host: 'h1', hostname: 'h1', jmHost: 'h1', webuiPort: 8081}))
      await sshStart('h2', plan({daemon: 'taskexecutor', host: 'h2', hostname: 'h2'}))
      // the slot report follows the registration: /overview can show the TaskManager with 0 slots for a moment
      const overview = await waitFor('1 TaskManager with its slots in /overview', 120_000, async () => {
        const o = await getJson(`${rest}/overview`)
        return o.taskmanagers === 1 && o['slots-total'] > 0 ? o : undefined
      })
      assert.equal(overview['slots-total'], 2)
      // the static file handler answers 503 while its leader retrieval settles, like every REST handler
      const ui = await waitFor('the web UI', 30_000, async () => {
        const res = await fetch(`${rest}/`, {signal: AbortSignal.timeout(5000)})
        return res.ok ? res.text() : undefined
      })
      assert.match(ui, /Apache Flink Web Dashboard/, 'the web UI is served from flink-runtime-web')
      // the JVMs really run where the plan said, under Flink's log naming
      const jm = await ground!.ssh('h1', `ls ${base}/log`)
      assert.match(jm.stdout, /flink-root-standalonesession-0-h1\.log/)
    })

    it('runs TopSpeedWindowing submitted over REST, with a completed checkpoint', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      const jar = readFileSync(join(home, 'examples/streaming/TopSpeedWindowing.jar'))
      const form = new FormData()
      form.append('jarfile', new Blob([jar], {type: 'application/java-archive'}), 'TopSpeedWindowing.jar')
      const up = await (await fetch(`${rest}/jars/upload`, {method: 'POST', body: form})).json() as {filename: string; status: string}
      assert.equal(up.status, 'success', JSON.stringify(up))
      const jarId = up.filename.split('/').at(-1)!
      const run = await (await fetch(`${rest}/jars/${jarId}/run`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})).json() as {jobid?: string}
      assert.ok(run.jobid, JSON.stringify(run))
      await waitFor('the job RUNNING', 60_000, async () => ((await getJson(`${rest}/jobs/${run.jobid}`)).state === 'RUNNING' ? true : undefined))
      const completed = await waitFor('a completed checkpoint', 90_000, async () => {
        const c = await getJson(`${rest}/jobs/${run.jobid}/checkpoints`)
        return c.counts.completed >= 1 ? c.counts.completed : undefined
      })
      assert.ok(completed >= 1)
    })

    it('stops every JVM it started, leaving none on any host', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      for (const h of ground!.hosts) await ground!.ssh(h.name, "pkill -TERM -f '[o]rg.apache.flink' || true")
      await waitFor('no JVM on any host', 60_000, async () => {
        const left = await Promise.all(ground!.hosts.map(async (h) => (await ground!.ssh(h.name, "pgrep -f '[j]ava' || true")).stdout.trim()))
        return left.every((l) => l === '') ? true : undefined
      })
    })
  })
}
