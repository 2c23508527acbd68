// `flinkctl yarn-session -d` time-to-ready on the YARN test ground (Hadoop's minicluster) against a
// floor measured in the same run: Flink's own client with the very same command line (flinkctl's
// plan, run directly), until the JobManager answers REST at the address YARN publishes. flinkctl
// adds the validator, the ResourceManager checks and Node's start-up. Runs alternate so machine
// noise hits both alike; each session is stopped between runs. Prints both medians and the ratio.
// Needs the YARN ground (test/ground/yarn/yarn.sh). Usage: node bench/yarn-session.ts [runs]
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadCluster} from '../src/lib/conf/load.ts'
import {planYarnSession} from '../src/lib/launch/plan.ts'
import {explain, flinkctl} from '../test/helpers/flinkctl.ts'
import {groundFlinkHomes, repoRoot} from '../test/helpers/ground-flink.ts'

const runs = Number(process.argv[2] ?? 3)
const {version, home} = groundFlinkHomes().at(-1)!
const YARN_SH = join(repoRoot, 'test/ground/yarn/yarn.sh')
const base = '/var/tmp/flinkctl-bench/yarn-session'
const confDir = join(base, 'conf')
const JDK17_OPTS = readFileSync(new URL('../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

execFileSync('bash', [YARN_SH, 'install'], {stdio: 'inherit'})
execFileSync('bash', [YARN_SH, 'start'], {stdio: 'inherit'})
const yenv = Object.fromEntries([...execFileSync('bash', [YARN_SH, 'env'], {encoding: 'utf8'}).matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]))
const env = {...process.env, ...yenv}
const rmWeb = yenv.FLINKCTL_YARN_RM_WEB!
rmSync(base, {recursive: true, force: true})
mkdirSync(confDir, {recursive: true})
writeFileSync(join(confDir, 'config.yaml'), [
  'jobmanager.memory.process.size: 1024m', 'taskmanager.memory.process.size: 1024m', 'taskmanager.numberOfTaskSlots: 1',
  'high-availability.type: zookeeper', 'high-availability.zookeeper.quorum: localhost:23181',
  `high-availability.storageDir: ${yenv.FLINKCTL_YARN_HDFS}/flink/ha`, 'yarn.application-attempts: 2',
  'zookeeper.heap.mb: 128', `env.log.dir: ${base}/log`, `env.java.opts.all: ${JDK17_OPTS}`, '',
].join('\n'))
writeFileSync(join(confDir, 'zoo.cfg'), `tickTime=1000\ninitLimit=10\nsyncLimit=5\nclientPort=23181\ndataDir=${base}/zk\nadmin.enableServer=false\nserver.1=localhost:23888:24888\n`)
writeFileSync(join(confDir, 'masters'), 'localhost:8081\n')
for (const f of ['log4j.properties', 'log4j-console.properties', 'log4j-session.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
const cli = (...args: string[]) => flinkctl([...args, '--conf-dir', confDir, '--flink-home', home], {env: yenv})
const app = async (tag: string) => {
  const r = await (await fetch(`${rmWeb}/ws/v1/cluster/apps?applicationTags=${tag}&states=RUNNING`)).json() as any
  return r.apps?.app?.[0] as {id: string; amRPCAddress?: string} | undefined
}
const answers = async (addr: string) => {
  try { return (await fetch(`http://${addr}/overview`, {signal: AbortSignal.timeout(1000)})).ok } catch { return false }
}
const stopAll = async () => {
  const r = await (await fetch(`${rmWeb}/ws/v1/cluster/apps?states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING`)).json() as any
  for (const a of r.apps?.app ?? []) await fetch(`${rmWeb}/ws/v1/cluster/apps/${a.id}/state`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: '{"state":"KILLED"}'})
  for (let i = 0; i < 120; i++) {
    const nodes = (await (await fetch(`${rmWeb}/ws/v1/cluster/nodes`)).json() as any).nodes.node as any[]
    if (nodes.every((n) => n.numContainers === 0)) return
    await sleep(250)
  }
}

try {
  const zk = await cli('start-zookeeper-quorum', '--json')
  if (zk.code !== 0) throw new Error(explain(['start-zookeeper-quorum'], zk))
  const conf = loadCluster({confDir, flinkHome: home, env})
  const flinkctlMs: number[] = []
  const directMs: number[] = []
  for (let i = 0; i < runs; i++) {
    // Flink's client alone, with the command line flinkctl would run
    const tag = `bench-direct-${i}`
    const plan = planYarnSession(conf, {host: 'localhost', user: 'root', env: {...env, HADOOP_CLASSPATH: yenv.HADOOP_CLASSPATH}, args: ['-d', '-nm', tag, '-D', `yarn.tags=${tag}`]})
    let t0 = performance.now()
    const r = spawnSync(plan.argv[0]!, plan.argv.slice(1), {env: {...env, ...plan.env}, stdio: 'ignore'})
    if (r.status !== 0) throw new Error(`Flink's client exited ${r.status}`)
    for (const until = Date.now() + 300_000; ; await sleep(100)) {
      const a = await app(tag)
      if (a?.amRPCAddress && await answers(a.amRPCAddress)) break
      if (Date.now() > until) throw new Error(`${tag}: the JobManager did not answer within 300 s`)
    }
    directMs.push(performance.now() - t0)
    await stopAll()

    t0 = performance.now()
    const f = await cli('yarn-session', '-d', '-nm', `bench-${i}`, '--json')
    if (f.code !== 0) throw new Error(explain(['yarn-session', '-d'], f))
    flinkctlMs.push(performance.now() - t0)
    await stopAll()
    process.stderr.write(`run ${i + 1}/${runs}: Flink's client ${(directMs[i]! / 1000).toFixed(2)} s, flinkctl ${(flinkctlMs[i]! / 1000).toFixed(2)} s\n`)
  }
  const d = median(directMs)
  const f = median(flinkctlMs)
  console.log(`yarn-session -d time-to-ready, Flink ${version}, ${runs} runs (Hadoop minicluster, 1 NodeManager)`)
  console.log(`  Flink's client + poll  median ${(d / 1000).toFixed(2)} s  (${directMs.map((x) => (x / 1000).toFixed(2)).join(', ')})`)
  console.log(`  flinkctl yarn-session  median ${(f / 1000).toFixed(2)} s  (${flinkctlMs.map((x) => (x / 1000).toFixed(2)).join(', ')})`)
  console.log(`  ratio ${(f / d).toFixed(3)}`)
} finally {
  await stopAll().catch(() => {})
  await cli('stop-zookeeper-quorum', '--json')
  execFileSync('bash', [YARN_SH, 'stop'], {stdio: 'inherit'})
}
