// The SSH host layer against real OpenSSH hosts (the test ground: sshd in network namespaces).
// HostPool/SshHost read the ground's generated ssh_config exactly as `ssh -F` does; every case
// is cross-checked from the other side (sshd's log, the remote process table, plain `ssh`).
// Ground settings come from the environment (FLINKCTL_GROUND_DIR, FLINKCTL_GROUND_NET).
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'
import {readRemoteFile, uploadFile} from '../../src/lib/remote/files.ts'
import {HostError} from '../../src/lib/remote/host.ts'
import {HostPool, type RemoteOptions} from '../../src/lib/remote/pool.ts'
import {localContext, parseSshConfig} from '../../src/lib/remote/ssh-config.ts'
import {SshHost} from '../../src/lib/remote/ssh.ts'
import {type Ground, groundInstall, groundUp, run, skipUnlessRoot} from '../helpers/ground-hosts.ts'

const NASTY = ['plain', 'two  spaces', "it's", '"dq"', '$HOME `id` $(id) ${X:-y}', 'multi\nline\n', '\ttab', '*', '-e', '', 'ünïcödé ✓ 日本', '\\', ';|&<>!#~']

describe('remote hosts over real SSH (test ground)', {skip: skipUnlessRoot(), timeout: 240_000}, () => {
  let g: Ground | undefined
  let tmp: string
  let failed = false
  const pools: HostPool[] = []

  before(async () => {
    await groundInstall()
    tmp = mkdtempSync('/var/tmp/flinkctl-remote-e2e-')
    g = await groundUp({hosts: 3, private: ['/tmp']})
  })
  afterEach(async (t) => {
    if (!t.passed) failed = true
    await Promise.all(pools.splice(0).map((p) => p.close()))
  })
  after(async () => {
    try {
      if (g && failed && process.env.FLINKCTL_GROUND_KEEP_LOGS) await g.keepLogs(process.env.FLINKCTL_GROUND_KEEP_LOGS)
    } finally {
      await g?.down()
      if (tmp) rmSync(tmp, {recursive: true, force: true})
    }
  })

  const ground = () => {
    assert.ok(g, 'ground is up')
    return g
  }
  const ip = (name: string) => ground().hosts.find((h) => h.name === name)!.ip
  const pool = (opts: RemoteOptions = {}, deps: ConstructorParameters<typeof HostPool>[1] = {}) => {
    const p = new HostPool({sshConfigFile: ground().sshConfig, connectTimeoutMs: 5000, ...opts}, deps)
    pools.push(p)
    return p
  }
  /** The ground's ssh_config with lines put first (first obtained wins) and some removed. */
  const configWith = (name: string, first: string, drop: RegExp[] = []) => {
    const base = readFileSync(ground().sshConfig, 'utf8')
      .split('\n')
      .filter((l) => !drop.some((re) => re.test(l)))
      .join('\n')
    const file = join(tmp, name)
    writeFileSync(file, `${first}\n${base}`)
    return file
  }
  const accepted = (host: string) => (readFileSync(join(ground().hosts.find((h) => h.name === host)!.dir, 'sshd.log'), 'utf8').match(/Accepted publickey/g) ?? []).length

  it('runs commands on every host through HostPool.forEach, as root, with the host named in the conf', async () => {
    const p = pool()
    const out = await p.forEach(['h1', 'h2', 'h3'], async (h) => {
      assert.equal(h.local, false)
      assert.equal(h.user, 'root')
      const r = await h.run(['sh', '-c', 'hostname; id -un; echo "$SSH_CONNECTION"'])
      assert.equal(r.code, 0, r.stderr)
      return r.stdout.split('\n')
    })
    for (const [i, o] of out.entries()) {
      assert.equal(o.ok, true, JSON.stringify(o.error))
      const [name, user, conn] = o.value!
      assert.equal(name, `h${i + 1}`)
      assert.equal(user, 'root')
      assert.match(conn!, new RegExp(`^${ground().bastionIp.replaceAll('.', '\\.')} \\d+ ${ip(`h${i + 1}`).replaceAll('.', '\\.')} 22$`))
    }
    assert.equal(p.addressOf('h2'), ip('h2'))
  })

  it('passes nasty arguments through the remote login shell unchanged', async () => {
    const h = pool().get('h1')
    const r = await h.sh('for a; do printf "[%s]" "$a"; done', NASTY)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, NASTY.map((a) => `[${a}]`).join(''))
    const argv = await h.run(['printf', '%s\\0', ...NASTY])
    assert.deepEqual(argv.stdout.split('\0').slice(0, -1), NASTY)
    const status = await h.sh('echo out; echo err >&2; exit 7')
    assert.deepEqual([status.code, status.stdout, status.stderr, status.timedOut], [7, 'out\n', 'err\n', false])
  })

  it('uploads through stdin: the bytes land on that host only, with the mode asked for', async () => {
    const p = pool()
    const body = `name: ünïcödé\n${'x'.repeat(300_000)}\n$HOME \`id\`\n`
    await uploadFile(p.get('h2'), '/tmp/flinkctl e2e/conf.yaml', body, {mode: 0o600})
    const viaSsh = await ground().ssh('h2', "stat -c %a '/tmp/flinkctl e2e/conf.yaml' && sha256sum < '/tmp/flinkctl e2e/conf.yaml'")
    const [mode, sum] = viaSsh.stdout.split('\n')
    assert.equal(mode, '600')
    const {createHash} = await import('node:crypto')
    assert.equal(sum!.split(' ')[0], createHash('sha256').update(body).digest('hex'))
    assert.equal(await readRemoteFile(p.get('h2'), '/tmp/flinkctl e2e/conf.yaml'), body)
    assert.equal(await readRemoteFile(p.get('h3'), '/tmp/flinkctl e2e/conf.yaml'), undefined, 'h3 has its own /tmp')
  })

  it('reuses one SSH connection per host for many commands', async () => {
    const p = pool()
    const h = p.get('h3')
    const before = accepted('h3')
    const conns = new Set<string>()
    for (let i = 0; i < 5; i++) conns.add((await h.sh('echo "$SSH_CONNECTION"')).stdout)
    const parallel = await Promise.all(Array.from({length: 12}, () => h.sh('echo "$SSH_CONNECTION"')))
    for (const r of parallel) conns.add(r.stdout)
    assert.equal(conns.size, 1, [...conns].join(''))
    assert.equal(accepted('h3') - before, 1, 'sshd logged exactly one login')
  })

  it('refuses a host whose key is unknown, before anything runs', async () => {
    const empty = join(tmp, 'known_hosts_empty')
    writeFileSync(empty, '')
    const h = pool({knownHostsFiles: [empty]}).get('h1')
    await assert.rejects(h.run(['touch', '/tmp/unknown-key-ran']), (e: unknown) => {
      assert.ok(e instanceof HostError, String(e))
      assert.equal(e.code, 'HOST_KEY_UNKNOWN')
      assert.equal(e.host, 'h1')
      assert.match(e.message, new RegExp(`${ip('h1').replaceAll('.', '\\.')} is not in known_hosts \\(ssh-ed25519 SHA256:`))
      assert.match(e.hint ?? '', /--accept-new-host-keys.*ssh-keyscan -p 22 -t ed25519/)
      return true
    })
    assert.equal((await ground().ssh('h1', 'test -e /tmp/unknown-key-ran')).code, 1, 'nothing ran on h1')
    assert.equal(readFileSync(empty, 'utf8'), '')
  })

  it('refuses a host whose key changed, even with --accept-new-host-keys', async () => {
    const wrong = join(tmp, 'known_hosts_wrong')
    const [h1, h2] = [ground().hosts[0]!, ground().hosts[1]!]
    writeFileSync(wrong, `${h1.name},${h1.ip} ${h2.hostKey}\n`)
    const h = pool({knownHostsFiles: [wrong], acceptNewHostKeys: true}).get('h1')
    await assert.rejects(h.run(['touch', '/tmp/changed-key-ran']), (e: unknown) => {
      assert.ok(e instanceof HostError, String(e))
      assert.equal(e.code, 'HOST_KEY_CHANGED')
      assert.match(e.message, /CHANGED/)
      assert.match(e.hint ?? '', new RegExp(`ssh-keygen -R ${h1.ip.replaceAll('.', '\\.')} -f ${wrong}`))
      return true
    })
    assert.equal((await ground().ssh('h1', 'test -e /tmp/changed-key-ran')).code, 1)
    assert.equal(readFileSync(wrong, 'utf8'), `${h1.name},${h1.ip} ${h2.hostKey}\n`, 'known_hosts untouched')
  })

  it('--accept-new-host-keys records the key in a form OpenSSH accepts; the next run is strict', async () => {
    const kh = join(tmp, 'new', 'known_hosts')
    const first = pool({knownHostsFiles: [kh], acceptNewHostKeys: true})
    const out = await first.forEach(['h1', 'h2'], (h) => h.run(['hostname']))
    assert.deepEqual(out.map((o) => o.value?.stdout), ['h1\n', 'h2\n'])
    assert.equal(first.notes().filter((n) => /recorded the ssh-ed25519 key/.test(n)).length, 2)
    const second = pool({knownHostsFiles: [kh]})
    assert.equal((await second.get('h2').run(['hostname'])).stdout, 'h2\n')
    // plain ssh, strict, with only our file
    const r = await run('ssh', ['-F', ground().sshConfig, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', 'h1', 'hostname'])
    assert.equal(r.stdout, 'h1\n', r.stderr)
    // and a file hashed by ssh-keygen -H works too
    const hashed = join(tmp, 'known_hosts_hashed')
    writeFileSync(hashed, readFileSync(ground().knownHosts, 'utf8'))
    assert.equal((await run('ssh-keygen', ['-H', '-f', hashed])).code, 0)
    // every host field is hashed (the key's base64 may spell h1 by chance: only the first field counts)
    const hostFields = readFileSync(hashed, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(' ')[0]!)
    assert.ok(hostFields.length > 0 && hostFields.every((f) => f.startsWith('|1|')), hostFields.join('\n'))
    assert.equal((await pool({knownHostsFiles: [hashed]}).get('h3').run(['hostname'])).stdout, 'h3\n')
  })

  it('reaches h2 through h1 with ProxyJump, and h3 through a ProxyCommand', async () => {
    const cfg = configWith('ssh_config_jump', `Host h2\n  ProxyJump h1\nHost h3\n  ProxyCommand ssh -F ${ground().sshConfig} -W %h:%p h1`)
    const p = pool({sshConfigFile: cfg})
    const out = await p.forEach(['h2', 'h3'], async (h) => (await h.sh('hostname; echo "$SSH_CONNECTION" | cut -d" " -f1')).stdout)
    // the connection arrives from h1's address, not the bastion's
    assert.deepEqual(
      out.map((o) => o.value ?? o.error?.message),
      [`h2\n${ip('h1')}\n`, `h3\n${ip('h1')}\n`],
    )
  })

  it('logs in with a key held by ssh-agent, with no IdentityFile configured', async () => {
    const sock = join(tmp, 'agent.sock')
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], {stdio: 'ignore'})
    try {
      for (let i = 0; i < 50 && (await run('test', ['-S', sock])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100))
      const add = await run('ssh-add', [ground().identityFile], {SSH_AUTH_SOCK: sock})
      assert.equal(add.code, 0, add.stderr)
      const cfg = configWith('ssh_config_agent', '', [/IdentityFile/, /IdentitiesOnly/])
      // a home without keys: only the agent can log us in
      const context = {...localContext(), home: tmp, env: {...process.env, SSH_AUTH_SOCK: sock}}
      const withAgent = pool({sshConfigFile: cfg}, {context})
      assert.equal((await withAgent.get('h1').run(['hostname'])).stdout, 'h1\n')
      const noAgent = pool({sshConfigFile: cfg}, {context: {...context, env: {}}})
      await assert.rejects(noAgent.get('h1').run(['hostname']), (e: unknown) => e instanceof HostError && e.code === 'SSH_AUTH')
    } finally {
      agent.kill()
    }
  })

  it('kills a command that overruns its timeout, and the remote process group with it', async () => {
    const h = pool({commandTimeoutMs: 1500}).get('h2')
    const r = await h.sh('sleep 271 & sleep 272; echo never')
    assert.equal(r.timedOut, true)
    assert.equal(r.code, null)
    assert.equal(r.stdout, '')
    assert.ok(r.durationMs >= 1500 && r.durationMs < 8000, String(r.durationMs))
    let left = ''
    for (let i = 0; i < 20; i++) {
      left = (await ground().ssh('h2', 'ps -eo args | grep "^sleep 27[12]$" || true')).stdout
      if (left === '') break
      await new Promise((res) => setTimeout(res, 200))
    }
    assert.equal(left, '', 'both sleeps are gone from h2')
    assert.equal((await h.run(['echo', 'still usable'])).stdout, 'still usable\n')
  })

  it('reports an unreachable host per host while the others succeed', async () => {
    const ghost = ground().bastionIp.replace(/\.\d+$/, '.99')
    const cfg = configWith('ssh_config_ghost', `Host ghost\n  HostName ${ghost}`)
    const p = pool({sshConfigFile: cfg, connectTimeoutMs: 3000, parallel: 3})
    const started = performance.now()
    const out = await p.shEach(['h1', 'ghost', 'h3'], 'hostname', 'hostname')
    assert.ok(performance.now() - started < 15_000)
    assert.deepEqual(out.map((o) => o.ok), [true, false, true])
    assert.equal(out[0]!.value!.stdout, 'h1\n')
    assert.match(out[1]!.error!.code, /^SSH_(CONNECT|TIMEOUT)$/)
    assert.match(out[1]!.error!.message, new RegExp(ghost.replaceAll('.', '\\.')))
    assert.equal(out[1]!.host, 'ghost')
  })

  it('notices a host gone silent through keepalives instead of waiting for the command timeout', async () => {
    const p = pool({keepaliveMs: 500})
    const h = p.get('h3')
    assert.equal((await h.run(['true'])).code, 0)
    const veth = `flkv${process.env.FLINKCTL_GROUND_TAG ?? ''}-h3` // hosts.sh: the bastion's end of h3's cable (tagged grounds: flkv<tag>-)
    const running = h.sh('sleep 60')
    await new Promise((r) => setTimeout(r, 300))
    assert.equal((await run('ip', ['link', 'set', veth, 'down'])).code, 0)
    const started = performance.now()
    try {
      await assert.rejects(running, (e: unknown) => e instanceof HostError && e.code === 'SSH_DISCONNECTED')
      const took = performance.now() - started
      assert.ok(took < 10_000, `detected after ${Math.round(took)} ms`)
    } finally {
      await run('ip', ['link', 'set', veth, 'up'])
    }
  })

  it('reads the same config SshHost-direct as through the pool (user@host, -p style options)', async () => {
    const config = parseSshConfig(readFileSync(ground().sshConfig, 'utf8'), {file: ground().sshConfig})
    const h = new SshHost('root@h1', {config, port: 22, connectTimeoutMs: 5000})
    try {
      assert.equal(h.user, 'root')
      assert.equal((await h.run(['id', '-un'])).stdout, 'root\n')
    } finally {
      await h.close()
    }
  })
})
