// Flink leader information (flink-ha.md §3): the worked example, bytes from a real JDK
// ObjectOutputStream, hostile inputs, znode paths from the configuration, and readLeader over an
// in-memory tree (the real-ZooKeeper version is test/e2e/zk-real.test.ts).
import assert from 'node:assert/strict'
import {before, describe, it} from 'node:test'
import type {ClusterConf, ConfigEntry} from '../../../src/lib/conf/types.ts'
import type {ZkClient, ZkNode, ZkStat} from '../../../src/lib/zk/client.ts'
import {decodeLeaderInfo, haPaths, joinZkPath, readLeader} from '../../../src/lib/zk/leader.ts'
import {javaLeaderBytes} from './java-leader-bytes.ts'

const SESSION = '6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b'

// flink-ha.md §3.2, typed in from the table.
const WORKED_EXAMPLE = Buffer.from([
  'ac ed 00 05', '77 17', '00 15',
  '68 74 74 70 3a 2f 2f 31 30 2e 30 2e 30 2e 31 31', '3a 38 30 38 31',
  '73 72 00 0e 6a 61 76 61 2e 75 74 69 6c 2e 55 55', '49 44',
  'bc 99 03 f7 98 6d 85 2f', '02 00 02',
  '4a 00 0c 6c 65 61 73 74 53 69 67 42 69 74 73',
  '4a 00 0b 6d 6f 73 74 53 69 67 42 69 74 73',
  '78 70', '8a 9b 0c 1d 2e 3f 4a 5b', '6f 1c 2e 3a 4b 5d 4e 6f',
].join(' ').replace(/ /g, ''), 'hex')

/** An http URL of exactly n bytes. */
const urlOfLength = (n: number): string => {
  const head = 'http://jm-'
  const tail = '.example.com:8081'
  return head + 'a'.repeat(n - head.length - tail.length) + tail
}

describe('decodeLeaderInfo', () => {
  let java: Buffer[] = []
  const inputs = [
    {address: 'http://10.0.0.11:8081', sessionId: SESSION},
    {address: urlOfLength(300), sessionId: '00000000-0000-0000-0000-000000000001'},
    {address: urlOfLength(1500), sessionId: 'ffffffff-ffff-4fff-bfff-ffffffffffff'},
    {address: 'pekko.tcp://flink@jm-1.example.com:6123/user/rpc/dispatcher_1', sessionId: 'a1b2c3d4-e5f6-4788-99aa-bbccddeeff00'},
    {address: 'http://bücher.example:8081/€/😀', sessionId: '12345678-9abc-4def-8123-456789abcdef'},
    {address: '', sessionId: SESSION},
  ]

  before(() => {
    java = javaLeaderBytes(inputs)
  })

  it('decodes the worked example of flink-ha.md §3.2, which is byte for byte what the JDK writes', () => {
    assert.equal(WORKED_EXAMPLE.length, 105)
    assert.deepEqual(decodeLeaderInfo(WORKED_EXAMPLE), {kind: 'leader', address: 'http://10.0.0.11:8081', sessionId: SESSION})
    assert.equal(java[0]!.toString('hex'), WORKED_EXAMPLE.toString('hex'))
  })

  it('decodes JDK bytes for 21-, 300- and 1500-byte addresses (TC_BLOCKDATA, TC_BLOCKDATALONG, several records)', () => {
    for (const [i, len] of [[0, 21], [1, 300], [2, 1500]] as const) {
      assert.equal(Buffer.byteLength(inputs[i]!.address), len)
      assert.deepEqual(decodeLeaderInfo(java[i]), {kind: 'leader', ...inputs[i]!}, `address of ${len} bytes`)
    }
    assert.equal(java[0]![4], 0x77, '21 bytes: short block data')
    assert.equal(java[1]![4], 0x7a, '300 bytes: TC_BLOCKDATALONG')
    assert.equal(java[1]!.readInt32BE(5), 302)
    // 1502 bytes of block data are flushed as 1024 + 478: two records to concatenate.
    assert.equal(java[2]![4], 0x7a)
    assert.equal(java[2]!.readInt32BE(5), 1024)
    assert.equal(java[2]![4 + 5 + 1024], 0x7a)
    assert.equal(java[2]!.readInt32BE(4 + 5 + 1024 + 1), 478)
  })

  it('decodes RPC addresses, non-ASCII addresses (modified UTF-8, surrogate pairs) and an empty address', () => {
    for (const i of [3, 4, 5]) assert.deepEqual(decodeLeaderInfo(java[i]), {kind: 'leader', ...inputs[i]!})
  })

  it('returns undefined for no data: Flink empties the node when no leader is known', () => {
    assert.equal(decodeLeaderInfo(undefined), undefined)
    assert.equal(decodeLeaderInfo(null), undefined)
    assert.equal(decodeLeaderInfo(Buffer.alloc(0)), undefined)
  })

  it('reports other bytes as unknown-format and never throws', () => {
    const text = decodeLeaderInfo(Buffer.from('http://10.0.0.11:8081'))
    assert.equal(text?.kind, 'unknown-format')
    assert.match(text.kind === 'unknown-format' ? text.reason : '', /not a Java serialization stream/)
    assert.equal(decodeLeaderInfo(Buffer.from([0xac]))?.kind, 'unknown-format')
    // UUID replaced by a String object: right header, wrong class.
    const notUuid = Buffer.concat([WORKED_EXAMPLE.subarray(0, 29), Buffer.from('740003616263', 'hex')])
    assert.match(JSON.stringify(decodeLeaderInfo(notUuid)), /not a serialized java\.util\.UUID/)
    // Every truncation of every real stream, and every single-byte corruption of the worked example.
    for (const buf of [WORKED_EXAMPLE, ...java]) {
      for (let n = 1; n < buf.length; n++) {
        const r = decodeLeaderInfo(buf.subarray(0, n))
        assert.equal(r?.kind, 'unknown-format', `truncated to ${n} of ${buf.length}`)
      }
    }
    for (let i = 0; i < WORKED_EXAMPLE.length; i++) {
      const bad = Buffer.from(WORKED_EXAMPLE)
      bad[i] = bad[i]! ^ 0xff
      const r = decodeLeaderInfo(bad)
      assert.ok(r, `corrupt byte ${i}`)
      // Flipping a byte of the address text or the UUID value still decodes, to different values.
      if (r.kind === 'leader') assert.ok((i >= 8 && i < 29) || i >= 89, `byte ${i} decoded as ${JSON.stringify(r)}`)
    }
  })

  it('accepts a Uint8Array view into a larger buffer', () => {
    const big = Buffer.concat([Buffer.alloc(7, 1), WORKED_EXAMPLE, Buffer.alloc(3, 2)])
    const view = new Uint8Array(big.buffer, big.byteOffset + 7, WORKED_EXAMPLE.length)
    assert.deepEqual(decodeLeaderInfo(view), {kind: 'leader', address: 'http://10.0.0.11:8081', sessionId: SESSION})
  })
})

function conf(values: Record<string, string>): Pick<ClusterConf, 'flink' | 'version'> {
  const entries = new Map<string, ConfigEntry>(Object.entries(values).map(([key, value]) => [key, {key, value, source: {kind: 'dynamic', arg: `${key}=${value}`}}]))
  return {flink: {file: undefined, format: 'none', entries}, version: undefined}
}

describe('haPaths', () => {
  it('defaults to /flink/default', () => {
    assert.deepEqual(haPaths(conf({})), {
      root: '/flink', clusterId: '/default', base: '/flink/default',
      leader: '/flink/default/leader', latch: '/flink/default/leader/latch',
      legacyLatch: '/flink/default/leaderlatch', legacyLeader: '/flink/default/leader',
      jobgraphs: '/flink/default/jobgraphs', executionPlans: '/flink/default/execution-plans', jobs: '/flink/default/jobs',
    })
  })

  it('normalises slashes as Flink/Curator do', () => {
    assert.equal(haPaths(conf({'high-availability.zookeeper.path.root': 'flink/', 'high-availability.cluster-id': '//cluster_one/'})).base, '/flink/cluster_one')
    assert.equal(haPaths(conf({'high-availability.zookeeper.path.root': '/', 'high-availability.cluster-id': 'c1'})).base, '/c1')
    assert.equal(haPaths(conf({'high-availability.zookeeper.path.root': '/a//b/', 'high-availability.cluster-id': '/c'})).latch, '/a/b/c/leader/latch')
    assert.equal(joinZkPath('/', ''), '/')
  })

  it('reads deprecated names for root and cluster-id, the canonical name winning', () => {
    assert.equal(haPaths(conf({'recovery.zookeeper.path.root': '/old', 'high-availability.zookeeper.path.namespace': '/ns'})).base, '/old/ns')
    assert.equal(haPaths(conf({'recovery.zookeeper.path.namespace': 'rns'})).base, '/flink/rns')
    assert.equal(haPaths(conf({'high-availability.cluster-id': '/new', 'high-availability.zookeeper.path.namespace': '/ns'})).base, '/flink/new')
  })

  it('takes the legacy latch/leader/jobgraphs paths from their keys, and overrides for deploy-time cluster ids', () => {
    const p = haPaths(conf({'high-availability.zookeeper.path.latch': '/ll', 'recovery.zookeeper.path.leader': 'ld', 'high-availability.zookeeper.path.jobgraphs': '/jg'}), {clusterId: 'application_1_0001'})
    assert.equal(p.legacyLatch, '/flink/application_1_0001/ll')
    assert.equal(p.legacyLeader, '/flink/application_1_0001/ld')
    assert.equal(p.jobgraphs, '/flink/application_1_0001/jg')
  })
})

/** A read-only in-memory ZooKeeper tree: path → data and ephemeral owner. */
function fakeZk(tree: Record<string, {data?: Buffer; owner?: string}>): ZkClient {
  const stat = (path: string): ZkStat | undefined => {
    const n = tree[path]
    if (!n) return undefined
    return {czxid: '0x1', mzxid: '0x1', pzxid: '0x1', ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: n.owner ?? '0x0', dataLength: n.data?.length ?? 0, numChildren: 0}
  }
  const zk: Partial<ZkClient> = {
    exists: async (p) => stat(p),
    getData: async (p): Promise<ZkNode | undefined> => (tree[p] ? {data: tree[p].data, stat: stat(p)!} : undefined),
    getChildren: async (p) => {
      if (!tree[p]) return undefined
      const prefix = p === '/' ? '/' : `${p}/`
      return Object.keys(tree).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length))
    },
  }
  return zk as ZkClient
}

/** Every ancestor of the given paths as an empty persistent node. */
function withParents(tree: Record<string, {data?: Buffer; owner?: string}>): Record<string, {data?: Buffer; owner?: string}> {
  const out = {...tree}
  for (const p of Object.keys(tree)) {
    const parts = p.split('/').filter(Boolean)
    for (let i = 1; i < parts.length; i++) out[`/${parts.slice(0, i).join('/')}`] ??= {}
  }
  return out
}

describe('readLeader (in-memory tree)', () => {
  const paths = haPaths(conf({'high-availability.cluster-id': '/c1'}))
  const A = '0x1000001a2b3c0000'
  const B = '0x1000001a2b3c0001'
  const JOB = '0123456789abcdef0123456789abcdef'

  it('1.15+: sorts the latch by sequence, not by name, and checks owners', async () => {
    const l = paths.latch
    const zk = fakeZk(withParents({
      [`${l}/_c_ffff0000-latch-0000000007`]: {owner: A},
      [`${l}/_c_00001111-latch-0000000009`]: {owner: B},
      [`${paths.leader}/rest_server/connection_info`]: {data: WORKED_EXAMPLE, owner: A},
      [`${paths.leader}/dispatcher/connection_info`]: {data: Buffer.alloc(0), owner: A},
      [`${paths.leader}/job-${JOB}/connection_info`]: {data: WORKED_EXAMPLE, owner: A},
    }))
    const r = await readLeader(zk, paths)
    assert.equal(r.layout, '1.15+')
    assert.deepEqual(r.latch?.map((e) => [e.sequence, e.ephemeralOwner]), [[7, A], [9, B]])
    assert.deepEqual(r.rest, {component: 'rest_server', path: `${paths.leader}/rest_server/connection_info`, address: 'http://10.0.0.11:8081', sessionId: SESSION, ephemeralOwner: A})
    assert.equal(r.dispatcher, undefined, 'empty data = no leader')
    assert.equal(r.resourceManager, undefined)
    assert.deepEqual(r.jobs.map((j) => [j.jobId, j.component]), [[JOB, `job-${JOB}`]])
    assert.equal(r.ownersConsistent, true)
  })

  it('1.15+: a connection_info owned by another session than the latch leader is inconsistent', async () => {
    const zk = fakeZk(withParents({
      [`${paths.latch}/_c_x-latch-0000000002`]: {owner: B},
      [`${paths.leader}/rest_server/connection_info`]: {data: WORKED_EXAMPLE, owner: A},
      [`${paths.leader}/resource_manager/connection_info`]: {data: Buffer.from('garbage'), owner: B},
    }))
    const r = await readLeader(zk, paths)
    assert.equal(r.ownersConsistent, false)
    assert.match(r.resourceManager?.unknownFormat ?? '', /not a Java serialization stream/)
  })

  it('legacy (≤ 1.14): one latch and one *_lock node per component, jobs under <jobId>/job_manager_lock', async () => {
    const zk = fakeZk(withParents({
      [`${paths.legacyLatch}/rest_server_lock/_c_a-latch-0000000003`]: {owner: A},
      [`${paths.legacyLatch}/rest_server_lock/_c_b-latch-0000000001`]: {owner: B},
      [`${paths.legacyLatch}/dispatcher_lock/_c_a-latch-0000000000`]: {owner: A},
      [`${paths.legacyLatch}/${JOB}/job_manager_lock/_c_a-latch-0000000000`]: {owner: A},
      [`${paths.legacyLeader}/rest_server_lock`]: {data: WORKED_EXAMPLE, owner: B},
      [`${paths.legacyLeader}/dispatcher_lock`]: {data: WORKED_EXAMPLE, owner: A},
      [`${paths.legacyLeader}/${JOB}/job_manager_lock`]: {data: WORKED_EXAMPLE, owner: A},
    }))
    const r = await readLeader(zk, paths)
    assert.equal(r.layout, 'legacy')
    assert.equal(r.latch, undefined)
    assert.deepEqual(r.latches?.rest_server.map((e) => e.sequence), [1, 3])
    assert.deepEqual(r.latches?.resource_manager, [])
    assert.equal(r.rest?.address, 'http://10.0.0.11:8081')
    assert.equal(r.rest?.component, 'rest_server_lock')
    assert.equal(r.dispatcher?.ephemeralOwner, A)
    assert.deepEqual(r.jobs.map((j) => j.jobId), [JOB])
    assert.equal(r.ownersConsistent, true)
  })

  it('none: neither latch exists', async () => {
    const r = await readLeader(fakeZk(withParents({[`${paths.leader}/rest_server/connection_info`]: {data: WORKED_EXAMPLE}})), paths)
    assert.deepEqual(r, {layout: 'none', base: '/flink/c1', jobs: []})
  })
})
