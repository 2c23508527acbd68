// The README's quick start, as written: bin/quickstart brings up the local HA cluster of conf/
// (3 ZooKeeper peers, 2 JobManagers, 2 TaskManagers, no SSH), status names the leader, and
// bin/quickstart stop leaves nothing running. A second start proves log4j rolls the logs.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'

const {version, home} = groundFlinkHomes().at(-1)!
const quickstart = (arg: string) => new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
  execFile(join(repoRoot, 'bin/quickstart'), [arg], {env: {...process.env, FLINK_HOME: home, NO_COLOR: '1'}, timeout: 300_000}, (err, stdout, stderr) =>
    resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr}))
})
const ours = () => new Promise<string>((resolve) => execFile('pgrep', ['-f', `${repoRoot}conf|/tmp/flinkctl-local`], (_e, out) => resolve(out.trim())))

describe(`bin/quickstart: a local HA cluster from conf/, Flink ${version}`, {timeout: 600_000}, () => {
  before(() => assertHomeBuilt({version, home}))
  after(async () => {
    if ((await ours()) !== '') await quickstart('stop')
  })

  it('starts 3 peers, a leader and a standby, 2 TaskManagers; status names the leader', async () => {
    const r = await quickstart('start')
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const s = await flinkctl(['status', '--conf-dir', 'conf', '--json'], {env: {FLINK_HOME: home}})
    assert.equal(s.code, 0, explain(['status'], s))
    const st = s.json!.result
    const leader = st.jobmanager.leader.host as string
    assert.ok(['localhost:8081', 'localhost:8082'].includes(leader), leader)
    assert.deepEqual(st.jobmanager.standbys, [leader.endsWith('8081') ? 'localhost:8082' : 'localhost:8081'])
    // the leader ZooKeeper names answers REST on its own port
    const res = await fetch(`http://localhost:${leader.split(':')[1]}/overview`)
    assert.equal(res.status, 200)
    assert.equal(st.taskmanagers.registered, 2)
    assert.equal(st.quorum.healthy, true)
    assert.equal(st.quorum.peers.filter((p: any) => p.mode === 'leader').length, 1)
    const local = st.hosts.find((h: any) => h.host === 'localhost')
    const running = (d: string) => local.daemons.find((x: any) => x.daemon === d).instances.filter((i: any) => i.state === 'running').length
    assert.deepEqual([running('zookeeper'), running('standalonesession'), running('taskexecutor')], [3, 2, 2])
  })

  it('stops everything, and a second start rolls the previous logs (log4j, as Flink 1.12+)', async () => {
    const stop = await quickstart('stop')
    assert.equal(stop.code, 0, stop.stderr)
    assert.equal(await ours(), '', 'no process of the quick start left')
    const again = await quickstart('start')
    assert.equal(again.code, 0, again.stderr)
    const logs = readdirSync(join(home, 'log'))
    const jm0 = logs.find((f) => /^flink-.*-standalonesession-0-.*\.log$/.test(f))!
    assert.ok(jm0, logs.join(' '))
    assert.ok(existsSync(join(home, 'log', `${jm0}.1`)), `${jm0}.1 rolled on start: ${logs.join(' ')}`)
    const last = await quickstart('stop')
    assert.equal(last.code, 0, last.stderr)
    assert.equal(await ours(), '')
  })
})
