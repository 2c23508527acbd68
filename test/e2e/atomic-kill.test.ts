// "Atomic under kill" on real SSH hosts: flinkctl SIGKILLed at seeded random moments.
//  1. config push to 8 hosts: afterwards every host's conf dir holds exactly the old or exactly
//     the new file set (sha256 of every file, and no other entry: no temp file, no partial file;
//     flinkctl's own state may stay in <conf>/.flinkctl/, which Flink never reads), and one push
//     without a kill converges every host to the new set.
//  2. start-cluster with real JVMs: every pid-file line names a live process running that
//     daemon's main class (or the line is absent), and stop-cluster then leaves no JVM.
// Rounds: FLINKCTL_KILL_ROUNDS (default 6) and FLINKCTL_PID_KILL_ROUNDS (default 3); seed
// FLINKCTL_KILL_SEED. bench/push-kill.ts runs the full 20 and prints the counts.
import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {quoteArg} from '../../src/lib/launch/shell.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {groundInstall, groundUp, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'
import {digest, e2eBase, fileSets, killDelay, killRounds, readHost, rng, runAndKill, same, writeSet} from '../helpers/push-kill.ts'

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8']
const BASE = join(e2eBase(), 'atomic-kill')
const CONF = `${BASE}/conf`
const PID_CONF = `${BASE}/conf-jvm`
const LOG = `${BASE}/log`
const ROUNDS = Number(process.env.FLINKCTL_KILL_ROUNDS ?? 6)
const PID_ROUNDS = Number(process.env.FLINKCTL_PID_KILL_ROUNDS ?? 3)
const SEED = Number(process.env.FLINKCTL_KILL_SEED ?? 13)
const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const {version, home} = groundFlinkHomes().at(-1)!
const CLASSES: Record<string, string> = {
  standalonesession: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  taskexecutor: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
}

describe(`atomic under kill (Flink ${version}, seed ${SEED})`, {skip: skipUnlessRoot(), timeout: 1_200_000}, () => {
  let g: Ground | undefined
  let failed = false
  const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))
  const sshOpts = () => `env.ssh.opts: -F ${g!.sshConfig}`

  before(async () => {
    assertHomeBuilt({version, home})
    await groundInstall()
    rmSync(BASE, {recursive: true, force: true})
    g = await groundUp({hosts: HOSTS.length, privateEmpty: ['/tmp', CONF, PID_CONF, LOG]})
  })
  after(async () => {
    if (!g) return
    if (failed) await g.keepLogs(join(BASE, 'failed-logs')).catch(() => {})
    await g.down()
  })

  it(`config push to 8 hosts, SIGKILLed ${ROUNDS} times: each host holds the old or the new set, then converges`, async (t) => {
    mark(t)
    const sets = fileSets(HOSTS, [sshOpts()])
    const push = (...extra: string[]) => flinkctl(['config', 'push', '--conf-dir', CONF, '--flink-home', home, ...extra])
    // the old set everywhere, then one full push each way to measure how long a push takes
    writeSet(CONF, sets.a)
    let r = await push('--json')
    assert.equal(r.code, 0, explain(['config', 'push'], r))
    const timings: number[] = []
    for (const target of ['b', 'a'] as const) {
      writeSet(CONF, sets[target])
      const run = await runAndKill(['config', 'push', '--conf-dir', CONF, '--flink-home', home], undefined)
      assert.equal(run.code, 0, run.stderr)
      timings.push(run.ms)
    }
    const pushMs = Math.max(...timings)
    const startMs = (await runAndKill(['validate', '--conf-dir', CONF, '--flink-home', home], undefined)).ms
    for (const h of HOSTS) assert.ok(same((await readHost(g!, h, CONF)).files, digest(sets.a)), `${h} holds A after the measuring pushes`)

    const rounds = await killRounds({
      g: g!, hosts: HOSTS, confDir: CONF, sets, args: ['--flink-home', home], rounds: ROUNDS, seed: SEED, pushMs, startMs,
      onRound: (x) => t.diagnostic(`round ${x.round}: push ${x.target.toUpperCase()} killed after ${x.delayMs} ms (${x.killed ? 'killed' : 'had ended'}): ${x.onA.length} host(s) on A, ${x.onB.length} on B, ${x.mixed.length} mixed`),
    })
    t.diagnostic(`one push takes ${pushMs} ms (${startMs} ms before any host is reached); kills that landed while hosts were switching (some on A, some on B): ${rounds.filter((x) => x.onA.length > 0 && x.onB.length > 0).length}/${rounds.length}`)
    for (const x of rounds) {
      assert.deepEqual(x.mixed, [], `round ${x.round} (delay ${x.delayMs} ms): hosts holding neither set`)
      assert.deepEqual(x.journals, [], `round ${x.round}: a commit step was interrupted`)
    }
    assert.ok(rounds.some((x) => x.killed), 'at least one push was really killed')

    // one push without a kill converges every host, and leaves no staging dir or journal
    writeSet(CONF, sets.b)
    r = await push('--json')
    assert.equal(r.code, 0, explain(['config', 'push'], r))
    for (const h of HOSTS) {
      const v = await readHost(g!, h, CONF)
      assert.deepEqual(v.files, digest(sets.b), `${h} converged to B`)
      assert.deepEqual(v.state.filter((n) => n !== 'prev').sort(), ['manifest'], `${h}: only the manifest and prev/ stay in .flinkctl`)
    }
    const diff = await flinkctl(['config', 'diff', '--conf-dir', CONF, '--flink-home', home, '--json'])
    assert.equal(diff.code, 0, explain(['config', 'diff'], diff))
  })

  it(`start-cluster SIGKILLed ${PID_ROUNDS} times: every pid-file line names a live daemon of its class; stop-cluster leaves no JVM`, async (t) => {
    mark(t)
    // ZooKeeper HA so that the JobManager runs on h1, not on the bastion (no ZooKeeper runs: the
    // JVMs start and keep retrying, which is all a pid file needs)
    const hosts = HOSTS.slice(0, 3)
    writeSet(PID_CONF, {
      'config.yaml': [
        'high-availability.type: zookeeper', 'high-availability.zookeeper.quorum: h1:2181', 'high-availability.cluster-id: /atomic-kill',
        '# shared: nothing is ever written there (no job runs)', 'high-availability.storageDir: file:///tmp/ha',
        'jobmanager.bind-host: 0.0.0.0', 'rest.bind-address: 0.0.0.0', 'taskmanager.bind-host: 0.0.0.0',
        'jobmanager.memory.process.size: 700m', 'taskmanager.memory.process.size: 1g', 'taskmanager.numberOfTaskSlots: 1',
        `env.log.dir: ${LOG}`, sshOpts(), `env.java.opts.all: ${JDK17_OPTS}`, '',
      ].join('\n'),
      masters: 'h1:8081\n', workers: 'h2\nh3\n',
      'log4j.properties': readFileSync(join(home, 'conf/log4j.properties'), 'utf8'),
    })
    const cli = (...args: string[]) => flinkctl([...args, '--conf-dir', PID_CONF, '--flink-home', home])
    const jvms = async (h: string) => (await g!.ssh(h, "pgrep -f '[o]rg.apache.flink.runtime' || true")).stdout.split('\n').filter(Boolean)
    // how long start-cluster takes until every JVM is launched (--no-wait), then stop it all
    let r = await cli('start-cluster', '--no-wait', '--json')
    assert.equal(r.code, 0, explain(['start-cluster'], r))
    const started = performance.now()
    r = await cli('stop-cluster', '--json')
    assert.equal(r.code, 0, explain(['stop-cluster'], r))
    const stopMs = performance.now() - started
    const timing = await runAndKill(['start-cluster', '--no-wait', '--conf-dir', PID_CONF, '--flink-home', home], undefined)
    assert.equal(timing.code, 0, timing.stderr)
    r = await cli('stop-cluster', '--json')
    assert.equal(r.code, 0, explain(['stop-cluster'], r))
    t.diagnostic(`start-cluster --no-wait takes ${timing.ms} ms, stop-cluster ${Math.round(stopMs)} ms`)

    const startMs = (await runAndKill(['validate', '--conf-dir', PID_CONF, '--flink-home', home], undefined)).ms
    const random = rng(SEED + 1)
    for (let round = 1; round <= PID_ROUNDS; round++) {
      const delayMs = killDelay(random, startMs, timing.ms)
      const run = await runAndKill(['start-cluster', '--no-wait', '--conf-dir', PID_CONF, '--flink-home', home], delayMs)
      // under the pid directory's lock (the one flink-daemon.sh takes): a start still running there has finished
      const lines: string[] = []
      for (const h of hosts) {
        const check = `exec 9</tmp; flock -w 120 9 || exit 3
for f in /tmp/flink-*-standalonesession.pid /tmp/flink-*-taskexecutor.pid; do
  [ -f "$f" ] || continue
  d=\${f##*-}; d=\${d%.pid}
  while IFS= read -r p || [ -n "$p" ]; do
    [ -n "$p" ] || continue
    c=$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)
    printf '%s\\t%s\\t%s\\n' "$d" "$p" "$c"
  done < "$f"
done`
        const res = await g!.ssh(h, `sh -c ${quoteArg(check)}`)
        assert.equal(res.code, 0, res.stderr)
        for (const l of res.stdout.split('\n').filter(Boolean)) {
          const [daemon, pid, cmd] = l.split('\t')
          lines.push(`${h} ${daemon} ${pid}`)
          assert.ok(cmd && /\bjava\b/.test(cmd.split(' ')[0] ?? '') && cmd.split(' ').includes(CLASSES[daemon!]!),
            `round ${round} (killed after ${delayMs} ms: ${run.killed}): ${h} ${daemon} pid ${pid} is not a live ${CLASSES[daemon!]} JVM: ${JSON.stringify(cmd?.slice(0, 200))}`)
        }
      }
      t.diagnostic(`round ${round}: start-cluster killed after ${delayMs} ms (${run.killed ? 'killed' : 'had ended'}): pid lines ${lines.join(', ') || 'none'}`)
      r = await cli('stop-cluster', '--json')
      assert.equal(r.code, 0, explain(['stop-cluster'], r))
      for (const h of hosts) assert.deepEqual(await jvms(h), [], `round ${round}: ${h} still runs a Flink JVM after stop-cluster`)
    }
  })
})
