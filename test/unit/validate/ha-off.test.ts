// Issue 14: HA keys written while HA is off, and keys that look like the HA switch but Flink never reads.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {HA_FAKE_SWITCH_KEYS, isHaFakeSwitch} from '../../../src/lib/validate/ha-off-rules.ts'
import {only, show, validate} from './kit.ts'

// The HA block of Flink's config template, filled in, without the line that switches HA on.
const HA_BLOCK = [
  'jobmanager.memory.process.size: 1600m',
  'taskmanager.memory.process.size: 1728m',
  'high-availability.storageDir: hdfs:///flink/ha/',
  'high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181',
  'high-availability.zookeeper.path.root: /flink',
  'high-availability.cluster-id: /prod',
].join('\n') + '\n'

describe('HA-KEYS-WITHOUT-HA', () => {
  it('2.3, no switch at all: a warning at each HA key, naming high-availability.type: zookeeper', () => {
    const {findings} = validate({'conf/config.yaml': HA_BLOCK}, {version: '2.3.0'})
    const f = only(findings, 'HA-KEYS-WITHOUT-HA')
    assert.deepEqual(f.map((x) => [x.key, x.line, x.severity]), [['high-availability.storageDir', 3, 'warning'], ['high-availability.zookeeper.quorum', 4, 'warning'],
      ['high-availability.zookeeper.path.root', 5, 'warning'], ['high-availability.cluster-id', 6, 'warning']], show(findings))
    assert.match(f[0]!.message, /^high-availability\.storageDir is set, but no high-availability\.type is set, so HA is off: Flink ignores it \(and 3 other HA keys\)/)
    assert.match(f[0]!.hint, /add high-availability\.type: zookeeper;/)
  })
  it('1.16, high-availability: NONE: points at that line and names the pre-1.17 key', () => {
    const {findings} = validate({'conf/flink-conf.yaml': 'high-availability: NONE\n' + HA_BLOCK}, {version: '1.16.3'})
    const f = only(findings, 'HA-KEYS-WITHOUT-HA')
    assert.equal(f.length, 4, show(findings))
    assert.match(f[0]!.message, /'high-availability: NONE' \(line 1\) switches HA off/)
    assert.match(f[0]!.hint, /set high-availability: zookeeper;/)
  })
  it('1.20, recovery.mode: standalone with the recovery.* names: off, and the hint says to replace the old key', () => {
    const {findings} = validate({'conf/flink-conf.yaml': 'recovery.mode: standalone\nrecovery.zookeeper.quorum: zk1:2181\nrecovery.zookeeper.storageDir: hdfs:///flink/recovery\n'}, {version: '1.20.0'})
    const f = only(findings, 'HA-KEYS-WITHOUT-HA')
    assert.deepEqual(f.map((x) => x.key), ['recovery.zookeeper.quorum', 'recovery.zookeeper.storageDir'], show(findings))
    assert.match(f[0]!.message, /'recovery\.mode: standalone' \(line 1\) switches HA off/)
    assert.match(f[0]!.hint, /high-availability\.type: zookeeper in place of recovery\.mode/)
  })
  it('only Kubernetes HA keys: the hint says kubernetes', () => {
    const {findings} = validate({'conf/config.yaml': 'high-availability.storageDir: s3://state/ha\nhigh-availability.kubernetes.leader-election.lease-duration: 15 s\n'}, {version: '2.3.0'})
    assert.match(only(findings, 'HA-KEYS-WITHOUT-HA')[0]?.hint ?? '', /high-availability\.type: kubernetes/)
  })
  it('stays quiet with HA on, and when HA-TYPE-VERSION already explains it (high-availability.type on 1.16)', () => {
    assert.deepEqual(only(validate({'conf/config.yaml': 'high-availability.type: zookeeper\n' + HA_BLOCK}, {version: '2.3.0'}).findings, 'HA-KEYS-WITHOUT-HA'), [])
    const old = validate({'conf/flink-conf.yaml': 'high-availability.type: zookeeper\n' + HA_BLOCK}, {version: '1.16.3'}).findings
    assert.equal(only(old, 'HA-TYPE-VERSION').length, 1)
    assert.deepEqual(only(old, 'HA-KEYS-WITHOUT-HA'), [])
  })
})

describe('HA-FAKE-SWITCH', () => {
  const FAKES: Array<[line: string, mode: string]> = [
    ['kubernetes.high-availability: kubernetes', 'kubernetes'],
    ['high-availability.mode: zookeeper', 'zookeeper'],
    ['high-availability.enabled: true', 'zookeeper'],
    ['ha.type: zookeeper', 'zookeeper'],
    ['high-availability.zookeeper: true', 'zookeeper'],
    ['jobmanager.high-availability: ZOOKEEPER', 'zookeeper'],
    ['High-Availability.Type: zookeeper', 'zookeeper'],
    ['high_availability: zookeeper', 'zookeeper'],
  ]
  for (const version of ['1.20.0', '2.3.0']) {
    for (const [line, mode] of FAKES) {
      const key = line.slice(0, line.indexOf(':'))
      it(`${line} (${version}): an error naming the real key, no CONF-UNKNOWN-KEY; HA-KEYS-WITHOUT-HA names the fake`, () => {
        const file = version.startsWith('2') ? 'conf/config.yaml' : 'conf/flink-conf.yaml'
        const {findings} = validate({[file]: `${line}\n${HA_BLOCK}`}, {version})
        const f = only(findings, 'HA-FAKE-SWITCH')
        assert.equal(f.length, 1, show(findings))
        assert.equal(f[0]!.severity, 'error')
        assert.equal(f[0]!.line, 1)
        assert.equal(f[0]!.hint, `write high-availability.type: ${mode} instead`)
        assert.deepEqual(only(findings, 'CONF-UNKNOWN-KEY').filter((x) => x.key === key), [], show(findings))
        const off = only(findings, 'HA-KEYS-WITHOUT-HA')
        assert.equal(off.length, 4, show(findings))
        assert.ok(off[0]!.message.includes(`'${key}' is not the HA switch (HA-FAKE-SWITCH)`), off[0]!.message)
        assert.ok(off[0]!.hint.includes(`high-availability.type: ${mode}`), off[0]!.hint)
      })
    }
  }
  it('on 1.16 the hint names high-availability, the key of that release', () => {
    const {findings} = validate({'conf/flink-conf.yaml': 'ha.type: zookeeper\n' + HA_BLOCK}, {version: '1.16.3'})
    assert.equal(only(findings, 'HA-FAKE-SWITCH')[0]?.hint, 'write high-availability: zookeeper instead')
  })
  it('a fake switch saying off, or one next to the real switch, is a warning to remove it', () => {
    const off = only(validate({'conf/config.yaml': 'high-availability.enabled: false\n'}, {version: '2.3.0'}).findings, 'HA-FAKE-SWITCH')
    assert.equal(off[0]?.severity, 'warning', show(off))
    const both = only(validate({'conf/config.yaml': 'high-availability.type: zookeeper\nha.enabled: true\n' + HA_BLOCK}, {version: '2.3.0'}).findings, 'HA-FAKE-SWITCH')
    assert.equal(both[0]?.severity, 'warning', show(both))
    assert.match(both[0]!.message, /HA is set by 'high-availability\.type: zookeeper'/)
  })
  it('isHaFakeSwitch: the real switches and real HA keys are not fakes', () => {
    for (const k of ['high-availability.type', 'high-availability', 'recovery.mode', 'high-availability.zookeeper.quorum', 'kubernetes.cluster-id']) assert.equal(isHaFakeSwitch(k), false, k)
    for (const k of HA_FAKE_SWITCH_KEYS) assert.equal(isHaFakeSwitch(k), true, k)
    assert.equal(isHaFakeSwitch('HIGH-AVAILABILITY'), true)
  })
})
