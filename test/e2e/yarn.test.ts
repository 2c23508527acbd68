// yarn-session on a real YARN: Hadoop's minicluster (ResourceManager, one NodeManager, HDFS) from
// test/ground/yarn/yarn.sh, a ZooKeeper that flinkctl starts on this machine, and Flink 2.3.0's
// own YARN client. Every claim is checked against YARN's REST API, the processes and HDFS, not
// only against what flinkctl says.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {drillReportSchema} from '../../src/lib/output/drill-schema.ts'
import {yarnListSchema, yarnStartSchema, yarnStatusSchema, yarnStopSchema} from '../../src/lib/output/yarn-schema.ts'
import {explain, flinkctl, FLINKCTL_BIN, type CliResult} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'
import {waitFor} from '../helpers/wait.ts'

const YARN_SH = join(repoRoot, 'test/ground/yarn/yarn.sh')
const HOMES = groundFlinkHomes()
const JDK17_OPTS = readFileSync(join(repoRoot, 'conf/config.yaml'), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const ZK_PORT = 23181
const NAME = 'e2e-smoke'
const AM_CLASS = 'org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint'

/** `export K='v'` lines of yarn.sh env as an object. */
function yarnEnv(): Record<string, string> {
  const out = execFileSync('bash', [YARN_SH, 'env'], {encoding: 'utf8'})
  return Object.fromEntries([...out.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]))
}

// the whole story on the newest version; on the older one the HA session, a job, the AM drill and stop
for (const {version, home} of HOMES) {
const full = version === HOMES.at(-1)!.version
const BASE = `/var/tmp/flinkctl-e2e/yarn/${version}`
const story = full ? it : it.skip
describe(`yarn-session on Hadoop's minicluster, Flink ${version}`, {skip: process.getuid?.() === 0 ? false : 'needs root (the test ground)', timeout: 1_500_000}, () => {
  let env: Record<string, string> = {}
  let rmWeb = ''
  let failed = false
  let appId = ''
  let jobId = ''
  const confDir = `${BASE}/conf`
  const cli = (...args: string[]): Promise<CliResult> => flinkctl([...args, '--conf-dir', confDir, '--flink-home', home], {env})
  const rm = async (path: string) => {
    const res = await fetch(`${rmWeb}${path}`, {headers: {accept: 'application/json'}})
    assert.equal(res.status, 200, `${rmWeb}${path}`)
    return res.json() as Promise<any>
  }
  const apps = async () => ((await rm('/ws/v1/cluster/apps')).apps?.app ?? []) as any[]
  /** JVMs on this machine (the NodeManager's host) whose command line has the class and the application id (not the bash wrapper a container also is). */
  const containerPids = (cls: string, id: string) => execFileSync('bash', ['-c', `pgrep -f '${cls}' || true`], {encoding: 'utf8'}).split('\n').filter(Boolean)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        return /(^|\/)java$/.test(argv[0]!) && argv.join(' ').includes(id)
      } catch { return false }
    }).map(Number)
  const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))
  /** Every path under dir in HDFS, through WebHDFS, to a depth. */
  const hdfsTree = async (dir: string, depth: number): Promise<string[]> => {
    const ls = await (await fetch(`${env.FLINKCTL_YARN_NN_WEB}/webhdfs/v1${dir}?op=LISTSTATUS`)).json() as any
    const out: string[] = []
    for (const f of ls.FileStatuses?.FileStatus ?? []) {
      const p = `${dir}/${f.pathSuffix}`
      out.push(p)
      if (f.type === 'DIRECTORY' && depth > 1) out.push(...await hdfsTree(p, depth - 1))
    }
    return out
  }

  before(async () => {
    assertHomeBuilt({version, home})
    execFileSync('bash', [YARN_SH, 'install'], {stdio: 'inherit'})
    execFileSync('bash', [YARN_SH, 'start'], {stdio: 'inherit'})
    env = yarnEnv()
    rmWeb = env.FLINKCTL_YARN_RM_WEB!
    const hdfs = env.FLINKCTL_YARN_HDFS!
    rmSync(BASE, {recursive: true, force: true})
    mkdirSync(confDir, {recursive: true})
    writeFileSync(join(confDir, 'config.yaml'), [
      'jobmanager.memory.process.size: 1024m',
      'taskmanager.memory.process.size: 1024m',
      'taskmanager.numberOfTaskSlots: 1',
      'high-availability.type: zookeeper',
      `high-availability.zookeeper.quorum: localhost:${ZK_PORT}`,
      `high-availability.storageDir: ${hdfs}/flink/ha`,
      'high-availability.zookeeper.client.session-timeout: 4000',
      'yarn.application-attempts: 3',
      'execution.checkpointing.interval: 1s',
      `execution.checkpointing.dir: ${hdfs}/flink/checkpoints`,
      'restart-strategy.type: fixed-delay',
      'restart-strategy.fixed-delay.attempts: 1000',
      'restart-strategy.fixed-delay.delay: 1s',
      'zookeeper.heap.mb: 128',
      `env.log.dir: ${BASE}/log`,
      `env.java.opts.all: ${JDK17_OPTS}`,
      '',
    ].join('\n'))
    // flinkctl runs the ZooKeeper the session's HA uses, on this machine
    writeFileSync(join(confDir, 'zoo.cfg'), ['tickTime=1000', 'initLimit=10', 'syncLimit=5', `clientPort=${ZK_PORT}`, `dataDir=${BASE}/zk`,
      '4lw.commands.whitelist=srvr,ruok', 'admin.enableServer=false', 'server.1=localhost:23888:24888', ''].join('\n'))
    writeFileSync(join(confDir, 'masters'), 'localhost:8081\n')
    for (const f of ['log4j.properties', 'log4j-console.properties', 'log4j-session.properties', 'log4j-cli.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
    const zk = await cli('start-zookeeper-quorum', '--json')
    assert.equal(zk.code, 0, explain(['start-zookeeper-quorum'], zk))
  })

  after(async () => {
    if (failed) {
      try { execFileSync('bash', ['-c', `mkdir -p ${BASE}/failed-logs && cp -r /var/tmp/flinkctl-yarn/minicluster.log ${BASE}/failed-logs/ 2>/dev/null; cp -r /var/tmp/flinkctl-yarn/run/data/MiniHadoopClusterManager/*/*logDir* ${BASE}/failed-logs/ 2>/dev/null || true`]) } catch { /* best effort */ }
      process.stderr.write(`# YARN logs kept in ${BASE}/failed-logs\n`)
    }
    if (process.env.FLINKCTL_GROUND_KEEP_UP) return
    await cli('stop-zookeeper-quorum', '--json')
    execFileSync('bash', [YARN_SH, 'stop'], {stdio: 'inherit'})
  })

  story('refuses a session with yarn.application-attempts: 1 and HA on, naming the rule, and submits nothing', async (t) => {
    mark(t)
    const before = (await apps()).length
    const r = await cli('yarn-session', '-d', '-nm', 'refused', '-D', 'yarn.application-attempts=1', '--json')
    assert.equal(r.code, 3, explain(['yarn-session'], r))
    assert.equal(r.json!.error!.code, 'CONFIG_INVALID')
    assert.match(r.json!.error!.message, /yarn\.application-attempts is 1 \(-D yarn\.application-attempts=1\) with HA on: YARN will not restart the JobManager, so HA never acts \[YARN-ATTEMPTS\]/)
    assert.equal((await apps()).length, before, 'no application was submitted')
  })

  it('starts a detached session with ZooKeeper HA and its HA storage on HDFS; YARN runs it with flinkctl\'s tags', async (t) => {
    mark(t)
    const r = await cli('yarn-session', '-d', '-nm', NAME, '-jm', '1024m', '-tm', '1024m', '-s', '1', '--json')
    assert.equal(r.code, 0, explain(['yarn-session', '-d'], r))
    const s = yarnStartSchema.parse(r.json!.result)
    appId = s.appId
    assert.match(appId, /^application_\d+_\d+$/)
    assert.match(s.restUrl!, /^http:\/\/[^/]+:\d+$/)
    assert.equal(s.overview?.['flink-version'], version)
    // independently: YARN's own view
    const app = (await rm(`/ws/v1/cluster/apps/${appId}`)).app
    assert.equal(app.state, 'RUNNING')
    assert.equal(app.applicationType, 'Apache Flink')
    assert.deepEqual(app.applicationTags.split(',').sort(), ['flinkctl', `flinkctl-session:${NAME}`])
    // the JobManager answers at the address flinkctl printed, and it runs HA on ZooKeeper with its storage on HDFS
    const conf = await (await fetch(`${s.restUrl!}/jobmanager/config`)).json() as Array<{key: string; value: string}>
    const get = (k: string) => conf.find((e) => e.key === k)?.value
    assert.equal(get('high-availability.type'), 'zookeeper')
    assert.match(get('high-availability.storageDir') ?? '', /^hdfs:\/\//)
    assert.equal(get('high-availability.cluster-id'), appId, 'YARN set the cluster-id to the application id')
    assert.equal(containerPids(AM_CLASS, appId).length, 1, 'one ApplicationMaster JVM runs')
    // HDFS holds the session's HA data: a path under the storage dir names the application
    const paths = await hdfsTree('/flink/ha', 4)
    assert.ok(paths.some((p) => p.includes(appId)), paths.join('\n'))
  })

  story('list and status find the session by its tag', async (t) => {
    mark(t)
    const list = await cli('yarn-session', 'list', '--json')
    assert.equal(list.code, 0, explain(['yarn-session', 'list'], list))
    assert.deepEqual(yarnListSchema.parse(list.json!.result).sessions.map((x) => [x.appId, x.name, x.state]), [[appId, NAME, 'RUNNING']])
    const st = await cli('yarn-session', 'status', NAME, '--json')
    assert.equal(st.code, 0, explain(['yarn-session', 'status'], st))
    yarnStatusSchema.parse(st.json!.result)
    assert.equal(st.json!.result.appId, appId)
    assert.equal(st.json!.result.attempts, 1)
    assert.equal(st.json!.result.startedByFlinkctl, true)
    assert.equal(st.json!.result.haClusterId, appId)
    const human = await cli('yarn-session', 'status', appId)
    assert.match(human.stdout, new RegExp(`${appId} RUNNING`))
  })

  it('runs the example job on the session through job submit, with checkpoints on HDFS', async (t) => {
    mark(t)
    const r = await cli('job', 'submit', join(home, 'examples/streaming/TopSpeedWindowing.jar'), '--yarn-session', NAME, '--timeout', '300s', '--json')
    assert.equal(r.code, 0, explain(['job', 'submit', '--yarn-session'], r))
    jobId = r.json!.result.jobId
    assert.match(jobId, /^[0-9a-f]{32}$/)
    const url = r.json!.result.restUrl
    await waitFor('two completed checkpoints', 180_000, async () => {
      const c = await (await fetch(`${url}/jobs/${jobId}/checkpoints`)).json() as any
      return (c.counts?.completed ?? 0) >= 2 ? true : undefined
    })
    const list = await cli('job', 'list', '--yarn-session', appId, '--json')
    assert.equal(list.code, 0, explain(['job', 'list'], list))
    assert.ok(list.json!.result.jobs.some((j: any) => j.id === jobId && j.state === 'RUNNING'))
  })

  it('a drill kills the ApplicationMaster: YARN starts attempt 2, which recovers the job from its checkpoint', async (t) => {
    mark(t)
    const [oldPid] = containerPids(AM_CLASS, appId)
    const r = await cli('drill', '--yarn-session', NAME, '--timeout', '300s', '--json')
    assert.equal(r.code, 0, explain(['drill', '--yarn-session'], r))
    const d = drillReportSchema.parse(r.json!.result)
    const round = d.rounds[0]!
    assert.equal(round.target.kind, 'yarn-am')
    assert.equal(round.target.pid, oldPid, 'the drill killed the ApplicationMaster JVM of this application')
    assert.deepEqual(round.phases.map((p) => p.name), ['attempt-failed', 'new-attempt', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
    const ms = round.phases.map((p) => p.ms!)
    assert.deepEqual([...ms].sort((a, b) => a - b), ms, 'phases in order')
    assert.equal(round.ok, true, JSON.stringify(round.checks))
    assert.ok(round.checks.some((c) => c.name.includes('restored a checkpoint not older') && c.ok))
    // independently: YARN made a second attempt, the old JVM is gone, a new one runs, the job is the same and RUNNING
    const attempts = (await rm(`/ws/v1/cluster/apps/${appId}/appattempts`)).appAttempts.appAttempt as any[]
    assert.equal(attempts.length, 2)
    assert.equal(attempts.at(-1).appAttemptState, 'RUNNING')
    const now = containerPids(AM_CLASS, appId)
    assert.equal(now.length, 1)
    assert.notEqual(now[0], oldPid)
    const st = await cli('yarn-session', 'status', NAME, '--json')
    const jobs = await (await fetch(`${st.json!.result.restUrl}/jobs/overview`)).json() as any
    assert.equal(jobs.jobs.find((j: any) => j.jid === jobId)?.state, 'RUNNING')
  })

  story('-id attaches Flink\'s client to a session found by name; typing stop there ends it', async (t) => {
    mark(t)
    const other = 'e2e-attach'
    const r = await cli('yarn-session', '-d', '-nm', other, '--json')
    assert.equal(r.code, 0, explain(['yarn-session', '-d', '-nm', other], r))
    const id = r.json!.result.appId
    const child = spawn(process.execPath, [FLINKCTL_BIN, 'yarn-session', '-id', other, '--conf-dir', confDir, '--flink-home', home, '--json'], {env: {...process.env, ...env, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']})
    // with --json, Flink's client talks on stderr and stdout carries only the result
    let out = ''
    let stdout = ''
    child.stdout.on('data', (b) => { stdout += b })
    child.stderr.on('data', (b) => { out += b })
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    // the attached client names the application it talks to, then reads commands from stdin
    await waitFor('the attached client', 120_000, async () => (out.includes(id) ? true : undefined), {context: () => out.slice(-2000)})
    await new Promise((r) => setTimeout(r, 2000))
    child.stdin.write('stop\n')
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))])
    if (code === 'timeout') child.kill('SIGKILL')
    assert.equal(code, 0, out.slice(-3000))
    assert.equal(yarnStartSchema.parse(JSON.parse(stdout).result).appId, id, stdout.slice(0, 2000))
    await waitFor(`${id} FINISHED`, 60_000, async () => ((await rm(`/ws/v1/cluster/apps/${id}`)).app.state === 'FINISHED' ? true : undefined))
  })

  it('stop shuts the session down through Flink and leaves no container', async (t) => {
    mark(t)
    const r = await cli('yarn-session', 'stop', NAME, '--json')
    assert.equal(r.code, 0, explain(['yarn-session', 'stop'], r))
    assert.equal(yarnStopSchema.parse(r.json!.result).method, 'rest', JSON.stringify(r.json!.result))
    assert.equal(r.json!.result.runningContainers, 0, 'stop returns once YARN released the containers')
    const app = (await rm(`/ws/v1/cluster/apps/${appId}`)).app
    assert.equal(app.state, 'FINISHED')
    assert.equal(app.finalStatus, 'SUCCEEDED', 'Flink unregistered the application itself')
    // independently: the NodeManager runs no container and no Flink JVM of the application is left
    await waitFor('no containers on the NodeManager', 60_000, async () => {
      const nodes = (await rm('/ws/v1/cluster/nodes')).nodes.node as any[]
      return nodes.every((n) => n.numContainers === 0) && containerPids('org.apache.flink', appId).length === 0 ? true : undefined
    })
    const list = await cli('yarn-session', 'list', '--json')
    assert.deepEqual(list.json!.result.sessions, [], 'no running session is listed')
  })
})
}
