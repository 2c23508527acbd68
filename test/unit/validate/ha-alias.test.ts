// Issue 14: every HA check sees its value through the deprecated names Flink still reads, and says which name
// set it. Flink 1.20.0 and 2.3.0 declare them all (src/lib/conf/catalog/flink-{1.20,2.3}.json, read from the jars;
// HighAvailabilityOptions.java: withDeprecatedKeys("recovery.mode", "high-availability"), …).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {confFile, only, show, validate} from './kit.ts'

const VERSIONS = ['1.16.3', '1.20.0', '2.3.0']
const canonicalSwitch = (v: string) => (v.startsWith('1.16') ? 'high-availability' : 'high-availability.type')

/** A flink-conf.yaml as Flink's own template reads with its HA section filled in, one line left out or replaced. */
function conf(lines: Record<string, string | null>): string {
  const base: Record<string, string | null> = {
    'jobmanager.rpc.address': 'jm1',
    'jobmanager.memory.process.size': '1600m',
    'taskmanager.memory.process.size': '1728m',
    'taskmanager.numberOfTaskSlots': '1',
    'parallelism.default': '1',
    'high-availability': 'zookeeper',
    'high-availability.storageDir': 'hdfs:///flink/ha/',
    'high-availability.zookeeper.quorum': 'zk1:2181,zk2:2181,zk3:2181',
    'high-availability.cluster-id': '/prod',
    ...lines,
  }
  return Object.entries(base).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n'
}
const run = (version: string, lines: Record<string, string | null>, target?: 'yarn') =>
  validate({[confFile(version)]: conf(lines)}, {version, target}).findings

describe('the HA switch through its old names', () => {
  for (const version of VERSIONS) {
    for (const key of ['high-availability.type', 'high-availability', 'recovery.mode']) {
      if (key === 'high-availability.type' && version.startsWith('1.16')) continue // HA-TYPE-VERSION's case
      const sw = {'high-availability': null, [key]: 'zookeeper'}
      it(`${key} on ${version}: storage and quorum are required, and the message names the switch`, () => {
        const storage = only(run(version, {...sw, 'high-availability.storageDir': null}), 'HA-STORAGE-DIR')
        const quorum = only(run(version, {...sw, 'high-availability.zookeeper.quorum': null}), 'HA-QUORUM')
        assert.equal(storage.length, 1, show(storage))
        assert.equal(quorum.length, 1, show(quorum))
        for (const f of [...storage, ...quorum]) {
          if (key === canonicalSwitch(version)) assert.doesNotMatch(f.message, /old key/)
          else assert.match(f.message, new RegExp(`old key '${key.replace('.', '\\.')}: zookeeper'`))
        }
        // the old names of the storage dir and quorum are listed as not set either
        assert.match(storage[0]!.message, /high-availability\.zookeeper\.storageDir, recovery\.zookeeper\.storageDir/)
        assert.match(quorum[0]!.message, /recovery\.zookeeper\.quorum/)
      })
    }
    it(`recovery.mode: standalone on ${version} is HA off: no HA check runs`, () => {
      const f = run(version, {'high-availability': null, 'recovery.mode': 'standalone', 'high-availability.storageDir': null})
      assert.deepEqual(only(f, 'HA-STORAGE-DIR'), [])
      assert.deepEqual(only(f, 'HA-QUORUM'), [])
    })
  }
})

describe('storage, quorum and cluster-id through their old names', () => {
  for (const version of VERSIONS) {
    for (const key of ['high-availability.storageDir', 'high-availability.zookeeper.storageDir', 'recovery.zookeeper.storageDir']) {
      const note = key === 'high-availability.storageDir' ? undefined : `set as '${key}'`
      it(`${key} on ${version}: seen (no HA-STORAGE-DIR), local → HA-STORAGE-LOCAL, relative → HA-STORAGE-URI, naming ${key}`, () => {
        assert.deepEqual(only(run(version, {'high-availability.storageDir': null, [key]: 'hdfs:///flink/ha'}), 'HA-STORAGE-DIR'), [])
        const local = only(run(version, {'high-availability.storageDir': null, [key]: 'file:///var/flink/ha'}), 'HA-STORAGE-LOCAL')
        assert.equal(local.length, 1, show(local))
        assert.equal(local[0]!.key, key)
        if (note) assert.ok(local[0]!.message.includes(note), local[0]!.message)
        const uri = only(run(version, {'high-availability.storageDir': null, [key]: 'flink/ha'}), 'HA-STORAGE-URI')
        assert.equal(uri.length, 1, show(uri))
        assert.ok(uri[0]!.message.startsWith(key), uri[0]!.message)
        assert.equal(uri[0]!.hint.startsWith(`write ${key}: hdfs:///flink/ha`), true, uri[0]!.hint)
      })
    }
    for (const key of ['high-availability.zookeeper.quorum', 'recovery.zookeeper.quorum']) {
      it(`${key} on ${version}: seen, and a malformed one is reported under that name`, () => {
        assert.deepEqual(only(run(version, {'high-availability.zookeeper.quorum': null, [key]: 'zk1:2181,zk2:2181,zk3:2181'}), 'HA-QUORUM'), [])
        const bad = only(run(version, {'high-availability.zookeeper.quorum': null, [key]: 'zk1:2181;zk2:2181'}), 'HA-QUORUM')
        assert.ok(bad.length > 0 && bad.every((f) => f.key === key), show(bad))
        if (key.startsWith('recovery')) assert.ok(bad[0]!.message.includes(`set as '${key}'`), bad[0]!.message)
      })
    }
    for (const key of ['high-availability.cluster-id', 'high-availability.zookeeper.path.namespace', 'recovery.zookeeper.path.namespace']) {
      it(`${key} on ${version}: /default is reported under that name, a unique id is seen`, () => {
        assert.deepEqual(only(run(version, {'high-availability.cluster-id': null, [key]: '/prod'}), 'HA-CLUSTER-ID'), [])
        const d = only(run(version, {'high-availability.cluster-id': null, [key]: '/default'}), 'HA-CLUSTER-ID')
        assert.equal(d.length, 1, show(d))
        assert.equal(d[0]!.key, key)
        if (key !== 'high-availability.cluster-id') assert.ok(d[0]!.message.includes(`set as '${key}'`), d[0]!.message)
        const yarn = only(run(version, {'high-availability.cluster-id': null, [key]: '/prod'}, 'yarn'), 'HA-CLUSTER-ID')
        assert.equal(yarn[0]?.key, key, show(yarn))
        assert.ok(yarn[0]!.hint.startsWith(`remove ${key}`))
      })
    }
  }

  it('the canonical key wins over an old name, as in Flink: a local old name behind a shared canonical one is not reported', () => {
    const f = run('1.20.0', {'recovery.zookeeper.storageDir': 'file:///var/flink/ha'})
    assert.deepEqual(only(f, 'HA-STORAGE-LOCAL'), [])
  })
})
