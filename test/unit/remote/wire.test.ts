// src/lib/remote/wire.ts. Handshake pacing: a fan-out never has more SSH connections before
// authentication to one sshd than maxStartups, whatever --parallel says, so an sshd (or the
// bastion every ProxyCommand goes through) with MaxStartups 10 never drops one; checked against an
// in-process sshd that is slow to authenticate and counts its unauthenticated connections. The
// file descriptor budget: a fan-out over more hosts than the limit allows connections for still
// reaches every host (a child process under prlimit).
import assert from 'node:assert/strict'
import {execFile, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {HostPool} from '../../../src/lib/remote/pool.ts'
import {type LocalContext, parseSshConfig} from '../../../src/lib/remote/ssh-config.ts'
import {connectionBudget, DEFAULT_MAX_STARTUPS, HandshakePacer, openFileLimit, Pacer} from '../../../src/lib/remote/wire.ts'
import {type FakeSshd, keyPair, startFakeSshd} from './fake-sshd.ts'

describe('Pacer', () => {
  it('keeps at most limit in flight, hands slots over in order, and frees them however the work ends', async () => {
    const pacer = new Pacer(2)
    let inFlight = 0
    let most = 0
    const order: number[] = []
    const job = (i: number) => pacer.run(async () => {
      most = Math.max(most, ++inFlight)
      order.push(i)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      if (i % 3 === 0) throw new Error(`job ${i} fails`)
      return i
    })
    const results = await Promise.allSettled(Array.from({length: 9}, (_, i) => job(i)))
    assert.equal(most, 2)
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert.equal(results.filter((r) => r.status === 'rejected').length, 3)
    assert.equal(pacer.inFlight, 0, 'failed work gave its slot back')
    const release = await pacer.acquire()
    release()
    release() // twice is once
    assert.equal(pacer.inFlight, 0)
  })
})

describe('HandshakePacer', () => {
  it('paces each destination on its own and forgets idle ones', async () => {
    const pacer = new HandshakePacer(1)
    const a1 = await pacer.acquire('bastion:22')
    // another sshd is not held up by a busy one
    const b = await Promise.race([pacer.acquire('h2:22'), new Promise<undefined>((r) => setTimeout(r, 200, undefined))])
    assert.ok(b, 'a second destination got its slot at once')
    let a2Got = false
    const a2 = pacer.acquire('bastion:22').then((release) => {
      a2Got = true
      return release
    })
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(a2Got, false, 'the same destination waits')
    a1()
    ;(await a2)()
    b()
    assert.equal(pacer.destinations, 0)
  })
})

describe('file descriptor budget', () => {
  it('reads the soft limit from /proc/self/limits and leaves room for everything else', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n'
    assert.equal(openFileLimit(text), 1024)
    assert.equal(openFileLimit(text.replace('1024 ', 'unlimited ')), Number.MAX_SAFE_INTEGER)
    assert.equal(openFileLimit('nothing here'), undefined)
    assert.equal(connectionBudget(1024), 240)
    assert.equal(connectionBudget(40), 1)
    assert.equal(connectionBudget(undefined), Number.MAX_SAFE_INTEGER)
  })
})

describe('HostPool paces SSH handshakes', () => {
  let dir: string
  let sshd: FakeSshd
  let clientKey: string
  let clientPub: string
  const context = (): LocalContext => ({home: dir, user: 'tester', hostname: 'testbox', uid: 1000, env: {}})

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flinkctl-pacing-unit-'))
    const kp = keyPair()
    clientKey = join(dir, 'id_test')
    writeFileSync(clientKey, kp.private, {mode: 0o600})
    clientPub = kp.public
    // slow logins: without pacing, every connection of the fan-out would wait here at once
    sshd = await startFakeSshd({authorizedKey: kp.public, authDelayMs: 300})
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`)
  })
  after(async () => {
    await sshd?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  const names = Array.from({length: 24}, (_, i) => `w${i + 1}`)
  const poolFor = (opts: {parallel: number; maxStartups?: number}) => {
    // 24 names, one sshd: as 24 hosts behind one bastion's MaxStartups
    const config = parseSshConfig(
      `Host w*\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User tester\n  IdentityFile ${clientKey}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile none\n`,
      {context: context(), file: 'test-config'},
    )
    return new HostPool({connectTimeoutMs: 20_000, ...opts}, {context: context(), config})
  }

  const fanOutOnce = async (opts: {parallel: number; maxStartups?: number}) => {
    const pool = poolFor(opts)
    sshd.maxPending = sshd.pending
    const before = sshd.logins
    try {
      const out = await pool.forEach(names, (h) => h.run(['true']))
      assert.deepEqual(out.filter((o) => !o.ok), [], 'every host answered')
    } finally {
      await pool.close()
    }
    assert.equal(sshd.logins - before, names.length, 'one login per host')
    return sshd.maxPending
  }

  it('has at most maxStartups connections before authentication to one sshd, with more hosts in flight', async () => {
    const most = await fanOutOnce({parallel: 24, maxStartups: 4})
    assert.ok(most <= 4, `${most} unauthenticated connections at once (maxStartups 4)`)
    assert.ok(most >= 2, `handshakes still overlap (${most})`)
  })

  it('defaults to sshd\'s MaxStartups start (10), not --parallel', async () => {
    assert.equal(DEFAULT_MAX_STARTUPS, 10)
    const most = await fanOutOnce({parallel: 24})
    assert.ok(most <= DEFAULT_MAX_STARTUPS, `${most} unauthenticated connections at once`)
  })

  const prlimit = spawnSync('prlimit', ['--version']).status === 0
  it('reaches every host when the file descriptor limit holds fewer connections than hosts', {skip: prlimit ? false : 'no prlimit here'}, async () => {
    // an sshd that logs in at once: the budget makes this fan-out nearly serial
    const quick = await startFakeSshd({authorizedKey: clientPub})
    after(() => quick.stop())
    writeFileSync(join(dir, 'known_hosts_quick'), `[127.0.0.1]:${quick.port} ${quick.hostKeyLine}\n`)
    const cfg = join(dir, 'ssh_config')
    writeFileSync(cfg, `Host w*\n  HostName 127.0.0.1\n  Port ${quick.port}\n  User tester\n  IdentityFile ${clientKey}\n  UserKnownHostsFile ${join(dir, 'known_hosts_quick')}\n  GlobalKnownHostsFile none\n`)
    const pool = new URL('../../../src/lib/remote/pool.ts', import.meta.url).href
    const child = `import {HostPool} from ${JSON.stringify(pool)}
const pool = new HostPool({sshConfigFile: ${JSON.stringify(cfg)}, parallel: 32, connectTimeoutMs: 20000})
const names = Array.from({length: 32}, (_, i) => 'w' + (i + 1))
const out = await pool.forEach(names, (h) => h.run(['true']))
await pool.close()
console.log(JSON.stringify(out.filter((o) => !o.ok).map((o) => o.host + ': ' + o.error.message)))`
    // 48 descriptors: Node itself takes ~24, so 32 connections at once would fail with EMFILE
    // (asynchronously: the sshd it talks to runs in this process)
    const r = await new Promise<{status: number; stdout: string; stderr: string}>((resolve) => {
      execFile('prlimit', ['--nofile=48:48', process.execPath, '--input-type=module', '-e', child], {encoding: 'utf8', env: {...process.env, SSH_AUTH_SOCK: ''}, timeout: 120_000},
        (err, stdout, stderr) => resolve({status: err ? Number(err.code ?? 1) : 0, stdout, stderr}))
    })
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), [], 'no host failed')
  })
})
