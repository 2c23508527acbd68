// Issue 14: storage, checkpoint and savepoint URIs parsed as Flink's Path and file systems read them.
// Flink 1.20.0 and 2.3.0's ExternalizedSnapshotLocation refuse a checkpoint path without a scheme and the root
// directory (the strings "The scheme (hdfs://, file://, etc) is null" and "Cannot use the root directory for
// checkpoints" in flink-dist's class of both releases); HA storage takes a bare path and any root.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkStorageUri, type DirPurpose} from '../../../src/lib/validate/uri-rules.ts'
import {only, show, validate} from './kit.ts'

type Want = [raw: string, purpose: DirPurpose, severity: 'error' | 'warning', fixed?: string]
const BAD: Want[] = [
  ['/hdfs://nn/flink', 'ha', 'error', 'hdfs://nn/flink'],
  ['hdfs:/nn', 'ha', 'warning', 'hdfs:///nn'],
  ['hdfs:://nn/flink', 'ha', 'error', 'hdfs://nn/flink'],
  ['hdfs:://', 'checkpoints', 'error', 'hdfs://'],
  ['s3:/bucket', 'ha', 'error', 's3://bucket/flink/ha'],
  ['s3:/bucket/ha', 'checkpoints', 'error', 's3://bucket/ha'],
  ['s3:///flink/ha', 'ha', 'error'],
  ['hdfs://namenode-host:port/flink-checkpoints', 'checkpoints', 'error'],
  ['hdfs://namenode:port/flink/ha', 'ha', 'error'],
  ['s3://<bucket>/flink/ha', 'ha', 'error'],
  ['${HA_STORAGE_DIR}', 'ha', 'error'],
  ['s3://{{ .Values.bucket }}/ha', 'ha', 'error'],
  ['s3://your-bucket/flink/checkpoints', 'checkpoints', 'error'],
  ['s3://flink-state', 'ha', 'warning', 's3://flink-state/flink/ha'],
  ['s3://flink-state/', 'ha', 'warning', 's3://flink-state/flink/ha'],
  ['s3a://flink-state', 'checkpoints', 'error', 's3a://flink-state/flink/checkpoints'],
  ['hdfs:///', 'savepoints', 'error', 'hdfs:///flink/savepoints'],
  ['flink/ha', 'ha', 'error', 'hdfs:///flink/ha'],
  ['./checkpoints', 'checkpoints', 'error', 'hdfs:///./checkpoints'],
  ['/flink/checkpoints', 'checkpoints', 'error', 'hdfs:///flink/checkpoints'],
  ['file://tmp/flink/ha', 'ha', 'warning', 'file:///tmp/flink/ha'],
  ['hdsf://nn:8020/flink/ha', 'ha', 'warning', 'hdfs://nn:8020/flink/ha'],
  ['hdfs://nn:80x0/flink', 'ha', 'error', 'hdfs://nn:8020/flink'],
]
const GOOD: Array<[string, DirPurpose]> = [
  ['hdfs:///flink/ha', 'ha'], ['hdfs://nn:8020/flink/ha/', 'ha'], ['s3://flink-state/ha', 'ha'], ['file:///var/flink/ha', 'ha'],
  ['file:/var/flink/checkpoints', 'checkpoints'], ['/var/flink/ha', 'ha'], ['abfss://state@acct.dfs.core.windows.net/flink', 'checkpoints'],
  ['gs://bucket/savepoints', 'savepoints'], ['viewfs://cluster/flink/ha', 'ha'], ['oss://bucket/cp', 'checkpoints'],
  ['hdfs://[2001:db8::1]:8020/flink', 'ha'], ['file://localhost/var/flink', 'ha'], ['lakefs://repo/main/flink', 'checkpoints'],
]

describe('checkStorageUri', () => {
  for (const [raw, purpose, severity, fixed] of BAD) {
    it(`${raw} (${purpose}) → ${severity}${fixed ? `, ${fixed}` : ''}`, () => {
      const p = checkStorageUri(raw, purpose)
      assert.ok(p, 'a problem')
      assert.equal(p.severity, severity, p.problem)
      if (fixed) assert.equal(p.fixed, fixed)
      else assert.ok(p.advice && p.advice.length > 5)
    })
  }
  for (const [raw, purpose] of GOOD) {
    it(`${raw} (${purpose}) is fine`, () => assert.equal(checkStorageUri(raw, purpose), undefined))
  }
  it('a bucket root is a warning for HA storage and an error for checkpoints (Flink refuses the root there)', () => {
    assert.equal(checkStorageUri('gs://b', 'ha')?.severity, 'warning')
    assert.match(checkStorageUri('gs://b', 'savepoints')!.problem, /Cannot use the root directory/)
  })
  it('scans long hostile values in one pass (no backtracking pattern)', () => {
    for (const raw of ['/'.repeat(200_000) + 'x', 'a' + ':'.repeat(200_000), 's3:' + '/'.repeat(200_000), 'hdfs://' + 'a:'.repeat(100_000),
      '<'.repeat(100_000), 'x'.repeat(100_000) + ':port', 'hdfs:/' + '/a'.repeat(100_000)]) {
      checkStorageUri(raw, 'checkpoints')
      checkStorageUri(raw, 'ha')
    }
  })
})

// Lines as Flink's shipped flink-conf.yaml template has them (commented there), uncommented as people do.
const TEMPLATE = [
  'jobmanager.rpc.address: localhost',
  'jobmanager.memory.process.size: 1600m',
  'taskmanager.memory.process.size: 1728m',
  'high-availability: zookeeper',
  'high-availability.zookeeper.quorum: zk1:2181,zk2:2181,zk3:2181',
  'high-availability.cluster-id: /prod',
].join('\n') + '\n'

describe('HA-STORAGE-URI and STATE-DIR-URI', () => {
  it('the template placeholders left in: both dirs reported at their lines, with the key the file used', () => {
    const {findings} = validate({'conf/flink-conf.yaml': TEMPLATE + 'high-availability.storageDir: hdfs:///flink/ha/\nstate.checkpoints.dir: hdfs://namenode-host:port/flink-checkpoints\nstate.savepoints.dir: hdfs://namenode-host:port/flink-savepoints\n'}, {version: '1.18.1'})
    const s = only(findings, 'STATE-DIR-URI')
    assert.deepEqual(s.map((f) => [f.key, f.line, f.severity]), [['state.checkpoints.dir', 8, 'error'], ['state.savepoints.dir', 9, 'error']], show(s))
    assert.match(s[0]!.message, /example text/)
    assert.deepEqual(only(findings, 'HA-STORAGE-URI'), [])
  })
  it('2.3 config.yaml: execution.checkpointing.dir at a bucket root, savepoints under their old name without a scheme', () => {
    const {findings} = validate({'conf/config.yaml': 'high-availability.type: none\nexecution.checkpointing.dir: s3://flink-state\nstate.savepoints.dir: /mnt/savepoints\n'}, {version: '2.3.0'})
    const s = only(findings, 'STATE-DIR-URI')
    assert.equal(s.length, 2, show(s))
    assert.match(s[0]!.hint, /execution\.checkpointing\.dir: s3:\/\/flink-state\/flink\/checkpoints/)
    assert.match(s[1]!.message, /^state\.savepoints\.dir \(the old name of execution\.checkpointing\.savepoint-dir\)/)
  })
  it('a relative storageDir is HA-STORAGE-URI alone (not HA-STORAGE-DIR too); a slash before the scheme is not called a local path', () => {
    const rel = validate({'conf/flink-conf.yaml': TEMPLATE + 'high-availability.storageDir: flink/ha\n'}, {version: '1.20.0'}).findings
    assert.equal(only(rel, 'HA-STORAGE-URI').length, 1, show(rel))
    assert.deepEqual(only(rel, 'HA-STORAGE-DIR'), [])
    const slash = validate({'conf/flink-conf.yaml': TEMPLATE + 'high-availability.storageDir: /hdfs://nn:8020/flink/ha\n'}, {version: '1.20.0'}).findings
    assert.match(only(slash, 'HA-STORAGE-URI')[0]?.hint ?? '', /write high-availability\.storageDir: hdfs:\/\/nn:8020\/flink\/ha/)
    assert.deepEqual(only(slash, 'HA-STORAGE-LOCAL'), [])
  })
  it('HA off: the storageDir is not parsed (HA-KEYS-WITHOUT-HA says it is ignored)', () => {
    const {findings} = validate({'conf/config.yaml': 'high-availability.storageDir: flink/ha\n'}, {version: '2.3.0'})
    assert.deepEqual(only(findings, 'HA-STORAGE-URI'), [])
    assert.equal(only(findings, 'HA-KEYS-WITHOUT-HA').length, 1)
  })
  it('before 1.20 execution.checkpointing.dir is not read, so state.checkpoints.dir is the one checked', () => {
    const {findings} = validate({'conf/flink-conf.yaml': 'state.checkpoints.dir: hdfs:///flink/cp\nexecution.checkpointing.dir: cp\n'}, {version: '1.18.1'})
    assert.deepEqual(only(findings, 'STATE-DIR-URI'), [])
  })
})
