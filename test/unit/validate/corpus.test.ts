import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import type {Finding} from '../../../src/lib/conf/types.ts'
import {LOADER_RULES, RULES, validateCluster} from '../../../src/lib/validate/index.ts'

// Real configuration files from public repositories (test/fixtures/real/SOURCES.md), with the
// mistakes a reader verified against Flink's source for the version each targets.
const ROOT = new URL('../../fixtures/real/', import.meta.url).pathname

interface Mistake {
  key: string
  rule: string | null
  what: string
  /** Other keys a finding for the same mistake may name (process.size vs flink.size). */
  alsoKeys?: string[]
  /** The finding names no key (a skipped line): match on the rule alone. */
  anyKey?: boolean
}
interface Expected {
  dir: string
  flinkVersion: string | null
  mistakes: Mistake[]
  clean: boolean
  target?: 'standalone' | 'yarn'
}

const expected = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Expected[]
const registered = new Set([...RULES.map((r) => r.id), ...LOADER_RULES.map((r) => r.id)])

function findingsOf(e: Expected): Finding[] {
  // an empty env: the machine's HADOOP_CONF_DIR or FLINK_HOME must not leak into the verdict
  const conf = loadCluster({confDir: join(ROOT, e.dir), env: {}, ...(e.flinkVersion ? {flinkVersion: e.flinkVersion} : {})})
  return validateCluster(conf, [], e.target ?? 'standalone').findings
}

const matches = (m: Mistake, f: Finding): boolean =>
  f.rule === m.rule && (m.anyKey === true || f.key === m.key || (m.alsoKeys ?? []).includes(f.key ?? ''))

interface Outcome {
  dir: string
  mistake: Mistake
  status: 'found' | 'missed' | 'pending' | 'no-rule'
}

function score() {
  const outcomes: Outcome[] = []
  const falseErrors: Array<{dir: string; finding: Finding}> = []
  for (const e of expected) {
    const findings = findingsOf(e)
    for (const m of e.mistakes) {
      const status = m.rule === null ? 'no-rule' : !registered.has(m.rule) ? 'pending' : findings.some((f) => matches(m, f)) ? 'found' : 'missed'
      outcomes.push({dir: e.dir, mistake: m, status})
    }
    if (e.clean) for (const f of findings) if (f.severity === 'error') falseErrors.push({dir: e.dir, finding: f})
  }
  return {outcomes, falseErrors}
}

describe('corpus of real Flink configuration files', () => {
  const {outcomes, falseErrors} = score()
  const by = (s: Outcome['status']) => outcomes.filter((o) => o.status === s)
  const known = outcomes.filter((o) => o.status !== 'no-rule')

  it('has every fixture listed in expected.json, each with a config file', () => {
    assert.ok(expected.length >= 30, `${expected.length} fixtures`)
    for (const e of expected) {
      const dir = join(ROOT, e.dir)
      assert.ok(existsSync(join(dir, 'flink-conf.yaml')) || existsSync(join(dir, 'config.yaml')), `${e.dir}: no config file`)
      assert.equal(e.clean, e.mistakes.length === 0, `${e.dir}: clean must mean no listed mistake`)
    }
  })

  it('reports its score', () => {
    const lines = [
      `corpus: ${expected.length} fixtures, ${known.length} known mistakes with a rule id, ${by('no-rule').length} with none`,
      `found ${by('found').length}/${known.length}; missed ${by('missed').length}; pending (rule not registered yet) ${by('pending').length}; false errors on clean files ${falseErrors.length}`,
      ...by('missed').map((o) => `  missed  ${o.mistake.rule} ${o.mistake.key} in ${o.dir}: ${o.mistake.what}`),
      ...by('pending').map((o) => `  pending ${o.mistake.rule} ${o.mistake.key} in ${o.dir}`),
      ...falseErrors.map(({dir, finding: f}) => `  false error ${f.rule} ${f.key ?? ''} in ${dir}: ${f.message}`),
    ]
    console.log(lines.join('\n'))
    assert.equal(known.length, by('found').length + by('missed').length + by('pending').length)
  })

  it('finds every known mistake whose rule is registered', () => {
    const missed = by('missed').map((o) => `${o.dir}: ${o.mistake.rule} ${o.mistake.key} (${o.mistake.what})`)
    assert.deepEqual(missed, [])
  })

  it('names only rules the validator has (a renamed rule id must not turn a mistake into "pending")', () => {
    assert.deepEqual(by('pending').map((o) => `${o.dir}: ${o.mistake.rule}`), [])
  })

  it('raises no error on a clean real file', () => {
    const errors = falseErrors.map(({dir, finding: f}) => `${dir}: ${f.rule} ${f.key ?? ''}: ${f.message}`)
    assert.deepEqual(errors, [])
  })
})
