// `flinkctl start-cluster` time-to-ready on the SSH test ground against a floor measured in the
// same run: the very same JVMs (flinkctl's own plans) launched directly, in parallel, with plain
// `ssh … nohup … &`, until the same number of TaskManagers registers. Runs alternate so machine
// noise hits both alike. Prints both medians and the ratio. Target (issue 4): ratio <= 1.15.
// Needs root (the SSH test ground). Usage: node bench/start-cluster.ts [runs]
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {renderPlan, type LaunchPlan} from '../src/lib/launch/plan.ts'
import {quoteArg} from '../src/lib/launch/shell.ts'
import {explain, flinkctl} from '../test/helpers/flinkctl.ts'
import {groundFlinkHomes} from '../test/helpers/ground-flink.ts'
import {groundInstall, groundUp} from '../test/helpers/ground-hosts.ts'

const runs = Number(process.argv[2] ?? 3)
const {version, home} = groundFlinkHomes().at(-1)!
const base = '/var/tmp/flinkctl-bench/start-cluster'
const confDir = join(base, 'conf')
const JDK17_OPTS = readFileSync(new URL('../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

await groundInstall()
rmSync(base, {recursive: true, force: true})
mkdirSync(confDir, {recursive: true})
const ground = await groundUp({hosts: 3, privateEmpty: ['/tmp', join(base, 'log'), join(base, 'zk')]})
const ip = (h: string) => ground.hosts.find((x) => x.name === h)!.ip
try {
  const writeConf = (clusterId: string) => writeFileSync(join(confDir, 'config.yaml'), [
    'jobmanager.bind-host: 0.0.0.0', 'jobmanager.memory.process.size: 700m',
    'taskmanager.bind-host: 0.0.0.0', 'taskmanager.memory.process.size: 1g', 'taskmanager.numberOfTaskSlots: 2',
    'rest.bind-address: 0.0.0.0',
    'high-availability.type: zookeeper', 'high-availability.zookeeper.quorum: h1:2181',
    '# shared: every ground host sees this folder',
    `high-availability.storageDir: file://${base}/ha`, `high-availability.cluster-id: /${clusterId}`,
    'zookeeper.heap.mb: 128', `env.log.dir: ${base}/log`, `env.ssh.opts: -F ${ground.sshConfig}`, `env.java.opts.all: ${JDK17_OPTS}`, '',
  ].join('\n'))
  writeConf('bench-0')
  writeFileSync(join(confDir, 'zoo.cfg'), `tickTime=2000\ninitLimit=10\nsyncLimit=5\nclientPort=2181\ndataDir=${base}/zk\nadmin.enableServer=false\nserver.1=h1:2888:3888\n`)
  writeFileSync(join(confDir, 'masters'), 'h1:8081\nh2:8081\n')
  writeFileSync(join(confDir, 'workers'), 'h2\nh3\n')
  for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
  const cli = (...args: string[]) => flinkctl([...args, '--conf-dir', confDir, '--flink-home', home])
  const zk = await cli('start-zookeeper-quorum', '--json')
  if (zk.code !== 0) throw new Error(explain(['start-zookeeper-quorum'], zk))
  const dry = await cli('start-cluster', '--dry-run', '--json', '--user', 'root')
  const plans = dry.json!.result.plans as Array<Pick<LaunchPlan, 'host' | 'argv' | 'env'> & {paths: LaunchPlan['paths']}>
  const expectedTms = plans.filter((p) => p.argv.includes('org.apache.flink.runtime.taskexecutor.TaskManagerRunner')).length

  const killAll = async () => {
    await Promise.all(['h1', 'h2', 'h3'].map((h) => ground.ssh(h, "pkill -KILL -f '[o]rg.apache.flink.runtime.(entrypoint|taskexecutor)' ; rm -f /tmp/flink-root-standalonesession.pid /tmp/flink-root-taskexecutor.pid; true")))
    for (let i = 0; i < 100; i++) {
      const left = await Promise.all(['h1', 'h2', 'h3'].map(async (h) => (await ground.ssh(h, "pgrep -f '[o]rg.apache.flink.runtime.(entrypoint|taskexecutor)' || true")).stdout.trim()))
      if (left.every((l) => l === '')) return
      await sleep(100)
    }
  }
  const ready = async () => {
    for (;;) {
      for (const h of ['h1', 'h2']) {
        try {
          const res = await fetch(`http://${ip(h)}:8081/overview`, {signal: AbortSignal.timeout(1000)})
          if (res.ok && ((await res.json()) as {taskmanagers: number}).taskmanagers >= expectedTms) return
        } catch {
          // not up yet
        }
      }
      await sleep(100)
    }
  }
  const floor = async () => {
    const start = performance.now()
    // only the java command goes to the background (a backgrounded `a && b &` list would keep ssh's stdout open)
    await Promise.all(plans.map((p) => ground.ssh(p.host, `mkdir -p ${quoteArg(p.paths.logDir)} || exit 1; cd /; nohup ${renderPlan(p as LaunchPlan)} > ${quoteArg(p.paths.outFile)} 2>&1 < /dev/null &`)))
    await ready()
    return performance.now() - start
  }
  const ours = async () => {
    const start = performance.now()
    const r = await cli('start-cluster', '--json', '--timeout', '300s')
    const ms = performance.now() - start
    if (r.code !== 0) throw new Error(explain(['start-cluster'], r))
    if (r.json!.result.ready.taskmanagers.registered !== expectedTms) throw new Error('not the expected TaskManager count')
    return ms
  }
  const floors: number[] = []
  const flinkctls: number[] = []
  // a fresh cluster id per run: a killed leader's ZooKeeper session would otherwise delay the next election
  for (let i = 0; i < runs; i++) {
    await killAll()
    writeConf(`bench-floor-${i}`)
    floors.push(await floor())
    await killAll()
    writeConf(`bench-flinkctl-${i}`)
    flinkctls.push(await ours())
  }
  await killAll()
  await cli('stop-zookeeper-quorum')
  const f = median(floors)
  const c = median(flinkctls)
  console.log(`plain ssh + poll      median ${(f / 1000).toFixed(2)} s  (${floors.map((x) => (x / 1000).toFixed(2)).join(', ')})`)
  console.log(`flinkctl start-cluster median ${(c / 1000).toFixed(2)} s  (${flinkctls.map((x) => (x / 1000).toFixed(2)).join(', ')})`)
  console.log(`ratio ${(c / f).toFixed(2)} (target <= 1.15)`)
  console.log(JSON.stringify({bench: 'start-cluster', flink: version, runs, hosts: 3, jobmanagers: 2, taskmanagers: expectedTms, floorMedianMs: Math.round(f), flinkctlMedianMs: Math.round(c), ratio: +(c / f).toFixed(2), target: 1.15}))
} finally {
  await ground.down()
}
