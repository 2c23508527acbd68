import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {identityTokens, startDaemons, stopDaemons, stopRequestFor, type Started, type StartResult} from '../../../src/lib/daemon/index.ts'
import {planDaemon} from '../../../src/lib/launch/plan.ts'
import {HostError} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {alive, cmdline, ground, pidLines, spawnLoose, track, waitFor} from './helpers.ts'

const host = new LocalHost()
const HOST = hostname() // uname -n: bash's $HOSTNAME, what flink-daemon.sh names log files after

function started(r: StartResult): Started[] {
  const out = r.instances.filter((i): i is Started => i.status === 'started')
  track(...out.map((s) => s.pid))
  return out
}

describe('startDaemons', () => {
  it('launches the plan with nohup, records the pid in Flink\'s format and names log/out as flink-daemon.sh', async () => {
    const g = ground()
    // built on a "bastion" that guessed index 5 and its own name: the host decides both
    const plan = g.plan({daemon: 'taskexecutor', index: 5, hostname: 'bastion-guess'})
    const r = await startDaemons(host, [plan])
    const [s] = started(r)
    assert.ok(s && r.ok && s.alive && !r.alreadyRunning)
    const prefix = join(g.logDir, `flink-tester-taskexecutor-0-${HOST}`)
    assert.equal(s.index, 0)
    assert.equal(s.hostname, HOST)
    assert.equal(s.logFile, `${prefix}.log`)
    assert.equal(s.outFile, `${prefix}.out`)
    assert.equal(plan.paths.pidFile, join(g.pidDir, 'flink-tester-taskexecutor.pid'))
    assert.equal(readFileSync(plan.paths.pidFile, 'utf8'), `${s.pid}\n`, 'one pid per line, as flink-daemon.sh appends it')
    assert.ok(existsSync(s.outFile), '.out is created by the redirection')

    await waitFor('exec', () => (cmdline(s.pid) ?? []).includes(plan.mainClass))
    const argv = cmdline(s.pid)!
    assert.ok(argv.includes(`-Dlog.file=${prefix}.log`), argv.join(' '))
    assert.ok(argv.includes(`-Xlog:gc:file=${prefix}.gc`), 'FLINK_LOG_PREFIX inside java options gets the real prefix too')
    assert.ok(!argv.join(' ').includes('bastion-guess') && !argv.join(' ').includes('-5-'), 'no trace of the bastion\'s prefix')
    assert.deepEqual(argv.slice(argv.indexOf(plan.mainClass)), plan.argv.slice(plan.argv.indexOf(plan.mainClass)), 'the plan\'s arguments, unchanged')
    const environ = readFileSync(`/proc/${s.pid}/environ`, 'utf8').split('\0')
    assert.ok(environ.includes('MAX_LOG_FILE_NUMBER=10') && environ.includes(`FLINK_CONF_DIR=${g.conf.confDir}`), 'plan.env exported')
    assert.ok(!existsSync(`/proc/${s.pid}/fd/9`), 'the lock fd is not inherited')
    assert.equal(readlinkSync(`/proc/${s.pid}/fd/0`), '/dev/null')
    assert.equal(readlinkSync(`/proc/${s.pid}/fd/1`), s.outFile)

    const again = await startDaemons(host, [plan])
    assert.ok(again.alreadyRunning && again.ok)
    assert.deepEqual(again.instances.map((i) => [i.status, i.pid]), [['already-running', s.pid]])
    assert.equal(readFileSync(plan.paths.pidFile, 'utf8'), `${s.pid}\n`, 'nothing appended')
    await stopDaemons(host, stopRequestFor(plan, {all: true}))
  })

  it('two TaskManagers on one host get indexes 0 and 1; after a crash the lowest free index is reused, not a drifting one', async () => {
    const g = ground()
    const plans = [g.plan({daemon: 'taskexecutor', index: 0}), g.plan({daemon: 'taskexecutor', index: 1})]
    const r = await startDaemons(host, plans)
    const [a, b] = started(r)
    assert.deepEqual([a!.index, b!.index], [0, 1])
    assert.deepEqual(pidLines(plans[0]!.paths.pidFile), [String(a!.pid), String(b!.pid)])

    process.kill(a!.pid, 'SIGKILL') // TaskManager 0 crashes; its line stays, as with Flink
    await waitFor('crash', () => !alive(a!.pid))
    const r2 = await startDaemons(host, plans)
    assert.deepEqual(r2.dropped.map((d) => [d.state, d.pid, d.line]), [['stale', a!.pid, 1]])
    assert.deepEqual(r2.instances.map((i) => i.status), ['already-running', 'started'])
    assert.equal(r2.instances[0]!.pid, b!.pid)
    const [c] = started(r2)
    assert.equal(c!.index, 0, 'index 1 is still in use by the running TaskManager: Flink would pick 2 (line count incl. the dead line)')
    assert.deepEqual(pidLines(plans[0]!.paths.pidFile), [String(b!.pid), String(c!.pid)])
    await stopDaemons(host, stopRequestFor(plans[0]!, {all: true}))
  })

  it('concurrent starts get distinct indexes; JobManagers are told apart by their web UI port', async () => {
    const g = ground()
    const jm1 = g.plan({daemon: 'standalonesession', webuiPort: 8081, jmHost: 'localhost'})
    const jm2 = g.plan({daemon: 'standalonesession', webuiPort: 8082, jmHost: 'localhost'})
    const [r1, r2] = await Promise.all([startDaemons(host, [jm1]), startDaemons(host, [jm2])])
    const s1 = started(r1)[0]!
    const s2 = started(r2)[0]!
    assert.deepEqual([s1.index, s2.index].sort(), [0, 1])
    assert.deepEqual(pidLines(jm1.paths.pidFile).sort(), [String(s1.pid), String(s2.pid)].sort())

    // both plans again, in the other order: each is satisfied by its own process
    const again = await startDaemons(host, [jm2, jm1])
    assert.ok(again.alreadyRunning)
    assert.deepEqual(again.instances.map((i) => i.pid), [s2.pid, s1.pid])
    // a third port is not satisfied by either
    const jm3 = g.plan({daemon: 'standalonesession', webuiPort: 8083, jmHost: 'localhost'})
    const r3 = await startDaemons(host, [jm1, jm3])
    assert.deepEqual(r3.instances.map((i) => i.status), ['already-running', 'started'])
    assert.equal((r3.instances[1] as Started).index, 2)
    track(r3.instances[1]!.pid)
    await stopDaemons(host, stopRequestFor(jm1, {all: true}))
    assert.deepEqual(pidLines(jm1.paths.pidFile), [])
  })

  it('waits for the pid-directory lock Flink\'s scripts take (flock on fd 200), and gives up after lockWaitMs', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'historyserver'})
    // what flink-daemon.sh does: exec 200<"$FLINK_PID_DIR"; flock 200
    const holder = spawn('bash', ['-c', 'exec 200<"$1"; flock 200; echo locked; sleep 2', 'bash', g.pidDir], {stdio: ['ignore', 'pipe', 'inherit']})
    track(holder.pid!)
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()))
    await assert.rejects(startDaemons(host, [plan], {lockWaitMs: 500}), (err: unknown) => err instanceof HostError && err.code === 'DAEMON_LOCK')
    assert.deepEqual(pidLines(plan.paths.pidFile), [], 'nothing started without the lock')
    const t0 = Date.now()
    const r = await startDaemons(host, [plan], {verifyMs: 0})
    started(r)
    assert.ok(Date.now() - t0 >= 700, `the start waited for the holder (${Date.now() - t0} ms)`)
    assert.equal(r.instances[0]!.status, 'started')
    await stopDaemons(host, stopRequestFor(plan))
  })

  it('a JVM that dies at once is reported dead with the tail of its .out, and its pid line is removed', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor'}, 'fail')
    const r = await startDaemons(host, [plan])
    const [s] = started(r)
    assert.equal(r.ok, false)
    assert.equal(s!.ok, false)
    assert.equal(s!.alive, false)
    assert.match(s!.outTail!, /Unrecognized VM option 'UseBogusGC'\nError: Could not create the Java Virtual Machine\.\nError: A fatal exception/)
    assert.deepEqual(pidLines(plan.paths.pidFile), [])
    assert.ok(r.durationMs < 5000, 'no need to wait the whole window once every new process is gone')
  })

  it('writes plan.files atomically before the launch; ZooKeeper peers on one host are told apart by --peerId', async () => {
    const g = ground()
    const peers = [g.plan({daemon: 'zookeeper', peerId: 1, index: 0}), g.plan({daemon: 'zookeeper', peerId: 2, index: 1})]
    assert.deepEqual(peers.map((p) => p.files.length), [1, 1], 'peers sharing a host each get a zoo.cfg')
    const r = await startDaemons(host, peers)
    const ss = started(r)
    assert.equal(ss.length, 2)
    for (const p of peers) {
      assert.equal(readFileSync(p.files[0]!.path, 'utf8'), p.files[0]!.content)
      await waitFor('exec', () => ss.some((s) => (cmdline(s.pid) ?? []).join(' ').includes(`--zkConfigFile ${p.files[0]!.path} --peerId`)))
    }
    assert.deepEqual(readdirSync(g.conf.confDir).filter((f) => f.includes('.fc')), [], 'no temp files left')

    // peer 2 stops; a start of both starts only peer 2 and leaves peer 1's file alone
    const peer2 = ss.find((s) => { const a = cmdline(s.pid)!; return a[a.indexOf('--peerId') + 1] === '2' })!
    process.kill(peer2.pid, 'SIGKILL')
    await waitFor('peer 2 gone', () => !alive(peer2.pid))
    writeFileSync(peers[0]!.files[0]!.path, 'edited by hand\n')
    const r2 = await startDaemons(host, peers)
    assert.deepEqual(r2.instances.map((i) => i.status), ['already-running', 'started'])
    started(r2)
    assert.equal(readFileSync(peers[0]!.files[0]!.path, 'utf8'), 'edited by hand\n', 'a running peer\'s file is not rewritten')
    await stopDaemons(host, stopRequestFor(peers[0]!, {all: true}))
  })

  it('a pid line of a live unrelated process (a reused pid) is dropped as foreign and never signalled', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor'})
    const sleeper = spawnLoose(['sleep', '60'])
    writeFileSync(plan.paths.pidFile, `${sleeper}\n`)
    const r = await startDaemons(host, [plan])
    started(r)
    assert.deepEqual(r.dropped.map((d) => [d.state, d.pid]), [['foreign', sleeper]])
    assert.equal(r.instances[0]!.status, 'started', 'the foreign process does not count as a running TaskManager')
    assert.equal((r.instances[0] as Started).index, 0)
    assert.ok(alive(sleeper))
    await stopDaemons(host, stopRequestFor(plan))
  })
})

describe('identityTokens', () => {
  it('web UI port for JobManagers (1.x flag, 2.x -D), peer id for ZooKeeper, nothing for TaskManagers', () => {
    const g = ground()
    assert.deepEqual(identityTokens(g.plan({daemon: 'standalonesession', webuiPort: 8082, jmHost: 'h'})), ['--webui-port 8082'])
    const v2 = {...g.conf, version: {major: 2, minor: 3, patch: 0, raw: '2.3.0', detectedFrom: 'dist-jar' as const}}
    const p2 = g.plan({daemon: 'standalonesession'})
    assert.deepEqual(identityTokens(p2), [], 'a single non-HA JobManager has no port argument')
    assert.deepEqual(identityTokens(planDaemon(v2, {daemon: 'standalonesession', host: 'h', user: 'u', webuiPort: 8081, jmHost: 'h'})), ['-D rest.port=8081'])
    assert.deepEqual(identityTokens(g.plan({daemon: 'zookeeper', peerId: 2})), ['--peerId 2'])
    assert.deepEqual(identityTokens(g.plan({daemon: 'taskexecutor', userArgs: ['-D', 'rest.port=1']})), [])
  })
})
