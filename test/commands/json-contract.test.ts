// Every command's --json output holds to the published zod schemas (src/lib/output/schemas.ts).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {configResultSchema, errorEnvelopeSchema, findingSchema, plansResultSchema, successEnvelopeSchema, validateResultSchema} from '../../src/lib/output/schemas.ts'
import {writeTree} from '../helpers/fixtures.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const json = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args, '--json'], {cwd: root, encoding: 'utf8', env: {...process.env, USER: 'flink'}})
  return {code: r.status, doc: JSON.parse(r.stdout) as unknown}
}

describe('--json contracts', () => {
  const home = writeTree({'lib/flink-dist-2.3.0.jar': '', 'conf/config.yaml': 'jobmanager.memory.process.size: 1g\ntaskmanager.memory.process.size: 1g\nrest.port: 8x\n', 'conf/workers': 'tm1\n'})

  it('validate: success and failure envelopes', () => {
    const ok = json(['validate', '-c', 'conf'])
    assert.equal(ok.code, 0)
    successEnvelopeSchema(validateResultSchema).parse(ok.doc)
    const bad = json(['validate', '-c', join(home, 'conf')])
    assert.equal(bad.code, 3)
    const doc = errorEnvelopeSchema.parse(bad.doc)
    const findings = validateResultSchema.parse(doc.error.details).clusters[0]!.findings
    assert.ok(findings.some((f) => findingSchema.parse(f).rule === 'CONF-TYPE' && f.line === 3))
  })

  it('config and dry-run plans', () => {
    const c = json(['config', '-c', 'conf', '--defaults'])
    assert.equal(c.code, 0)
    const values = successEnvelopeSchema(configResultSchema).parse(c.doc).result.values
    assert.ok(values.some((v) => v.source.kind === 'default'), 'defaults come from the generated option catalog')
    // an invalid configuration is refused before any plan is made (rest.port: 8x)
    const refused = json(['taskmanager', 'start', '--dry-run', '--flink-home', home])
    assert.equal(refused.code, 3)
    assert.equal(errorEnvelopeSchema.parse(refused.doc).error.code, 'CONFIG_INVALID')
    const good = writeTree({'lib/flink-dist-2.3.0.jar': '', 'conf/config.yaml': 'jobmanager.memory.process.size: 1g\ntaskmanager.memory.process.size: 1g\n', 'conf/workers': 'tm1\n'})
    const p = json(['taskmanager', 'start', '--dry-run', '--flink-home', good])
    assert.equal(p.code, 0)
    successEnvelopeSchema(plansResultSchema).parse(p.doc)
  })

  it('yarn-session without Hadoop is refused before anything is submitted, naming the rule', () => {
    const conf = writeTree({'lib/flink-dist-2.3.0.jar': '', 'conf/config.yaml': 'jobmanager.memory.process.size: 1g\ntaskmanager.memory.process.size: 1g\n'})
    const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'yarn-session', '-d', '-jm', '1024m', '--flink-home', conf, '--json'],
      {cwd: root, encoding: 'utf8', env: {PATH: '/nonexistent', HOME: process.env.HOME, NO_COLOR: '1'}})
    assert.equal(r.status, 3, r.stderr)
    const doc = errorEnvelopeSchema.parse(JSON.parse(r.stdout))
    assert.equal(doc.error.code, 'CONFIG_INVALID')
    assert.match(doc.error.message, /HADOOP_CLASSPATH is not set and there is no `hadoop` command on PATH.*\[YARN-HADOOP\]/)
  })

  it('yarn-session list needs no Flink configuration, only where the ResourceManager is', () => {
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'yarn-session', 'list', ...args, '--json'], {cwd: root, encoding: 'utf8', env: {PATH: process.env.PATH, HOME: process.env.HOME}})
      return {code: r.status, doc: errorEnvelopeSchema.parse(JSON.parse(r.stdout))}
    }
    const unknown = run([])
    assert.equal(unknown.code, 3)
    assert.equal(unknown.doc.error.code, 'YARN_RM_UNKNOWN')
    assert.match(unknown.doc.error.hint ?? '', /HADOOP_CONF_DIR.*--rm-url/)
    const down = run(['--rm-url', 'http://127.0.0.1:9'])
    assert.equal(down.code, 6)
    assert.equal(down.doc.error.code, 'YARN_RM_UNREACHABLE')
  })

  it('usage and internal errors keep the envelope', () => {
    const usage = json(['jobmanager', 'launch', '--flink-home', home])
    assert.equal(usage.code, 2)
    assert.equal(errorEnvelopeSchema.parse(usage.doc).error.exit, 2)
  })
})
