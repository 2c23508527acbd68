// The SSH layer's own checks (defence in depth behind the validator): hostile host, user and
// hop names are refused before anything runs, whatever way they arrive, and every failure of a
// ProxyCommand is that host's error, never an unhandled 'error' event that kills the process.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {ExitCode} from '../../../src/lib/errors.ts'
import {HostError} from '../../../src/lib/remote/host.ts'
import {HostPool} from '../../../src/lib/remote/pool.ts'
import {type LocalContext, parseSshConfig} from '../../../src/lib/remote/ssh-config.ts'
import {SshHost} from '../../../src/lib/remote/ssh.ts'
import {keyPair, startFakeSshd} from './fake-sshd.ts'

const dir = mkdtempSync(join(tmpdir(), 'flinkctl-hostile-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const context: LocalContext = {home: dir, user: 'tester', hostname: 'testbox', uid: 1000, env: {}}
const canary = (name: string) => join(dir, `canary-${name}`)
const config = (text: string) => parseSshConfig(`${text}\nHost *\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile none\n  IdentityAgent none\n`, {context, file: 'test-config'})

function refuses(fn: () => unknown, what: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof HostError && err.code === 'HOST_NAME' && err.exit === ExitCode.ConfigInvalid && what.test(err.message))
}

async function rejects(p: Promise<unknown>, check: (e: HostError) => boolean): Promise<HostError> {
  let caught: unknown
  await p.then(() => assert.fail('expected a failure'), (e: unknown) => (caught = e))
  assert.ok(caught instanceof HostError, `a HostError, got ${String(caught)}`)
  assert.ok(check(caught), `${caught.code}: ${caught.message}`)
  return caught
}

describe('hostile names in the SSH layer', () => {
  const proxied = config(`Host *\n  ProxyCommand touch ${dir}/canary-%h %r; nc %h %p`)

  it('refuses host names a shell would interpret, before any ProxyCommand runs', () => {
    for (const [i, name] of [`$(touch ${canary('a')})`, `x;touch ${canary('b')}`, `\`touch ${canary('c')}\``, 'a|b', 'a&b', '-oProxyCommand=id', 'a b', 'a\nb'].entries()) {
      refuses(() => new SshHost(name, {config: proxied, context}), /is not a host name/)
      assert.equal(existsSync(canary(String.fromCharCode(97 + i))), false)
    }
  })

  it('refuses the user part of user@host and -l', () => {
    refuses(() => new SshHost(`$(touch ${canary('u')})@h1`, {config: proxied, context}), /is not a user name/)
    refuses(() => new SshHost('h1', {config: proxied, context, user: 'a;b'}), /the SSH user \(-l\)/)
  })

  it('refuses HostName and User from the ssh config, once resolved', () => {
    refuses(() => new SshHost('evil', {config: config('Host evil\n  HostName $(id)'), context}), /as the ssh config resolves it/)
    refuses(() => new SshHost('evil', {config: config('Host evil\n  HostName %h;id'), context}), /as the ssh config resolves it/)
    refuses(() => new SshHost('evil', {config: config('Host evil\n  User "a`id`"'), context}), /is not a user name/)
  })

  it('refuses a ProxyJump hop with a hostile host or user, and says it is the hop', async () => {
    for (const hop of ['bad;host', 'u$(id)@jump', 'jump|x:22']) {
      const h = new SshHost('target', {config: config(`Host target\n  HostName 127.0.0.1\n  ProxyJump ${hop}`), context, connectTimeoutMs: 1000})
      await rejects(h.connect(), (e) => e.code === 'HOST_NAME' && /ProxyJump hop/.test(e.message))
      await h.close()
    }
  })

  it('keeps plain names, IPv6 literals and user@host working', () => {
    for (const name of ['h1', 'flink@h1', '2001:db8::1', 'svc@CORP@h1', 'tm_1.example.com']) assert.ok(new SshHost(name, {config: proxied, context}))
  })

  it('fails a whole fan-out at once on a hostile --host name, touching no host', async () => {
    const pool = new HostPool({}, {context, config: proxied})
    assert.throws(() => pool.get('$(id)'), /is not a host name/)
    await pool.close()
  })
})

describe('ProxyCommand failures are per-host results', () => {
  const host = (cmd: string, timeoutMs = 3000) => new SshHost('h1', {config: config(`Host h1\n  HostName 127.0.0.1\n  ProxyCommand ${cmd}`), context, connectTimeoutMs: timeoutMs})

  it('a ProxyCommand that exits non-zero at once (before the handshake listens)', async () => {
    const h = host("sh -c 'echo no route to bastion >&2; exit 3'")
    const e = await rejects(h.connect(), (e) => e.code === 'SSH_CONNECT')
    assert.match(e.message, /ProxyCommand exited with 3: no route to bastion/)
    await h.close()
  })

  it('a ProxyCommand that does not exist', async () => {
    const h = host('/nonexistent/proxy %h %p')
    const e = await rejects(h.connect(), (e) => e.code === 'SSH_CONNECT')
    assert.match(e.message, /ProxyCommand exited with 127/)
    await h.close()
  })

  it('a ProxyCommand that exits 0 without speaking SSH', async () => {
    const h = host('true')
    await rejects(h.connect(), (e) => e.code === 'SSH_CONNECT')
    await h.close()
  })

  it('a ProxyCommand that talks garbage', async () => {
    const h = host("sh -c 'echo HTTP/1.1 400 Bad Request; sleep 1'")
    await rejects(h.connect(), (e) => e.code === 'SSH_CONNECT' || e.code === 'SSH_TIMEOUT')
    await h.close()
  })

  it('a ProxyCommand that hangs: the connect timeout fires', async () => {
    const h = host('sleep 30', 500)
    await rejects(h.connect(), (e) => e.code === 'SSH_TIMEOUT' && e.exit === ExitCode.Timeout)
    await h.close()
  })

  it('many hosts whose ProxyCommand fails, in one fan-out: one result each', async () => {
    const pool = new HostPool({parallel: 8}, {context, config: config("Host *\n  HostName 127.0.0.1\n  ProxyCommand sh -c 'exit 255'")})
    const names = Array.from({length: 20}, (_, i) => `w${i}`)
    const outcomes = await pool.forEach(names, (h) => h.run(['true']))
    assert.deepEqual(outcomes.map((o) => [o.host, o.ok, o.error?.code]), names.map((n) => [n, false, 'SSH_CONNECT']))
    await pool.close()
  })
})

describe('a working ProxyCommand', () => {
  it('carries the SSH session, and the connection ends when the command does', async () => {
    const kp = keyPair()
    const key = join(dir, 'id_proxy')
    writeFileSync(key, kp.private, {mode: 0o600})
    const sshd = await startFakeSshd({authorizedKey: kp.public})
    try {
      writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`)
      // a netcat written in Node: the test needs no nc package
      const relay = join(dir, 'relay.cjs')
      writeFileSync(relay, "const s = require('net').connect(+process.argv[3], process.argv[2]); process.stdin.pipe(s); s.pipe(process.stdout); s.on('close', () => process.exit(0))\n")
      const cfg = config(`Host via\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User tester\n  IdentityFile ${key}\n  ProxyCommand ${process.execPath} ${relay} %h %p`)
      const h = new SshHost('via', {config: cfg, context, connectTimeoutMs: 5000})
      const r = await h.run(['echo', 'through the proxy'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, 'through the proxy\n')
      assert.equal(sshd.connections, 1)
      await h.close()
    } finally {
      await sshd.stop()
    }
  })
})
