import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {after, afterEach, before, describe, it} from 'node:test'

import {type Ground, groundInstall, groundUp, run, skipUnlessRoot} from '../../helpers/ground-hosts.ts'

const sh = (script: string) => run('bash', ['-c', script])
// the names hosts.sh gives this ground (FLINKCTL_GROUND_TAG runs one beside the default one)
const tag = process.env.FLINKCTL_GROUND_TAG ?? ''
const ns = `flk${tag}-`
const veth = `flkv${tag}-`
const bridge = `flkbr${tag || '0'}`
/** True while the process exists and is not a zombie (reparented orphans may wait for a reaper). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

async function leftovers(stateDir: string) {
  const netns = (await sh('ip netns list')).stdout.split('\n').filter((l) => l.startsWith(ns))
  const bridgeUp = (await sh(`ip link show ${bridge}`)).code === 0
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .filter((l) => l.includes(stateDir) || l.includes(`/run/netns/${ns}`))
  const procs: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(stateDir)) procs.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`)
  }
  return {bridge: bridgeUp, mounts, netns, procs, state: existsSync(stateDir)}
}

describe('test ground: SSH hosts in namespaces', {skip: skipUnlessRoot(), timeout: 180_000}, () => {
  let ground: Ground | undefined
  let shared: string
  let failed = false
  const probe = `probe-${randomBytes(4).toString('hex')}`

  before(async () => {
    await groundInstall()
    // A stand-in for $FLINK_HOME outside /tmp: conf is seeded per host, log starts empty.
    shared = await mkdtemp('/var/tmp/flinkctl-hosts-test-')
    await mkdir(`${shared}/conf`)
    await writeFile(`${shared}/conf/config.yaml`, 'jobmanager.rpc.address: h1\n')
    ground = await groundUp({hosts: 3, private: ['/tmp', `${shared}/conf`], privateEmpty: [`${shared}/log`]})
  })

  afterEach((t) => {
    if (!t.passed) failed = true
  })

  after(async () => {
    try {
      if (ground && failed && process.env.FLINKCTL_GROUND_KEEP_LOGS) await ground.keepLogs(process.env.FLINKCTL_GROUND_KEEP_LOGS)
    } finally {
      await ground?.down()
      if (shared) await rm(shared, {force: true, recursive: true})
    }
  })

  const g = () => {
    assert.ok(ground, 'ground is up')
    return ground
  }

  it('logs in with the generated ssh_config and each host has its own hostname and address', async () => {
    for (const [i, host] of g().hosts.entries()) {
      assert.equal(host.name, `h${i + 1}`)
      const r = await g().ssh(host.name, 'hostname; ip -4 -o addr show dev eth0')
      assert.equal(r.code, 0, r.stderr)
      const [name, addr] = r.stdout.split('\n')
      assert.equal(name, host.name)
      assert.match(addr ?? '', new RegExp(`inet ${host.ip.replaceAll('.', '\\.')}/24`))
    }
    const cli = await run('ssh', ['-F', g().sshConfig, 'h1', 'hostname'])
    assert.equal(cli.stdout, 'h1\n')
  })

  it("gives each host a fresh host's shell start-up, not the bastion's ~/.bashrc", {skip: existsSync('/root/.bashrc') ? false : 'no /root/.bashrc here'}, async () => {
    const r = await g().ssh('h1', 'cat ~/.bashrc')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^# test ground host/)
    assert.notEqual(await readFile('/root/.bashrc', 'utf8'), r.stdout, "the bastion's own file is untouched")
  })

  it('keeps /tmp private to each host', async () => {
    const w = await g().ssh('h1', `echo from-h1 > /tmp/${probe} && cat /tmp/${probe}`)
    assert.equal(w.stdout, 'from-h1\n', w.stderr)
    assert.equal((await g().ssh('h2', `test -e /tmp/${probe}`)).code, 1, 'h2 must not see h1:/tmp')
    assert.equal(existsSync(`/tmp/${probe}`), false, 'the bastion must not see h1:/tmp')
    assert.equal(await readFile(`${g().hosts[0]!.dir}/fs/tmp/${probe}`, 'utf8'), 'from-h1\n')
  })

  it('seeds a private copy of the conf dir and keeps writes per host', async () => {
    for (const host of g().hosts) {
      const r = await g().ssh(host.name, `cat ${shared}/conf/config.yaml`)
      assert.equal(r.stdout, 'jobmanager.rpc.address: h1\n', `${host.name}: ${r.stderr}`)
    }
    assert.equal((await g().ssh('h1', `echo 'taskmanager.numberOfTaskSlots: 4' >> ${shared}/conf/config.yaml`)).code, 0)
    assert.match((await g().ssh('h1', `cat ${shared}/conf/config.yaml`)).stdout, /numberOfTaskSlots/)
    assert.equal((await g().ssh('h2', `cat ${shared}/conf/config.yaml`)).stdout, 'jobmanager.rpc.address: h1\n')
    assert.equal(await readFile(`${shared}/conf/config.yaml`, 'utf8'), 'jobmanager.rpc.address: h1\n')
    assert.equal((await g().ssh('h2', `ls -A ${shared}/log`)).stdout, '', 'private-empty log dir starts empty')
  })

  it('lets hosts reach each other over the bridge, by address and by name', async () => {
    const h1 = g().hosts[0]!
    const tcp = await g().ssh('h2', `bash -c 'exec 3<>/dev/tcp/${h1.ip}/22 && head -c 8 <&3'`)
    assert.equal(tcp.stdout, 'SSH-2.0-', tcp.stderr)
    const byName = await g().ssh('h2', 'getent hosts h1 bastion')
    assert.match(byName.stdout, new RegExp(`^${h1.ip.replaceAll('.', '\\.')}\\s+h1$`, 'm'))
    assert.match(byName.stdout, new RegExp(`^${g().bastionIp.replaceAll('.', '\\.')}\\s+bastion$`, 'm'))
  })

  it('refuses a host whose key is unknown or different (StrictHostKeyChecking)', async () => {
    const dir = await mkdtemp('/var/tmp/flinkctl-hosts-test-kh-')
    try {
      const config = (await readFile(g().sshConfig, 'utf8')).replace(g().knownHosts, `${dir}/known_hosts`)
      await writeFile(`${dir}/ssh_config`, config)
      const [h1, h2] = [g().hosts[0]!, g().hosts[1]!]
      await writeFile(`${dir}/known_hosts`, `${h2.name},${h2.ip} ${h2.hostKey}\n`) // h1 missing
      const unknown = await run('ssh', ['-F', `${dir}/ssh_config`, 'h1', 'true'])
      assert.notEqual(unknown.code, 0)
      assert.match(unknown.stderr, /Host key verification failed/)
      assert.equal((await run('ssh', ['-F', `${dir}/ssh_config`, 'h2', 'true'])).code, 0, 'h2 stays reachable')
      await writeFile(`${dir}/known_hosts`, `${h1.name},${h1.ip} ${h2.hostKey}\n`) // h1 with the wrong key
      const changed = await run('ssh', ['-F', `${dir}/ssh_config`, 'h1', 'true'])
      assert.notEqual(changed.code, 0)
      assert.match(changed.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })

  it('down stops processes started through ssh and leaves no namespaces, bridge, sshd or mounts', async () => {
    const started = await g().ssh('h3', 'nohup sleep 600 >/dev/null 2>&1 & echo started')
    assert.equal(started.stdout, 'started\n', started.stderr)
    const pids = (await sh(`ip netns pids ${g().hosts[2]!.netns}`)).stdout.trim().split('\n').map(Number)
    const sleeper = [] as number[]
    for (const pid of pids) {
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) === 'sleep\u0000600\u0000') sleeper.push(pid)
    }
    assert.equal(sleeper.length, 1, 'the daemonized process stays in the host network namespace')
    const {stateDir} = g()
    await g().down()
    await g().down() // idempotent
    assert.equal(await alive(sleeper[0]!), false)
    assert.deepEqual(await leftovers(stateDir), {bridge: false, mounts: [], netns: [], procs: [], state: false})
  })

  it('up recovers from a crashed run (namespaces, processes and links left behind)', async () => {
    ground = await groundUp({hosts: 2, private: ['/tmp']})
    const {stateDir} = ground
    // Crash: the state is lost, the hosts keep running, plus a foreign-looking leftover namespace.
    await rm(`${stateDir}/ground.env`)
    for (const h of ground.hosts) await rm(`${h.dir}/netns.id`)
    const stale = await sh(
      `ip netns add ${ns}h29 && ip link add ${veth}h29 type veth peer name eth0 netns ${ns}h29 && ` +
        `{ setsid ip netns exec ${ns}h29 sleep 600 </dev/null >/dev/null 2>&1 & echo $!; }`,
    )
    assert.equal(stale.code, 0, stale.stderr)
    const stalePid = Number(stale.stdout.trim())
    const oldSshd = (await sh(`ip netns pids ${ground.hosts[0]!.netns}`)).stdout.trim().split('\n').map(Number)
    const oldKey = ground.hosts[1]!.hostKey

    ground = await groundUp({hosts: 2, private: ['/tmp']})
    // host keys are kept between grounds (generating one per host is seconds at 128 hosts), each its own
    assert.equal(ground.hosts[1]!.hostKey, oldKey)
    assert.notEqual(ground.hosts[0]!.hostKey, ground.hosts[1]!.hostKey)
    assert.equal((await ground.ssh('h2', 'hostname')).stdout, 'h2\n')
    assert.equal(await alive(stalePid), false, 'process in the stale namespace was killed')
    for (const pid of oldSshd) assert.equal(await alive(pid), false, `process ${pid} of the crashed ground was killed`)
    assert.equal((await sh(`ip netns list | grep -c "^${ns}h29"`)).stdout.trim(), '0')
    assert.equal((await sh(`ip link show ${veth}h29`)).code, 1)

    await ground.down()
    assert.deepEqual(await leftovers(stateDir), {bridge: false, mounts: [], netns: [], procs: [], state: false})
  })
})
