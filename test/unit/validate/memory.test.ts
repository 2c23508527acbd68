// Issue 14: process size and Flink size both set. Flink then derives JVM overhead as process − flink − metaspace
// and refuses to start when it falls outside [jvm-overhead.min, jvm-overhead.max] ("Set up Flink's memory":
// configuring both "may lead to deployment failures due to potential memory configuration conflicts").
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {only, show, validate} from './kit.ts'

// Flink's shipped template sets both process sizes; the flink sizes are what people add from the memory docs.
const TEMPLATE = 'jobmanager.rpc.address: localhost\njobmanager.memory.process.size: 1600m\ntaskmanager.memory.process.size: 1728m\ntaskmanager.numberOfTaskSlots: 1\n'
const mem = (extra: string, version = '1.20.0', target?: 'yarn') =>
  only(validate({'conf/flink-conf.yaml': TEMPLATE + extra}, {version, target}).findings, 'MEM-BOTH-SIZES')

describe('MEM-BOTH-SIZES', () => {
  it('the template\'s 1728m process size plus a 4096m Flink size: negative overhead, an error Flink also raises at start', () => {
    const f = mem('taskmanager.memory.flink.size: 4096m\n')
    assert.equal(f.length, 1, show(f))
    assert.equal(f[0]!.severity, 'error')
    assert.equal(f[0]!.line, 5)
    assert.match(f[0]!.message, /−2624m, outside the overhead range 192m–1g, so the TaskManager refuses to start/)
  })
  it('jobmanager 1600m process with the docs\' 1280m flink size: 64m overhead is below the 192m minimum', () => {
    const f = mem('jobmanager.memory.flink.size: 1280m\n')
    assert.equal(f[0]?.severity, 'error', show(f))
    assert.match(f[0]!.message, /= 64m, outside/)
  })
  it('sizes that leave an overhead in range: a warning that the overhead is pinned to their difference', () => {
    const f = mem('taskmanager.memory.flink.size: 1216m\n')
    assert.equal(f[0]?.severity, 'warning', show(f))
    assert.match(f[0]!.message, /\(256m\) instead of from taskmanager\.memory\.jvm-overhead\.fraction/)
  })
  it('a raised jvm-overhead.max is taken into account', () => {
    const base = 'taskmanager.memory.process.size: 8g\ntaskmanager.memory.flink.size: 6g\n'
    assert.equal(only(validate({'conf/config.yaml': base}, {version: '2.3.0'}).findings, 'MEM-BOTH-SIZES')[0]?.severity, 'error')
    assert.equal(only(validate({'conf/config.yaml': base + 'taskmanager.memory.jvm-overhead.max: 2g\n'}, {version: '2.3.0'}).findings, 'MEM-BOTH-SIZES')[0]?.severity, 'warning')
  })
  it('taskmanager.heap.size (1.x) counts as the Flink size of a standalone TaskManager, not on YARN nor on 2.x', () => {
    const f = mem('taskmanager.heap.size: 1024m\n')
    assert.equal(f.length, 1, show(f))
    assert.match(f[0]!.message, /taskmanager\.heap\.size 1024m are both set/)
    assert.deepEqual(mem('taskmanager.heap.size: 1024m\n', '1.20.0', 'yarn'), [])
    assert.deepEqual(only(validate({'conf/config.yaml': 'taskmanager.memory.process.size: 1728m\ntaskmanager.heap.size: 1024m\n'}, {version: '2.3.0'}).findings, 'MEM-BOTH-SIZES'), [])
  })
  it('a size Flink cannot parse (1.5G, CONF-TYPE) does not hide that both are set', () => {
    const f = mem('jobmanager.memory.flink.size: 1.5G\n')
    assert.equal(f.length, 1, show(f))
    assert.match(f[0]!.message, /jobmanager\.memory\.process\.size 1600m and jobmanager\.memory\.flink\.size 1\.5G are both set/)
  })
  it('one size per process is fine', () => {
    assert.deepEqual(mem(''), [])
  })
})
