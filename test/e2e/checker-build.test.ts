// The checker job for real (no root, no cluster): for each ground Flink home, Maven builds the jar
// from templates/checker into a private cache (the second call reuses it), then the bounded job
// runs in a local MiniCluster on the home's lib/ and prints its counts per subtask: clean, with
// records dropped (counted lost) and with records repeated (counted doubled).
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {CHECKER_MAIN_CLASS, checkerJar, checkerSourceHash} from '../../src/lib/job/checker.ts'
import {writeTree} from '../helpers/fixtures.ts'
import {assertHomeBuilt, groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'

const RECORDS = 2000
const KEYS = 8
const PARALLELISM = 2

/** JDK 17 needs Flink's --add-opens/--add-exports; the shipped conf has the list. */
const javaOpts = (): string[] => {
  const line = /^env\.java\.opts\.all:\s*(.+)$/m.exec(readFileSync(join(repoRoot, 'conf/config.yaml'), 'utf8'))
  return line ? line[1]!.trim().split(/\s+/) : []
}

interface Count {subtask: number; emitted: number; lost: number; doubled: number; reordered: number; keys: number; generation: number}

function runLocal(home: string, jar: string, extra: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  const args = ['-Xmx256m', ...javaOpts(), '-cp', `${join(home, 'lib')}/*:${jar}`, CHECKER_MAIN_CLASS,
    '--records', String(RECORDS), '--rate', '5000', '--keys', String(KEYS), '--parallelism', String(PARALLELISM), ...extra]
  return new Promise((resolve) => execFile('java', args, {timeout: 180_000, maxBuffer: 16 << 20}, (err, stdout, stderr) =>
    resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr})))
}

function counts(stdout: string): Count[] {
  const out: Count[] = []
  for (const m of stdout.matchAll(/^checker subtask=(\d+) emitted=(\d+) lost=(\d+) doubled=(\d+) reordered=(\d+) keys=(\d+) generation=(\d+)$/gm)) {
    const [subtask, emitted, lost, doubled, reordered, keys, generation] = m.slice(1).map(Number) as [number, number, number, number, number, number, number]
    out.push({subtask, emitted, lost, doubled, reordered, keys, generation})
  }
  return out.sort((a, b) => a.subtask - b.subtask)
}

function total(cs: Count[]): Omit<Count, 'subtask'> {
  const sum = (k: keyof Count) => cs.reduce((s, c) => s + c[k], 0)
  return {emitted: sum('emitted'), lost: sum('lost'), doubled: sum('doubled'), reordered: sum('reordered'), keys: sum('keys'), generation: Math.max(...cs.map((c) => c.generation))}
}

for (const h of groundFlinkHomes()) {
  describe(`checker job, Flink ${h.version}`, {timeout: 900_000}, () => {
    const cache = writeTree({})
    const env = {...process.env, XDG_CACHE_HOME: cache}
    let jar = ''

    it('builds the jar with Maven into the cache, then reuses it', async () => {
      assertHomeBuilt(h)
      const first = await checkerJar({flinkVersion: h.version, env})
      assert.equal(first.cached, false)
      assert.equal(first.version, h.version)
      assert.equal(first.sourceHash, checkerSourceHash())
      assert.equal(first.path, join(cache, 'flinkctl/checker', `${h.version}-${first.sourceHash.slice(0, 12)}`, 'flinkctl-checker.jar'))
      // Flink is provided by the home: the jar holds only the checker's few classes
      assert.ok(statSync(first.path).size < 100_000, `the jar is ${statSync(first.path).size} bytes: does it bundle Flink?`)
      const second = await checkerJar({flinkVersion: h.version, env})
      assert.deepEqual(second, {...first, cached: true})
      jar = first.path
    })

    const cases: [string, string[], Omit<Count, 'subtask'>][] = [
      ['clean', [], {emitted: RECORDS, lost: 0, doubled: 0, reordered: 0, keys: KEYS, generation: 0}],
      ['--drop-every 100', ['--drop-every', '100'], {emitted: RECORDS - 20, lost: 20, doubled: 0, reordered: 0, keys: KEYS, generation: 0}],
      ['--repeat-every 100', ['--repeat-every', '100'], {emitted: RECORDS + 20, lost: 0, doubled: 20, reordered: 0, keys: KEYS, generation: 0}],
    ]
    for (const [name, extra, want] of cases) {
      it(`runs bounded in a local MiniCluster (${name}) and counts exactly`, async () => {
        assert.ok(jar, 'the build failed')
        const r = await runLocal(h.home, jar, extra)
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.split('\n').slice(-30).join('\n')}`)
        const cs = counts(r.stdout)
        assert.deepEqual(cs.map((c) => c.subtask), [0, 1], `one line per subtask expected:\n${r.stdout}`)
        assert.deepEqual(total(cs), want)
      })
    }
  })
}
