// Host faults on the SSH test ground, through the real binary: each fault hits one host while
// the others work; the run must exit with the documented code (4 some hosts failed, 6 all did,
// 3 once for a problem that is no host's), name the host and the cause in its line, carry a
// --json entry with the error code, crash nowhere, and the other hosts' work must be there when
// checked over the ground's own ssh. No JVM: fake TaskManagers (a shell recorded in Flink's pid
// file, its command line naming the main class) give status and stop-cluster something to find.
//
//   masters h1:8081 (nothing runs there)   workers h2 h3 h4 (a fake TaskManager each)
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {assertExit, assertJsonHosts, clearFakeTms, rowOf, startFakeTm, stderrLineOf, TERM_MARK, tmPids} from '../helpers/fault-checks.ts'
import {explain, flinkctl, type CliResult} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {hostOf, hostProcs, inMountNs, killAllSshd, killSshdListener, linkDown, linkUp, mountSmallFs, restartSshd, restoreHost, signalAllSshd, unmountAll, waitUntil} from '../helpers/ground-faults.ts'
import {groundInstall, groundUp, run, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'

const TAG = process.env.FLINKCTL_GROUND_TAG
const BASE = `/var/tmp/flinkctl-e2e${TAG ? `-${TAG}` : ''}/faults`
const CONF = `${BASE}/conf`
const {version, home} = groundFlinkHomes().at(-1)!
const WORKERS = ['h2', 'h3', 'h4']
const SHA = `cd ${CONF} && find . -type f | LC_ALL=C sort | xargs sha256sum; ls -A`

describe('host faults: one host fails, the others are done and reported', {skip: skipUnlessRoot(), timeout: 420_000}, () => {
  let ground: Ground | undefined
  let failed = false
  const fakes = new Map<string, number>()
  const g = () => ground!
  const cli = (args: string[], timeoutMs = 90_000) => flinkctl([...args, '--conf-dir', CONF, '--flink-home', home], {timeoutMs})
  const onHost = async (host: string, cmd: string) => {
    const r = await g().ssh(host, cmd)
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`)
    return r.stdout
  }
  const mark = (t: {after: (fn: () => void) => void; passed: boolean}) => t.after(() => void (failed ||= !t.passed))
  /** A fake TaskManager on every worker (ignoring TERM where asked), and nothing else of theirs. */
  const fakeWorkers = async (ignoreTerm: string[] = []) => {
    await Promise.all(WORKERS.map(async (h) => {
      await clearFakeTms(g(), h)
      fakes.set(h, await startFakeTm(g(), h, {ignoreTerm: ignoreTerm.includes(h)}))
    }))
  }
  /** The ground's ssh_config with `edit` applied, as a file of this test. */
  const sshConfigWith = (name: string, edit: (text: string) => string) => {
    const file = join(BASE, name)
    writeFileSync(file, edit(readFileSync(g().sshConfig, 'utf8')))
    return file
  }

  before(async () => {
    assertHomeBuilt({version, home})
    await groundInstall()
    rmSync(BASE, {recursive: true, force: true})
    mkdirSync(CONF, {recursive: true})
    ground = await groundUp({hosts: 4, privateEmpty: ['/tmp', CONF, `${BASE}/log`]})
    writeFileSync(join(CONF, 'config.yaml'), [
      'high-availability.type: zookeeper',
      'high-availability.zookeeper.quorum: h1:2181',
      '# shared: every ground host sees this folder',
      `high-availability.storageDir: file://${BASE}/shared/ha`,
      'high-availability.cluster-id: /faults',
      `env.log.dir: ${BASE}/log`,
      `env.ssh.opts: -F ${ground.sshConfig}`,
      '',
    ].join('\n'))
    writeFileSync(join(CONF, 'masters'), 'h1:8081\n')
    writeFileSync(join(CONF, 'workers'), `${WORKERS.join('\n')}\n`)
    const args = ['config', 'push']
    assertExit(args, await cli(args), 0)
    await fakeWorkers()
  })

  after(async () => {
    if (!ground) return
    try {
      if (failed) {
        const dir = join(BASE, 'failed-logs')
        await ground.keepLogs(dir)
        console.error(`# hosts' logs kept in ${dir}`)
      }
    } finally {
      if (!process.env.FLINKCTL_GROUND_KEEP_UP) await ground.down()
    }
  })

  it('host down (its link on the bridge is down): the connect timeout fires for it; status reports the others', async (t) => {
    mark(t)
    const h2 = hostOf(g(), 'h2')
    await linkDown(h2, g().bridge)
    try {
      assert.notEqual((await run('ssh', ['-F', g().sshConfig, '-o', 'ConnectTimeout=1', 'h2', 'true'])).code, 0, 'h2 is down for plain ssh too')
      const args = ['status', '--connect-timeout', '3s']
      const jargs = [...args, '--json']
      // status only reads: the human and the --json run go at once
      const [r, j] = await Promise.all([cli(args), cli(jargs)])
      assertExit(args, r, 4)
      assert.match(rowOf(args, r, 'h2'), /unreachable: SSH_TIMEOUT .*within 3000 ms.*timed out/i)
      assert.match(rowOf(args, r, 'h1'), /nothing running/)
      for (const h of ['h3', 'h4']) assert.match(rowOf(args, r, h), new RegExp(`^${h}\\s+taskexecutor\\s+${fakes.get(h)}\\s+running`))
      assertExit(jargs, j, 4)
      const entries = assertJsonHosts(jargs, j, 'h2', 'SSH_TIMEOUT', /timed out/i)
      for (const h of ['h3', 'h4']) assert.deepEqual((entries.find((e) => e.host === h)!.daemons as any[])[0].instances.map((i: any) => i.pid), [fakes.get(h)])
    } finally {
      await linkUp(h2, g().bridge)
    }
  })

  it('sshd stopped on a host: ECONNREFUSED for it; config push updates the others', async (t) => {
    mark(t)
    const h2 = hostOf(g(), 'h2')
    await killSshdListener(h2)
    try {
      writeFileSync(join(CONF, 'fault-2.txt'), 'first\n')
      let args = ['config', 'push']
      let r = await cli(args)
      assertExit(args, r, 4)
      assert.match(rowOf(args, r, 'h2'), /failed: SSH_CONNECT/)
      stderrLineOf(args, r, 'h2', /ECONNREFUSED/)
      for (const h of ['h1', 'h3', 'h4']) assert.match(rowOf(args, r, h), /created fault-2\.txt/)
      await Promise.all(['h1', 'h3', 'h4'].map(async (h) => assert.equal(await onHost(h, `cat ${CONF}/fault-2.txt`), 'first\n')))
      writeFileSync(join(CONF, 'fault-2.txt'), 'second\n')
      args = ['config', 'push', '--json']
      r = await cli(args)
      assertExit(args, r, 4)
      const entries = assertJsonHosts(args, r, 'h2', 'SSH_CONNECT', /ECONNREFUSED/)
      for (const h of ['h1', 'h3', 'h4']) assert.deepEqual(entries.find((e) => e.host === h)!.updated, ['fault-2.txt'])
      await Promise.all(['h1', 'h3', 'h4'].map(async (h) => assert.equal(await onHost(h, `cat ${CONF}/fault-2.txt`), 'second\n')))
    } finally {
      await restartSshd(h2)
      rmSync(join(CONF, 'fault-2.txt'), {force: true})
    }
    assert.equal(await onHost('h2', `test -e ${CONF}/fault-2.txt || echo absent`), 'absent\n', 'nothing reached h2')
  })

  it('auth refused (the host is offered a key its authorized_keys lacks): status names it, the others answer', async (t) => {
    mark(t)
    const key = join(BASE, 'stranger_key')
    rmSync(key, {force: true})
    assert.equal((await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-C', 'stranger', '-f', key])).code, 0)
    // h2 alone gets the stranger key: its own block, and the ground's "Host *" no longer applies to it
    const config = sshConfigWith('ssh_config_auth', (text) => {
      const star = text.slice(text.indexOf('\nHost *\n') + '\nHost *\n'.length)
      return `${text.slice(0, text.indexOf('\nHost *\n'))}\nHost h2\n${star.replace(/IdentityFile .*/, `IdentityFile ${key}`)}\nHost * !h2\n${star}`
    })
    assert.match((await run('ssh', ['-F', config, 'h2', 'true'])).stderr, /Permission denied/, 'plain ssh is refused too')
    const args = ['status', '--ssh-config', config]
    const jargs = [...args, '--json']
    const [r, j] = await Promise.all([cli(args), cli(jargs)])
    assertExit(args, r, 4)
    assert.match(rowOf(args, r, 'h2'), /unreachable: SSH_AUTH .*refused every key/)
    for (const h of ['h3', 'h4']) assert.match(rowOf(args, r, h), new RegExp(`^${h}\\s+taskexecutor\\s+${fakes.get(h)}\\s+running`))
    assertExit(jargs, j, 4)
    assertJsonHosts(jargs, j, 'h2', 'SSH_AUTH', /refused/)
  })

  it('host key changed: stop-cluster refuses that host and stops the TaskManagers of the others', async (t) => {
    mark(t)
    const other = join(BASE, 'other_host_key')
    rmSync(other, {force: true})
    assert.equal((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor', '-f', other])).code, 0)
    const impostor = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
    const knownHosts = join(BASE, 'known_hosts_changed')
    writeFileSync(knownHosts, readFileSync(g().knownHosts, 'utf8').replace(/^(h3,\S+) .*$/m, `$1 ${impostor}`))
    const config = sshConfigWith('ssh_config_changed_key', (text) => text.replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${knownHosts}`))
    assert.notEqual((await run('ssh', ['-F', config, 'h3', 'true'])).code, 0, 'plain ssh refuses h3 too')
    for (const json of [false, true]) {
      await fakeWorkers()
      const args = ['stop-cluster', '--ssh-config', config, ...(json ? ['--json'] : [])]
      const r = await cli(args)
      assertExit(args, r, 4)
      if (json) assertJsonHosts(args, r, 'h3', 'HOST_KEY_CHANGED', /CHANGED/)
      else {
        assert.match(rowOf(args, r, 'h3', 'taskexecutor'), /failed: HOST_KEY_CHANGED/)
        stderrLineOf(args, r, 'h3', /host key of \S+ has CHANGED/)
        for (const h of ['h2', 'h4']) assert.match(rowOf(args, r, h, 'taskexecutor'), new RegExp(`stopped ${fakes.get(h)}`))
        assert.match(rowOf(args, r, 'h1', 'standalonesession'), /none running/)
      }
      assert.deepEqual(await Promise.all(WORKERS.map((h) => tmPids(g(), h))), [[], [fakes.get('h3')], []], 'h2 and h4 stopped, h3 not touched')
    }
  })

  it('connection cut mid-command (every sshd of a host killed while stop-cluster waits out --grace there)', async (t) => {
    mark(t)
    const h3 = hostOf(g(), 'h3')
    for (const json of [false, true]) {
      await fakeWorkers(['h3'])
      const args = ['stop-cluster', '--grace', '60s', ...(json ? ['--json'] : [])]
      const pending = cli(args)
      try {
        // SIGTERM reached h3's TaskManager, which ignores it: stop-cluster now waits there
        await waitUntil('the TERM mark on h3', async () => (await g().ssh('h3', `cat ${TERM_MARK} 2>/dev/null || true`)).stdout.includes('TERM'), 30_000)
        await killAllSshd(h3)
        const r = await pending
        assertExit(args, r, 4)
        stderrLineOf(args, r, 'h3', /connection to h3 was lost while a command ran/)
        if (json) assertJsonHosts(args, r, 'h3', 'SSH_DISCONNECTED', /lost/)
        else {
          assert.match(rowOf(args, r, 'h3', 'taskexecutor'), /failed: SSH_DISCONNECTED/)
          for (const h of ['h2', 'h4']) assert.match(rowOf(args, r, h, 'taskexecutor'), new RegExp(`stopped ${fakes.get(h)}`))
        }
      } finally {
        await pending
        // the stop script that lost its connection still holds h3's pid-file lock: end it
        for (const p of await hostProcs(h3)) {
          if (/fc_await|fc_state/.test(p.cmdline)) try { process.kill(p.pid, 'SIGKILL') } catch {}
        }
        await restartSshd(h3)
      }
      assert.deepEqual(await Promise.all(['h2', 'h4'].map((h) => tmPids(g(), h))), [[], []])
    }
    await clearFakeTms(g(), 'h3')
  })

  it('a stalled host (sshd SIGSTOPped): --connect-timeout fires for a new connection', async (t) => {
    mark(t)
    await fakeWorkers()
    const h2 = hostOf(g(), 'h2')
    assert.ok((await signalAllSshd(h2, 'SIGSTOP')).length > 0)
    try {
      const args = ['status', '--connect-timeout', '3s']
      const jargs = [...args, '--json']
      const [r, j] = await Promise.all([cli(args), cli(jargs)])
      assertExit(args, r, 4)
      assert.match(rowOf(args, r, 'h2'), /unreachable: SSH_TIMEOUT .*within 3000 ms.*timed out/i)
      for (const h of ['h3', 'h4']) assert.match(rowOf(args, r, h), new RegExp(`^${h}\\s+taskexecutor\\s+${fakes.get(h)}\\s+running`))
      assertExit(jargs, j, 4)
      assertJsonHosts(jargs, j, 'h2', 'SSH_TIMEOUT', /timed out/i)
    } finally {
      await signalAllSshd(h2, 'SIGCONT')
    }
  })

  it('a host that stalls on an open connection: --command-timeout fires for it', async (t) => {
    mark(t)
    const h2 = hostOf(g(), 'h2')
    // while `hold` exists, a command on h2 waits in its shell's start-up (and says so in a
    // fault-held.<pid> file): the moment to stall h2's sshd with flinkctl's connection open and its command started
    const tmp = `${h2.dir}/fs/tmp`
    const hold = `${tmp}/fault-hold`
    const rc = join(BASE, 'hold-bashrc')
    writeFileSync(rc, 'if [ -n "$SSH_CONNECTION" ] && [ -e /tmp/fault-hold ]; then : > /tmp/fault-held.$$; while [ -e /tmp/fault-hold ]; do sleep 0.1; done; fi\n')
    const bind = await inMountNs(h2, ['mount', '--bind', rc, '/root/.bashrc'])
    assert.equal(bind.code, 0, bind.stderr)
    const heldCount = () => readdirSync(tmp).filter((f) => f.startsWith('fault-held.')).length
    try {
      // the human and the --json run at once: both are held on h2, then h2 stalls under both
      const runs = [false, true].map((json) => ['status', '--command-timeout', '4s', ...(json ? ['--json'] : [])])
      writeFileSync(hold, '')
      const pending = runs.map((args) => cli(args))
      try {
        await waitUntil('both commands of flinkctl on h2', async () => heldCount() === 2, 30_000)
        await signalAllSshd(h2, 'SIGSTOP')
        // the commands go on and end on h2; only their answers cannot come back
        rmSync(hold)
        const [r, j] = (await Promise.all(pending)) as [CliResult, CliResult]
        assertExit(runs[0]!, r, 4)
        assert.match(rowOf(runs[0]!, r, 'h2'), /unreachable: REMOTE_TIMEOUT .*timed out after/)
        for (const h of ['h3', 'h4']) assert.match(rowOf(runs[0]!, r, h), new RegExp(`^${h}\\s+taskexecutor\\s+${fakes.get(h)}\\s+running`))
        assertExit(runs[1]!, j, 4)
        assertJsonHosts(runs[1]!, j, 'h2', 'REMOTE_TIMEOUT', /timed out/)
      } finally {
        rmSync(hold, {force: true})
        await Promise.all(pending)
        await signalAllSshd(h2, 'SIGCONT')
        for (const f of readdirSync(tmp)) if (f.startsWith('fault-held.')) rmSync(join(tmp, f))
      }
      // not stalled, the same command answers: the timeout above was the stall's
      const args = ['status', '--command-timeout', '4s']
      assertExit(args, await cli(args), 0)
    } finally {
      await inMountNs(h2, ['umount', '/root/.bashrc'])
    }
  })

  it('disk full on a host during config push: reported for it, its old files intact, no temp file left, the others updated', async (t) => {
    mark(t)
    const h2 = hostOf(g(), 'h2')
    // the host's conf dir moves onto a 64 KiB tmpfs holding the same files (a copy)
    await onHost('h2', `tar -C ${CONF} -cf /tmp/conf.tar .`)
    const before = await onHost('h2', SHA)
    await mountSmallFs(h2, CONF, 64)
    try {
      await onHost('h2', `tar -C ${CONF} -xpf /tmp/conf.tar`)
      assert.equal(await onHost('h2', SHA), before)
      assert.match(await onHost('h2', `df -k ${CONF} | tail -n 1`), /^flinkctl-fault\s+64\s/)
      for (const json of [false, true]) {
        const big = randomBytes(100 * 1024)
        writeFileSync(join(CONF, 'big.bin'), big)
        const args = ['config', 'push', ...(json ? ['--json'] : [])]
        const r = await cli(args)
        assertExit(args, r, 4)
        if (json) assertJsonHosts(args, r, 'h2', 'PUSH_FAILED', /No space left on device/)
        else {
          assert.match(rowOf(args, r, 'h2'), /failed: PUSH_FAILED/)
          stderrLineOf(args, r, 'h2', /nothing was changed there/)
          assert.match(r.stderr, /No space left on device/, explain(args, r))
          for (const h of ['h1', 'h3', 'h4']) assert.match(rowOf(args, r, h), /created big\.bin/)
        }
        const want = (await run('sha256sum', [join(CONF, 'big.bin')])).stdout.split(' ')[0]
        const [h2Now, ...others] = await Promise.all(['h2', 'h1', 'h3', 'h4'].map((h) => onHost(h, h === 'h2' ? SHA : `sha256sum ${CONF}/big.bin`)))
        for (const o of others) assert.equal(o.split(' ')[0], want, 'the other hosts have the new big.bin')
        // byte for byte what it had, and nothing else: no temp file, no partial big.bin
        assert.equal(h2Now, before)
      }
    } finally {
      await unmountAll(h2, CONF)
      rmSync(join(CONF, 'big.bin'), {force: true})
    }
  })

  it('a ProxyCommand that exits non-zero for one host: status and stop-cluster report it (exit 4), for all hosts exit 6', async (t) => {
    mark(t)
    const config = sshConfigWith('ssh_config_proxy', (text) => `Host h3\n  ProxyCommand sh -c 'echo proxy says no >&2; exit 3'\n${text}`)
    const args = ['status', '--ssh-config', config]
    const jargs = [...args, '--json']
    const [r, j] = await Promise.all([cli(args), cli(jargs)])
    assertExit(args, r, 4)
    assert.match(rowOf(args, r, 'h3'), /unreachable: SSH_CONNECT .*ProxyCommand exited with 3/)
    assertExit(jargs, j, 4)
    assertJsonHosts(jargs, j, 'h3', 'SSH_CONNECT', /ProxyCommand exited with 3/)
    for (const json of [false, true]) {
      await fakeWorkers()
      const args = ['stop-cluster', '--ssh-config', config, ...(json ? ['--json'] : [])]
      const r = await cli(args)
      assertExit(args, r, 4)
      stderrLineOf(args, r, 'h3', /ProxyCommand exited with 3: proxy says no/)
      if (json) assertJsonHosts(args, r, 'h3', 'SSH_CONNECT', /ProxyCommand exited with 3/)
      else for (const h of ['h2', 'h4']) assert.match(rowOf(args, r, h, 'taskexecutor'), new RegExp(`stopped ${fakes.get(h)}`))
      assert.deepEqual(await Promise.all(WORKERS.map((h) => tmPids(g(), h))), [[], [fakes.get('h3')], []])
    }
    const all = sshConfigWith('ssh_config_proxy_all', (text) => `Host *\n  ProxyCommand false\n${text}`)
    const allArgs = ['status', '--ssh-config', all, '--json']
    const a = await cli(allArgs)
    assertExit(allArgs, a, 6)
    const entries = a.json!.result.hosts as Array<{host: string; reachable: boolean; error?: {code: string; message: string}}>
    assert.deepEqual(entries.map((e) => [e.host, e.reachable, e.error?.code]), ['h1', 'h2', 'h3', 'h4'].map((h) => [h, false, 'SSH_CONNECT']))
    for (const e of entries) assert.match(e.error!.message, /ProxyCommand exited with 1/)
  })

  it('a missing --ssh-config fails stop-cluster once with exit 3, touching no host (the command tier covers the other commands)', async (t) => {
    mark(t)
    await fakeWorkers()
    await Promise.all([false, true].map(async (json) => {
      const args = ['stop-cluster', '--ssh-config', join(BASE, 'missing_ssh_config'), ...(json ? ['--json'] : [])]
      const r = await cli(args)
      assertExit(args, r, 3)
      assert.doesNotMatch(r.stderr, /^\[h\d\]/m, `no per-host lines\n${explain(args, r)}`)
      if (json) {
        assert.equal(r.json!.error!.code, 'SSH_CONFIG', explain(args, r))
        assert.equal(r.json!.result, undefined, explain(args, r))
      } else {
        assert.equal(r.stderr.match(/^error: /gm)?.length, 1, explain(args, r))
        assert.match(r.stderr, /ssh config file \S*missing_ssh_config does not exist/)
      }
    }))
    assert.deepEqual(await Promise.all(WORKERS.map((h) => tmPids(g(), h))), WORKERS.map((h) => [fakes.get(h)]), 'no host touched')
  })

  it('leaves every host as it found it', async (t) => {
    mark(t)
    await Promise.all(g().hosts.map(async (h) => {
      await restoreHost(h, g().bridge, {unmount: [CONF]})
      assert.equal(await onHost(h.name, 'hostname'), `${h.name}\n`)
      if (WORKERS.includes(h.name)) await clearFakeTms(g(), h.name)
    }))
  })
})
