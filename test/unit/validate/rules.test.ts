import assert from 'node:assert/strict'
import {chmodSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {LOADER_RULES, RULES, validateCluster} from '../../../src/lib/validate/index.ts'
import {writeTree} from '../../helpers/fixtures.ts'

// A valid multi-host ZooKeeper-HA cluster; every case below changes one thing.
const BASE: Record<string, string | null> = {
  'conf/config.yaml': [
    'jobmanager.memory.process.size: 1600m',
    'taskmanager.memory.process.size: 1728m',
    'taskmanager.numberOfTaskSlots: 2',
    'high-availability.type: zookeeper',
    'high-availability.storageDir: hdfs:///flink/ha',
    'high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181',
    'high-availability.cluster-id: /prod',
    'high-availability.zookeeper.client.session-timeout: 20000',
    '',
  ].join('\n'),
  'conf/masters': 'jm1:8081\njm2:8081\n',
  'conf/workers': 'tm1\ntm2\ntm2\n',
  'conf/zoo.cfg': 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zookeeper\nclientPort=2181\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n',
}

const cfg = (extra: string, drop: string[] = []) =>
  BASE['conf/config.yaml']!.split('\n').filter((l) => !drop.some((d) => l.startsWith(`${d}:`))).join('\n') + extra

interface Case {
  rule: string
  /** Files replacing BASE's (null removes one). */
  files: Record<string, string | null>
  version?: string
  env?: Record<string, string>
  /** Where the finding must point: file name, line. */
  at?: [string, number]
  severity?: 'error' | 'warning' | 'info'
  /** Text the message or hint must contain. */
  says?: string
  /** Validate as a YARN session (default: a standalone cluster). */
  target?: 'yarn'
  dynamic?: string[]
}

const YARN_SITE = (props: Record<string, string>) => `<configuration>\n${Object.entries(props).map(([k, v]) => `  <property>\n    <name>${k}</name>\n    <value>${v}</value>\n  </property>\n`).join('')}</configuration>\n`
// on YARN the cluster-id is the application id: the base leaves it unset
const yarnCfg = (extra: string, drop: string[] = []) => cfg(extra, ['high-availability.cluster-id', ...drop])
const onYarn = (c: Omit<Case, 'target'> & {site?: Record<string, string>}): Case => ({
  ...c, target: 'yarn', env: {HADOOP_CONF_DIR: '<root>/hadoop', HADOOP_CLASSPATH: '/opt/hadoop/client/*', ...c.env},
  files: {'conf/config.yaml': yarnCfg(''), 'hadoop/yarn-site.xml': YARN_SITE(c.site ?? {'yarn.resourcemanager.am.max-attempts': '4', 'yarn.scheduler.maximum-allocation-mb': '4096'}), ...c.files},
})

// One failing fixture per rule. The passing fixture of every rule is BASE itself (plus the
// `passes` variants below for rules whose BASE pass would be trivial).
const FAIL: Case[] = [
  {rule: 'CONF-NO-FILE', files: {'conf/config.yaml': null}},
  {rule: 'CONF-UNKNOWN-KEY', files: {'conf/config.yaml': cfg('taskmanager.numberOfTaskSlot: 4\n')}, at: ['config.yaml', 9], says: "did you mean 'taskmanager.numberOfTaskSlots'"},
  {rule: 'CONF-DEPRECATED-KEY', files: {'conf/config.yaml': cfg('high-availability.zookeeper.storageDir: hdfs:///x\n', ['high-availability.storageDir'])}, at: ['config.yaml', 8], says: 'high-availability.storageDir'},
  {rule: 'CONF-REMOVED-KEY', files: {'conf/config.yaml': cfg('high-availability.job.delay: 10 s\n')}, at: ['config.yaml', 9]},
  {rule: 'CONF-LATER-KEY', version: '1.18.1', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': cfg('', ['high-availability.type']) + 'high-availability: zookeeper\nexecution.checkpointing.dir: hdfs:///flink/cp\n'}, at: ['flink-conf.yaml', 9], says: "in 1.18.1 use 'state.checkpoints.dir'"},
  {rule: 'CONF-VERSION-RANGE', version: '1.14.6', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': cfg('', ['high-availability.type']) + 'high-availability: zookeeper\n'}, severity: 'info', says: 'checked against Flink 1.15'},
  {rule: 'CONF-TYPE', files: {'conf/config.yaml': cfg('taskmanager.memory.managed.size: lots\n')}, at: ['config.yaml', 9], says: 'memory size'},
  {rule: 'CONF-TYPE', files: {'conf/config.yaml': cfg('heartbeat.timeout: 50 parsecs\n')}, at: ['config.yaml', 9], says: 'duration'},
  {rule: 'CONF-TYPE', files: {'conf/config.yaml': cfg('rest.port: 80801\n')}, at: ['config.yaml', 9], says: 'port'},
  {rule: 'CONF-TYPE', files: {'conf/config.yaml': cfg('high-availability.jobmanager.port: 50100-50000\n')}, at: ['config.yaml', 9], says: 'port range'},
  {rule: 'HA-TYPE', files: {'conf/config.yaml': cfg('', ['high-availability.type']).replace('jobmanager.memory', 'high-availability.type: zookeper\njobmanager.memory')}, at: ['config.yaml', 1], says: "'zookeeper'"},
  {rule: 'HA-TYPE-VERSION', version: '1.16.3', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': cfg('')}, at: ['flink-conf.yaml', 4], says: 'high-availability: zookeeper'},
  {rule: 'HA-STORAGE-DIR', files: {'conf/config.yaml': cfg('', ['high-availability.storageDir'])}, at: ['config.yaml', 1], says: 'high-availability.storageDir'},
  {rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': cfg('high-availability.storageDir: file:///var/flink/ha\n', ['high-availability.storageDir'])}, at: ['config.yaml', 8]},
  {rule: 'HA-QUORUM', files: {'conf/config.yaml': cfg('', ['high-availability.zookeeper.quorum'])}, says: 'high-availability.zookeeper.quorum'},
  {rule: 'HA-QUORUM', files: {'conf/config.yaml': cfg('high-availability.zookeeper.quorum: zk1:2181;zk2:2181\n', ['high-availability.zookeeper.quorum'])}, at: ['config.yaml', 8], says: 'malformed'},
  {rule: 'ZK-QUORUM-SIZE', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']! + 'server.4=zk4:2888:3888\n', 'conf/config.yaml': cfg('high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181,zk4:2181\n', ['high-availability.zookeeper.quorum'])}, says: 'odd'},
  {rule: 'ZK-QUORUM-SIZE', files: {'conf/zoo.cfg': null, 'conf/config.yaml': cfg('high-availability.zookeeper.quorum: zk1:2181\n', ['high-availability.zookeeper.quorum'])}, says: 'single server'},
  {rule: 'HA-MASTERS', files: {'conf/masters': 'jm1:8081\n'}, at: ['masters', 1], severity: 'warning'},
  {rule: 'HA-MASTERS', files: {'conf/masters': null}, severity: 'warning', says: 'no masters file'},
  {rule: 'MASTERS-DUPLICATE', files: {'conf/masters': 'jm1:8081\njm2:8081\njm1:8081\n'}, at: ['masters', 3], says: 'first on line 1'},
  {rule: 'ZK-SERVERS-MISMATCH', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('server.3=zk3', 'server.3=zk9')}, at: ['zoo.cfg', 8], says: 'zk9'},
  {rule: 'ZK-DATADIR', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('dataDir=/var/lib/zookeeper\n', '')}, severity: 'error'},
  {rule: 'ZK-DATADIR', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('/var/lib/zookeeper', '/tmp/zookeeper')}, at: ['zoo.cfg', 4], severity: 'warning'},
  // a quorum all on this machine is a demo: /tmp is said, not warned about
  {rule: 'ZK-DATADIR', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('/var/lib/zookeeper', '/tmp/zookeeper').replace(/=zk\d/g, '=localhost')}, at: ['zoo.cfg', 4], severity: 'info'},
  {rule: 'ZK-SESSION-TIMEOUT', files: {'conf/config.yaml': cfg('high-availability.zookeeper.client.session-timeout: 60000\n', ['high-availability.zookeeper.client.session-timeout'])}, at: ['config.yaml', 8], says: '40000'},
  {rule: 'HA-CLUSTER-ID', files: {'conf/config.yaml': cfg('', ['high-availability.cluster-id'])}, says: '/default'},
  {rule: 'HA-ACL', files: {'conf/config.yaml': cfg('high-availability.zookeeper.client.acl: creator\nzookeeper.sasl.disable: true\n')}, at: ['config.yaml', 9]},
  {rule: 'YARN-ATTEMPTS', files: {'conf/config.yaml': cfg('yarn.application-attempts: 1\n')}, at: ['config.yaml', 9], severity: 'error'},
  {rule: 'YARN-ATTEMPTS', files: {'conf/config.yaml': cfg('yarn.application-attempts: 5\n'), 'hadoop/yarn-site.xml': '<configuration>\n  <property>\n    <name>yarn.resourcemanager.am.max-attempts</name>\n    <value>4</value>\n  </property>\n</configuration>\n'}, env: {HADOOP_CONF_DIR: '<root>/hadoop'}, severity: 'warning', says: 'yarn-site.xml:3'},
  {rule: 'HA-REST-LOCALHOST', files: {'conf/config.yaml': cfg('rest.address: localhost\n')}, at: ['config.yaml', 9]},
  // issue 14 (more cases in ha-alias, uri, ha-off, memory, secrets and yarn-ha.test.ts)
  {rule: 'HA-STORAGE-URI', files: {'conf/config.yaml': cfg('high-availability.storageDir: flink/ha\n', ['high-availability.storageDir'])}, at: ['config.yaml', 8], says: 'hdfs:///flink/ha'},
  {rule: 'STATE-DIR-URI', files: {'conf/config.yaml': cfg('execution.checkpointing.dir: s3://flink-state\n')}, at: ['config.yaml', 9], says: 'Cannot use the root directory'},
  {rule: 'HA-KEYS-WITHOUT-HA', files: {'conf/config.yaml': cfg('', ['high-availability.type'])}, at: ['config.yaml', 4], severity: 'warning', says: 'high-availability.type: zookeeper'},
  {rule: 'HA-FAKE-SWITCH', files: {'conf/config.yaml': cfg('ha.type: zookeeper\n', ['high-availability.type'])}, at: ['config.yaml', 8], severity: 'error', says: 'high-availability.type: zookeeper'},
  {rule: 'MEM-BOTH-SIZES', files: {'conf/config.yaml': cfg('taskmanager.memory.flink.size: 4g\n')}, at: ['config.yaml', 9], severity: 'error'},
  {rule: 'CONF-PLAIN-SECRET', files: {'conf/config.yaml': cfg('s3.secret-key: wJalrXUtnFEMI\n')}, at: ['config.yaml', 9], severity: 'info', says: 'AWS_SECRET_ACCESS_KEY'},
  {rule: 'YARN-ATTEMPTS-NO-HA', files: {'conf/config.yaml': cfg('yarn.application-attempts: 4\n', ['high-availability.type'])}, at: ['config.yaml', 8], severity: 'warning'},
  {rule: 'HOST-NAME', files: {'conf/workers': 'tm1\n$(id>/tmp/x)\n'}, at: ['workers', 2], severity: 'error', says: "'$'"},
  {rule: 'HOST-NAME', files: {'conf/masters': 'jm1:8081\njm2;reboot:8081\n'}, at: ['masters', 2], says: "';'"},
  {rule: 'HOST-NAME', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('server.2=zk2', 'server.2=zk`id`')}, at: ['zoo.cfg', 7], says: 'server.2'},
  {rule: 'HOST-NAME', files: {'conf/workers': 'tm1\n-oProxyCommand=x\n'}, at: ['workers', 2], says: "starts with '-'"},
  {rule: 'HOST-NAME', files: {'conf/workers': 'x|y@tm1\n'}, at: ['workers', 1], says: 'user name'},
  {rule: 'HOST-NAME', files: {'conf/config.yaml': cfg('env.ssh.opts: -l $(id) -p 22\n')}, at: ['config.yaml', 9], says: '-l'},
  {rule: 'HOST-NAME', files: {'conf/config.yaml': cfg('env.ssh.opts: -J ok,bad&host\n')}, at: ['config.yaml', 9], says: '-J'},
  // read by the SSH layer's own parser: a bundle of flags (-ql) names the user as -l does
  {rule: 'HOST-NAME', files: {'conf/config.yaml': cfg('env.ssh.opts: -ql$(id) -p 22\n')}, at: ['config.yaml', 9], says: '-l'},
  // as a YARN session
  onYarn({rule: 'YARN-ATTEMPTS', files: {'conf/config.yaml': yarnCfg('yarn.application-attempts: 1\n')}, at: ['config.yaml', 8], severity: 'error', says: 'YARN will not restart the JobManager'}),
  onYarn({rule: 'YARN-ATTEMPTS', files: {}, site: {'yarn.resourcemanager.am.max-attempts': '1'}, severity: 'error', says: 'never restarted'}),
  onYarn({rule: 'YARN-RESOURCES', files: {'conf/config.yaml': yarnCfg('', ['taskmanager.memory.process.size']) + 'taskmanager.memory.process.size: 6g\n'}, at: ['config.yaml', 7], says: 'maximum-allocation-mb 4096'}),
  onYarn({rule: 'YARN-RESOURCES', files: {'conf/config.yaml': yarnCfg('', ['taskmanager.numberOfTaskSlots']) + 'taskmanager.numberOfTaskSlots: 8\n'}, at: ['config.yaml', 7], says: 'vcores'}),
  onYarn({rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': yarnCfg('high-availability.storageDir: file:///var/flink/ha\n', ['high-availability.storageDir'])}, at: ['config.yaml', 7], says: 'YARN restarts the JobManager'}),
  onYarn({rule: 'HA-CLUSTER-ID', files: {'conf/config.yaml': cfg('')}, at: ['config.yaml', 7], says: 'every YARN session'}),
  onYarn({rule: 'YARN-HADOOP', files: {}, env: {HADOOP_CLASSPATH: '', PATH: '/nonexistent'}, severity: 'error', says: 'HADOOP_CLASSPATH'}),
  onYarn({rule: 'YARN-HADOOP', files: {}, env: {HADOOP_CONF_DIR: ''}, severity: 'warning', says: 'yarn-site.xml'}),
  // loader rules
  {rule: 'CONF-DUPLICATE-KEY', files: {'conf/config.yaml': cfg('high-availability:\n  cluster-id: /again\n')}, at: ['config.yaml', 10], severity: 'error'},
  {rule: 'CONF-DUPLICATE-KEY', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': 'rest.port: 8081\nrest.port: 8082\n'}, at: ['flink-conf.yaml', 2], severity: 'warning'},
  {rule: 'CONF-YAML-SYNTAX', files: {'conf/config.yaml': 'a: [1, 2\nb: c\n'}},
  {rule: 'CONF-YAML-LIMIT', files: {'conf/config.yaml': `a: ${'['.repeat(600)}${']'.repeat(600)}\n`}, at: ['config.yaml', 1], severity: 'error'},
  {rule: 'CONF-ENCODING', files: {'conf/config.yaml': 'rest.port: 8081\nrest.address: caf\u0000\n'}, at: ['config.yaml', 2], severity: 'error', says: 'U+0000'},
  {rule: 'CONF-SKIPPED-LINE', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': 'rest.port:8081\n'}, at: ['flink-conf.yaml', 1], says: 'rest.port: 8081'},
  {rule: 'CONF-HASH-IN-VALUE', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': 'security.ssl.internal.key-password: ab#cd\n'}, at: ['flink-conf.yaml', 1]},
  {rule: 'CONF-FILE-SHADOWED', version: '1.20.1', files: {'conf/flink-conf.yaml': 'rest.port: 8081\n'}, at: ['config.yaml', 1]},
  {rule: 'CONF-FILE-IGNORED', version: '2.1.0', files: {'conf/flink-conf.yaml': 'rest.port: 8081\n'}, at: ['flink-conf.yaml', 1]},
  {rule: 'HOSTS-SLAVES-FILE', files: {'conf/workers': null, 'conf/slaves': 'tm1\n'}, at: ['slaves', 1], says: 'workers'},
  {rule: 'HOSTS-EXTRA-WORDS', files: {'conf/workers': 'tm1 tm2\n'}, at: ['workers', 1]},
  {rule: 'HOSTS-CR', files: {'conf/workers': 'tm1\r\ntm2\r\n'}, at: ['workers', 1]},
  {rule: 'ZOO-SERVER-SYNTAX', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('zk3:2888:3888', 'zk3:28x8:3888')}, at: ['zoo.cfg', 8]},
  {rule: 'ZOO-DUPLICATE-KEY', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']! + 'tickTime=3000\n'}, at: ['zoo.cfg', 9]},
  {rule: 'ZOO-SYNTAX', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']! + '=oops\n'}, at: ['zoo.cfg', 9]},
  {rule: 'DIST-JARS', files: {'lib/flink-dist-1.20.1.jar': '', 'lib/flink-dist-1.20.2.jar': ''}},
]

// Variants that must NOT raise the rule though they are close to the failing case.
const PASS: Case[] = [
  {rule: 'CONF-TYPE', files: {'conf/config.yaml': cfg('taskmanager.memory.managed.size: 512 mb\nheartbeat.timeout: 50 s\nrest.port: 8081\nhigh-availability.jobmanager.port: 50100-50200\n')}},
  {rule: 'CONF-UNKNOWN-KEY', files: {'conf/config.yaml': cfg('metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory\nenv.java.opts.jobmanager: -Xss4m\n')}},
  {rule: 'HA-TYPE-VERSION', version: '1.17.2', files: {'conf/config.yaml': null, 'conf/flink-conf.yaml': cfg('')}},
  {rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': cfg('high-availability.storageDir: file:///var/flink/ha\n', ['high-availability.storageDir']), 'conf/masters': 'localhost:8081\nlocalhost:8082\n', 'conf/workers': 'localhost\n'}},
  // one JobManager host: a restarted JobManager reads its own disk, and there is no standby elsewhere
  {rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': cfg('high-availability.storageDir: file:///var/flink/ha\n', ['high-availability.storageDir']), 'conf/masters': 'jm1:8081\n'}},
  // Flink's stock zoo.cfg (server.1=localhost, dataDir commented out) beside an external quorum: not errors
  {rule: 'ZK-DATADIR', files: {'conf/zoo.cfg': 'tickTime=2000\ninitLimit=10\nsyncLimit=5\n# dataDir=/tmp/zookeeper\nclientPort=2181\nserver.1=localhost:2888:3888\n'}, severity: 'error'},
  {rule: 'ZK-SERVERS-MISMATCH', files: {'conf/zoo.cfg': 'tickTime=2000\ninitLimit=10\nsyncLimit=5\n# dataDir=/tmp/zookeeper\nclientPort=2181\nserver.1=localhost:2888:3888\n'}, severity: 'error'},
  {rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': cfg('# shared: NFS mount on every master\nhigh-availability.storageDir: file:///var/flink/ha\n', ['high-availability.storageDir'])}},
  {rule: 'HA-STORAGE-LOCAL', files: {'conf/config.yaml': cfg('high-availability.storageDir: file:///var/flink/ha  # shared (NFS)\n', ['high-availability.storageDir'])}},
  {rule: 'ZK-SESSION-TIMEOUT', files: {'conf/config.yaml': cfg('high-availability.zookeeper.client.session-timeout: 60000\n', ['high-availability.zookeeper.client.session-timeout']), 'conf/zoo.cfg': BASE['conf/zoo.cfg']! + 'maxSessionTimeout=60000\n'}},
  {rule: 'MASTERS-DUPLICATE', files: {'conf/masters': 'jm1:8081\njm1:8082\n'}},
  {rule: 'ZK-SERVERS-MISMATCH', files: {'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('clientPort=2181\n', '').replace('server.1=zk1:2888:3888', 'server.1=zk1:2888:3888;2181')}},
  {rule: 'YARN-ATTEMPTS', files: {'conf/config.yaml': cfg('yarn.application-attempts: 4\n'), 'hadoop/yarn-site.xml': '<configuration><property><name>yarn.resourcemanager.am.max-attempts</name><value>4</value></property></configuration>'}, env: {HADOOP_CONF_DIR: '<root>/hadoop'}},
  {rule: 'CONF-FILE-SHADOWED', version: '2.0.0', files: {}},
  // IPv6 literals, [v6]:port, user@host and user@REALM@host, rack prefixes, ssh options that name plain users and hops
  {rule: 'HOST-NAME', files: {'conf/masters': '[2001:db8::1]:8081\nfe80::1%eth0\n', 'conf/workers': 'flink@tm1\nsvc@CORP.EXAMPLE@tm2\n/rack1/tm3\n::1\ntm_4.example.com\n',
    'conf/zoo.cfg': BASE['conf/zoo.cfg']!.replace('server.3=zk3', 'server.3=[2001:db8::3]'),
    'conf/config.yaml': cfg('env.ssh.opts: -l flink -J jump@bastion:2222,ssh://j2 -o User=svc -p 22\n')}},
  // YARN: no masters, no cluster-id wanted, HA's default of 2 attempts fits the RM's default of 2
  onYarn({rule: 'HA-MASTERS', files: {'conf/masters': null}}),
  onYarn({rule: 'HA-CLUSTER-ID', files: {}}),
  onYarn({rule: 'YARN-ATTEMPTS', files: {}, site: {}}),
  onYarn({rule: 'YARN-RESOURCES', files: {}}),
  // `hadoop classpath` is what yarn-session.sh runs when HADOOP_CLASSPATH is unset
  onYarn({rule: 'YARN-HADOOP', files: {'bin/hadoop': '#!/bin/sh\n'}, env: {HADOOP_CLASSPATH: '', PATH: '<root>/bin'}}),
]

function run(c: Case) {
  const root = writeTree({...BASE, ...c.files})
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replace('<root>', root)]))
  for (const f of Object.keys(c.files)) if (f.startsWith('bin/')) chmodSync(join(root, f), 0o755)
  const conf = loadCluster({confDir: join(root, 'conf'), flinkHome: root, flinkVersion: c.version, env, dynamic: c.dynamic})
  return validateCluster(conf, [], c.target)
}

describe('validator', () => {
  it('passes the base HA cluster with no finding at all', () => {
    assert.deepEqual(run({rule: '', files: {}}).findings, [])
  })

  it('has a failing fixture for every rule', () => {
    const covered = new Set(FAIL.map((c) => c.rule))
    const missing = [...RULES.map((r) => r.id), ...LOADER_RULES.map((r) => r.id)].filter((id) => !covered.has(id))
    assert.deepEqual(missing, [])
  })

  for (const c of FAIL) {
    it(`${c.rule} fires${c.says ? ` (${c.says})` : ''}`, () => {
      const report = run(c)
      const hits = report.findings.filter((f) => f.rule === c.rule)
      assert.ok(hits.length > 0, `expected ${c.rule}, got: ${report.findings.map((f) => `${f.rule} ${f.message}`).join(' | ') || 'nothing'}`)
      const f = hits[0]!
      assert.ok(f.message.length > 10 && f.hint.length > 5, 'a finding has a sentence and a hint')
      assert.ok(f.file, 'a finding names its file')
      if (c.at) {
        assert.ok(hits.some((h) => h.file?.endsWith(`/${c.at![0]}`) && h.line === c.at![1]), `expected at ${c.at.join(':')}, got ${hits.map((h) => `${h.file}:${h.line}`).join(', ')}`)
      }
      if (c.severity) assert.ok(hits.some((h) => h.severity === c.severity), `severity ${c.severity}`)
      if (c.says) assert.ok(hits.some((h) => `${h.message} ${h.hint}`.includes(c.says!)), `mentions ${c.says}: ${hits.map((h) => h.message + ' / ' + h.hint).join(' | ')}`)
    })
  }

  for (const c of PASS) {
    it(`${c.rule} stays quiet for a near miss`, () => {
      const report = run(c)
      // with a severity: quiet at that severity (a note may remain)
      assert.deepEqual(report.findings.filter((f) => f.rule === c.rule && (!c.severity || f.severity === c.severity)), [])
    })
  }

  it('reports two clusters sharing one ZooKeeper path when validated together', () => {
    const a = writeTree(BASE)
    const b = writeTree(BASE)
    const confs = [a, b].map((root) => loadCluster({confDir: join(root, 'conf'), env: {}}))
    const report = validateCluster(confs[0]!, confs)
    assert.ok(report.findings.some((f) => f.rule === 'HA-CLUSTER-ID' && f.severity === 'error' && f.message.includes('/flink/prod')))
    const other = writeTree({...BASE, 'conf/config.yaml': cfg('high-availability.cluster-id: /other\n', ['high-availability.cluster-id'])})
    const confs2 = [a, other].map((root) => loadCluster({confDir: join(root, 'conf'), env: {}}))
    assert.equal(validateCluster(confs2[0]!, confs2).findings.filter((f) => f.rule === 'HA-CLUSTER-ID').length, 0)
  })

  it('passes the YARN base with no finding, and names a -D value as the source of a YARN finding', () => {
    assert.deepEqual(run(onYarn({rule: '', files: {}})).findings, [])
    const r = run(onYarn({rule: 'YARN-ATTEMPTS', files: {}, dynamic: ['yarn.application-attempts=1']}))
    const f = r.findings.find((x) => x.rule === 'YARN-ATTEMPTS')
    assert.match(f?.message ?? '', /is 1 \(-D yarn\.application-attempts=1\) with HA on/)
  })

  it('passes the shipped example conf/ without errors or warnings', () => {
    const conf = loadCluster({confDir: new URL('../../../conf', import.meta.url).pathname, env: {}})
    const report = validateCluster(conf)
    assert.deepEqual(report.findings.filter((f) => f.severity !== 'info'), [])
  })
})
