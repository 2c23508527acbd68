// srvr answers as ZooKeeper prints them (captured from Flink's bundled 3.7 peers, plus a 3.4
// text), and fourLetterWord against local TCP servers that answer, hang up or say nothing.
import assert from 'node:assert/strict'
import {createServer, type Server, type Socket} from 'node:net'
import {after, describe, it} from 'node:test'
import {ZkError} from '../../../src/lib/zk/errors.ts'
import {fourLetterWord, parseSrvr} from '../../../src/lib/zk/four-letter.ts'

const V371 = 'Zookeeper version: 3.7.1-a2fb57c55f8e59cdd76c34b357ad5181df1258d5, built on 2022-05-07 06:45 UTC'
const SRVR = {
  standalone: `${V371}\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n`,
  follower: `${V371}\nLatency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: follower\nNode count: 5\n`,
  leader: `${V371}\nLatency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n`,
  zk34: 'Zookeeper version: 3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT\nLatency min/avg/max: 0/3/41\nReceived: 1562\nSent: 1561\nConnections: 4\nOutstanding: 0\nZxid: 0x2000000a7\nMode: follower\nNode count: 147\n',
  stat: `${V371}\nClients:\n /127.0.0.1:52144[1](queued=0,recved=12,sent=12)\n /127.0.0.1:52150[0](queued=0,recved=1,sent=0)\n\nLatency min/avg/max: 1/2.5/7\nReceived: 13\nSent: 12\nConnections: 2\nOutstanding: 0\nZxid: 0x10000000b\nMode: leader\nNode count: 11\nProposal sizes last/min/max: 48/36/112\n`,
  disabled: 'srvr is not executed because it is not in the whitelist.\n',
  notServing: 'This ZooKeeper instance is not currently serving requests\n',
}

describe('parseSrvr', () => {
  it('reads the fields of a 3.7 standalone answer', () => {
    assert.deepEqual(parseSrvr(SRVR.standalone), {
      status: 'ok', version: V371.slice('Zookeeper version: '.length), versionNumber: '3.7.1', mode: 'standalone', zxid: '0x0', nodeCount: 5,
      latency: {min: 0, avg: 0, max: 0}, connections: 1, outstanding: 0, received: 1, sent: 0,
    })
  })

  it('reads leader, follower, a 3.4 answer (integer avg) and stat (client list in between)', () => {
    assert.equal((parseSrvr(SRVR.leader) as {mode: string}).mode, 'leader')
    assert.equal((parseSrvr(SRVR.follower) as {mode: string}).mode, 'follower')
    const old = parseSrvr(SRVR.zk34)
    assert.ok(old.status === 'ok')
    assert.deepEqual([old.versionNumber, old.mode, old.zxid, old.nodeCount, old.latency, old.connections], ['3.4.14', 'follower', '0x2000000a7', 147, {min: 0, avg: 3, max: 41}, 4])
    const stat = parseSrvr(SRVR.stat)
    assert.ok(stat.status === 'ok')
    assert.deepEqual([stat.mode, stat.nodeCount, stat.latency, stat.connections], ['leader', 11, {min: 1, avg: 2.5, max: 7}, 2])
  })

  it('recognises the whitelist refusal, the not-serving answer and anything else', () => {
    assert.deepEqual(parseSrvr(SRVR.disabled), {status: 'disabled', word: 'srvr', message: SRVR.disabled.trim()})
    assert.equal(parseSrvr('stat is not executed because it is not in the whitelist.').status, 'disabled')
    assert.deepEqual(parseSrvr(SRVR.notServing), {status: 'not-serving', message: SRVR.notServing.trim()})
    assert.equal(parseSrvr('imok').status, 'unrecognised')
    assert.equal(parseSrvr('').status, 'unrecognised')
    assert.equal(parseSrvr(SRVR.standalone.replace('Node count: 5', 'Node count: x')).status, 'unrecognised')
    assert.equal(parseSrvr('HTTP/1.1 400 Bad Request\r\n\r\n').status, 'unrecognised')
  })
})

const servers: Server[] = []
after(() => {
  for (const s of servers) s.close()
})

async function serve(onConnection: (sock: Socket) => void): Promise<number> {
  const server = createServer(onConnection)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return (server.address() as {port: number}).port
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const {port} = server.address() as {port: number}
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

const rejectsWith = async (p: Promise<unknown>, code: string) => {
  await assert.rejects(p, (err: unknown) => err instanceof ZkError && err.code === code && err.exit === 6)
}

describe('fourLetterWord', () => {
  it('sends the word and returns everything the server writes before closing', async () => {
    const seen: string[] = []
    const port = await serve((sock) => sock.once('data', (d) => {
      seen.push(d.toString())
      sock.write(SRVR.leader.slice(0, 40))
      setTimeout(() => sock.end(SRVR.leader.slice(40)), 20)
    }))
    assert.equal(await fourLetterWord('127.0.0.1', port, 'srvr', {timeoutMs: 2000}), SRVR.leader)
    assert.deepEqual(seen, ['srvr'])
  })

  it('ZK_UNREACHABLE when nothing listens', async () => {
    await rejectsWith(fourLetterWord('127.0.0.1', await closedPort(), 'srvr', {timeoutMs: 2000}), 'ZK_UNREACHABLE')
  })

  it('ZK_NO_ANSWER when the port is open but closes silently or never answers', async () => {
    const silent = await serve((sock) => sock.once('data', () => sock.end()))
    await rejectsWith(fourLetterWord('127.0.0.1', silent, 'srvr', {timeoutMs: 2000}), 'ZK_NO_ANSWER')
    const mute = await serve(() => {})
    const t0 = Date.now()
    await rejectsWith(fourLetterWord('127.0.0.1', mute, 'srvr', {timeoutMs: 300}), 'ZK_NO_ANSWER')
    assert.ok(Date.now() - t0 < 1500, 'gives up at the timeout')
  })

  it('keeps a partial answer when the server does not close in time', async () => {
    const port = await serve((sock) => sock.once('data', () => sock.write('Zookeeper version: 3.7.1\n')))
    assert.equal(await fourLetterWord('127.0.0.1', port, 'srvr', {timeoutMs: 300}), 'Zookeeper version: 3.7.1\n')
  })

  it('refuses anything but four lowercase letters, and honours an abort signal', async () => {
    await rejectsWith(fourLetterWord('127.0.0.1', 1, 'srvr\n'), 'ZK_BAD_WORD')
    const mute = await serve(() => {})
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    await rejectsWith(fourLetterWord('127.0.0.1', mute, 'ruok', {timeoutMs: 5000, signal: ac.signal}), 'ZK_NO_ANSWER')
  })
})
