// quorumHealth's decision per peer (srvr, or a client session when srvr cannot tell) with fake
// probes, and quorumSummary's verdict table. The real-ZooKeeper run is test/e2e/zk-real.test.ts.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ZkError} from '../../../src/lib/zk/errors.ts'
import {quorumHealth, quorumSummary, type PeerHealth, type QuorumHealthOptions} from '../../../src/lib/zk/quorum.ts'

const srvr = (mode: string) => `Zookeeper version: 3.7.1-x, built on 2022-05-07 06:45 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000002\nMode: ${mode}\nNode count: 7\n`

/** Fake probes keyed by port: what srvr does, and whether a client session to that peer works. */
function fakes(byPort: Record<number, {srvr: string | ZkError; client?: boolean}>) {
  const connects: string[] = []
  const closes: string[] = []
  const opts: QuorumHealthOptions = {
    timeoutMs: 500,
    fourLetter: async (_host, port, word) => {
      assert.equal(word, 'srvr')
      const r = byPort[port]!.srvr
      if (r instanceof ZkError) throw r
      return r
    },
    connect: async (cs) => {
      connects.push(cs)
      const port = Number(cs.split(':').pop())
      if (!byPort[port]!.client) throw new ZkError(`no ZooKeeper session with ${cs} within 500 ms`, {code: 'ZK_CONNECT'})
      return {exists: async () => undefined, close: async () => void closes.push(cs)}
    },
  }
  return {opts, connects, closes}
}

const peers = [1, 2, 3].map((id) => ({id, host: 'zk' + id, clientPort: 2180 + id}))

describe('quorumHealth', () => {
  it('takes mode and details from srvr and opens no session when srvr answers', async () => {
    const f = fakes({2181: {srvr: srvr('follower')}, 2182: {srvr: srvr('leader')}, 2183: {srvr: srvr('follower')}})
    const r = await quorumHealth(peers, f.opts)
    assert.deepEqual(r.map((p) => [p.id, p.host, p.port, p.ok, p.mode, p.via]), [
      [1, 'zk1', 2181, true, 'follower', 'srvr'], [2, 'zk2', 2182, true, 'leader', 'srvr'], [3, 'zk3', 2183, true, 'follower', 'srvr'],
    ])
    assert.equal(r[0]!.zxid, '0x100000002')
    assert.ok(r.every((p) => typeof p.latencyMs === 'number' && p.latencyMs >= 0))
    assert.deepEqual(f.connects, [])
  })

  it('falls back to a session with that one peer when srvr is not whitelisted or the port says nothing', async () => {
    const f = fakes({
      2181: {srvr: 'srvr is not executed because it is not in the whitelist.\n', client: true},
      2182: {srvr: new ZkError('accepted but did not answer', {code: 'ZK_NO_ANSWER'}), client: true},
      2183: {srvr: new ZkError('accepted but did not answer', {code: 'ZK_NO_ANSWER'}), client: false},
    })
    const r = await quorumHealth(peers, f.opts)
    assert.deepEqual(r.map((p) => [p.ok, p.mode, p.via, p.srvr]), [
      [true, undefined, 'client', 'disabled'], [true, undefined, 'client', 'no-answer'], [false, undefined, 'client', 'no-answer'],
    ])
    assert.match(r[2]!.error ?? '', /no ZooKeeper session with zk3:2183/)
    assert.deepEqual(f.connects.sort(), ['zk1:2181', 'zk2:2182', 'zk3:2183'])
    assert.deepEqual(f.closes.sort(), ['zk1:2181', 'zk2:2182'], 'sessions that opened are closed')
  })

  it('does not try a session when the port is closed or the peer says it is not serving', async () => {
    const f = fakes({
      2181: {srvr: new ZkError('cannot reach ZooKeeper at zk1:2181: ECONNREFUSED', {code: 'ZK_UNREACHABLE'}), client: true},
      2182: {srvr: 'This ZooKeeper instance is not currently serving requests\n', client: true},
      2183: {srvr: srvr('leader')},
    })
    const r = await quorumHealth(peers, f.opts)
    assert.deepEqual(r.map((p) => [p.ok, p.via]), [[false, 'srvr'], [false, 'srvr'], [true, 'srvr']])
    assert.match(r[0]!.error!, /ECONNREFUSED/)
    assert.match(r[1]!.error!, /not serving/)
    assert.deepEqual(f.connects, [])
  })

  it('brackets IPv6 hosts in the connect string', async () => {
    const f = fakes({2181: {srvr: srvr('x').replace(/Mode.*\n/, ''), client: true}})
    const [r] = await quorumHealth([{id: 1, host: '::1', clientPort: 2181}], f.opts)
    assert.deepEqual([r!.ok, r!.via, r!.srvr], [true, 'client', 'unrecognised'])
    assert.deepEqual(f.connects, ['[::1]:2181'])
  })
})

const peer = (id: number, ok: boolean, mode?: string): PeerHealth => ({id, host: `zk${id}`, port: 2181, ok, via: mode ? 'srvr' : 'client', latencyMs: 1, ...(mode ? {mode} : {})})

describe('quorumSummary', () => {
  const cases: Array<[string, PeerHealth[], {healthy: boolean; serving: number; leader?: number}]> = [
    ['3 serving, one leader', [peer(1, true, 'follower'), peer(2, true, 'leader'), peer(3, true, 'follower')], {healthy: true, serving: 3, leader: 2}],
    ['2 of 3 serving, one leader', [peer(1, false), peer(2, true, 'leader'), peer(3, true, 'follower')], {healthy: true, serving: 2, leader: 2}],
    ['1 of 3 serving', [peer(1, false), peer(2, false), peer(3, true, 'leader')], {healthy: false, serving: 1, leader: 3}],
    ['no leader among known modes', [peer(1, true, 'follower'), peer(2, true, 'follower'), peer(3, false)], {healthy: false, serving: 2}],
    ['two leaders (split config)', [peer(1, true, 'leader'), peer(2, true, 'leader'), peer(3, true, 'follower')], {healthy: false, serving: 3}],
    ['modes unknown (srvr disabled), all serving', [peer(1, true), peer(2, true), peer(3, true)], {healthy: true, serving: 3}],
    ['standalone servers listed as an ensemble', [peer(1, true, 'standalone'), peer(2, true, 'standalone'), peer(3, true, 'standalone')], {healthy: false, serving: 3}],
    ['single standalone', [peer(1, true, 'standalone')], {healthy: true, serving: 1, leader: 1}],
    ['single peer, mode unknown', [peer(1, true)], {healthy: true, serving: 1, leader: 1}],
    ['single peer down', [peer(1, false)], {healthy: false, serving: 0}],
    ['no peers', [], {healthy: false, serving: 0}],
    ['4 peers, 2 serving (no majority)', [peer(1, true, 'leader'), peer(2, true, 'follower'), peer(3, false), peer(4, false)], {healthy: false, serving: 2, leader: 1}],
  ]
  for (const [name, results, want] of cases) {
    it(name, () => {
      const s = quorumSummary(results)
      assert.equal(s.total, results.length)
      assert.deepEqual({healthy: s.healthy, serving: s.serving, ...(s.leader === undefined ? {} : {leader: s.leader})}, want)
    })
  }

  it('names the peers behind the verdict', () => {
    const s = quorumSummary([peer(1, true, 'leader'), peer(2, true), peer(3, true, 'standalone')])
    assert.deepEqual([s.needed, s.leaders, s.modeUnknown, s.standaloneInEnsemble], [2, [1], [2], [3]])
  })
})
