// SshHost against an in-process sshd (fake-sshd.ts): quoting, stdin, reuse, timeouts, host key
// policy, authentication, ProxyJump and errors, without root. The same behaviours are checked
// against real OpenSSH hosts in test/e2e/remote.test.ts.
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {HostError} from '../../../src/lib/remote/host.ts'
import {checkHostKey} from '../../../src/lib/remote/known-hosts.ts'
import {type LocalContext, parseSshConfig} from '../../../src/lib/remote/ssh-config.ts'
import {hostKeyAlgorithms, parseJumpSpec, SshHost, type SshHostOptions} from '../../../src/lib/remote/ssh.ts'
import {type FakeSshd, keyPair, startFakeSshd} from './fake-sshd.ts'

const NASTY = ['plain', 'two words', "it's", '"double"', '$HOME `id` $(id)', 'line1\nline2', 'tab\there', '*', '-n', '', 'ünïcödé ✓', '\\back\\slash', ';&|<>']

describe('SshHost against an in-process sshd', () => {
  let dir: string
  let sshd: FakeSshd
  let clientKey: string
  let clientPub: string
  let context: LocalContext

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flinkctl-ssh-unit-'))
    const kp = keyPair()
    clientKey = join(dir, 'id_test')
    writeFileSync(clientKey, kp.private, {mode: 0o600})
    clientPub = kp.public
    sshd = await startFakeSshd({authorizedKey: kp.public})
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`)
    // a home of our own: no ~/.ssh/config or keys of the machine leak in
    context = {home: dir, user: 'tester', hostname: 'testbox', uid: 1000, env: {}}
  })
  after(async () => {
    await sshd?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  const configFor = (extra = '', port = sshd.port) =>
    parseSshConfig(
      `Host fake fake2\n  HostName 127.0.0.1\n  Port ${port}\n  User tester\n  IdentityFile ${clientKey}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile none\n${extra}`,
      {context, file: 'test-config'},
    )
  const host = (opts: Partial<SshHostOptions> = {}, name = 'fake') => new SshHost(name, {config: configFor(), context, connectTimeoutMs: 3000, ...opts})

  it('runs sh with every argument arriving as one word, and run() with argv quoted', async () => {
    const h = host()
    try {
      assert.equal(h.user, 'tester')
      const r = await h.sh('for a; do printf "<%s>" "$a"; done; echo; echo err >&2; exit 3', NASTY)
      assert.equal(r.code, 3, r.stderr)
      assert.equal(r.stdout, NASTY.map((a) => `<${a}>`).join('') + '\n')
      assert.equal(r.stderr, 'err\n')
      assert.equal(r.timedOut, false)
      assert.ok(r.durationMs >= 0)
      const argv = await h.run(['printf', '%s|', ...NASTY])
      assert.equal(argv.code, 0, argv.stderr)
      assert.equal(argv.stdout, NASTY.map((a) => `${a}|`).join(''))
    } finally {
      await h.close()
    }
  })

  it('writes stdin and closes it, streams output, and keeps binary-safe UTF-8', async () => {
    const h = host()
    try {
      const data = 'héllo\n'.repeat(20_000) // > one SSH window
      const chunks: string[] = []
      const r = await h.sh('wc -c; cat >/dev/null', [], {stdin: data, onStdout: (c) => chunks.push(c)})
      assert.equal(r.stdout.trim(), String(Buffer.byteLength(data)))
      assert.equal(chunks.join(''), r.stdout)
      const bytes = await h.sh('od -An -tx1 | tr -d " \\n"', [], {stdin: new Uint8Array([0, 1, 255])})
      assert.equal(bytes.stdout, '0001ff')
      const quiet = await h.sh('echo lots', [], {discardOutput: true})
      assert.equal(quiet.stdout, '')
    } finally {
      await h.close()
    }
  })

  it('uses one connection for many commands, concurrent ones included', async () => {
    const before = sshd.connections
    const h = host()
    try {
      await Promise.all(Array.from({length: 20}, (_, i) => h.sh('echo $1', [String(i)])))
      for (let i = 0; i < 5; i++) await h.run(['true'])
      assert.equal(sshd.connections - before, 1)
    } finally {
      await h.close()
    }
  })

  it('kills the remote process group on timeout and reports timedOut', async () => {
    const h = host({commandTimeoutMs: 800})
    try {
      const marker = `flinkctl-timeout-${process.pid}`
      const r = await h.sh(`sleep 30 & echo started; wait # ${marker}`)
      assert.equal(r.timedOut, true)
      assert.equal(r.code, null)
      assert.equal(r.signal, 'SIGKILL')
      assert.equal(r.stdout, 'started\n')
      assert.ok(r.durationMs >= 800 && r.durationMs < 5000, String(r.durationMs))
      assert.ok(sshd.signals.includes('KILL'))
      assert.equal(sshd.running.size, 0)
      // the background sleep of the same process group is gone too
      const ps = spawnSync('sh', ['-c', `ps -eo args | grep -c "^sleep 30$" || true`], {encoding: 'utf8'})
      assert.equal(ps.stdout.trim(), '0')
      // the connection survives a timed-out command
      assert.equal((await h.run(['echo', 'after'])).stdout, 'after\n')
      // a per-call timeout wins, and an abort signal stops a command without timedOut
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 300)
      const aborted = await h.sh('sleep 30', [], {signal: ac.signal, timeoutMs: 0})
      assert.equal(aborted.timedOut, false)
      assert.equal(aborted.code, null)
    } finally {
      await h.close()
    }
  })

  it('kills the process group by its pid where sshd ignores signal requests (root logins)', async () => {
    const deaf = await startFakeSshd({authorizedKey: clientPub, ignoreSignals: true})
    writeFileSync(join(dir, 'kh-deaf'), `[127.0.0.1]:${deaf.port} ${deaf.hostKeyLine}\n`)
    const h = host({commandTimeoutMs: 600, knownHostsFiles: [join(dir, 'kh-deaf')], config: configFor('', deaf.port)})
    try {
      const r = await h.sh('sleep 41 & sleep 42; echo never', [], {onStderr: (c) => assert.doesNotMatch(c, /flinkctl-pgid/)})
      assert.equal(r.timedOut, true)
      assert.equal(r.signal, 'SIGKILL')
      assert.equal(r.stderr, '')
      assert.ok(r.durationMs < 3000, `killed by pid, not after the grace period (${r.durationMs} ms)`)
      assert.deepEqual(deaf.signals, ['KILL'])
      assert.match(deaf.commands.at(-1)!, /^kill -s KILL -- -\d+ /)
      assert.equal(deaf.running.size, 0)
      const ps = spawnSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 4[12]$" || true'], {encoding: 'utf8'})
      assert.equal(ps.stdout.trim(), '0')
    } finally {
      await h.close()
      await deaf.stop()
    }
  })

  it('refuses an unknown host key before running anything, with a hint', async () => {
    const kh = join(dir, 'kh-empty')
    writeFileSync(kh, '')
    const commands = sshd.commands.length
    const h = host({knownHostsFiles: [kh]})
    await assert.rejects(h.run(['touch', '/tmp/should-not-exist']), (e: unknown) => {
      assert.ok(e instanceof HostError)
      assert.equal(e.code, 'HOST_KEY_UNKNOWN')
      assert.equal(e.host, 'fake')
      assert.match(e.message, /\[127\.0\.0\.1\]:\d+ is not in known_hosts \(ssh-ed25519 SHA256:/)
      assert.match(e.hint!, /--accept-new-host-keys/)
      assert.match(e.hint!, /ssh-keyscan -p \d+ -t ed25519 127\.0\.0\.1/)
      return true
    })
    assert.equal(sshd.commands.length, commands)
    assert.equal(readFileSync(kh, 'utf8'), '', 'nothing recorded without --accept-new-host-keys')
    await h.close()
  })

  it('refuses a changed host key even with acceptNewHostKeys', async () => {
    const kh = join(dir, 'kh-changed')
    const other = keyPair()
    const otherBlob = Buffer.from(other.public.split(' ')[1]!, 'base64')
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherBlob.toString('base64')}\n`)
    const h = host({knownHostsFiles: [kh], acceptNewHostKeys: true})
    await assert.rejects(h.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostError)
      assert.equal(e.code, 'HOST_KEY_CHANGED')
      assert.match(e.message, /CHANGED.*man-in-the-middle/)
      assert.match(e.message, new RegExp(`${kh}:1`))
      assert.match(e.hint!, /ssh-keygen -R '\[127\.0\.0\.1\]:\d+' -f /)
      return true
    })
    await h.close()
  })

  it('records a new host key with acceptNewHostKeys, then connects strictly', async () => {
    const kh = join(dir, 'sub', 'kh-new')
    const first = host({knownHostsFiles: [kh], acceptNewHostKeys: true})
    assert.equal((await first.run(['echo', 'ok'])).stdout, 'ok\n')
    await first.close()
    assert.equal(await checkHostKey([kh], '127.0.0.1', sshd.port, 'ssh-ed25519', sshd.hostKeyBlob), 'match')
    assert.ok(first.notes.some((n) => /recorded the ssh-ed25519 key/.test(n)))
    const strict = host({knownHostsFiles: [kh]})
    assert.equal((await strict.run(['echo', 'again'])).stdout, 'again\n')
    await strict.close()
  })

  it('treats StrictHostKeyChecking accept-new in the config like acceptNewHostKeys', async () => {
    const kh = join(dir, 'kh-config-accept')
    const h = new SshHost('fake', {config: configFor('  StrictHostKeyChecking accept-new\n'), context, knownHostsFiles: [kh]})
    assert.equal((await h.run(['true'])).code, 0)
    await h.close()
    assert.match(readFileSync(kh, 'utf8'), /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /)
  })

  it('fails authentication with SSH_AUTH naming what it tried; skips passphrase keys with a note', async (t) => {
    const wrong = join(dir, 'id_wrong')
    writeFileSync(wrong, keyPair().private, {mode: 0o600})
    const h = host({identityFiles: [wrong]}, 'fake2')
    // -i first, then the config's IdentityFile (the right one): succeeds with the second key
    assert.equal((await h.run(['true'])).code, 0)
    await h.close()
    const only = new SshHost('other', {
      config: parseSshConfig(`Host other\n HostName 127.0.0.1\n Port ${sshd.port}\n IdentityFile ${wrong}\n UserKnownHostsFile ${join(dir, 'known_hosts')}\n`, {context}),
      context,
    })
    await assert.rejects(only.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostError)
      assert.equal(e.code, 'SSH_AUTH')
      assert.match(e.message, /tester@127\.0\.0\.1:\d+ refused every key/)
      assert.ok(e.hint?.includes(wrong), String(e.hint))
      assert.doesNotMatch(`${e.message} ${e.hint}`, /PRIVATE KEY/)
      return true
    })
    await only.close()

    if (spawnSync('ssh-keygen', ['-?'], {stdio: 'ignore'}).error) return t.skip('ssh-keygen not installed')
    const enc = join(dir, 'id_enc')
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', enc]).status, 0)
    const none = new SshHost('other', {
      config: parseSshConfig(`Host other\n HostName 127.0.0.1\n Port ${sshd.port}\n IdentityFile ${enc}\n IdentityFile ${join(dir, 'absent')}\n UserKnownHostsFile ${join(dir, 'known_hosts')}\n`, {context}),
      context,
    })
    await assert.rejects(none.run(['true']), (e: unknown) => {
      assert.ok(e instanceof HostError)
      assert.equal(e.code, 'SSH_AUTH')
      assert.match(e.message, /no SSH key/)
      assert.match(e.hint!, /protected by a passphrase.*ssh-add/)
      assert.match(e.hint!, /absent not readable/)
      return true
    })
    await none.close()
  })

  it('uses ssh-agent keys, only those of the IdentityFiles under IdentitiesOnly, and survives a dead agent socket', async (t) => {
    if (spawnSync('ssh-agent', ['-k'], {stdio: 'ignore'}).error) return t.skip('ssh-agent not installed')
    const sock = join(dir, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', sock], {stdio: 'ignore'})
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100))
      assert.equal(spawnSync('ssh-add', ['-q', clientKey], {env: {...process.env, SSH_AUTH_SOCK: sock}}).status, 0)
      // the private key is only in the agent; the config names its .pub, as operators do
      const pubOnly = join(dir, 'agent_only')
      writeFileSync(`${pubOnly}.pub`, `${clientPub}\n`)
      const other = join(dir, 'other_key')
      writeFileSync(`${other}.pub`, `${keyPair().public}\n`)
      const cfg = (identity: string) =>
        parseSshConfig(`Host a\n HostName 127.0.0.1\n Port ${sshd.port}\n IdentityFile ${identity}\n IdentitiesOnly yes\n UserKnownHostsFile ${join(dir, 'known_hosts')}\n`, {context})
      const env = {SSH_AUTH_SOCK: sock}
      const good = new SshHost('a', {config: cfg(pubOnly), context: {...context, env}})
      assert.equal((await good.run(['echo', 'agent'])).stdout, 'agent\n')
      await good.close()
      const filtered = new SshHost('a', {config: cfg(other), context: {...context, env}})
      await assert.rejects(filtered.run(['true']), (e: unknown) => e instanceof HostError && e.code === 'SSH_AUTH' && /ssh-agent .*IdentitiesOnly/.test(e.hint ?? ''))
      await filtered.close()
    } finally {
      agent.kill()
    }
    const deadAgent = new SshHost('fake', {config: configFor(), context: {...context, env: {SSH_AUTH_SOCK: join(dir, 'no-such.sock')}}})
    assert.equal((await deadAgent.run(['echo', 'key file'])).stdout, 'key file\n')
    assert.ok(deadAgent.notes.some((n) => /ssh-agent/.test(n)), deadAgent.notes.join('; '))
    await deadAgent.close()
  })

  it('connection refused is SSH_CONNECT, a silent port is SSH_TIMEOUT within the connect timeout', async () => {
    const silent: Server = createServer(() => {}) // accepts, never sends a banner
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const silentPort = (silent.address() as {port: number}).port
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const closedPort = (closed.address() as {port: number}).port
    await new Promise<void>((r) => closed.close(() => r()))
    try {
      const refused = new SshHost('fake', {config: configFor('', closedPort), context})
      await assert.rejects(refused.run(['true']), (e: unknown) => e instanceof HostError && e.code === 'SSH_CONNECT' && /ECONNREFUSED/.test(e.message) && /sshd running/.test(e.hint ?? ''))
      const started = performance.now()
      const hung = new SshHost('fake', {config: configFor('', silentPort), context, connectTimeoutMs: 700})
      await assert.rejects(hung.run(['true']), (e: unknown) => e instanceof HostError && e.code === 'SSH_TIMEOUT' && /within 700 ms/.test(e.message))
      assert.ok(performance.now() - started < 4000)
      const dns = new SshHost('nosuchhost.invalid', {config: parseSshConfig('', {context}), context, connectTimeoutMs: 3000})
      await assert.rejects(dns.run(['true']), (e: unknown) => e instanceof HostError && e.code === 'SSH_CONNECT' && /cannot resolve host name nosuchhost\.invalid/.test(e.message))
    } finally {
      silent.close()
    }
  })

  it('reconnects after the connection drops; a command cut off reports SSH_DISCONNECTED', async () => {
    const h = host()
    try {
      assert.equal((await h.run(['true'])).code, 0)
      const before = sshd.connections
      const running = h.sh('sleep 5')
      await new Promise((r) => setTimeout(r, 300))
      sshd.dropAll()
      await assert.rejects(running, (e: unknown) => e instanceof HostError && e.code === 'SSH_DISCONNECTED')
      assert.equal((await h.run(['echo', 'back'])).stdout, 'back\n')
      assert.equal(sshd.connections - before, 1)
    } finally {
      await h.close()
    }
  })

  it('reaches a host through a ProxyJump chain, checking every hop', async () => {
    const jump = await startFakeSshd({authorizedKey: clientPub})
    try {
      const kh = join(dir, 'kh-jump')
      // HostKeyAlias keeps the two 127.0.0.1 servers apart in known_hosts
      writeFileSync(kh, `jumpbox ${jump.hostKeyLine}\ntarget ${sshd.hostKeyLine}\n`)
      const text = [
        'Host target',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  HostKeyAlias target',
        '  ProxyJump jumpbox',
        'Host jumpbox',
        '  HostName 127.0.0.1',
        `  Port ${jump.port}`,
        '  HostKeyAlias jumpbox',
        'Host *',
        '  User tester',
        `  IdentityFile ${clientKey}`,
        `  UserKnownHostsFile ${kh}`,
        '',
      ].join('\n')
      const h = new SshHost('target', {config: parseSshConfig(text, {context}), context})
      const cmds = sshd.commands.length
      assert.equal((await h.run(['echo', 'via jump'])).stdout, 'via jump\n')
      assert.deepEqual(jump.forwards, [`127.0.0.1:${sshd.port}`])
      assert.equal(jump.commands.length, 0, 'nothing runs on the jump host')
      assert.equal(sshd.commands.length, cmds + 1)
      await h.close()

      // the jump host's key is checked like any other
      writeFileSync(kh, `target ${sshd.hostKeyLine}\n`)
      const refused = new SshHost('target', {config: parseSshConfig(text, {context}), context})
      await assert.rejects(refused.run(['true']), (e: unknown) => {
        assert.ok(e instanceof HostError)
        assert.equal(e.code, 'HOST_KEY_UNKNOWN')
        assert.equal(e.host, 'target')
        assert.match(e.message, /^via jump host jumpbox: host key of jumpbox is not in known_hosts/)
        return true
      })
      assert.equal(jump.commands.length, 0)
      await refused.close()
    } finally {
      await jump.stop()
    }
  })

  it('parses ProxyJump hops and orders host key algorithms by what known_hosts has', () => {
    assert.deepEqual(parseJumpSpec('bastion'), {host: 'bastion'})
    assert.deepEqual(parseJumpSpec('ops@bastion:2222'), {user: 'ops', host: 'bastion', port: 2222})
    assert.deepEqual(parseJumpSpec('ssh://a@[::1]:22'), {user: 'a', host: '::1', port: 22})
    assert.throws(() => parseJumpSpec('h:99999'), /bad ProxyJump hop/)
    assert.equal(hostKeyAlgorithms(['ssh-rsa'])[0], 'rsa-sha2-512')
    assert.equal(hostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256')
    assert.equal(hostKeyAlgorithms([])[0], 'ssh-ed25519')
    assert.equal(new Set(hostKeyAlgorithms(['ssh-ed25519', 'ssh-rsa'])).size, hostKeyAlgorithms([]).length)
  })
})
