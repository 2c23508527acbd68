// connectZk failure paths: a typed ZK_CONNECT error within the timeout, and — the point of
// hard-closing — a process that can exit afterwards although node-zookeeper-client would
// otherwise reconnect for ever. Real sessions, data and watches: test/e2e/zk-real.test.ts.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {createServer, type Server, type Socket} from 'node:net'
import {after, describe, it} from 'node:test'
import {connectZk} from '../../../src/lib/zk/client.ts'
import {ZkError} from '../../../src/lib/zk/errors.ts'

const CLIENT = new URL('../../../src/lib/zk/client.ts', import.meta.url).href

const servers: Server[] = []
const sockets = new Set<Socket>()
after(() => {
  for (const s of sockets) s.destroy()
  for (const s of servers) s.close()
})

async function serve(onConnection: (sock: Socket) => void): Promise<number> {
  const server = createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    onConnection(sock)
  })
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

/** Runs connectZk in a fresh node process; resolves with its result line and how long the process lived. */
function connectInChild(connectString: string, connectTimeoutMs: number): Promise<{code?: string; ms: number; lived: number}> {
  const script = `
    import {connectZk} from ${JSON.stringify(CLIENT)}
    const t0 = Date.now()
    try { await connectZk(process.argv[1], {connectTimeoutMs: ${connectTimeoutMs}}); console.log('{"code":"CONNECTED"}') }
    catch (e) { console.log(JSON.stringify({code: e.code, ms: Date.now() - t0})) }`
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, connectString], {timeout: 15_000}, (err, stdout) => {
      if (err) return reject(new Error(`child did not exit cleanly: ${err.message}`))
      resolve({...JSON.parse(stdout.trim().split('\n').pop()!), lived: Date.now() - t0})
    })
  })
}

describe('connectZk failures', () => {
  it('rejects an empty or malformed connect string with ZK_CONNECT', async () => {
    await assert.rejects(connectZk(' '), (e: unknown) => e instanceof ZkError && e.code === 'ZK_CONNECT' && /empty/.test(e.message))
    await assert.rejects(connectZk('zk1:2181/bad//chroot', {connectTimeoutMs: 300}), (e: unknown) => e instanceof ZkError && e.code === 'ZK_CONNECT')
  })

  it('rejects with ZK_CONNECT at the timeout and lets the process exit: refused, silent and hang-up servers', async () => {
    const mute = await serve(() => {})
    const hangUp = await serve((sock) => sock.destroy())
    const refused = await closedPort()
    const results = await Promise.all([
      connectInChild(`127.0.0.1:${refused}`, 700),
      connectInChild(`127.0.0.1:${mute}`, 700),
      connectInChild(`127.0.0.1:${hangUp}`, 700),
      connectInChild(`127.0.0.1:${refused},127.0.0.1:${mute}`, 700),
    ])
    for (const r of results) {
      assert.equal(r.code, 'ZK_CONNECT')
      assert.ok(r.ms >= 650 && r.ms < 3000, `rejected after ${r.ms} ms`)
      // Node start-up plus the timeout plus one spin delay; a reconnect loop would hit the 15 s kill.
      assert.ok(r.lived < 8000, `process lived ${r.lived} ms`)
    }
  })

  it('stops at once on an abort signal', async () => {
    const mute = await serve(() => {})
    const ac = new AbortController()
    const t0 = Date.now()
    setTimeout(() => ac.abort(new Error('stop')), 50)
    await assert.rejects(connectZk(`127.0.0.1:${mute}`, {connectTimeoutMs: 5000, signal: ac.signal}), /stop/)
    assert.ok(Date.now() - t0 < 1000)
  })
})
