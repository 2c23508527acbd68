// lib/zk against real ZooKeeper: Flink's own FlinkZooKeeperQuorumPeer from the ground Flink homes,
// started locally (no SSH) on free ports: a standalone peer per Flink version, one with
// 4lw.commands.whitelist=stat, and a 3-peer quorum on 127.0.0.1 whose per-peer zoo.cfg comes from
// the project's own zooCfgForPeer. Leader bytes come from a real JDK ObjectOutputStream.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect as connectTcp, createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadCluster} from '../../src/lib/conf/load.ts'
import {zooCfgForPeer} from '../../src/lib/launch/plan.ts'
import {connectZk, type ZkClient, type ZkWatchEvent} from '../../src/lib/zk/client.ts'
import {ZkError} from '../../src/lib/zk/errors.ts'
import {fourLetterWord, parseSrvr} from '../../src/lib/zk/four-letter.ts'
import {haPaths, readLeader} from '../../src/lib/zk/leader.ts'
import {quorumHealth, quorumSummary, type PeerHealth, type QuorumPeer} from '../../src/lib/zk/quorum.ts'
import {assertHomeBuilt, groundFlinkHomes, type FlinkHome} from '../helpers/ground-flink.ts'
import {javaLeaderBytes} from '../unit/zk/java-leader-bytes.ts'
import {waitFor as waitForHelper} from '../helpers/wait.ts'

const MAIN = 'org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer'
// tickTime 200: sessions clamp to [400, 4000] ms, so nothing in here waits on ZooKeeper's clock.
const BASE_CFG = ['tickTime=200', 'initLimit=20', 'syncLimit=10', 'admin.enableServer=false']

const homes = groundFlinkHomes()
const work = mkdtempSync(join(tmpdir(), 'flinkctl-zk-e2e-'))
const jvms: Array<{name: string; proc: ChildProcess; log: string}> = []
const clients: ZkClient[] = []
const proxies: Server[] = []

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({length: n}, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map((s) => (s.address() as {port: number}).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

function startPeer(name: string, home: FlinkHome, cfgPath: string, peerId: number): ChildProcess {
  const log = join(work, `${name}.log`)
  const fd = openSync(log, 'w')
  const proc = spawn('java', ['-Xmx64m', '-cp', `${home.home}/lib/*`, MAIN, '--zkConfigFile', cfgPath, '--peerId', String(peerId)], {stdio: ['ignore', fd, fd]})
  closeSync(fd)
  jvms.push({name, proc, log})
  return proc
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    proc.once('exit', () => resolve())
    proc.kill('SIGKILL')
  })
}

/** A standalone peer: one server line, so FlinkZooKeeperQuorumPeer runs ZooKeeperServerMain. */
async function startStandalone(name: string, home: FlinkHome, extra: string[] = []): Promise<QuorumPeer> {
  const [clientPort, peer, election] = await freePorts(3)
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const cfg = join(dir, 'zoo.cfg')
  writeFileSync(cfg, [...BASE_CFG, `dataDir=${dir}/data`, `clientPort=${clientPort}`, `server.1=127.0.0.1:${peer}:${election}`, ...extra, ''].join('\n'))
  startPeer(name, home, cfg, 1)
  return {id: 1, host: '127.0.0.1', clientPort: clientPort!}
}

/**
 * A TCP proxy to a real peer that turns away four-letter words — answering with ZooKeeper's
 * whitelist refusal or hanging up silently — and passes client sessions through, as a server that
 * does not whitelist srvr or a filtering proxy would. (Flink's ZooKeeper 3.7 always whitelists srvr.)
 */
async function fourLetterFilter(target: QuorumPeer, mode: 'refuse' | 'silent'): Promise<QuorumPeer> {
  const server = createServer((sock) => {
    sock.on('error', () => {})
    sock.once('data', (first: Buffer) => {
      const word = first.toString('latin1')
      if (first.length === 4 && /^[a-z]{4}$/.test(word)) {
        if (mode === 'refuse') sock.end(`${word} is not executed because it is not in the whitelist.\n`)
        else sock.end()
        return
      }
      sock.pause() // hold anything more until upstream is connected
      const upstream = connectTcp({host: target.host, port: target.clientPort}, () => {
        upstream.write(first)
        sock.pipe(upstream).pipe(sock)
      })
      upstream.on('error', () => sock.destroy())
      sock.on('close', () => upstream.destroy())
    })
  })
  proxies.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {id: target.id, host: '127.0.0.1', clientPort: (server.address() as {port: number}).port}
}

/** A TCP proxy to a peer that can drop its connections (cut) or go silent both ways (a network partition). */
async function flakyLink(target: QuorumPeer): Promise<{peer: QuorumPeer; cut(): void; silent(on: boolean): void}> {
  let silent = false
  const pairs = new Set<{a: Socket; b: Socket}>()
  const server = createServer((a) => {
    const b = connectTcp({host: target.host, port: target.clientPort})
    const pair = {a, b}
    pairs.add(pair)
    for (const [from, to] of [[a, b], [b, a]] as const) {
      from.on('data', (d: Buffer) => {
        if (!silent) to.write(d)
      })
      from.on('error', () => {})
      from.on('close', () => {
        if (!silent) to.destroy() // a partition hides hang-ups too
        pairs.delete(pair)
      })
    }
  })
  proxies.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    peer: {id: target.id, host: '127.0.0.1', clientPort: (server.address() as {port: number}).port},
    cut: () => {
      for (const p of pairs) p.a.destroy()
    },
    silent: (on) => {
      silent = on
    },
  }
}

const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> =>
  waitForHelper(what, timeoutMs, probe, {intervalMs: 150, context: () => jvms.map((j) => `--- ${j.name}\n${readFileSync(j.log, 'utf8').split('\n').slice(-15).join('\n')}`).join('\n')})

const srvrOk = (peer: QuorumPeer) => waitFor(`srvr on ${peer.clientPort}`, 20_000, async () => {
  const r = parseSrvr(await fourLetterWord(peer.host, peer.clientPort, 'srvr', {timeoutMs: 1000}))
  return r.status === 'ok' ? r : undefined
})

async function zk(peer: QuorumPeer | string): Promise<ZkClient> {
  const c = await connectZk(typeof peer === 'string' ? peer : `${peer.host}:${peer.clientPort}`, {connectTimeoutMs: 5000})
  clients.push(c)
  return c
}

after(async () => {
  await Promise.all(clients.map((c) => c.close()))
  for (const p of proxies) p.close()
  await Promise.all(jvms.map((j) => stop(j.proc)))
  rmSync(work, {recursive: true, force: true})
})

describe('ZooKeeper for real (FlinkZooKeeperQuorumPeer)', {timeout: 90_000}, () => {
  const standalone = new Map<string, QuorumPeer>()
  let statOnly: QuorumPeer
  let quorum: QuorumPeer[] = []
  let quorumProcs: ChildProcess[] = []
  let rest1: Buffer
  let rest2: Buffer
  let dispatcher1: Buffer
  const REST1 = {address: 'http://10.0.0.11:8081', sessionId: '6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b'}
  const REST2 = {address: 'http://10.0.0.12:8081', sessionId: '0b6d7c1e-9f2a-4e3b-8c4d-5e6f7a8b9c0d'}
  const DISPATCHER1 = {address: 'pekko.tcp://flink@10.0.0.11:6123/user/rpc/dispatcher_1', sessionId: REST1.sessionId}

  before(async () => {
    for (const h of homes) assertHomeBuilt(h)
    // Every JVM starts at once; the tests below wait for the ones they use.
    for (const h of homes) standalone.set(h.version, await startStandalone(`standalone-${h.version}`, h))
    statOnly = await startStandalone('stat-only', homes[0]!, ['4lw.commands.whitelist=stat'])

    const ports = await freePorts(9)
    const confDir = join(work, 'quorum', 'conf')
    mkdirSync(confDir, {recursive: true})
    const zooText = [...BASE_CFG, `dataDir=${join(work, 'quorum', 'data')}`,
      ...[1, 2, 3].map((id) => `server.${id}=127.0.0.1:${ports[id * 3 - 2]}:${ports[id * 3 - 1]};${ports[id * 3 - 3]}`), ''].join('\n')
    writeFileSync(join(confDir, 'zoo.cfg'), zooText)
    const conf = loadCluster({confDir, env: {}})
    quorum = [1, 2, 3].map((id) => {
      const cfg = zooCfgForPeer(conf, id, zooText)
      assert.ok(cfg.content, 'peers sharing a host get their own zoo.cfg')
      mkdirSync(dirname(cfg.path), {recursive: true})
      writeFileSync(cfg.path, cfg.content)
      quorumProcs.push(startPeer(`quorum-${id}`, homes[0]!, cfg.path, id))
      return {id, host: '127.0.0.1', clientPort: ports[id * 3 - 3]!}
    })

    ;[rest1, rest2, dispatcher1] = javaLeaderBytes([REST1, REST2, DISPATCHER1]) as [Buffer, Buffer, Buffer]
  })

  for (const h of homes) {
    it(`Flink ${h.version}: a one-server zoo.cfg runs standalone; srvr and quorumHealth say so`, async () => {
      const peer = standalone.get(h.version)!
      const srvr = await srvrOk(peer)
      assert.equal(srvr.mode, 'standalone')
      assert.match(srvr.versionNumber ?? '', /^3\.\d+\.\d+$/)
      const health = await quorumHealth([peer], {timeoutMs: 2000})
      assert.deepEqual(health.map((p) => [p.ok, p.mode, p.via]), [[true, 'standalone', 'srvr']])
      assert.deepEqual(quorumSummary(health).leader, 1)
      assert.equal(quorumSummary(health).healthy, true)
    })
  }

  it('4lw.commands.whitelist: other words are refused, srvr never is (ZooKeeper always whitelists it)', async () => {
    const stat = await waitFor('stat on the whitelist peer', 20_000, async () => {
      const r = parseSrvr(await fourLetterWord(statOnly.host, statOnly.clientPort, 'stat', {timeoutMs: 1000}))
      return r.status === 'ok' ? r : undefined
    })
    assert.equal(stat.mode, 'standalone', 'stat is whitelisted and carries the srvr fields')
    assert.deepEqual(parseSrvr(await fourLetterWord(statOnly.host, statOnly.clientPort, 'ruok')), {
      status: 'disabled', word: 'ruok', message: 'ruok is not executed because it is not in the whitelist.',
    })
    assert.equal(parseSrvr(await fourLetterWord(statOnly.host, statOnly.clientPort, 'srvr')).status, 'ok')
  })

  it('quorumHealth falls back to a real session when srvr is refused or unanswered, and not for a closed port', async () => {
    const peer = standalone.get(homes[0]!.version)!
    await srvrOk(peer)
    const refusing = await fourLetterFilter(peer, 'refuse')
    const silent = await fourLetterFilter(peer, 'silent')
    const [deadPort] = await freePorts(1)
    const health = await quorumHealth([{...refusing, id: 1}, {...silent, id: 2}, {id: 3, host: '127.0.0.1', clientPort: deadPort!}], {timeoutMs: 2000})
    assert.deepEqual(health.map((p) => [p.id, p.ok, p.via, p.mode, p.srvr]), [
      [1, true, 'client', undefined, 'disabled'],
      [2, true, 'client', undefined, 'no-answer'],
      [3, false, 'srvr', undefined, undefined],
    ])
    assert.match(health[2]!.error!, /ECONNREFUSED/)
    const summary = quorumSummary(health)
    assert.deepEqual([summary.serving, summary.total, summary.modeUnknown, summary.healthy], [2, 3, [1, 2], true])
  })

  it('client wrapper: create, read, update, list, delete; ephemeral owner = session; server-clamped timeout', async () => {
    const peer = standalone.get(homes[0]!.version)!
    await srvrOk(peer)
    const c = await zk(peer)
    assert.equal(c.state, 'connected')
    assert.equal(c.sessionTimeoutMs, 4000, 'the default 10 s request is clamped to 20 × tickTime')
    assert.match(c.sessionId, /^0x[0-9a-f]+$/)

    assert.equal(await c.create('/t/a/b', 'hello', {parents: true}), '/t/a/b')
    const node = await c.getData('/t/a/b')
    assert.equal(node?.data?.toString(), 'hello')
    assert.deepEqual([node?.stat.version, node?.stat.ephemeralOwner, node?.stat.dataLength], [0, '0x0', 5])
    assert.equal((await c.setData('/t/a/b', Buffer.from('world'))).version, 1)
    assert.equal((await c.getData('/t/a/b'))?.data?.toString(), 'world')
    assert.equal((await c.getData('/t/a'))?.data, undefined, 'a parent made by parents: true holds no data')

    const eph = await c.create('/t/a/e', undefined, {mode: 'ephemeral'})
    assert.equal((await c.exists(eph))?.ephemeralOwner, c.sessionId)
    const seq1 = await c.create('/t/a/s-', 'x', {mode: 'persistent-sequential'})
    const seq2 = await c.create('/t/a/s-', 'y', {mode: 'ephemeral-sequential'})
    assert.match(seq1, /^\/t\/a\/s-\d{10}$/)
    assert.ok(seq2 > seq1)
    assert.deepEqual((await c.getChildren('/t/a'))?.sort(), ['b', 'e', seq1.slice(5), seq2.slice(5)].sort())

    assert.equal(await c.getData('/t/missing'), undefined)
    assert.equal(await c.getChildren('/t/missing'), undefined)
    assert.equal(await c.exists('/t/missing'), undefined)
    await assert.rejects(c.create('/t/a/b', 'again'), (e: unknown) => e instanceof ZkError && e.code === 'ZK_OP' && /NODE_EXISTS/.test(e.message))
    await assert.rejects(c.getData('no-slash'), (e: unknown) => e instanceof ZkError && e.code === 'ZK_BAD_PATH')
    await assert.rejects(c.setData('/t/a/b', 'z', 0), (e: unknown) => e instanceof ZkError && /BAD_VERSION/.test(e.message))

    assert.equal(await c.remove('/t/a/b'), true)
    assert.equal(await c.remove('/t/a/b'), false)
    assert.equal(await c.remove('/t', {recursive: true}), true)
    assert.equal(await c.exists('/t'), undefined)

    // Closing ends the session at once: another session sees the ephemeral node go without waiting for the timeout.
    const owner = await zk(peer)
    const other = await zk(peer)
    await owner.create('/eph', 'x', {mode: 'ephemeral'})
    assert.ok(await other.exists('/eph'))
    const t0 = Date.now()
    await owner.close()
    assert.equal(owner.state, 'closed')
    assert.equal(await other.exists('/eph'), undefined)
    assert.ok(Date.now() - t0 < 2000)
    await assert.rejects(owner.getData('/'), (e: unknown) => e instanceof ZkError && e.code === 'ZK_CLOSED')
  })

  it('readLeader: 1.15+ layout with JDK leader bytes, two JobManager sessions, leader first', async () => {
    const peer = standalone.get(homes[0]!.version)!
    const jmA = await zk(peer)
    const jmB = await zk(peer)
    const reader = await zk(peer)
    const paths = haPaths({flink: {file: undefined, format: 'none', entries: new Map()}, version: undefined}, {clusterId: '/modern'})
    await jmA.create(paths.latch, undefined, {parents: true})
    // Curator's latch node names: _c_<uuid>-latch-<sequence>; A joined first, so A leads.
    await jmA.create(`${paths.latch}/_c_ffffffff-0000-4000-8000-00000000000a-latch-`, undefined, {mode: 'ephemeral-sequential'})
    await jmB.create(`${paths.latch}/_c_00000000-0000-4000-8000-00000000000b-latch-`, undefined, {mode: 'ephemeral-sequential'})
    for (const c of ['rest_server', 'dispatcher', 'resource_manager']) await jmA.create(`${paths.leader}/${c}`, undefined, {parents: true})
    await jmA.create(`${paths.leader}/rest_server/connection_info`, rest1, {mode: 'ephemeral'})
    await jmA.create(`${paths.leader}/dispatcher/connection_info`, dispatcher1, {mode: 'ephemeral'})

    const r = await readLeader(reader, paths)
    assert.equal(r.layout, '1.15+')
    assert.equal(r.base, '/flink/modern')
    assert.deepEqual([r.rest?.address, r.rest?.sessionId, r.rest?.ephemeralOwner], [REST1.address, REST1.sessionId, jmA.sessionId])
    assert.equal(r.dispatcher?.address, DISPATCHER1.address)
    assert.equal(r.resourceManager, undefined)
    assert.deepEqual(r.latch?.map((e) => e.ephemeralOwner), [jmA.sessionId, jmB.sessionId])
    assert.deepEqual(r.latch?.map((e) => e.sequence), [0, 1])
    assert.equal(r.ownersConsistent, true)

    // Failover by hand: A's session ends, B takes the latch and publishes itself.
    const latchChange = await reader.watchChildren(paths.latch)
    const restChange = await reader.watchData(`${paths.leader}/rest_server/connection_info`)
    await jmA.close()
    assert.deepEqual(await restChange.changed, {type: 'deleted', path: `${paths.leader}/rest_server/connection_info`})
    assert.deepEqual(await latchChange.changed, {type: 'childrenChanged', path: paths.latch})
    const between = await readLeader(reader, paths)
    assert.deepEqual([between.rest, between.latch?.map((e) => e.ephemeralOwner), between.ownersConsistent], [undefined, [jmB.sessionId], undefined])

    const published = await reader.watchData(`${paths.leader}/rest_server/connection_info`)
    assert.equal(published.node, undefined, 'watching a missing node waits for its creation')
    await jmB.create(`${paths.leader}/rest_server/connection_info`, rest2, {mode: 'ephemeral'})
    assert.equal((await published.changed).type, 'created')
    const afterFailover = await readLeader(reader, paths)
    assert.deepEqual([afterFailover.rest?.address, afterFailover.rest?.sessionId, afterFailover.ownersConsistent], [REST2.address, REST2.sessionId, true])
  })

  it('readLeader: legacy (≤ 1.14) layout, one latch per component', async () => {
    const peer = standalone.get(homes[0]!.version)!
    const jmA = await zk(peer)
    const jmB = await zk(peer)
    const paths = haPaths({flink: {file: undefined, format: 'none', entries: new Map()}, version: undefined}, {root: '/legacy-root', clusterId: 'old'})
    const job = '0123456789abcdef0123456789abcdef'
    // Split leadership, as per-component latches allowed: REST on A, dispatcher on B.
    await jmA.create(`${paths.legacyLatch}/rest_server_lock/_c_a-latch-`, undefined, {mode: 'ephemeral-sequential', parents: true})
    await jmB.create(`${paths.legacyLatch}/rest_server_lock/_c_b-latch-`, undefined, {mode: 'ephemeral-sequential'})
    await jmB.create(`${paths.legacyLatch}/dispatcher_lock/_c_b-latch-`, undefined, {mode: 'ephemeral-sequential', parents: true})
    await jmA.create(`${paths.legacyLatch}/dispatcher_lock/_c_a-latch-`, undefined, {mode: 'ephemeral-sequential'})
    await jmB.create(`${paths.legacyLatch}/${job}/job_manager_lock/_c_b-latch-`, undefined, {mode: 'ephemeral-sequential', parents: true})
    await jmA.create(`${paths.legacyLeader}/rest_server_lock`, rest1, {mode: 'ephemeral', parents: true})
    await jmB.create(`${paths.legacyLeader}/dispatcher_lock`, dispatcher1, {mode: 'ephemeral'})
    await jmB.create(`${paths.legacyLeader}/${job}/job_manager_lock`, rest2, {mode: 'ephemeral', parents: true})

    const r = await readLeader(jmA, paths)
    assert.equal(r.layout, 'legacy')
    assert.equal(r.base, '/legacy-root/old')
    assert.deepEqual([r.rest?.component, r.rest?.address, r.rest?.ephemeralOwner], ['rest_server_lock', REST1.address, jmA.sessionId])
    assert.deepEqual([r.dispatcher?.address, r.dispatcher?.ephemeralOwner], [DISPATCHER1.address, jmB.sessionId])
    assert.deepEqual(r.latches?.rest_server.map((e) => e.ephemeralOwner), [jmA.sessionId, jmB.sessionId])
    assert.deepEqual(r.latches?.dispatcher.map((e) => e.ephemeralOwner), [jmB.sessionId, jmA.sessionId])
    assert.deepEqual(r.jobs.map((j) => [j.jobId, j.address]), [[job, REST2.address]])
    assert.equal(r.ownersConsistent, true)
    assert.equal((await readLeader(jmA, haPaths({flink: {file: undefined, format: 'none', entries: new Map()}, version: undefined}, {clusterId: 'never-started'}))).layout, 'none')
  })

  it('watch helpers: data changes, timeouts, aborts and close end waits, and watched paths do not pile up', async () => {
    const peer = standalone.get(homes[0]!.version)!
    const c = await zk(peer)
    const writer = await zk(peer)
    await c.create('/w/node', 'v0', {parents: true})

    const {node, changed} = await c.watchData('/w/node')
    assert.equal(node?.data?.toString(), 'v0')
    await writer.setData('/w/node', 'v1')
    assert.deepEqual(await changed, {type: 'dataChanged', path: '/w/node'})

    const kids = c.nextChange('/w', 'children', {timeoutMs: 5000})
    await new Promise((r) => setTimeout(r, 100)) // let the watch be armed before the change
    await writer.create('/w/child')
    assert.deepEqual(await kids, {type: 'childrenChanged', path: '/w'})

    const t0 = Date.now()
    assert.deepEqual(await c.nextChange('/w/node', 'data', {timeoutMs: 300}), {type: 'timeout', path: '/w/node'})
    assert.ok(Date.now() - t0 < 1500)

    // Many abandoned waits on one path share one library watcher and leave no waiter behind.
    const waits: Array<Promise<ZkWatchEvent>> = []
    for (let i = 0; i < 50; i++) {
      const ac = new AbortController()
      const w = await c.watchData('/w/node', {signal: ac.signal})
      ac.abort()
      waits.push(w.changed)
    }
    assert.ok((await Promise.all(waits)).every((e) => e.type === 'aborted'))
    assert.deepEqual(c.watchStats(), {paths: 1, waiters: 0}, 'one armed watch, nobody waiting')
    const last = await c.watchData('/w/node')
    await writer.remove('/w/node')
    assert.deepEqual(await last.changed, {type: 'deleted', path: '/w/node'})
    assert.deepEqual(c.watchStats(), {paths: 0, waiters: 0})

    const pending = await c.watchChildren('/w')
    await c.close()
    assert.deepEqual(await pending.changed, {type: 'closed', path: '/w'})
  })

  it('a dropped connection: the same session comes back and its watches still fire', async () => {
    const peer = standalone.get(homes[0]!.version)!
    const link = await flakyLink(peer)
    const c = await zk(link.peer)
    const writer = await zk(peer)
    await c.create('/survive', 'v0')
    const session = c.sessionId
    const {changed} = await c.watchData('/survive')
    const events: string[] = []
    c.on('disconnected', () => events.push('disconnected'))
    const back = new Promise<void>((r) => c.on('connected', () => r()))
    link.cut()
    await back
    assert.deepEqual([events, c.state, c.sessionId], [['disconnected'], 'connected', session])
    await writer.setData('/survive', 'v1')
    assert.deepEqual(await changed, {type: 'dataChanged', path: '/survive'})
  })

  it('a silent server is noticed within 2/3 of the session timeout; an expired session ends waits and operations', async () => {
    const peer = standalone.get(homes[0]!.version)!
    const link = await flakyLink(peer)
    const c = await zk(link.peer)
    const other = await zk(peer)
    await c.close()
    const s = await connectZk(`${link.peer.host}:${link.peer.clientPort}`, {sessionTimeoutMs: 1000, connectTimeoutMs: 5000})
    clients.push(s)
    assert.equal(s.sessionTimeoutMs, 1000)
    await s.create('/partitioned', 'x', {mode: 'ephemeral'})
    const {changed} = await s.watchData('/never-created')
    const disconnected = new Promise<number>((r) => s.on('disconnected', () => r(Date.now())))

    const t0 = Date.now()
    link.silent(true)
    let giveUp: ReturnType<typeof setTimeout> | undefined
    const noticed = (await Promise.race([disconnected, new Promise<number>((r) => (giveUp = setTimeout(() => r(Infinity), 5000)))])) - t0
    clearTimeout(giveUp)
    assert.ok(noticed >= 600 && noticed < 3000, `dead link noticed after ${noticed} ms`)
    // The server expires the session meanwhile; the reconnect after the partition hears so.
    await waitFor('the ephemeral node of the cut-off session to go', 10_000, async () => ((await other.exists('/partitioned')) ? undefined : true))
    link.silent(false)
    assert.deepEqual(await changed, {type: 'sessionExpired', path: '/never-created'})
    assert.equal(s.state, 'expired')
    await assert.rejects(s.getData('/'), (e: unknown) => e instanceof ZkError && e.code === 'ZK_SESSION_EXPIRED')
  })

  it('3-peer quorum on 127.0.0.1: one leader; kill it and another is elected; one peer alone stops serving', async () => {
    // Settled: every live peer answered srvr (mid-election a peer may accept and hang up unanswered).
    const settled = (want: (r: PeerHealth[]) => boolean) => async () => {
      const r = await quorumHealth(quorum, {timeoutMs: 1000})
      return r.every((p) => !p.ok || p.via === 'srvr') && want(r) ? r : undefined
    }
    const first = await waitFor('a healthy quorum', 30_000, settled((r) => quorumSummary(r).healthy && r.every((p) => p.ok)))
    const s1 = quorumSummary(first)
    assert.deepEqual([s1.serving, s1.total, s1.leaders.length], [3, 3, 1])
    assert.deepEqual(first.map((p) => p.mode).sort(), ['follower', 'follower', 'leader'])
    assert.ok(first.every((p) => p.via === 'srvr'))

    // Writes through one peer are read through another.
    const leaderId = s1.leader!
    const other = quorum.find((p) => p.id !== leaderId)!
    const w = await zk(quorum.map((p) => `${p.host}:${p.clientPort}`).join(', '))
    await w.create('/replicated', 'yes')
    const r = await zk(other)
    assert.equal((await r.getData('/replicated'))?.data?.toString(), 'yes')

    await stop(quorumProcs[leaderId - 1]!)
    const second = await waitFor('a new leader', 30_000, settled((h) => {
      const s = quorumSummary(h)
      return s.healthy && s.leader !== undefined && s.leader !== leaderId
    }))
    const s2 = quorumSummary(second)
    assert.deepEqual([s2.serving, s2.healthy], [2, true])
    assert.notEqual(s2.leader, leaderId)
    assert.equal(second.find((p) => p.id === leaderId)?.ok, false)

    await stop(quorumProcs[s2.leader! - 1]!)
    const last = quorum.find((p) => p.id !== leaderId && p.id !== s2.leader)!
    const third = await waitFor('the last peer to stop serving', 30_000, async () => {
      const h = await quorumHealth(quorum, {timeoutMs: 1000})
      return h.find((p) => p.id === last.id)?.error?.includes('not serving') ? h : undefined
    })
    assert.deepEqual(third.map((p) => p.ok), [false, false, false])
    assert.equal(quorumSummary(third).healthy, false)
  })
})
