import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {judgePorts, parsePortSpec, portNeeds} from '../../../src/lib/preflight/ports.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const HA = 'high-availability:\n  type: zookeeper\n  zookeeper.quorum: h1:2181,h2:2181,h3:2181\n  storageDir: file:///var/tmp/ha\n'

describe('parsePortSpec (Flink port lists)', () => {
  it('ports, ranges and lists; 0 and nonsense are nothing to check', () => {
    assert.deepEqual(parsePortSpec('6123'), [6123])
    assert.deepEqual(parsePortSpec('50100-50102'), [50100, 50101, 50102])
    assert.deepEqual(parsePortSpec('50100, 50200-50201'), [50100, 50200, 50201])
    assert.equal(parsePortSpec('0'), undefined)
    assert.equal(parsePortSpec('abc'), undefined)
    assert.equal(parsePortSpec('70000'), undefined)
    assert.equal(parsePortSpec('9-3'), undefined)
    assert.equal(parsePortSpec('1000-60000'), undefined, 'a huge range is as good as random')
  })
})

describe('portNeeds', () => {
  it('HA: the masters line port is the web UI port, RPC from high-availability.jobmanager.port, zoo.cfg ports per peer, TaskManagers counted per host', () => {
    const dir = writeTree({
      'config.yaml': `${HA}high-availability.jobmanager.port: 50010\nblob.server.port: 6124\ntaskmanager.rpc.port: 6122\n`,
      masters: 'h1:8081\nh2:8082\n', workers: 'h3\nh3\nh4\n', 'zoo.cfg': 'clientPort=2181\nserver.1=h1:2888:3888\nserver.2=h2:2889:3889;2182\nserver.3=h3:2888:3888\n',
    })
    const needs = portNeeds(loadCluster({confDir: dir, flinkVersion: '2.3.0'}))
    const specs = (h: string) => (needs.get(h) ?? []).map((n) => `${n.key}=${n.spec}x${n.need}`).sort()
    assert.deepEqual(specs('h1'), ['blob.server.port=6124x1', 'high-availability.jobmanager.port=50010x1', 'masters (web UI port)=8081x1', 'zoo.cfg server.1 (client)=2181x1', 'zoo.cfg server.1 (election)=3888x1', 'zoo.cfg server.1 (quorum)=2888x1'].sort())
    assert.ok(specs('h2').includes('zoo.cfg server.2 (client)=2182x1'), 'the ;port suffix')
    assert.ok(specs('h2').includes('masters (web UI port)=8082x1'))
    assert.ok(specs('h3').includes('taskmanager.rpc.port=6122x2'), specs('h3').join(' '))
    assert.ok(specs('h4').includes('taskmanager.rpc.port=6122x1'))
  })

  it('without HA the JobManager binds jobmanager.rpc.port and rest.port on this machine; random ports are left out', () => {
    const dir = writeTree({'config.yaml': 'rest.port: 9081\n', workers: 'localhost\n'})
    const needs = portNeeds(loadCluster({confDir: dir, flinkVersion: '2.3.0'}))
    assert.deepEqual((needs.get('localhost') ?? []).map((n) => `${n.key}=${n.spec}`).sort(), ['jobmanager.rpc.port=6123', 'rest.port=9081'])
  })

  it("rest.bind-port wins over the masters line's web UI port; taskmanager.data.bind-port over data.port", () => {
    const dir = writeTree({'config.yaml': `${HA}rest.bind-port: 9200\ntaskmanager.data.port: 7000\ntaskmanager.data.bind-port: 7100\n`, masters: 'h1:8081\n', workers: 'w1\n'})
    const needs = portNeeds(loadCluster({confDir: dir, flinkVersion: '2.3.0'}))
    assert.deepEqual(needs.get('h1')!.map((n) => `${n.key}=${n.spec}`), ['rest.bind-port=9200'])
    assert.deepEqual(needs.get('w1')!.map((n) => `${n.key}=${n.spec}`), ['taskmanager.data.bind-port=7100'])
  })

  it('rest.bind-port wins over rest.port, and queryable state ports only when enabled', () => {
    const dir = writeTree({'config.yaml': 'rest.port: 9081\nrest.bind-port: 9100-9102\nqueryable-state.enable: true\n', workers: 'w1\n'})
    const needs = portNeeds(loadCluster({confDir: dir, flinkVersion: '1.20.0'}))
    assert.ok(needs.get('localhost')!.some((n) => n.key === 'rest.bind-port' && n.ports.length === 3))
    assert.deepEqual(needs.get('w1')!.map((n) => n.spec).sort(), ['9067', '9069'])
  })
})

describe('judgePorts', () => {
  const need = (key: string, spec: string, n = 1, who = 'JobManager') => ({key, spec, ports: parsePortSpec(spec)!, need: n, who})
  it('a taken port names who holds it; free ones pass', () => {
    const v = judgePorts([need('rest.port', '8081'), need('jobmanager.rpc.port', '6123')], new Set([8081]), new Map([[8081, {pid: '42', comm: 'java', mainClass: 'org.apache.flink.runtime.webmonitor.history.HistoryServer'}]]))
    assert.equal(v[0]!.level, 'error')
    assert.match(v[0]!.detail, /8081 \(rest\.port, JobManager\): taken \(8081 by java \(pid 42, HistoryServer\)\)/)
    assert.equal(v[1]!.level, 'ok')
  })
  it('a port held by the daemon that needs it (already running) is no conflict; by another daemon it is', () => {
    const zk = {pid: '7', comm: 'java', mainClass: 'org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer'}
    const v = judgePorts([need('zoo.cfg server.1 (client)', '2181', 1, 'ZooKeeper peer 1'), need('rest.port', '8081')], new Set([2181, 8081]), new Map([[2181, zk], [8081, zk]]))
    assert.equal(v[0]!.level, 'ok')
    assert.match(v[0]!.detail, /held by the running ZooKeeper peer 1/)
    assert.equal(v[1]!.level, 'error')
    assert.match(v[1]!.detail, /8081 by java \(pid 7, FlinkZooKeeperQuorumPeer\)/)
  })
  it('a range passes while enough of it is free for the daemons sharing it', () => {
    assert.equal(judgePorts([need('taskmanager.rpc.port', '6122-6123', 2, 'TaskManager')], new Set([]), new Map())[0]!.level, 'ok')
    const v = judgePorts([need('taskmanager.rpc.port', '6122-6123', 2, 'TaskManager')], new Set([6123]), new Map())
    assert.equal(v[0]!.level, 'error')
  })
  it('two TaskManagers on one host cannot share one fixed port, even when it is free', () => {
    const v = judgePorts([need('taskmanager.rpc.port', '6122', 2, 'TaskManager')], new Set(), new Map())
    assert.equal(v[0]!.level, 'error')
    assert.match(v[0]!.detail, /2 daemons need 2 ports, the key gives 1/)
  })
  it('two keys given the same fixed port on one host collide', () => {
    const v = judgePorts([need('rest.port', '8081'), need('zoo.cfg server.1 (client)', '8081', 1, 'ZooKeeper peer 1')], new Set(), new Map())
    assert.ok(v.every((x) => x.level === 'error'))
    assert.match(v[0]!.detail, /also zoo\.cfg server\.1 \(client\) of the ZooKeeper peer 1/)
  })
})
