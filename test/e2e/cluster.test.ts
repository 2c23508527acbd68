// The cluster commands against real hosts: sshd in network namespaces (h1-h5), Flink JVMs
// from Maven Central, a 3-peer ZooKeeper quorum. Everything goes through the real flinkctl
// binary, as an operator on the bastion would type it; every claim is checked independently
// (ssh + pgrep, ZooKeeper's srvr, Flink's REST API).
//
//   zoo.cfg   server.1=h1 server.2=h2 server.3=h3
//   masters   h1:8081 h2:8081          (ZooKeeper HA: one leader, one standby)
//   workers   h3 h4 h5 h5              (h5 twice: 4 TaskManagers)
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadCluster} from '../../src/lib/conf/load.ts'
import {planDaemon, renderPlan} from '../../src/lib/launch/plan.ts'
import {quoteArg} from '../../src/lib/launch/shell.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {groundInstall, groundUp, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'

const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const BASE = '/var/tmp/flinkctl-e2e'
const LOGS_ON_FAILURE = process.env.FLINKCTL_GROUND_KEEP_LOGS ?? join(BASE, 'failed-logs')
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5']
const JVM = (cls: string) => `pgrep -f '[o]rg.apache.flink.${cls}' || true`
const JM = JVM('runtime.entrypoint.StandaloneSessionClusterEntrypoint')
const TM = JVM('runtime.taskexecutor.TaskManagerRunner')
const ZK = JVM('runtime.zookeeper.FlinkZooKeeperQuorumPeer')
// the one Flink version the whole story runs on; the other gets the short story (FLINKCTL_E2E_FULL=all for both)
const versions = groundFlinkHomes()

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

for (const [n, {version, home}] of versions.entries()) {
  const full = n === versions.length - 1 || process.env.FLINKCTL_E2E_FULL === 'all'
  describe(`cluster commands on SSH hosts, Flink ${version}${full ? '' : ' (short story)'}`, {skip: skipUnlessRoot(), timeout: 900_000}, () => {
    const base = `${BASE}/cluster-${version}`
    const confDir = `${base}/conf`
    const deadConfDir = `${base}/conf-dead-worker`
    const badConfDir = `${base}/conf-missing-ha-key`
    let ground: Ground | undefined
    let failed = false
    let sshConfig = ''
    const ips = new Map<string, string>()

    const cli = (...args: string[]) => flinkctl([...args, '--flink-home', home])
    const onHost = async (host: string, cmd: string) => {
      const r = await ground!.ssh(host, cmd)
      assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`)
      return r.stdout.trim()
    }
    const pids = async (host: string, probe: string) => (await onHost(host, probe)).split('\n').filter(Boolean).map(Number).sort()
    const jvmsEverywhere = async (probe: string) => Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await pids(h, probe)] as const)))
    const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))

    before(async () => {
      assertHomeBuilt({version, home})
      await groundInstall()
      rmSync(base, {recursive: true, force: true})
      for (const d of [confDir, `${base}/shared`]) mkdirSync(d, {recursive: true})
      ground = await groundUp({hosts: HOSTS.length, privateEmpty: ['/tmp', confDir, `${base}/log`, `${base}/zk`]})
      for (const h of ground.hosts) ips.set(h.name, h.ip)
      // a worker that cannot be reached: a name in the ssh config with an address nobody has
      sshConfig = `${base}/ssh_config`
      writeFileSync(sshConfig, `Host hdead\n  HostName ${ground.hosts[0]!.ip.replace(/\.\d+$/, '.250')}\n  ConnectTimeout 3\n${readFileSync(ground.sshConfig, 'utf8')}`)
      writeFileSync(join(confDir, 'config.yaml'), [
        'jobmanager.bind-host: 0.0.0.0',
        'jobmanager.memory.process.size: 700m',
        'taskmanager.bind-host: 0.0.0.0',
        'taskmanager.memory.process.size: 1g',
        'taskmanager.numberOfTaskSlots: 2',
        'rest.bind-address: 0.0.0.0',
        'high-availability.type: zookeeper',
        'high-availability.zookeeper.quorum: h1:2181,h2:2181,h3:2181',
        '# shared: every ground host sees this folder (it is not one of their private ones)',
        `high-availability.storageDir: file://${base}/shared/ha`,
        'high-availability.cluster-id: /e2e-cluster',
        'high-availability.zookeeper.client.session-timeout: 6000',
        'zookeeper.heap.mb: 128',
        `env.log.dir: ${base}/log`,
        `env.ssh.opts: -F ${sshConfig}`,
        `env.java.opts.all: ${JDK17_OPTS}`,
        '',
      ].join('\n'))
      writeFileSync(join(confDir, 'zoo.cfg'), [
        'tickTime=2000', 'initLimit=10', 'syncLimit=5', 'clientPort=2181', `dataDir=${base}/zk`,
        '4lw.commands.whitelist=srvr,ruok', 'admin.enableServer=false',
        'server.1=h1:2888:3888', 'server.2=h2:2888:3888', 'server.3=h3:2888:3888', '',
      ].join('\n'))
      writeFileSync(join(confDir, 'masters'), 'h1:8081\nh2:8081\n')
      writeFileSync(join(confDir, 'workers'), 'h3\nh4\nh5\nh5\n')
      for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
      cpSync(confDir, deadConfDir, {recursive: true})
      writeFileSync(join(deadConfDir, 'workers'), 'h3\nh4\nh5\nh5\nhdead\n')
      cpSync(confDir, badConfDir, {recursive: true})
      writeFileSync(join(badConfDir, 'config.yaml'), readFileSync(join(confDir, 'config.yaml'), 'utf8').replace(/^high-availability\.storageDir: .*\n/m, ''))
    })

    after(async () => {
      if (!ground) return
      if (failed) {
        await ground.keepLogs(join(LOGS_ON_FAILURE, `cluster-${version}`))
        console.error(`# hosts' logs kept in ${join(LOGS_ON_FAILURE, `cluster-${version}`)}`)
      }
      if (process.env.FLINKCTL_GROUND_KEEP_UP) return
      await ground.down()
    })

    it('refuses a configuration with a missing HA key before touching any host', async (t) => {
      mark(t)
      const args = ['start-cluster', '--conf-dir', badConfDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 3, explain(args, r))
      assert.equal(r.json?.error?.code, 'CONFIG_INVALID')
      assert.match(r.json!.error!.message, /config\.yaml.*high-availability\.storageDir/s)
      for (const h of HOSTS) assert.equal(await onHost(h, `ls -A ${quoteArg(confDir)}; ls /tmp | grep -c flink- || true`), '0', `${h} was touched`)
    })

    it('refuses a host whose key is unknown, and starts nothing', async (t) => {
      mark(t)
      const strangers = `${base}/ssh_config_unknown_keys`
      writeFileSync(`${base}/empty_known_hosts`, '')
      writeFileSync(strangers, readFileSync(sshConfig, 'utf8').replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${base}/empty_known_hosts`))
      const args = ['start-zookeeper-quorum', '--conf-dir', confDir, '--ssh-config', strangers, '--json']
      const r = await cli(...args)
      assert.notEqual(r.code, 0, explain(args, r))
      const text = `${r.stdout}${r.stderr}`
      assert.match(text, /HOST_KEY_UNKNOWN/, explain(args, r))
      assert.match(text, /accept-new-host-keys/)
      assert.deepEqual(await jvmsEverywhere(ZK), {h1: [], h2: [], h3: [], h4: [], h5: []})
      assert.equal(readFileSync(`${base}/empty_known_hosts`, 'utf8'), '', 'nothing recorded without --accept-new-host-keys')
    })

    it('starts the ZooKeeper quorum and waits until it has a leader', async (t) => {
      mark(t)
      const args = ['start-zookeeper-quorum', '--conf-dir', confDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      const modes = await Promise.all(['h1', 'h2', 'h3'].map((h) => srvrMode(ips.get(h)!)))
      assert.equal(modes.filter((m) => m === 'leader').length, 1, `modes: ${modes}`)
      assert.equal(modes.filter((m) => m === 'follower').length, 2, `modes: ${modes}`)
      const quorum = r.json!.result.quorum
      assert.equal(quorum.healthy, true)
      assert.equal(quorum.peers.find((p: any) => p.mode === 'leader').host, ['h1', 'h2', 'h3'][modes.indexOf('leader')])
      // myid written where the peer's dataDir is
      assert.equal(await onHost('h2', `cat ${base}/zk/myid`), '2')
    })

    let firstPids: Record<string, number[]> = {}
    it('starts the cluster: pushes the conf, 1 leader + 1 standby, 4 TaskManagers registered', async (t) => {
      mark(t)
      const args = ['start-cluster', '--conf-dir', confDir, '--json', '--timeout', '240s']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      const res = r.json!.result
      assert.equal(res.ready.taskmanagers.registered, 4)
      assert.equal(res.ready.taskmanagers.expected, 4)
      // the conf reached every host, byte for byte
      const want = readFileSync(join(confDir, 'config.yaml'), 'utf8')
      for (const h of HOSTS) assert.equal(await onHost(h, `cat ${confDir}/config.yaml`), want.trim(), `${h} conf`)
      // the processes are where the conf says, with Flink's pid and log naming
      const jms = await jvmsEverywhere(JM)
      const tms = await jvmsEverywhere(TM)
      assert.deepEqual(Object.fromEntries(Object.entries(jms).map(([h, p]) => [h, p.length])), {h1: 1, h2: 1, h3: 0, h4: 0, h5: 0})
      assert.deepEqual(Object.fromEntries(Object.entries(tms).map(([h, p]) => [h, p.length])), {h1: 0, h2: 0, h3: 1, h4: 1, h5: 2})
      assert.deepEqual((await onHost('h5', 'cat /tmp/flink-root-taskexecutor.pid')).split('\n').map(Number).sort(), tms.h5)
      assert.match(await onHost('h5', `ls ${base}/log`), /flink-root-taskexecutor-0-h5\.log[\s\S]*flink-root-taskexecutor-1-h5\.log/)
      // REST agrees, asked independently
      const overview = await (await fetch(`http://${ips.get('h2')}:8081/overview`)).json() as {taskmanagers: number; 'slots-total': number}
      assert.equal(overview.taskmanagers, 4)
      assert.equal(overview['slots-total'], 8)
      firstPids = {...Object.fromEntries(Object.entries(jms).map(([h, p]) => [`jm-${h}`, p])), ...Object.fromEntries(Object.entries(tms).map(([h, p]) => [`tm-${h}`, p]))}
    })

    it('status shows every daemon, the leader, the standby, the TaskManagers and the quorum', async (t) => {
      mark(t)
      const args = ['status', '--conf-dir', confDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      const s = r.json!.result
      const leader = s.jobmanager.leader.host as string
      assert.ok(['h1', 'h2'].includes(leader), `leader ${leader}`)
      assert.deepEqual(s.jobmanager.standbys, [leader === 'h1' ? 'h2' : 'h1'])
      // the leader ZooKeeper names is the JobManager whose process answers with its own address
      const cfg = await (await fetch(`http://${ips.get(leader)}:8081/jobmanager/config`)).json() as Array<{key: string; value: string}>
      assert.ok(cfg.length > 0)
      assert.equal(s.taskmanagers.registered, 4)
      assert.equal(s.taskmanagers.expected, 4)
      assert.equal(s.taskmanagers.slotsTotal, 8)
      assert.equal(s.quorum.healthy, true)
      const running = (host: string, daemon: string) => s.hosts.find((h: any) => h.host === host).daemons.find((d: any) => d.daemon === daemon).instances
        .filter((i: any) => i.state === 'running').map((i: any) => i.pid).sort()
      assert.deepEqual(running('h5', 'taskexecutor'), firstPids['tm-h5'])
      assert.deepEqual(running('h1', 'standalonesession'), firstPids['jm-h1'])
      assert.deepEqual(running('h1', 'zookeeper').length, 1)
      assert.ok(s.hosts.find((h: any) => h.host === 'h5').daemons.find((d: any) => d.daemon === 'taskexecutor').instances[0].uptimeSeconds >= 1)
      // the human table names the leader too
      const table = await cli('status', '--conf-dir', confDir)
      assert.equal(table.code, 0, table.stderr)
      assert.match(table.stdout, new RegExp(`${leader}.*leader`))
    })

    it('starting twice starts nothing new', async (t) => {
      mark(t)
      const args = ['start-cluster', '--conf-dir', confDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      assert.equal(r.json!.result.daemons.flatMap((d: any) => d.started).length, 0)
      assert.equal(r.json!.result.daemons.flatMap((d: any) => d.already).length, 6)
      assert.match(r.stderr + r.stdout, /already running/)
      const tms = await jvmsEverywhere(TM)
      assert.deepEqual(tms.h5, firstPids['tm-h5'])
      assert.deepEqual((await jvmsEverywhere(JM)).h1, firstPids['jm-h1'])
    })

    if (full) {
      it('config diff shows what differs; config push changes that file on every host and nothing else', async (t) => {
        mark(t)
        const mtimes = async () => Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await onHost(h, `cd ${confDir} && stat -c '%n %Y %i' * | sort`)] as const)))
        const before = await mtimes()
        writeFileSync(join(confDir, 'config.yaml'), `${readFileSync(join(confDir, 'config.yaml'), 'utf8')}web.timeout: 30000\n`)
        const diff = await cli('config', 'diff', '--conf-dir', confDir, '--json')
        assert.equal(diff.code, 7, explain(['config', 'diff'], diff)) // differences found: the check-failed code
        for (const h of diff.json!.result.hosts) {
          assert.deepEqual(h.differs.map((d: any) => d.name), ['config.yaml'], h.host)
          assert.match(h.differs[0].unifiedDiff, /^\+web\.timeout: 30000$/m)
        }
        await new Promise((r) => setTimeout(r, 1100)) // mtimes have second resolution
        const push = await cli('config', 'push', '--conf-dir', confDir, '--json')
        assert.equal(push.code, 0, explain(['config', 'push'], push))
        for (const h of push.json!.result.hosts) assert.deepEqual([h.host, h.updated, h.created], [h.host, ['config.yaml'], []])
        const afterPush = await mtimes()
        for (const h of HOSTS) {
          const was = before[h]!.split('\n')
          const now = afterPush[h]!.split('\n')
          assert.equal(now.length, was.length)
          for (const [i, line] of now.entries()) {
            if (line.startsWith('config.yaml ')) assert.notEqual(line, was[i], `${h} config.yaml changed`)
            else assert.equal(line, was[i], `${h}: only config.yaml may change`)
          }
          assert.match(await onHost(h, `cat ${confDir}/config.yaml`), /web\.timeout: 30000/)
          assert.doesNotMatch(await onHost(h, `cat ${confDir}/.flinkctl/prev/config.yaml`), /web\.timeout/, 'the previous version is kept')
        }
        const same = await cli('config', 'diff', '--conf-dir', confDir, '--json')
        assert.equal(same.code, 0, explain(['config', 'diff'], same))
      })

      it('logs collects every host\'s logs, each line prefixed by its host', async (t) => {
        mark(t)
        const args = ['logs', '--conf-dir', confDir, '--daemon', 'taskexecutor', '-n', '3']
        const r = await cli(...args)
        assert.equal(r.code, 0, explain(args, r))
        const lines = r.stdout.trim().split('\n')
        assert.ok(lines.length >= 4 * 3 - 4, explain(args, r))
        for (const l of lines) assert.match(l, /^\[?(h3|h4|h5)\b/, l)
        assert.ok(lines.some((l) => /^\[?h5/.test(l)) && lines.some((l) => /^\[?h3/.test(l)))
      })
    }

    it('stop-cluster stops every TaskManager and JobManager, leaving the quorum', async (t) => {
      mark(t)
      const args = ['stop-cluster', '--conf-dir', confDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      assert.equal(r.json!.result.daemons.flatMap((d: any) => d.stopped).length, 6)
      assert.deepEqual(await jvmsEverywhere(`${JM}; ${TM}`), {h1: [], h2: [], h3: [], h4: [], h5: []})
      assert.equal((await jvmsEverywhere(ZK)).h1!.length, 1)
      assert.equal(await onHost('h5', 'cat /tmp/flink-root-taskexecutor.pid 2>/dev/null || true'), '', 'pid entries removed')
    })

    if (full) {
      it('stops a TaskManager started with Flink\'s own pid and log naming', async (t) => {
        mark(t)
        // what flink-daemon.sh does: background JVM, .out redirect, pid appended to /tmp/flink-<user>-taskexecutor.pid
        const conf = loadCluster({confDir, flinkHome: home, env: {}})
        const plan = planDaemon(conf, {daemon: 'taskexecutor', host: 'h4', hostname: 'h4', user: 'root', env: {}, index: 0})
        await onHost('h4', `mkdir -p ${quoteArg(plan.paths.logDir)} && cd / && { nohup ${renderPlan(plan)} > ${quoteArg(plan.paths.outFile)} 2>&1 < /dev/null & echo $! >> /tmp/flink-root-taskexecutor.pid; }`)
        const [pid] = await pids('h4', TM)
        assert.ok(pid)
        const status = await cli('status', '--conf-dir', confDir, '--json')
        const inst = status.json!.result.hosts.find((h: any) => h.host === 'h4').daemons.find((d: any) => d.daemon === 'taskexecutor').instances
        assert.deepEqual(inst.map((i: any) => [i.pid, i.state]), [[pid, 'running']])
        const r = await cli('stop-cluster', '--conf-dir', confDir, '--json')
        assert.equal(r.code, 0, explain(['stop-cluster'], r))
        assert.deepEqual(await pids('h4', TM), [])
        assert.equal(await onHost('h4', 'cat /tmp/flink-root-taskexecutor.pid 2>/dev/null || true'), '')
      })

      it('an unreachable worker gets a per-host error while the others start (partial failure)', async (t) => {
        mark(t)
        const args = ['start-cluster', '--conf-dir', deadConfDir, '--json', '--connect-timeout', '3s', '--timeout', '240s']
        const r = await cli(...args)
        assert.equal(r.code, 4, explain(args, r))
        const res = r.json!.result
        const dead = res.failedHosts.filter((f: any) => f.host === 'hdead')
        assert.equal(dead.length >= 1, true, explain(args, r))
        assert.match(dead[0].code, /SSH_CONNECT|SSH_TIMEOUT/)
        assert.deepEqual(res.failedHosts.filter((f: any) => f.host !== 'hdead'), [])
        assert.equal(res.ready.taskmanagers.registered, 4)
        assert.match(r.stderr, /hdead/)
        const tms = await jvmsEverywhere(TM)
        assert.deepEqual(Object.values(tms).map((p) => p.length), [0, 0, 1, 1, 2])
        const stop = await cli('stop-cluster', '--conf-dir', confDir, '--json')
        assert.equal(stop.code, 0, explain(['stop-cluster'], stop))
      })
    }

    it('stop-zookeeper-quorum leaves no JVM on any host', async (t) => {
      mark(t)
      const args = ['stop-zookeeper-quorum', '--conf-dir', confDir, '--json']
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
      assert.deepEqual(await jvmsEverywhere(`pgrep -f '[j]ava' || true`), {h1: [], h2: [], h3: [], h4: [], h5: []})
    })
  })
}
