// Worked examples of whole launch plans: the exact argv Flink's scripts would run.
// Memory lines are Flink's own BashJavaUtils output for these sizes (1.20.0 and 2.3.0 agree).
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {planDaemon, planYarnSession, renderPlan} from '../../../src/lib/launch/plan.ts'
import {evalEchoWords, quoteArg} from '../../../src/lib/launch/shell.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const JM_1600 = ['-Xmx1073741824', '-Xms1073741824', '-XX:MaxMetaspaceSize=268435456']
const JM_1600_DYN = '-D jobmanager.memory.off-heap.size=134217728b -D jobmanager.memory.jvm-overhead.min=201326592b -D jobmanager.memory.jvm-metaspace.size=268435456b -D jobmanager.memory.heap.size=1073741824b -D jobmanager.memory.jvm-overhead.max=201326592b'.split(' ')
const TM_1728 = ['-Xmx536870902', '-Xms536870902', '-XX:MaxDirectMemorySize=268435458', '-XX:MaxMetaspaceSize=268435456']
const TM_1728_DYN = '-D taskmanager.memory.network.min=134217730b -D taskmanager.cpu.cores=1.0 -D taskmanager.memory.task.off-heap.size=0b -D taskmanager.memory.jvm-metaspace.size=268435456b -D external-resources=none -D taskmanager.memory.jvm-overhead.min=201326592b -D taskmanager.memory.framework.off-heap.size=134217728b -D taskmanager.memory.network.max=134217730b -D taskmanager.memory.framework.heap.size=134217728b -D taskmanager.memory.managed.size=536870920b -D taskmanager.memory.task.heap.size=402653174b -D taskmanager.numberOfTaskSlots=1 -D taskmanager.memory.jvm-overhead.max=201326592b'.split(' ')

function home(version: string, config: string, extra: Record<string, string> = {}) {
  const root = writeTree({
    [`lib/flink-dist-${version}.jar`]: '',
    'lib/log4j-core-2.17.1.jar': '',
    'lib/flink-cep-1.20.0.jar': '',
    'lib/Zeta.jar': '',
    'lib/sub/nested.jar': '',
    'lib/README.txt': '',
    'conf/config.yaml': config,
    'conf/zoo.cfg': 'tickTime=2000\ndataDir=/var/lib/zk\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n',
    ...extra,
  })
  return {root, conf: loadCluster({confDir: join(root, 'conf'), flinkHome: root, env: {}})}
}

const BASE_CONF = [
  'jobmanager.memory.process.size: 1600m',
  'taskmanager.memory.process.size: 1728m',
  'env.java.opts.all: "-XX:+UseG1GC -Xlog:gc:file=${FLINK_LOG_PREFIX}.gc"',
  'env.java.opts.jobmanager: -Djm.only=1',
  'env.java.opts.taskmanager: -Dtm.only=1',
  '',
].join('\n')

describe('launch plans', () => {
  it('JobManager on Flink 1.20: memory flags, java opts, log files, classpath with flink-dist last, --host/--webui-port', () => {
    const {root, conf} = home('1.20.0', BASE_CONF)
    const plan = planDaemon(conf, {daemon: 'standalonesession', host: 'jm1', user: 'flink', index: 1, jmHost: 'jm1', webuiPort: 8082, javaMajor: 17})
    const prefix = `${root}/log/flink-flink-standalonesession-1-jm1`
    const cp = [`${root}/lib/Zeta.jar`, `${root}/lib/flink-cep-1.20.0.jar`, `${root}/lib/log4j-core-2.17.1.jar`, `${root}/lib/sub/nested.jar`, `${root}/lib/flink-dist-1.20.0.jar`].join(':')
    assert.deepEqual(plan.argv, [
      'java', ...JM_1600,
      '-XX:+IgnoreUnrecognizedVMOptions', '-XX:+UseG1GC', `-Xlog:gc:file=${prefix}.gc`, '-Djm.only=1',
      `-Dlog.file=${prefix}.log`, `-Dlog4j.configuration=file:${root}/conf/log4j.properties`, `-Dlog4j.configurationFile=file:${root}/conf/log4j.properties`, `-Dlogback.configurationFile=file:${root}/conf/logback.xml`,
      '-classpath', `${cp}::::`,
      'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
      ...JM_1600_DYN, '--configDir', `${root}/conf`, '--executionMode', 'cluster', '--host', 'jm1', '--webui-port', '8082',
    ])
    assert.equal(plan.paths.pidFile, '/tmp/flink-flink-standalonesession.pid')
    assert.equal(plan.paths.outFile, `${prefix}.out`)
    assert.equal(conf.version?.raw, '1.20.0', 'version from lib/flink-dist-1.20.0.jar')
    assert.equal(plan.env.ROOT_LOG_LEVEL, 'INFO', 'Flink 1.19+ exports ROOT_LOG_LEVEL from env.log.level')
    assert.equal(plan.env.MAX_LOG_FILE_NUMBER, '10')
  })

  it('JobManager on Flink 2.x: -D jobmanager.rpc.address / rest.port, no --executionMode, security manager flag on JDK 21', () => {
    const {conf} = home('2.3.0', BASE_CONF)
    const v2 = {...conf, version: {major: 2, minor: 3, patch: 0, raw: '2.3.0', detectedFrom: 'dist-jar' as const}}
    const plan = planDaemon(v2, {daemon: 'standalonesession', host: 'jm1', user: 'flink', jmHost: 'jm1', webuiPort: 8081, javaMajor: 21})
    const tail = plan.argv.slice(plan.argv.indexOf('org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint') + 1)
    assert.deepEqual(tail, [...JM_1600_DYN, '--configDir', `${conf.confDir}`, '-D', 'jobmanager.rpc.address=jm1', '-D', 'rest.port=8081'])
    assert.ok(plan.argv.includes('-Djava.security.manager=allow'))
    assert.ok(plan.argv.indexOf('-Djava.security.manager=allow') < plan.argv.indexOf('-Djm.only=1'), 'general options before the role options')
    assert.equal(plan.env.ROOT_LOG_LEVEL, 'INFO')
  })

  it('TaskManager: --configDir first, then the dynamic memory configs, then user -D args (which feed the memory model)', () => {
    const {conf} = home('1.20.0', BASE_CONF)
    const plan = planDaemon(conf, {daemon: 'taskexecutor', host: 'tm1', user: 'flink', javaMajor: 17})
    const main = plan.argv.indexOf('org.apache.flink.runtime.taskexecutor.TaskManagerRunner')
    assert.deepEqual(plan.argv.slice(1, 5), TM_1728)
    assert.ok(plan.argv.includes('-Dtm.only=1') && !plan.argv.includes('-Djm.only=1'))
    assert.deepEqual(plan.argv.slice(main + 1), ['--configDir', conf.confDir, ...TM_1728_DYN])
    const withSlots = planDaemon(conf, {daemon: 'taskexecutor', host: 'tm1', user: 'flink', userArgs: ['-D', 'taskmanager.numberOfTaskSlots=4']})
    assert.ok(withSlots.argv.includes('taskmanager.numberOfTaskSlots=4'))
    assert.ok(withSlots.argv.includes('taskmanager.cpu.cores=4.0'), 'cpu cores default to the slot count given with -D')
    assert.deepEqual(withSlots.argv.slice(-2), ['-D', 'taskmanager.numberOfTaskSlots=4'])
  })

  it('ZooKeeper peer: zookeeper.heap.mb, the jmx flag, --zkConfigFile and --peerId', () => {
    const {root, conf} = home('1.20.0', `${BASE_CONF}zookeeper.heap.mb: 256\n`)
    const plan = planDaemon(conf, {daemon: 'zookeeper', host: 'zk2', user: 'flink', peerId: 2, javaMajor: 17})
    assert.deepEqual(plan.argv.slice(1, 4), ['-Xms256m', '-Xmx256m', '-Dzookeeper.jmx.log4j.disable=true'])
    assert.deepEqual(plan.argv.slice(-4), ['--zkConfigFile', `${root}/conf/zoo.cfg`, '--peerId', '2'])
    assert.ok(!plan.argv.includes('-Djm.only=1') && !plan.argv.includes('-Dtm.only=1'), 'no role options for ZooKeeper')
    assert.deepEqual(plan.files, [])
  })

  it('ZooKeeper peers sharing a host get their own zoo.cfg with their client port and data dir', () => {
    const zoo = 'tickTime=2000\ndataDir=/var/lib/zk\nserver.1=localhost:2888:3888;2181\nserver.2=localhost:2889:3889;2182\nserver.3=localhost:2890:3890;2183\n'
    const {root, conf} = home('1.20.0', BASE_CONF, {'conf/zoo.cfg': zoo})
    const plan = planDaemon(conf, {daemon: 'zookeeper', host: 'localhost', user: 'flink', peerId: 3}, () => zoo)
    assert.deepEqual(plan.argv.slice(-4), ['--zkConfigFile', `${root}/conf/zoo-peer-3.cfg`, '--peerId', '3'])
    assert.equal(plan.files[0]!.path, `${root}/conf/zoo-peer-3.cfg`)
    assert.match(plan.files[0]!.content, /^clientPort=2183$/m)
    assert.match(plan.files[0]!.content, /^dataDir=\/var\/lib\/zk\/peer-3$/m)
    assert.doesNotMatch(plan.files[0]!.content, /^dataDir=\/var\/lib\/zk$/m)
  })

  it('HistoryServer and standalone job', () => {
    const {conf} = home('1.20.0', `${BASE_CONF}env.java.opts.historyserver: -Dhs=1\n`)
    const hs = planDaemon(conf, {daemon: 'historyserver', host: 'h', user: 'flink'})
    assert.deepEqual(hs.argv.slice(-3), ['org.apache.flink.runtime.webmonitor.history.HistoryServer', '--configDir', conf.confDir])
    assert.ok(hs.argv.includes('-Dhs=1') && !hs.argv.some((a) => a.startsWith('-Xmx')), 'no heap sizing for the HistoryServer')
    const job = planDaemon(conf, {daemon: 'standalonejob', host: 'h', user: 'flink', userArgs: ['--job-classname', 'com.example.Job']})
    const main = job.argv.indexOf('org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint')
    assert.deepEqual(job.argv.slice(main + 1), ['--configDir', conf.confDir, ...JM_1600_DYN, '--job-classname', 'com.example.Job'])
  })

  it('env.java.home (a flat line, even in config.yaml) beats JAVA_HOME; JAVA_HOME beats PATH', () => {
    const {conf} = home('1.20.0', `${BASE_CONF}env.java.home: /opt/jdk17   # pinned\n`)
    const plan = planDaemon(conf, {daemon: 'taskexecutor', host: 'h', user: 'u', env: {JAVA_HOME: '/usr/lib/jvm/other'}})
    assert.equal(plan.argv[0], '/opt/jdk17/bin/java')
    assert.equal(plan.env.JAVA_HOME, '/opt/jdk17')
    const nested = home('1.20.0', `${BASE_CONF}env:\n  java:\n    home: /opt/ignored\n`)
    assert.equal(planDaemon(nested.conf, {daemon: 'taskexecutor', host: 'h', user: 'u', env: {JAVA_HOME: '/usr/lib/jvm/x'}}).argv[0], '/usr/lib/jvm/x/bin/java')
    assert.equal(planDaemon(nested.conf, {daemon: 'taskexecutor', host: 'h', user: 'u'}).argv[0], 'java')
  })

  it('yarn-session client: 512m heap, client opts, Hadoop classpath, log4j-session, -j flink-dist', () => {
    const {root, conf} = home('1.20.0', `${BASE_CONF}env.java.opts.client: -Dclient=1\n`)
    const plan = planYarnSession(conf, {host: 'bastion', user: 'flink', args: ['-d', '-jm', '1024m'], env: {HADOOP_CLASSPATH: '/h/*', HADOOP_CONF_DIR: '/etc/hadoop'}})
    const i = plan.argv.indexOf('-classpath')
    assert.equal(plan.argv[1], '-Xmx512m')
    assert.ok(plan.argv.includes('-Dclient=1') && !plan.argv.includes('-Djm.only=1'))
    assert.match(plan.argv[i + 1]!, new RegExp(`flink-dist-1\\.20\\.0\\.jar:/h/\\*:/etc/hadoop:$`))
    assert.equal(plan.argv[i + 2], `-Dlog.file=${root}/log/flink-flink-yarn-session-bastion.log`)
    assert.deepEqual(plan.argv.slice(-6), ['org.apache.flink.yarn.cli.FlinkYarnSessionCli', '-j', `${root}/lib/flink-dist-1.20.0.jar`, '-d', '-jm', '1024m'])
  })

  it('refuses a home without exactly one flink-dist jar', () => {
    const {conf} = home('1.20.0', BASE_CONF, {'lib/flink-dist-1.20.1.jar': ''})
    assert.throws(() => planDaemon(conf, {daemon: 'taskexecutor', host: 'h'}), /2 flink-dist jars/)
  })

  it('renders a shell line that quotes every argument', () => {
    const {conf} = home('1.20.0', `${BASE_CONF}env.log.dir: /var/log/o'brien $(x)\n`)
    const line = renderPlan(planDaemon(conf, {daemon: 'taskexecutor', host: 'h', user: 'flink'}))
    assert.match(line, /'-Dlog\.file=\/var\/log\/o'"'"'brien \$\(x\)\/flink-flink-taskexecutor-0-h\.log'/)
    // a user name names pid and log files: one a shell or a path would misread is refused
    for (const user of ["o'brien", 'a/b', '$(id)', '-x']) {
      assert.throws(() => planDaemon(conf, {daemon: 'taskexecutor', host: 'h', user}), (e: Error & {code?: string}) => e.code === 'IDENT')
    }
    for (const nasty of ['a b', "it's", '$(reboot)', '`id`', 'x;y', 'l1\nl2', '']) {
      const q = quoteArg(nasty)
      assert.ok(q === "''" || q.startsWith("'"), q)
    }
  })

  it('expands Java options like `eval echo`: variables, quotes consumed, then split on blanks', () => {
    assert.deepEqual(evalEchoWords('-Da=$X "-Db=${Y}z" \'-Dc=$X\' -XX:OnOutOfMemoryError="kill -9 %p"', {X: '1', Y: '2'}),
      ['-Da=1', '-Db=2z', '-Dc=$X', '-XX:OnOutOfMemoryError=kill', '-9', '%p'])
  })
})
