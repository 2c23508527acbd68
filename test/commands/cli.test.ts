// The commands as a user runs them: the real bin/run.js over the compiled dist/ (npm run build first).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {writeTree} from '../helpers/fixtures.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin/run.js')

function flinkctl(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: root, encoding: 'utf8', env: {...process.env, FLINK_CONF_DIR: undefined, FLINK_HOME: undefined, ...env}})
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

const BROKEN = {
  'conf/flink-conf.yaml': 'high-availability: zookeeper\nhigh-availability.zookeeper.quorum: zk1:2181,zk2:abc\ns3.secret-key: hunter2\n',
  'conf/masters': 'jm1:8081\njm2:8081\n',
}

describe('flinkctl validate', () => {
  it('passes the example conf/ and exits 0', () => {
    const r = flinkctl(['validate', '--conf-dir', 'conf'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /conf\/config\.yaml .*0 error\(s\), 0 warning\(s\)/)
  })

  it('exits 3 with file:line:col, rule, hint, and no stack trace for a broken conf', () => {
    const dir = writeTree(BROKEN)
    const r = flinkctl(['validate', '--conf-dir', join(dir, 'conf')])
    assert.equal(r.code, 3)
    assert.match(r.stdout, /flink-conf\.yaml:2:1: error HA-QUORUM malformed quorum: 'zk2:abc'/)
    assert.match(r.stdout, /hint: /)
    assert.match(r.stderr, /^error: configuration is invalid: 2 error\(s\)\n {2}hint: start with /)
    assert.doesNotMatch(r.stdout + r.stderr, /\bat .*\.js:\d+/)
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/)
  })

  it('prints a JSON envelope under --json, findings on stdout, the same exit code', () => {
    const dir = writeTree(BROKEN)
    const r = flinkctl(['validate', '-c', join(dir, 'conf'), '--json'])
    assert.equal(r.code, 3)
    const doc = JSON.parse(r.stdout)
    assert.equal(doc.ok, false)
    assert.equal(doc.error.code, 'CONFIG_INVALID')
    assert.equal(doc.error.exit, 3)
    const rules = doc.error.details.clusters[0].findings.map((f: {rule: string}) => f.rule)
    assert.ok(rules.includes('HA-QUORUM') && rules.includes('HA-STORAGE-DIR'), rules.join(','))
  })

  it('fast path and oclif path print the same', () => {
    const dir = writeTree(BROKEN)
    for (const args of [['validate', '-c', join(dir, 'conf')], ['validate', '-c', join(dir, 'conf'), '--json'], ['validate', '-c', 'conf', '-q']]) {
      const fast = flinkctl(args)
      const slow = flinkctl(args, {FLINKCTL_NO_FAST_PATH: '1'})
      assert.equal(fast.code, slow.code, args.join(' '))
      assert.equal(fast.stdout, slow.stdout, args.join(' '))
      assert.equal(fast.stderr, slow.stderr, args.join(' '))
    }
  })

  it('uses the option catalog shipped in dist/ for typos', () => {
    const dir = writeTree({'conf/config.yaml': 'taskmanager.numberOfTaskSlot: 2\n'})
    const r = flinkctl(['validate', '-c', join(dir, 'conf')])
    assert.match(r.stdout, /config\.yaml:1:1: warning CONF-UNKNOWN-KEY unknown key 'taskmanager\.numberOfTaskSlot'; did you mean 'taskmanager\.numberOfTaskSlots'\?/)
  })

  it('never colours output when not a terminal or with NO_COLOR', () => {
    const dir = writeTree(BROKEN)
    for (const env of [{}, {NO_COLOR: '1', FORCE_COLOR: '1'}]) {
      const r = flinkctl(['validate', '-c', join(dir, 'conf')], env)
      assert.doesNotMatch(r.stdout + r.stderr, /\u001b\[/)
    }
  })

  it('exits 2 for a usage error and 3 for a missing conf dir', () => {
    assert.equal(flinkctl(['validate', '--no-such-flag']).code, 2)
    const missing = flinkctl(['validate', '-c', '/nonexistent/conf'])
    assert.equal(missing.code, 3)
    assert.match(missing.stderr, /error: configuration directory \/nonexistent\/conf does not exist\n {2}hint: /)
  })
})

describe('flinkctl config', () => {
  it('prints every value with its source and redacts secrets', () => {
    const dir = writeTree(BROKEN)
    const r = flinkctl(['config', '-c', join(dir, 'conf'), '-D', 'rest.port=9091', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, /hunter2/)
    const values = JSON.parse(r.stdout).result.values as Array<{key: string; value: string; source: {kind: string; line?: number; arg?: string}; readAs?: string}>
    const byKey = Object.fromEntries(values.map((v) => [v.key, v]))
    assert.equal(byKey['s3.secret-key']!.value, '******')
    assert.deepEqual(byKey['rest.port']!.source, {kind: 'dynamic', arg: 'rest.port=9091'})
    assert.equal(byKey['high-availability.zookeeper.quorum']!.source.line, 2)
    assert.equal(byKey['high-availability']!.readAs, 'high-availability.type')
    const human = flinkctl(['config', '-c', join(dir, 'conf')])
    assert.match(human.stdout, /s3\.secret-key\s+\*{6}\s+.*flink-conf\.yaml:3/)
    assert.doesNotMatch(human.stdout, /hunter2/)
  })
})

describe('flinkctl init', () => {
  it('writes a conf dir that validates, and refuses to overwrite one', () => {
    const dir = join(writeTree({}), 'prod')
    const r = flinkctl(['init', '--dir', dir, '--masters', 'jm1:8081,jm2:8081', '--workers', 'tm1,tm2', '--zookeeper', 'zk1,zk2,zk3', '--storage-dir', 'hdfs:///flink/ha', '--cluster-id', '/prod'])
    assert.equal(r.code, 0, r.stderr)
    for (const f of ['config.yaml', 'masters', 'workers', 'zoo.cfg', 'log4j.properties']) assert.ok(existsSync(join(dir, f)), f)
    assert.match(readFileSync(join(dir, 'zoo.cfg'), 'utf8'), /^server\.3=zk3:2888:3888$/m)
    const v = flinkctl(['validate', '-c', dir, '--strict'])
    assert.equal(v.code, 0, v.stdout + v.stderr)
    const again = flinkctl(['init', '--dir', dir, '--masters', 'jm1', '--workers', 'tm1', '--zookeeper', 'zk1,zk2,zk3', '--storage-dir', 'hdfs:///x'])
    assert.equal(again.code, 3)
    assert.match(again.stderr, /exists and is not empty/)
  })

  it('gives peers on one host their own ports, and the legacy format on request', () => {
    const dir = join(writeTree({}), 'local')
    const r = flinkctl(['init', '--dir', dir, '--masters', 'localhost:8081,localhost:8082', '--workers', 'localhost', '--zookeeper', 'localhost,localhost,localhost', '--storage-dir', 'file:///var/lib/flink/ha', '--format', 'flink-conf.yaml'])
    assert.equal(r.code, 0, r.stderr)
    const zoo = readFileSync(join(dir, 'zoo.cfg'), 'utf8')
    assert.match(zoo, /server\.2=localhost:2889:3889;2182/)
    assert.match(readFileSync(join(dir, 'flink-conf.yaml'), 'utf8'), /high-availability\.zookeeper\.quorum: localhost:2181,localhost:2182,localhost:2183/)
    assert.equal(flinkctl(['validate', '-c', dir, '--strict']).code, 0)
  })

  it('refuses settings that would not validate, writing nothing', () => {
    const dir = join(writeTree({}), 'bad')
    const r = flinkctl(['init', '--dir', dir, '--masters', 'jm1,jm2', '--workers', 'tm1', '--zookeeper', 'zk1,zk2,zk3', '--storage-dir', 'file:///local/ha'])
    assert.equal(r.code, 3)
    assert.match(r.stderr, /HA-STORAGE-LOCAL/)
    assert.match(r.stderr, new RegExp(`${dir}/config\\.yaml`))
    assert.equal(existsSync(dir), false)
  })
})

describe('flinkctl start-cluster / jobmanager / taskmanager --dry-run', () => {
  const fakeHome = () => writeTree({
    'lib/flink-dist-1.20.0.jar': '', 'lib/log4j-core-2.17.1.jar': '',
    'conf/config.yaml': 'high-availability.type: zookeeper\nhigh-availability.storageDir: hdfs:///ha\nhigh-availability.zookeeper.quorum: zk1:2181\njobmanager.memory.process.size: 1600m\ntaskmanager.memory.process.size: 1728m\n',
    'conf/masters': 'jm1:8081\njm2:8082\n',
    'conf/workers': 'tm1\ntm1\ntm2\n',
  })

  it('start-cluster prints one exact command per master, and per workers line', () => {
    const dir = fakeHome()
    const r = flinkctl(['start-cluster', '--dry-run', '--flink-home', dir, '--user', 'flink'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /# jm1: standalonesession #0/)
    assert.match(r.stdout, /# jm2: standalonesession #0/)
    assert.match(r.stdout, /-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456 .*StandaloneSessionClusterEntrypoint -D jobmanager\.memory\.off-heap\.size=134217728b .* --executionMode cluster --host jm2 --webui-port 8082/)
    const tm = flinkctl(['start-cluster', '--dry-run', '--flink-home', dir, '--json', '--user', 'flink'])
    assert.equal(tm.code, 0, tm.stderr)
    const plans = JSON.parse(tm.stdout).result.plans as Array<{host: string; daemon: string; index: number; argv: string[]; paths: {logFile: string}}>
    assert.deepEqual(plans.map((p) => [p.host, p.daemon, p.index]), [['jm1', 'standalonesession', 0], ['jm2', 'standalonesession', 0], ['tm1', 'taskexecutor', 0], ['tm1', 'taskexecutor', 1], ['tm2', 'taskexecutor', 0]])
    assert.ok(plans[3]!.paths.logFile.endsWith('/log/flink-flink-taskexecutor-1-tm1.log'))
    assert.ok(plans[2]!.argv.at(-1)!.startsWith('taskmanager.memory.jvm-overhead.max='))
  })

  it('a daemon command acts on this machine by default, --count TaskManagers of them', () => {
    const dir = fakeHome()
    const r = flinkctl(['taskmanager', 'start', '--count', '2', '--dry-run', '--flink-home', dir, '--json', '--user', 'flink'])
    assert.equal(r.code, 0, r.stderr)
    const plans = JSON.parse(r.stdout).result.plans as Array<{host: string; index: number}>
    assert.deepEqual(plans.map((p) => [p.host, p.index]), [['localhost', 0], ['localhost', 1]])
  })

  it("accepts Flink's positional form for one host", () => {
    const dir = fakeHome()
    const r = flinkctl(['jobmanager', 'start', 'jm9', '9091', '--dry-run', '--flink-home', dir])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /# jm9: standalonesession #0/)
    assert.match(r.stdout, /--host jm9 --webui-port 9091$/m)
  })

  it('rejects an unknown action (exit 2), and reports a bad memory config before touching a host (exit 3)', () => {
    const dir = fakeHome()
    assert.equal(flinkctl(['jobmanager', 'launch', '--flink-home', dir]).code, 2)
    const bad = flinkctl(['taskmanager', 'start', '--dry-run', '--flink-home', dir, '-D', 'taskmanager.memory.task.heap.size=4g'])
    assert.equal(bad.code, 3, bad.stdout + bad.stderr)
    assert.match(bad.stderr, /^error: .*\n {2}hint: /)
  })
})
