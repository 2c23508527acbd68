// Findings speak of the version asked for: unknown, deprecated, removed and later-only keys per
// release, hints that only name keys the release has, and "did you mean" beyond spelling.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {renderValidation} from '../../../src/lib/output/validation.ts'
import {makeStyle} from '../../../src/lib/output/style.ts'
import {validateCluster} from '../../../src/lib/validate/index.ts'
import {validateConfDirs} from '../../../src/lib/validate/run.ts'
import {writeTree} from '../../helpers/fixtures.ts'

// flink-conf.yaml: read by every release up to 1.20 (and 2.x reports it as ignored, so 2.x cases use config.yaml)
const legacy = (body: string) => writeTree({'conf/flink-conf.yaml': `jobmanager.rpc.address: localhost\n${body}`, 'conf/workers': 'localhost\n'})
const modern = (body: string) => writeTree({'conf/config.yaml': `jobmanager.rpc.address: localhost\n${body}`, 'conf/workers': 'localhost\n'})
const findings = (root: string, flinkVersion: string | undefined) => validateCluster(loadCluster({confDir: join(root, 'conf'), flinkVersion, env: {}})).findings
const of = (fs: ReturnType<typeof findings>, rule: string, key?: string) => fs.filter((f) => f.rule === rule && (key === undefined || f.key === key))

describe('execution.checkpointing.dir and state.checkpoints.dir across releases', () => {
  for (const v of ['1.17.2', '1.18.1', '1.19.1']) {
    it(`Flink ${v}: state.checkpoints.dir is the key; execution.checkpointing.dir is flagged as later-only with the ${v} name`, () => {
      const old = findings(legacy('state.checkpoints.dir: hdfs:///flink/cp\n'), v)
      assert.deepEqual(old.filter((f) => f.key === 'state.checkpoints.dir'), [], `no finding for the key ${v} reads`)
      const fs = findings(legacy('execution.checkpointing.dir: hdfs:///flink/cp\n'), v)
      const later = of(fs, 'CONF-LATER-KEY', 'execution.checkpointing.dir')
      assert.equal(later.length, 1, JSON.stringify(fs))
      assert.match(later[0]!.message, new RegExp(`exists from Flink 1\\.20; in ${v.replace(/\./g, '\\.')} use 'state\\.checkpoints\\.dir'`))
      assert.equal(later[0]!.hint, "rename it to 'state.checkpoints.dir'")
      assert.equal(later[0]!.line, 2)
      // and no finding anywhere advises the key this release does not have
      for (const f of fs) assert.doesNotMatch(`${f.message} ${f.hint}`, /rename it to 'execution\.checkpointing\.dir'/)
      assert.deepEqual(of(fs, 'CONF-UNKNOWN-KEY'), [], 'reported once, as later-only, not also as unknown')
    })
  }
  it('Flink 1.20.0: state.checkpoints.dir is deprecated in 1.20.0, renamed to execution.checkpointing.dir', () => {
    const fs = of(findings(legacy('state.checkpoints.dir: hdfs:///flink/cp\n'), '1.20.0'), 'CONF-DEPRECATED-KEY', 'state.checkpoints.dir')
    assert.equal(fs.length, 1)
    assert.match(fs[0]!.message, /deprecated in Flink 1\.20\.0/)
    assert.equal(fs[0]!.hint, "rename it to 'execution.checkpointing.dir'")
  })
})

describe('families read by prefix are never "later" or "removed"', () => {
  it('Flink 1.18.1: s3.access-key/s3.secret-key (the S3 plugins mirror s3.* whatever options 2.x declares)', () => {
    const fs = findings(legacy('s3.access-key: AKIAEXAMPLE\ns3.secret-key: example\nfs.s3a.connection.maximum: 64\n'), '1.18.1')
    assert.deepEqual(fs.filter((f) => ['CONF-LATER-KEY', 'CONF-REMOVED-KEY', 'CONF-UNKNOWN-KEY'].includes(f.rule)), [])
  })
})

describe('unknown and removed keys name the version asked for', () => {
  for (const v of ['1.17.2', '1.19.1', '1.20.0']) {
    it(`Flink ${v}: an unknown key names Flink ${v}`, () => {
      const fs = of(findings(legacy('completely.made.up.option: 1\n'), v), 'CONF-UNKNOWN-KEY', 'completely.made.up.option')
      assert.equal(fs.length, 1)
      assert.match(fs[0]!.message, new RegExp(`not an option of Flink ${v.replace(/\./g, '\\.')};`))
    })
  }
  it('Flink 2.3.0: a key 1.x declared and 2.x dropped names the last release that read it', () => {
    // both declared up to 1.20 (the catalog) and read under no other name by 2.x
    const fs = findings(modern('state.backend.async: true\nweb.backpressure.num-samples: 10\n'), '2.3.0')
    const removed = of(fs, 'CONF-REMOVED-KEY')
    assert.deepEqual(removed.map((r) => r.key).sort(), ['state.backend.async', 'web.backpressure.num-samples'], JSON.stringify(fs))
    for (const r of removed) assert.match(r.message, /is not an option of Flink 2\.3\.0: Flink 1\.20 was the last release to read it/)
    // and on 1.20 they are plain options
    assert.deepEqual(of(findings(legacy('state.backend.async: true\n'), '1.20.0'), 'CONF-REMOVED-KEY'), [])
    assert.deepEqual(of(fs, 'CONF-UNKNOWN-KEY').filter((u) => removed.some((r) => r.key === u.key)), [], 'not also unknown')
  })
  it('a version with no --flink-version or home: keys of any catalogued release are not called unknown', () => {
    const fs = findings(legacy('state.checkpoints.dir: hdfs:///x\njobmanager.heap.size: 1g\n'), undefined)
    assert.deepEqual(of(fs, 'CONF-UNKNOWN-KEY'), [])
    assert.deepEqual(of(fs, 'CONF-LATER-KEY'), [])
  })
})

describe('versions outside the catalog', () => {
  it('Flink 1.14.6 is checked against 1.15 with one notice saying so', () => {
    const fs = findings(legacy('completely.made.up.option: 1\n'), '1.14.6')
    const notes = of(fs, 'CONF-VERSION-RANGE')
    assert.equal(notes.length, 1)
    assert.equal(notes[0]!.severity, 'info')
    assert.match(notes[0]!.message, /Flink 1\.14\.6 is older than 1\.15.*checked against Flink 1\.15/)
    assert.match(of(fs, 'CONF-UNKNOWN-KEY')[0]!.message, /not an option of Flink 1\.15;/)
  })
  it('Flink 2.4.0 is checked against 2.3 with a notice; 2.3.0 and 1.18.1 get none', () => {
    assert.match(of(findings(modern(''), '2.4.0'), 'CONF-VERSION-RANGE')[0]!.message, /newer than 2\.3.*checked against Flink 2\.3/)
    assert.deepEqual(of(findings(modern(''), '2.3.0'), 'CONF-VERSION-RANGE'), [])
    assert.deepEqual(of(findings(legacy(''), '1.18.1'), 'CONF-VERSION-RANGE'), [])
  })
  it('the header says where the version came from and which release the keys were checked against', () => {
    const root = legacy('')
    const s = makeStyle(process.stdout, {json: true})
    const text = (v?: string) => renderValidation(validateConfDirs({confDirs: [join(root, 'conf')], flinkVersion: v, env: {}}), s)
    assert.match(text('1.18.1'), /\(Flink 1\.18\.1 from --flink-version\)/)
    assert.match(text('1.14.6'), /\(Flink 1\.14\.6 from --flink-version; keys of Flink 1\.15\)/)
    assert.match(text(undefined), /Flink version unknown: no --flink-version or --flink-home; keys of Flink 2\.3/)
  })
})

describe('did you mean: order, grouping, prefix, nested YAML', () => {
  const suggestion = (body: string, key: string, v = '1.20.0') => {
    const fs = of(findings(legacy(body), v), 'CONF-UNKNOWN-KEY', key)
    assert.equal(fs.length, 1, `one finding for ${key}`)
    return fs[0]!
  }
  it('reordered words: high-availability.zookeeper.root.path → high-availability.zookeeper.path.root', () => {
    const f = suggestion('high-availability.zookeeper.root.path: /flink\n', 'high-availability.zookeeper.root.path')
    assert.match(f.message, /did you mean 'high-availability\.zookeeper\.path\.root' \(the same words in another order/)
    assert.equal(f.severity, 'warning')
  })
  it('regrouped words: taskmanager.memory.process-size, taskmanager.numberOf.task-slots', () => {
    assert.match(suggestion('taskmanager.memory.process-size: 2g\n', 'taskmanager.memory.process-size').hint, /'taskmanager\.memory\.process\.size'/)
    assert.match(suggestion('taskmanager.number-of-task-slots: 2\n', 'taskmanager.number-of-task-slots').hint, /'taskmanager\.numberOfTaskSlots'/)
  })
  it('a missing prefix, in another order too: zookeeper.quorum, zookeeper.root.path', () => {
    assert.match(suggestion('zookeeper.quorum: zk1:2181\n', 'zookeeper.quorum').message, /'high-availability\.zookeeper\.quorum' \(the full name\)/)
    assert.match(suggestion('zookeeper.root.path: /flink\n', 'zookeeper.root.path').hint, /'high-availability\.zookeeper\.path\.root'/)
  })
  it('nested YAML that doubles a segment (config.yaml)', () => {
    const root = writeTree({'conf/config.yaml': 'high-availability:\n  high-availability.type: zookeeper\ntaskmanager:\n  memory:\n    taskmanager.memory.process.size: 2g\n', 'conf/workers': 'localhost\n'})
    const fs = findings(root, '2.3.0')
    const a = of(fs, 'CONF-UNKNOWN-KEY', 'high-availability.high-availability.type')[0]
    const b = of(fs, 'CONF-UNKNOWN-KEY', 'taskmanager.memory.taskmanager.memory.process.size')[0]
    assert.ok(a && b, JSON.stringify(fs.map((f) => f.key)))
    assert.match(a.message, /nested YAML repeats a segment of 'high-availability\.type'/)
    assert.match(b.hint, /write 'taskmanager\.memory\.process\.size' \(flat\)/)
  })
  it('plain misspellings still work, and a key far from every option gets no guess', () => {
    assert.match(suggestion('taskmanager.numberOfTaskSlot: 2\n', 'taskmanager.numberOfTaskSlot').hint, /'taskmanager\.numberOfTaskSlots'/)
    const fs = of(findings(legacy('qqq.zzz: 1\n'), '1.20.0'), 'CONF-UNKNOWN-KEY', 'qqq.zzz')
    assert.equal(fs[0]?.severity, 'info')
  })
})
