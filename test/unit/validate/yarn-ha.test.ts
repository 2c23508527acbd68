// Issue 14: yarn.application-attempts above 1 with HA off. YARN restarts the ApplicationMaster (Flink's option
// text: "the entire Flink cluster will restart"), and without HA the new JobManager has nothing to recover.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {only, show, validate} from './kit.ts'

const BASE = 'jobmanager.memory.process.size: 1600m\ntaskmanager.memory.process.size: 1728m\n'
const HA = 'high-availability.type: zookeeper\nhigh-availability.storageDir: hdfs:///flink/ha\nhigh-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181\n'
const run = (text: string, version = '1.20.0', target?: 'yarn') =>
  validate({'conf/flink-conf.yaml': text}, {version, target, env: {HADOOP_CLASSPATH: '/opt/hadoop/*'}}).findings

describe('YARN-ATTEMPTS-NO-HA', () => {
  for (const target of [undefined, 'yarn'] as const) {
    it(`attempts 10 with HA off (${target ?? 'standalone'} validation): a warning at the line, not YARN-ATTEMPTS`, () => {
      const findings = run(BASE + 'yarn.application-attempts: 10\n', '1.20.0', target)
      const f = only(findings, 'YARN-ATTEMPTS-NO-HA')
      assert.equal(f.length, 1, show(findings))
      assert.equal(f[0]!.line, 3)
      assert.equal(f[0]!.severity, 'warning')
      assert.match(f[0]!.hint, /high-availability\.type: zookeeper/)
      assert.deepEqual(only(findings, 'YARN-ATTEMPTS'), [])
    })
  }
  it('HA off by recovery.mode: standalone counts as off; 1.16 names high-availability', () => {
    const f = only(run(BASE + 'recovery.mode: standalone\nyarn.application-attempts: 4\n', '1.16.3'), 'YARN-ATTEMPTS-NO-HA')
    assert.match(f[0]?.hint ?? '', /\(high-availability: zookeeper/, show(f))
  })
  it('quiet with HA on (YARN-ATTEMPTS judges that case), with 1 attempt, and with the key unset', () => {
    assert.deepEqual(only(run(BASE + HA + 'yarn.application-attempts: 10\n'), 'YARN-ATTEMPTS-NO-HA'), [])
    assert.deepEqual(only(run(BASE + 'yarn.application-attempts: 1\n'), 'YARN-ATTEMPTS-NO-HA'), [])
    assert.deepEqual(only(run(BASE, '1.20.0', 'yarn'), 'YARN-ATTEMPTS-NO-HA'), [])
  })
})
