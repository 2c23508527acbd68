import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {ConfigError} from '../../../src/lib/errors.ts'
import {readRemoteFile, uploadFile} from '../../../src/lib/remote/files.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {HostPool, isLocalName, remoteOptionsFromSshOpts} from '../../../src/lib/remote/pool.ts'
import {type LocalContext, parseSshConfig} from '../../../src/lib/remote/ssh-config.ts'
import {SshHost} from '../../../src/lib/remote/ssh.ts'

const dir = mkdtempSync(join(tmpdir(), 'flinkctl-pool-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const context: LocalContext = {home: dir, user: 'op', hostname: 'box1.example.com', uid: 1000, env: {}}

describe('remoteOptionsFromSshOpts (env.ssh.opts)', () => {
  it('reads -F -i -p -l -J -o, attached or separate, and ignores harmless flags', () => {
    assert.deepEqual(remoteOptionsFromSshOpts(''), {})
    assert.deepEqual(
      remoteOptionsFromSshOpts('-qT -n -F /etc/flink/ssh_config -i ~/.ssh/flink -i/k2 -p2222 -l flink -J ops@bastion:22 -o ConnectTimeout=5 -oServerAliveInterval=10 -x -A -C -v'),
      {
        sshConfigFile: '/etc/flink/ssh_config',
        identityFiles: ['~/.ssh/flink', '/k2'],
        port: 2222,
        user: 'flink',
        proxyJump: 'ops@bastion:22',
        extraOptions: {ConnectTimeout: '5', ServerAliveInterval: '10'},
      },
    )
    assert.deepEqual(remoteOptionsFromSshOpts('-o IdentityFile=/a -o IdentityFile=/b'), {identityFiles: ['/a', '/b']})
    assert.deepEqual(remoteOptionsFromSshOpts('-E /tmp/log -S none -c aes128-ctr'), {})
  })

  it('turns StrictHostKeyChecking accept-new and no into acceptNewHostKeys (a changed key stays refused)', () => {
    assert.deepEqual(remoteOptionsFromSshOpts('-o StrictHostKeyChecking=accept-new'), {acceptNewHostKeys: true})
    assert.deepEqual(remoteOptionsFromSshOpts('-o StrictHostKeyChecking=no'), {acceptNewHostKeys: true})
    assert.deepEqual(remoteOptionsFromSshOpts('-o stricthostkeychecking=yes'), {})
    assert.throws(() => remoteOptionsFromSshOpts('-o StrictHostKeyChecking=maybe'), ConfigError)
  })

  it('refuses what flinkctl cannot do, naming the option', () => {
    for (const [text, re] of [
      ['-L 8081:localhost:8081', /-L is not supported/],
      ['-D 1080', /-D is not supported/],
      ['-N', /-N is not supported/],
      ['-qf', /-f is not supported/],
      ['-b 10.0.0.1', /-b is not supported/],
      ['-p', /-p needs a value/],
      ['-p 0', /not a port number/],
      ['-p abc', /not a port number/],
      ['-o Foo', /expected Key=Value/],
      ['somehost', /is not an ssh option/],
    ] as const) {
      assert.throws(() => remoteOptionsFromSshOpts(text), (e: unknown) => e instanceof ConfigError && e.code === 'SSH_OPTS' && re.test(e.message), text)
    }
  })
})

describe('HostPool', () => {
  const config = parseSshConfig('Host w1\n  HostName 10.9.9.1\n  User flink\nHost *\n  IdentityFile /nonexistent\n', {context})

  it('runs local names without SSH and the rest over SSH, one object per name', async () => {
    assert.ok(isLocalName('localhost', 'box1.example.com'))
    assert.ok(isLocalName('BOX1', 'box1.example.com'))
    assert.ok(isLocalName('box1.example.com', 'box1.example.com'))
    assert.ok(isLocalName('127.0.0.1'))
    assert.ok(isLocalName(hostname()))
    assert.ok(!isLocalName('box2', 'box1.example.com'))
    const pool = new HostPool({}, {context, config})
    const local = pool.get('localhost')
    assert.ok(local instanceof LocalHost)
    assert.equal(local.local, true)
    assert.ok(pool.get('box1') instanceof LocalHost)
    const w1 = pool.get('w1')
    assert.ok(w1 instanceof SshHost)
    assert.equal(w1.local, false)
    assert.equal(w1.user, 'flink')
    assert.equal(pool.get('w1'), w1)
    assert.equal(pool.addressOf('w1'), '10.9.9.1')
    assert.equal(pool.addressOf('w2'), 'w2')
    assert.equal(pool.addressOf('localhost'), 'localhost')
    await pool.close()
    const forced = new HostPool({forceSsh: true, user: 'cli'}, {context, config})
    const viaSsh = forced.get('localhost')
    assert.ok(viaSsh instanceof SshHost)
    assert.equal(viaSsh.user, 'cli')
    await forced.close()
  })

  it('fans out with a bound, one outcome per name in order, failures with exit status and stderr tail', async () => {
    const pool = new HostPool({parallel: 2}, {context, config})
    let inFlight = 0
    let peak = 0
    const names = ['localhost', '127.0.0.1', 'box1', 'localhost.localdomain', 'localhost']
    const out = await pool.forEach(names, async (h) => {
      peak = Math.max(peak, ++inFlight)
      await new Promise((r) => setTimeout(r, 50))
      inFlight--
      return h.name
    })
    assert.equal(peak, 2)
    assert.deepEqual(out.map((o) => [o.host, o.ok, o.value]), names.map((n) => [n, true, n]))

    const flag = join(dir, 'second-run-fails')
    const each = await pool.shEach(['localhost', '127.0.0.1'], 'check', 'if [ -e "$1" ]; then echo one >&2; echo two >&2; exit 4; fi; touch "$1"; echo fine', [flag], {parallel: 1})
    assert.equal(each[0]!.ok, true)
    assert.equal(each[0]!.value!.stdout, 'fine\n')
    assert.equal(each[1]!.ok, false)
    assert.match(each[1]!.error!.message, /check failed on 127\.0\.0\.1 \(exit 4\): one\ntwo/)
    assert.equal(each[1]!.error!.code, 'REMOTE_COMMAND')
    assert.deepEqual({...(each[1]!.error!.details as object), durationMs: 0}, {exitStatus: 4, timedOut: false, durationMs: 0, stderrTail: 'one\ntwo'})
    assert.ok(each[1]!.durationMs >= 0)
    await pool.close()
  })

  it('keeps an unreachable SSH host a per-host failure while local hosts succeed', async () => {
    const pool = new HostPool({connectTimeoutMs: 1500}, {context, config: parseSshConfig('Host dead\n  HostName 127.0.0.1\n  Port 1\n', {context})})
    const out = await pool.shEach(['dead', 'localhost'], 'probe', 'echo ok')
    assert.equal(out[0]!.ok, false)
    assert.equal(out[0]!.error!.code, 'SSH_CONNECT')
    assert.equal(out[1]!.ok, true)
    await pool.close()
  })

  it('reports a broken ssh config once for the whole command', async () => {
    writeFileSync(join(dir, 'bad_config'), 'Host *\n  Port nope\n')
    const pool = new HostPool({sshConfigFile: join(dir, 'bad_config')}, {context})
    await assert.rejects(pool.forEach(['w1'], async () => 1), (e: unknown) => e instanceof ConfigError && /bad_config:2/.test(e.message))
    // all-local commands never read it
    assert.equal((await pool.forEach(['localhost'], async () => 1))[0]!.ok, true)
    const missing = new HostPool({sshConfigFile: join(dir, 'nope')}, {context})
    await assert.rejects(missing.forEach(['w1'], async () => 1), (e: unknown) => e instanceof ConfigError && /does not exist/.test(e.message))
  })
})

describe('uploadFile / readRemoteFile', () => {
  it('writes atomically with the mode asked for, creating folders, and reads back', async () => {
    const host = new LocalHost()
    const target = join(dir, 'up', 'deep', "conf 'x'.yaml")
    const text = 'a: 1\nü: "$HOME"\n'
    await uploadFile(host, target, text, {mode: 0o640})
    assert.equal(readFileSync(target, 'utf8'), text)
    assert.equal(statSync(target).mode & 0o777, 0o640)
    await uploadFile(host, target, new Uint8Array([1, 2, 3]))
    assert.deepEqual([...readFileSync(target)], [1, 2, 3])
    assert.equal(statSync(target).mode & 0o777, 0o644)
    assert.equal(await readRemoteFile(host, join(dir, 'up', 'missing')), undefined)
    await uploadFile(host, join(dir, 'up', 'r.txt'), 'read me')
    assert.equal(await readRemoteFile(host, join(dir, 'up', 'r.txt')), 'read me')
    await assert.rejects(uploadFile(host, join(dir, 'nodir', 'x'), 'x', {mkdir: false}), (e: unknown) => e instanceof Error && /upload of .*failed/.test(e.message))
  })
})
