// The partition drill's parts that need no second host: the host-side script against a recording
// nft (ruleset, self-heal timer, heal), the refusals before anything changes, the addresses cut,
// the split-brain arithmetic, and reading a leader's own log line.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {openSession, type Session} from '../../../src/lib/cluster/session.ts'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {leaderOverlaps, servingSpans, splitBrainCheck, zooKeeperSpans} from '../../../src/lib/drill/leaders.ts'
import {logFileOf, logLineTime, revokedAfter} from '../../../src/lib/drill/partition-round.ts'
import {PARTITION_SCRIPT, partitionAddresses, planPartition} from '../../../src/lib/drill/partition.ts'
import {expectsFailover} from '../../../src/lib/drill/phases.ts'
import {checksOf} from '../../../src/lib/drill/explain.ts'
import type {RoundResult} from '../../../src/lib/drill/types.ts'
import {FlinkctlError} from '../../../src/lib/errors.ts'
import type {ExecResult, Host} from '../../../src/lib/remote/host.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const ok = (stdout: string, code = 0): ExecResult => ({code, stdout, stderr: '', durationMs: 1, timedOut: false})

function fakeNft(): {dir: string; log: () => string; env: NodeJS.ProcessEnv} {
  const dir = writeTree({})
  const nft = join(dir, 'nft')
  // records every call; `list table` succeeds while the table is "present"
  writeFileSync(nft, `#!/bin/sh
echo "ARGS $*" >> "${dir}/log"
case $1 in
  -f) cat >> "${dir}/log"; : > "${dir}/present";;
  delete) rm -f "${dir}/present";;
  list) [ -e "${dir}/present" ];;
esac
`)
  chmodSync(nft, 0o755)
  return {dir, log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : ''), env: {...process.env, PATH: `${dir}:${process.env.PATH}`}}
}

const sh = (args: string[], env: NodeJS.ProcessEnv) => execFileSync('sh', ['-c', PARTITION_SCRIPT, 'sh', ...args], {env, encoding: 'utf8'})

describe('the partition script on the host', () => {
  it('applies one nftables table that drops both directions for IPv4 and IPv6, and heals itself when its timer runs out', async () => {
    const f = fakeNft()
    const out = sh(['apply', 'flinkctl_drill_ab12cd34', '1', '10.77.0.12', '10.77.0.13', 'fd00::13'], f.env)
    assert.match(out, /^applied\t\d{13}$/m)
    const log = f.log()
    assert.match(log, /ARGS -f -/)
    assert.match(log, /table inet flinkctl_drill_ab12cd34 \{/)
    assert.match(log, /chain input \{ type filter hook input priority -10; policy accept;\n {2}ip saddr \{ 10\.77\.0\.12, 10\.77\.0\.13 \} drop\n {2}ip6 saddr \{ fd00::13 \} drop/)
    assert.match(log, /chain output \{ type filter hook output priority -10; policy accept;\n {2}ip daddr \{ 10\.77\.0\.12, 10\.77\.0\.13 \} drop\n {2}ip6 daddr \{ fd00::13 \} drop/)
    assert.ok(existsSync(join(f.dir, 'present')))
    // the safety net: no drill came back within 1 s, the host deletes its own table
    const until = Date.now() + 10_000
    while (existsSync(join(f.dir, 'present')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
    assert.ok(!existsSync(join(f.dir, 'present')), 'the self-heal timer deleted the table')
    assert.match(f.log(), /ARGS delete table inet flinkctl_drill_ab12cd34/)
    rmSync(f.dir, {recursive: true, force: true})
  })

  it('heals only its own table, and says healed only once nft no longer lists it', () => {
    const f = fakeNft()
    sh(['apply', 'flinkctl_drill_00000001', '3', '10.77.0.12'], f.env)
    assert.match(sh(['heal', 'flinkctl_drill_00000001'], f.env), /^healed\t\d{13}$/m)
    assert.match(f.log(), /ARGS delete table inet flinkctl_drill_00000001\n/)
    // a table that will not go away (here: list keeps succeeding) is reported, not called healed
    writeFileSync(join(f.dir, 'nft'), '#!/bin/sh\nexit 0\n')
    assert.equal(sh(['heal', 'flinkctl_drill_00000001'], f.env).trim(), 'still')
    rmSync(f.dir, {recursive: true, force: true})
  })
})

describe('what a partition cuts', () => {
  it('every other host\'s address, as the target resolves it and as SSH reaches it, never its own, loopback or a non-address', () => {
    const got = partitionAddresses(
      [{name: 'h2', address: '10.77.0.12'}, {name: 'h2', address: '10.77.0.12'}, {name: 'h3', address: 'fd00::13'}, {name: 'h4', address: '127.0.1.1'}, {name: 'h5', address: 'h5; reboot'}, {name: 'h6', address: 'fe80::1%eth0'}],
      ['10.77.0.11'], ['10.77.0.11', '10.77.0.14', 'h4.example', '::1'])
    assert.deepEqual(got, ['10.77.0.12', '10.77.0.14', 'fd00::13'])
  })
})

function session(hostFor: (name: string) => Host): Session {
  const dir = writeTree({
    'config.yaml': 'high-availability:\n  type: zookeeper\n  zookeeper.quorum: h1:2181,h2:2181,h3:2181\n  storageDir: file:///var/tmp/ha\n',
    masters: 'h1:8081\nh2:8081\n', workers: 'h3\nh4\nlocalhost\n', 'zoo.cfg': 'server.1=h1:2888:3888\nserver.2=h2:2888:3888\nserver.3=h3:2888:3888\n',
  })
  const s = openSession(loadCluster({confDir: dir, flinkVersion: '2.3.0'}))
  s.pool.get = hostFor as never
  return s
}

function scripted(name: string, probe: string, resolve = 'addr\th1\t10.77.0.11\naddr\th2\t10.77.0.12\naddr\th3\t10.77.0.13\naddr\th4\t10.77.0.14\n', local = false) {
  const calls: string[][] = []
  const host: Host = {
    name, local, user: 'flink',
    async sh(_script, args = []) { calls.push([...args]); return ok(args[0] === 'probe' ? probe : args[0] === 'resolve' ? resolve : '') },
    async run() { return ok('') },
    async close() {},
  }
  return {host, calls}
}

const refused = (code: string, exit: number) => (err: unknown) => {
  assert.ok(err instanceof FlinkctlError, String(err))
  assert.deepEqual([err.code, err.exit], [code, exit], err.message)
  assert.ok(err.hint, 'a hint at the fix')
  return true
}

describe('planPartition refuses before anything changes', () => {
  it('plans the other hosts\' addresses with root and nft', async () => {
    const h = scripted('h1', 'priv\troot\nnft\t/usr/sbin/nft\nclient\t10.77.0.1\n')
    const plan = await planPartition(session(() => h.host), 'h1')
    assert.deepEqual([plan.host, plan.peers, plan.addresses, plan.privilege], ['h1', ['h2', 'h3', 'h4'], ['10.77.0.12', '10.77.0.13', '10.77.0.14'], 'root'])
    assert.match(plan.table, /^flinkctl_drill_[0-9a-f]{8}$/)
    assert.deepEqual(h.calls.map((c) => c[0]), ['probe', 'resolve'])
  })

  it('without root or sudo -n: says what it needs (exit 6), nothing applied', async () => {
    const h = scripted('h1', 'priv\tnone\nnft\t/usr/sbin/nft\nclient\t10.77.0.1\n')
    await assert.rejects(planPartition(session(() => h.host), 'h1'), (e) => refused('DRILL_PARTITION_PRIVILEGE', 6)(e) && /needs root on h1 \(or sudo without a password\): flink has neither/.test((e as Error).message))
    assert.ok(!h.calls.some((c) => c[0] === 'apply'))
  })

  it('without nft (exit 6), and from a bastion that is itself a cluster host (exit 2)', async () => {
    const a = scripted('h1', 'priv\tsudo\nnft\t\nclient\t10.77.0.1\n')
    await assert.rejects(planPartition(session(() => a.host), 'h1'), refused('DRILL_PARTITION_NO_NFT', 6))
    const b = scripted('h1', 'priv\troot\nnft\t/usr/sbin/nft\nclient\t10.77.0.13\n')
    await assert.rejects(planPartition(session(() => b.host), 'h1'), refused('DRILL_PARTITION_LOCAL', 2))
    const c = scripted('h1', '', undefined, true)
    await assert.rejects(planPartition(session(() => c.host), 'h1'), refused('DRILL_PARTITION_LOCAL', 2))
    assert.deepEqual(c.calls, [], 'nothing ran on the local host')
    for (const x of [a, b]) assert.ok(!x.calls.some((c) => c[0] === 'apply'))
  })

  it('a host that cannot resolve another host: refused, naming it', async () => {
    const h = scripted('h1', 'priv\troot\nnft\t/usr/sbin/nft\nclient\t10.77.0.1\n', 'addr\th2\t10.77.0.12\naddr\th3\t10.77.0.13\n')
    await assert.rejects(planPartition(session(() => h.host), 'h1'), (e) => refused('DRILL_PARTITION_UNRESOLVED', 6)(e) && /cannot resolve h4/.test((e as Error).message))
  })
})

describe('two leaders at once', () => {
  const s = (label: string, side: 'partitioned' | 'others', start: number, serving: boolean) => ({label, side, start, end: start + 50, serving})

  it('merges a JobManager\'s answered requests into spans and finds overlaps across the partition only', () => {
    const samples = [
      s('h1', 'partitioned', 0, true), s('h1', 'partitioned', 200, true), s('h1', 'partitioned', 400, false),
      s('h2', 'others', 100, false), s('h2', 'others', 300, true), s('h2', 'others', 500, true),
      s('h3', 'others', 0, true), s('h3', 'others', 200, true),
    ]
    const spans = servingSpans(samples)
    assert.deepEqual(spans.map((x) => [x.label, x.from, x.to]), [['h1', 0, 250], ['h3', 0, 250], ['h2', 300, 550]])
    // h1 and h3 overlap; h2 and h3 are the same side (a standby forwarding to its leader), never counted
    assert.deepEqual(leaderOverlaps(spans), [{a: 'h1', b: 'h3', from: 0, to: 250}])
    const c = splitBrainCheck(spans)
    assert.equal(c.ok, false)
    assert.match(c.detail, /h1 and h3 both answered as leader from 00:00:00\.000 to 00:00:00\.250 UTC \(0\.3 s\)/)
  })

  it('ZooKeeper naming a leader on the other side while the cut-off one answers is an overlap too', () => {
    const side = (l: string) => (l === 'h1' ? 'partitioned' as const : 'others' as const)
    const zk = zooKeeperSpans([{at: 0, label: 'h1'}, {at: 4000, label: 'h2'}, {at: 9000, label: undefined}], side, 12_000)
    assert.deepEqual(zk, [{label: 'ZooKeeper (h2)', side: 'others', from: 4000, to: 9000}])
    const late = servingSpans([s('h1', 'partitioned', 4500, true), s('h1', 'partitioned', 4700, false)])
    assert.deepEqual(leaderOverlaps([...late, ...zk]), [{a: 'h1', b: 'ZooKeeper (h2)', from: 4500, to: 4550}])
    const early = servingSpans([s('h1', 'partitioned', 1000, true), s('h1', 'partitioned', 2700, false)])
    assert.deepEqual(leaderOverlaps([...early, ...zk]), [], 'the cut-off leader gave up before ZooKeeper named another')
  })

  it('a clean handover passes and lists who served when', () => {
    const spans = servingSpans([s('h1', 'partitioned', 1000, true), s('h1', 'partitioned', 1200, false), s('h2', 'others', 1300, false), s('h2', 'others', 5000, true)])
    const c = splitBrainCheck(spans)
    assert.equal(c.ok, true)
    assert.match(c.detail, /^no overlap: h1 00:00:01\.000–00:00:01\.050, h2 00:00:05\.000–00:00:05\.050/)
  })
})

describe('the leader\'s own log', () => {
  it('reads log4j timestamps in the host\'s zone', () => {
    assert.equal(logLineTime('2026-12-07 13:09:55,533 INFO x', '+0000'), Date.UTC(2026, 11, 7, 13, 9, 55, 533))
    assert.equal(logLineTime('2026-12-07 14:09:55,533 INFO x', '+0100'), Date.UTC(2026, 11, 7, 13, 9, 55, 533))
    assert.equal(logLineTime('no time here', '+0000'), undefined)
    assert.equal(logFileOf('java -Xmx1g -Dlog.file=/var/log/flink/flink-ops-standalonesession-0-h1.log -Dx=y Main'), '/var/log/flink/flink-ops-standalonesession-0-h1.log')
    assert.equal(logFileOf('java Main'), undefined)
  })

  it('finds the first revocation at or after the partition, passing the file as an argument', async () => {
    const calls: string[][] = []
    const host = {name: 'h1', local: false, user: 'flink', async run() { return ok('') }, async close() {},
      async sh(_s: string, args: readonly string[] = []) {
        calls.push([...args])
        return ok([
          'tz\t+0000',
          '2026-12-07 13:00:00,000 INFO  ResourceManagerServiceImpl [] - Resource manager service is revoked leadership with session id a.',
          '2026-12-07 13:09:57,120 INFO  ResourceManagerServiceImpl [] - Resource manager service is revoked leadership with session id b.',
          '2026-12-07 13:09:57,130 INFO  DefaultDispatcherRunner [] - DefaultDispatcherRunner was revoked the leadership with leader id b.',
        ].join('\n'))
      }} satisfies Host
    const r = await revokedAfter(host, "/l/it's.log", Date.UTC(2026, 11, 7, 13, 9, 55, 0))
    assert.equal(r?.at, Date.UTC(2026, 11, 7, 13, 9, 57, 120))
    assert.match(r!.line, /session id b\./)
    assert.deepEqual(calls, [["/l/it's.log"]])
  })
})

describe('which faults fail over', () => {
  it('a pause or partition fails over only when it outlasts the session (JobManagers) or heartbeat.timeout (TaskManagers)', () => {
    assert.equal(expectsFailover('leader', {fault: 'kill'}, 4000), true)
    assert.equal(expectsFailover('leader', {fault: 'partition', partitionMs: 3000}, 4000), false)
    assert.equal(expectsFailover('leader', {fault: 'partition', partitionMs: 15_000}, 4000), true)
    assert.equal(expectsFailover('taskmanager', {fault: 'partition', partitionMs: 15_000}, 4000, 20_000), false)
    assert.equal(expectsFailover('taskmanager', {fault: 'partition', partitionMs: 25_000}, 4000, 20_000), true)
    assert.equal(expectsFailover('standby', {fault: 'pause', pauseMs: 8000}, 4000), true)
  })
})

describe('a partition that also cuts a ZooKeeper peer', () => {
  const round = (after: string | undefined, session: string) => ({
    round: 1, fault: 'partition', faultAt: 0, phases: [], checks: [], restored: {ok: true, detail: ''}, timedOut: false, explanation: [], ok: false,
    target: {kind: 'taskmanager', host: 'h3', label: 'h3', pid: 1, mainClass: 'x', commandLine: '', restore: {daemon: 'taskexecutor', count: 1}},
    before: {leader: 'h1', leaderSession: 'aaaaaaaa-1', jobs: []}, after: {leader: after, leaderSession: session},
  }) as unknown as RoundResult
  const steady = {ok: true, reasons: [], state: {contenders: []}, standbys: [], jobs: []} as never
  const m = {phases: [], timedOut: false} as never

  it('requires a leader, not the same session: the JobManagers may give up leadership through the lost peer', () => {
    const changed = checksOf(round('h1', 'bbbbbbbb-2'), steady, m, [], {tolerateSuspended: false, sessionTimeoutMs: 4000, cutPeers: [3]})
    assert.deepEqual(changed.map((c) => [c.name, c.ok]), [['the cluster has a leader', true]])
    assert.match(changed[0]!.detail, /leadership changed hands: session aaaaaaaa → bbbbbbbb/)
    const none = checksOf(round(undefined, ''), steady, m, [], {tolerateSuspended: false, sessionTimeoutMs: 4000, cutPeers: [3]})
    assert.equal(none[0]!.ok, false)
    // no peer on the cut host (or suspended connections tolerated): the leader must keep its session
    const kept = checksOf(round('h1', 'bbbbbbbb-2'), steady, m, [], {tolerateSuspended: false, sessionTimeoutMs: 4000, cutPeers: []})
    assert.deepEqual(kept.map((c) => [c.name, c.ok]), [['the leader kept its leadership', false]])
  })
})
