// Property test (issue 13, "malformed files never crash"): whatever bytes a conf file holds,
// validation as `flinkctl validate` runs it ends with a result (ok, or findings) or a
// ConfigError (exit 3), never another exception. The heavy shapes at full size, and the same
// through the real binary with time and memory bounds, are in heavy.test.ts.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {announce, assertWellFormed, fileBytes, type FileKind, KINDS, newDir, runs, SEED, validateCase, VERSIONS, writeCase} from './gen.ts'

announce('conf-files')

/** Cases per file kind in the default run: 2,000 in all, plus the combined ones below. */
const PER_KIND: Record<FileKind, number> = {
  'config.yaml': 500, 'flink-conf.yaml': 400, masters: 200, workers: 200, slaves: 100, 'zoo.cfg': 300, 'yarn-site.xml': 300,
}

const show = (b: Buffer) => JSON.stringify(b.subarray(0, 120).toString('latin1'))

describe(`every conf file survives arbitrary bytes (seed ${SEED})`, () => {
  KINDS.forEach((kind, k) => {
    it(`${kind}: ${runs(PER_KIND[kind])} cases`, () => {
      const dir = newDir()
      let counted = 0
      fc.assert(fc.property(fileBytes(kind), fc.constantFrom(...VERSIONS[kind]), (bytes, version) => {
        writeCase(dir, kind, bytes)
        counted++
        assertWellFormed(validateCase(dir, kind, version), `${kind} (Flink ${version}, ${bytes.length} bytes): ${show(bytes)}`)
      }), {seed: SEED + k, numRuns: runs(PER_KIND[kind])})
      assert.ok(counted >= runs(PER_KIND[kind]))
    })
  })

  it(`several fuzzed files in one conf dir: ${runs(100)} cases`, () => {
    const dir = newDir()
    const kinds: FileKind[] = ['config.yaml', 'masters', 'workers', 'zoo.cfg']
    fc.assert(fc.property(fc.tuple(...kinds.map((kind) => fileBytes(kind))), fc.constantFrom('2.3.0', '1.20.0'), (files, version) => {
      writeCase(dir, 'config.yaml', files[0]!)
      files.forEach((bytes, i) => writeFileSync(join(dir, kinds[i]!), bytes))
      assertWellFormed(validateCase(dir, 'config.yaml', version), `conf dir (Flink ${version}): ${files.map(show).join(' | ')}`)
    }), {seed: SEED + 100, numRuns: runs(100)})
  })
})
