// flinkctl's TypeScript memory model against Flink's own BashJavaUtils, from the real jars of the
// test ground, for every configuration below and both Flink versions: the two result lines must
// be equal token by token (and a configuration Flink rejects must be rejected by flinkctl too).
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {parseFlinkVersion} from '../../src/lib/conf/version.ts'
import {jobManagerResourceParams, taskManagerResourceParams} from '../../src/lib/launch/memory/index.ts'
import {assertHomeBuilt, groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'

type Kind = 'JM' | 'TM'
interface Case {
  name: string
  kind: Kind
  conf: Record<string, string>
  /** Extra `-D k=v` arguments, as jobmanager.sh/taskmanager.sh would pass them. */
  dynamic?: Record<string, string>
  /** Only for this major line (legacy keys were removed in 2.0). */
  only?: 1 | 2
}

const JM: Case[] = [
  {name: 'default 1600m', kind: 'JM', conf: {'jobmanager.memory.process.size': '1600m'}},
  {name: 'test size 768m', kind: 'JM', conf: {'jobmanager.memory.process.size': '768m'}},
  {name: 'total flink size', kind: 'JM', conf: {'jobmanager.memory.flink.size': '1280m'}},
  {name: 'explicit heap', kind: 'JM', conf: {'jobmanager.memory.heap.size': '1g'}},
  {name: 'heap and off-heap', kind: 'JM', conf: {'jobmanager.memory.heap.size': '700m', 'jobmanager.memory.off-heap.size': '200m'}},
  {name: 'process and heap', kind: 'JM', conf: {'jobmanager.memory.process.size': '2g', 'jobmanager.memory.heap.size': '1g'}},
  {name: 'small metaspace', kind: 'JM', conf: {'jobmanager.memory.process.size': '1g', 'jobmanager.memory.jvm-metaspace.size': '128m'}},
  {name: 'overhead fraction clamps at min', kind: 'JM', conf: {'jobmanager.memory.process.size': '900m', 'jobmanager.memory.jvm-overhead.min': '300m'}},
  {name: 'overhead fraction clamps at max', kind: 'JM', conf: {'jobmanager.memory.process.size': '16g', 'jobmanager.memory.jvm-overhead.max': '512m'}},
  {name: 'overhead fixed by min=max', kind: 'JM', conf: {'jobmanager.memory.process.size': '1g', 'jobmanager.memory.jvm-overhead.min': '150m', 'jobmanager.memory.jvm-overhead.max': '150m'}},
  {name: 'direct memory limit on', kind: 'JM', conf: {'jobmanager.memory.process.size': '1600m', 'jobmanager.memory.enable-jvm-direct-memory-limit': 'true'}},
  {name: 'odd byte sizes', kind: 'JM', conf: {'jobmanager.memory.process.size': '1000000000b'}},
  {name: '-D overrides the file', kind: 'JM', conf: {'jobmanager.memory.process.size': '1600m'}, dynamic: {'jobmanager.memory.process.size': '1g'}},
  {name: 'legacy jobmanager.heap.size', kind: 'JM', conf: {'jobmanager.heap.size': '1g'}, only: 1},
  {name: 'legacy jobmanager.heap.mb', kind: 'JM', conf: {'jobmanager.heap.mb': '1024'}, only: 1},
  {name: 'nothing set fails', kind: 'JM', conf: {}},
  {name: 'heap larger than process fails', kind: 'JM', conf: {'jobmanager.memory.process.size': '1g', 'jobmanager.memory.heap.size': '2g'}},
]

const TM: Case[] = [
  {name: 'default 1728m, 1 slot', kind: 'TM', conf: {'taskmanager.memory.process.size': '1728m', 'taskmanager.numberOfTaskSlots': '1'}},
  {name: 'test size 1g, 2 slots', kind: 'TM', conf: {'taskmanager.memory.process.size': '1g', 'taskmanager.numberOfTaskSlots': '2'}},
  {name: 'total flink size', kind: 'TM', conf: {'taskmanager.memory.flink.size': '1280m'}},
  {name: 'task heap and managed', kind: 'TM', conf: {'taskmanager.memory.task.heap.size': '512m', 'taskmanager.memory.managed.size': '256m'}},
  {name: 'fixed network min=max', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.memory.network.min': '64m', 'taskmanager.memory.network.max': '64m'}},
  {name: 'network fraction clamps at max', kind: 'TM', conf: {'taskmanager.memory.process.size': '4g', 'taskmanager.memory.network.fraction': '0.4', 'taskmanager.memory.network.max': '300m'}},
  {name: 'network fraction clamps at min', kind: 'TM', conf: {'taskmanager.memory.process.size': '1g', 'taskmanager.memory.network.min': '200m'}},
  {name: 'managed fraction', kind: 'TM', conf: {'taskmanager.memory.process.size': '3g', 'taskmanager.memory.managed.fraction': '0.55'}},
  {name: 'no managed memory', kind: 'TM', conf: {'taskmanager.memory.process.size': '1g', 'taskmanager.memory.managed.size': '0'}},
  {name: 'four slots', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.numberOfTaskSlots': '4'}},
  {name: 'explicit cpu cores', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.cpu.cores': '2.5'}},
  {name: 'framework heap and off-heap', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.memory.framework.heap.size': '256m', 'taskmanager.memory.framework.off-heap.size': '64m'}},
  {name: 'task off-heap', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.memory.task.off-heap.size': '100m'}},
  {name: 'overhead fraction and min', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.memory.jvm-overhead.fraction': '0.2', 'taskmanager.memory.jvm-overhead.min': '256m'}},
  {name: 'large metaspace', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.memory.jvm-metaspace.size': '512m'}},
  {name: 'everything explicit', kind: 'TM', conf: {'taskmanager.memory.task.heap.size': '300m', 'taskmanager.memory.managed.size': '200m', 'taskmanager.memory.network.min': '100m', 'taskmanager.memory.network.max': '100m', 'taskmanager.memory.framework.heap.size': '128m'}},
  {name: 'flink size with task heap and managed', kind: 'TM', conf: {'taskmanager.memory.flink.size': '1500m', 'taskmanager.memory.task.heap.size': '600m', 'taskmanager.memory.managed.size': '400m'}},
  {name: 'odd byte sizes', kind: 'TM', conf: {'taskmanager.memory.process.size': '1234567890b'}},
  {name: '-D slots and size', kind: 'TM', conf: {'taskmanager.memory.process.size': '1728m'}, dynamic: {'taskmanager.numberOfTaskSlots': '3', 'taskmanager.memory.process.size': '1g'}},
  {name: 'legacy taskmanager.heap.size', kind: 'TM', conf: {'taskmanager.heap.size': '1g'}, only: 1},
  {name: 'legacy taskmanager.heap.mb', kind: 'TM', conf: {'taskmanager.heap.mb': '1536'}, only: 1},
  {name: 'legacy network fraction key', kind: 'TM', conf: {'taskmanager.memory.process.size': '2g', 'taskmanager.network.memory.fraction': '0.15'}, only: 1},
  {name: 'nothing set fails', kind: 'TM', conf: {}},
  {name: 'parts larger than total fails', kind: 'TM', conf: {'taskmanager.memory.flink.size': '500m', 'taskmanager.memory.task.heap.size': '600m'}},
]

const homes = groundFlinkHomes()
const work = mkdtempSync(join(tmpdir(), 'flinkctl-parity-'))
after(() => rmSync(work, {recursive: true, force: true}))

function harnessClasses(): string {
  const dir = join(work, 'classes')
  mkdirSync(dir, {recursive: true})
  execFileSync('javac', ['-d', dir, join(repoRoot, 'test/e2e/parity/BashJavaUtilsBatch.java')])
  return dir
}

/** Runs every case through the real BashJavaUtils of one home, in one JVM. */
function runBashJavaUtils(home: string, version: string, classes: string, cases: Case[]): Map<string, {lines: string[]; error?: string}> {
  const input: string[] = []
  cases.forEach((c, i) => {
    const dir = join(work, `${version}-${i}`)
    mkdirSync(dir, {recursive: true})
    // flat dotted keys are valid standard YAML, read alike by 1.20 and 2.x
    writeFileSync(join(dir, 'config.yaml'), Object.entries(c.conf).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n')
    const dyn = Object.entries(c.dynamic ?? {}).flatMap(([k, v]) => ['-D', `${k}=${v}`])
    input.push([String(i), c.kind === 'JM' ? 'GET_JM_RESOURCE_PARAMS' : 'GET_TM_RESOURCE_PARAMS', '--configDir', dir, ...dyn].join('\t'))
  })
  const cp = [join(home, 'bin/bash-java-utils.jar'), join(home, `lib/flink-dist-${version}.jar`), classes].join(':')
  const r = spawnSync('java', ['-cp', cp, 'BashJavaUtilsBatch'], {input: input.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20})
  assert.equal(r.status, 0, r.stderr)
  const out = new Map<string, {lines: string[]; error?: string}>()
  let current: {lines: string[]; error?: string} | undefined
  for (const line of r.stdout.split('\n')) {
    const head = /^=== (.+)$/.exec(line)
    if (head) {
      current = {lines: []}
      out.set(head[1]!, current)
    } else if (line.startsWith('!!! ') && current) current.error = line.slice(4)
    else if (line !== '' && current) current.lines.push(line)
  }
  return out
}

function tokens(a: string, b: string): string | undefined {
  const x = a.trim().split(/\s+/)
  const y = b.trim().split(/\s+/)
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `token ${i}: flinkctl '${x[i]}' vs Flink '${y[i]}'`
  return undefined
}

for (const {version, home} of homes) {
  describe(`memory model parity with BashJavaUtils, Flink ${version}`, () => {
    const major = Number(version.split('.')[0])
    const cases = [...JM, ...TM].filter((c) => c.only === undefined || c.only === major)
    let results: Map<string, {lines: string[]; error?: string}>
    before(() => {
      assertHomeBuilt({version, home})
      results = runBashJavaUtils(home, version, harnessClasses(), cases)
    })

    it(`covers at least 30 configurations`, () => assert.ok(cases.length >= 30, String(cases.length)))

    cases.forEach((c, i) => {
      it(`${c.kind} ${c.name}`, () => {
        const flink = results.get(String(i))
        assert.ok(flink, 'BashJavaUtils gave no answer for this case')
        const config = new Map(Object.entries({...c.conf, ...c.dynamic}))
        const input = {config, version: parseFlinkVersion(version, 'flag')}
        const compute = () => (c.kind === 'JM' ? jobManagerResourceParams(input) : taskManagerResourceParams(input))
        if (flink.error || flink.lines.length < 2) {
          assert.throws(compute, `Flink rejects this configuration (${flink.error ?? flink.lines.join(' | ')}), so must flinkctl`)
          return
        }
        const ours = compute()
        assert.equal(tokens(ours.jvmParams, flink.lines[0]!), undefined, `JVM params differ: ${ours.jvmParams} vs ${flink.lines[0]}`)
        assert.equal(tokens(ours.dynamicConfigs, flink.lines[1]!), undefined, `dynamic configs differ: ${ours.dynamicConfigs} vs ${flink.lines[1]}`)
        assert.equal(ours.jvmParams, flink.lines[0])
        assert.equal(ours.dynamicConfigs, flink.lines[1])
      })
    })
  })
}
