import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {decodeCounter, describeChange, readHaState, watchHa, type HaChange, type HaState} from '../../../src/lib/ha/index.ts'
import type {ZkClient, ZkNode, ZkStat, ZkWatchEvent} from '../../../src/lib/zk/client.ts'
import {haPaths} from '../../../src/lib/zk/leader.ts'

/** Leader information as Flink writes it (ObjectOutputStream: writeUTF(address), writeObject(UUID)). */
function leaderInfo(address: string, most: bigint, least: bigint): Buffer {
  const utf = Buffer.from(address)
  const head = Buffer.from([0xac, 0xed, 0x00, 0x05, 0x77, utf.length + 2, utf.length >> 8, utf.length & 0xff])
  const cls = Buffer.concat([Buffer.from([0x73, 0x72, 0x00, 0x0e]), Buffer.from('java.util.UUID'), Buffer.from('bc9903f7986d852f', 'hex'), Buffer.from([0x02, 0x00, 0x02]),
    Buffer.from([0x4a, 0x00, 0x0c]), Buffer.from('leastSigBits'), Buffer.from([0x4a, 0x00, 0x0b]), Buffer.from('mostSigBits'), Buffer.from([0x78, 0x70])])
  const longs = Buffer.alloc(16)
  longs.writeBigUInt64BE(least, 0)
  longs.writeBigUInt64BE(most, 8)
  return Buffer.concat([head, utf, cls, longs])
}

/** A mutable in-memory ZooKeeper whose watches fire on set/remove, like the real one (once each). */
function liveZk() {
  const tree = new Map<string, {data?: Buffer; owner: string; ctime: number}>()
  const watchers = new Map<string, Array<(e: ZkWatchEvent) => void>>()
  const fire = (path: string, type: ZkWatchEvent['type']) => {
    const ws = watchers.get(path) ?? []
    watchers.delete(path)
    for (const w of ws) w({type, path})
  }
  const parent = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/'
  const stat = (p: string): ZkStat | undefined => {
    const n = tree.get(p)
    return n && {czxid: '0x1', mzxid: '0x1', pzxid: '0x1', ctime: n.ctime, mtime: n.ctime, version: 0, cversion: 0, aversion: 0, ephemeralOwner: n.owner, dataLength: n.data?.length ?? 0, numChildren: 0}
  }
  const children = (p: string) => (tree.has(p) ? [...tree.keys()].filter((k) => parent(k) === p).map((k) => k.slice(p.length + 1)) : undefined)
  const watch = (path: string, signal?: AbortSignal) => new Promise<ZkWatchEvent>((resolve) => {
    const list = watchers.get(path) ?? []
    list.push(resolve)
    watchers.set(path, list)
    signal?.addEventListener('abort', () => resolve({type: 'aborted', path}), {once: true})
  })
  const zk: Partial<ZkClient> = {
    exists: async (p) => stat(p),
    getData: async (p): Promise<ZkNode | undefined> => (tree.has(p) ? {data: tree.get(p)!.data, stat: stat(p)!} : undefined),
    getChildren: async (p) => children(p),
    watchData: async (p, o) => ({node: tree.has(p) ? {data: tree.get(p)!.data, stat: stat(p)!} : undefined, changed: watch(`data:${p}`, o?.signal)}),
    watchChildren: async (p, o) => ({children: children(p), changed: watch(`children:${p}`, o?.signal)}),
  }
  return {
    zk: zk as ZkClient,
    set(path: string, data?: Buffer, owner = '0x0') {
      const existed = tree.has(path)
      for (let p = parent(path); p !== '/' && !tree.has(p); p = parent(p)) tree.set(p, {owner: '0x0', ctime: 1})
      tree.set(path, {data, owner, ctime: Date.now()})
      fire(`data:${path}`, existed ? 'dataChanged' : 'created')
      if (!existed) fire(`children:${parent(path)}`, 'childrenChanged')
    },
    remove(path: string) {
      tree.delete(path)
      fire(`data:${path}`, 'deleted')
      fire(`children:${parent(path)}`, 'childrenChanged')
    },
  }
}

const conf = {flink: {file: undefined, format: 'none', entries: new Map([['high-availability.cluster-id', {key: 'high-availability.cluster-id', value: '/c1', source: {kind: 'dynamic', arg: 'x'}}]])}, version: undefined} as never
const paths = haPaths(conf)
const A = '0x100000000000000a'
const B = '0x100000000000000b'
const JOB = '0123456789abcdef0123456789abcdef'

describe('HA state and its watch', () => {
  it('reads the leader, since when, the contenders and the jobs (2.x execution-plans, counters, retained checkpoints)', async () => {
    const z = liveZk()
    z.set(`${paths.latch}/_c_a-latch-0000000000`, undefined, A)
    z.set(`${paths.latch}/_c_b-latch-0000000001`, undefined, B)
    z.set(`${paths.leader}/rest_server/connection_info`, leaderInfo('http://h1:8081', 1n, 2n), A)
    z.set(`${paths.leader}/dispatcher/connection_info`, leaderInfo('pekko.tcp://flink@h1:6123/user/rpc/dispatcher_0', 1n, 2n), A)
    z.set(`${paths.base}/execution-plans/${JOB}`)
    const counter = Buffer.alloc(4)
    counter.writeInt32BE(43)
    z.set(`${paths.jobs}/${JOB}/checkpoint_id_counter`, counter)
    z.set(`${paths.jobs}/${JOB}/checkpoints/0000000000000000042`)
    const s = await readHaState(z.zk, paths)
    assert.equal(s.leader?.restUrl, 'http://h1:8081')
    assert.equal(s.leader?.rpcAddress, 'pekko.tcp://flink@h1:6123/user/rpc/dispatcher_0')
    assert.equal(s.leader?.sessionId, '00000000-0000-0001-0000-000000000002')
    assert.equal(s.leader?.owner, A)
    assert.ok(s.leader?.since && Math.abs(s.leader.since - Date.now()) < 5000)
    assert.deepEqual(s.contenders.map((c) => c.owner), [A, B])
    assert.deepEqual(s.jobs, [{jobId: JOB, stored: true, checkpointCounter: 43, retainedCheckpoints: [42]}])
    assert.equal(decodeCounter(Buffer.from([0, 0, 0])), undefined)
  })

  it('streams the initial state, then each change stamped when the watch fired: leader gone, new leader', async () => {
    const z = liveZk()
    z.set(`${paths.latch}/_c_a-latch-0000000000`, undefined, A)
    z.set(`${paths.latch}/_c_b-latch-0000000001`, undefined, B)
    z.set(`${paths.leader}/rest_server/connection_info`, leaderInfo('http://h1:8081', 1n, 2n), A)
    const seen: HaChange[] = []
    const ctl = new AbortController()
    let notify: () => void = () => {}
    const next = () => new Promise<void>((r) => { notify = r })
    let wait = next()
    const done = watchHa(z.zk, paths, {signal: ctl.signal, onChange: (c) => { seen.push(c); notify() }})
    await wait
    assert.equal(seen.length, 1, 'the initial state arrives before any change')
    assert.deepEqual(seen[0]!.changes, [])

    wait = next()
    const t0 = Date.now()
    z.remove(`${paths.latch}/_c_a-latch-0000000000`)
    z.remove(`${paths.leader}/rest_server/connection_info`)
    await wait
    const gone = seen.at(-1)!
    assert.ok(gone.kinds.includes('contenders'), JSON.stringify(gone.changes))
    assert.ok(gone.at >= t0 && gone.at - t0 < 1000)

    // every later change is seen too (the watches are re-armed each time)
    while (seen.at(-1)!.state.leader) { wait = next(); await wait }
    wait = next()
    z.set(`${paths.leader}/rest_server/connection_info`, leaderInfo('http://h2:8081', 3n, 4n), B)
    await wait
    const elected = seen.at(-1)!
    assert.equal(elected.state.leader?.restUrl, 'http://h2:8081')
    assert.ok(elected.kinds.includes('leader'))
    assert.match(elected.changes.join('\n'), /leader http:\/\/h2:8081/)
    ctl.abort()
    await done
  })

  it('describes changes as an operator would say them', () => {
    const base: HaState = {readAt: 0, base: '/flink/c1', layout: '1.15+', contenders: [{name: 'a'}, {name: 'b'}], jobs: [], leader: {restUrl: 'http://h1:8081', sessionId: 'aaaaaaaa-1', owner: A}}
    assert.deepEqual(describeChange(undefined, base), {changes: [], kinds: []})
    const lost = describeChange(base, {...base, leader: undefined, contenders: [{name: 'b'}]})
    assert.deepEqual(lost.kinds.sort(), ['contenders', 'leader'])
    assert.match(lost.changes.join('\n'), /leader gone \(was http:\/\/h1:8081/)
    const job = describeChange(base, {...base, jobs: [{jobId: JOB, stored: true, retainedCheckpoints: []}]})
    assert.deepEqual(job.changes, [`job ${JOB} appeared (job graph stored)`])
  })
})
