// Inputs for the conf-file fuzz tests: a fixed seed (FLINKCTL_FUZZ_SEED replays another one),
// FLINKCTL_FUZZ_RUNS multiplies the case counts, generators for every file flinkctl reads.
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import assert from 'node:assert/strict'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after} from 'node:test'
import fc from 'fast-check'
import {ConfigError, ExitCode} from '../../../src/lib/errors.ts'
import {validateConfDirs, type ValidateOutcome} from '../../../src/lib/validate/run.ts'

export const SEED = Number(process.env.FLINKCTL_FUZZ_SEED ?? 1913)
export const FACTOR = Number(process.env.FLINKCTL_FUZZ_RUNS ?? 1)
if (!Number.isInteger(SEED) || !(FACTOR > 0)) throw new Error('FLINKCTL_FUZZ_SEED must be an integer and FLINKCTL_FUZZ_RUNS a positive number')
export const runs = (n: number): number => Math.max(1, Math.round(n * FACTOR))
export const announce = (what: string): void => console.log(`# ${what}: fuzz seed ${SEED} (replay with FLINKCTL_FUZZ_SEED=${SEED}), runs x${FACTOR}`)

const root = new URL('../../../', import.meta.url)
const read = (p: string) => readFileSync(new URL(p, root))

/** The files of flinkctl's example cluster: companions of the file under test, and seeds to mutate. */
export const REPO_CONF: Record<string, Buffer> = Object.fromEntries(['config.yaml', 'masters', 'workers', 'zoo.cfg'].map((f) => [f, read(`conf/${f}`)]))

const YARN_SITE = `<?xml version="1.0"?>
<configuration>
  <!-- scheduler limits -->
  <property><name>yarn.resourcemanager.am.max-attempts</name><value>4</value></property>
  <property>
    <name>yarn.scheduler.maximum-allocation-mb</name>
    <value>\${yarn.nodemanager.resource.memory-mb}</value>
  </property>
  <property><name>yarn.nodemanager.resource.memory-mb</name><value>8192</value></property>
  <property><name>yarn.scheduler.maximum-allocation-vcores</name><value>4</value></property>
</configuration>
`

/** Real files per kind: the example cluster, the init templates and fixtures like the rule tests'. */
export const SEEDS: Record<FileKind, Buffer[]> = {
  'config.yaml': [REPO_CONF['config.yaml']!, read('templates/config.yaml.tmpl'),
    Buffer.from('high-availability:\n  type: zookeeper\n  zookeeper:\n    quorum: "zk1:2181,zk2:2181"\npipeline.jars:\n  - file:///a.jar\nenv.java.opts.all: [-Da=1, -Db=2]\nmetrics.reporter.prom.filter.includes: {a: 1}\n')],
  'flink-conf.yaml': [read('templates/flink-conf.yaml.tmpl'),
    Buffer.from('high-availability: zookeeper\nhigh-availability.storageDir: file:///tmp/ha # shared: NFS\nrest.port: 8081\nrecovery.mode: zookeeper\n')],
  masters: [REPO_CONF.masters!, Buffer.from('jm1:8081\n/rack1/jm2:8082 # standby\njm3:80x1\n')],
  workers: [REPO_CONF.workers!, Buffer.from('tm1\ntm1\ntm2 extra words\n')],
  slaves: [REPO_CONF.workers!],
  'zoo.cfg': [REPO_CONF['zoo.cfg']!, read('templates/zoo.cfg.tmpl'), Buffer.from('server.1=a:2888:3888;2181\nserver.2 = b:2888:3888:observer;0.0.0.0:2182\nclientPort=2181\n')],
  'yarn-site.xml': [Buffer.from(YARN_SITE)],
}

export type FileKind = 'config.yaml' | 'flink-conf.yaml' | 'masters' | 'workers' | 'slaves' | 'zoo.cfg' | 'yarn-site.xml'
export const KINDS: FileKind[] = ['config.yaml', 'flink-conf.yaml', 'masters', 'workers', 'slaves', 'zoo.cfg', 'yarn-site.xml']

// Fragments that matter to one parser or another, several of them bytes that are not UTF-8.
const TOKENS: Array<string | number[]> = [
  ':', ': ', '\n', '\r\n', '\r', '#', '# shared', '-', '- ', ' ', '    ', '\t', '[', ']', '{', '}', ',', '&a ', '*a', '&b ', '*b', '!!str ', '!!binary ', '!foo ',
  '"', "'", '\\', '|', '>', '? ', '---\n', '...\n', '<<: ', '%YAML 1.2\n', '\u0000', '\u0001', '\u007f', '\u0085', '\u00a0', '\u2028', '\ufeff', '\ufffe', '😀', 'é',
  'key', 'a.b.c', 'rest.port', 'high-availability', 'high-availability.type', 'high-availability.zookeeper.quorum', 'high-availability.storageDir',
  'high-availability.cluster-id', 'zookeeper', 'file:///tmp/ha', 'hdfs:///ha', 'zk1:2181,zk2:2181', 'taskmanager.memory.process.size', '1728m',
  'taskmanager.memory.network.fraction', 'yarn.application-attempts', 'taskmanager.rpc.port', '50100-50200', 'true', 'null', '~',
  '8081', '0', '-1', '9'.repeat(40), '1e999', '0x1F', '1.5', 'NaN', '.inf', '99999999999999999999m', 'server.1=', 'server.99999999999999999999=', '=', 'h1:2888:3888', ';2181', ':participant', 'dataDir=/tmp/zk',
  'tickTime=2000', 'clientPort=2181', 'localhost', '/rack/h1', 'jm1:8081', '<property>', '</property>', '<name>', '</name>', '<value>', '</value>', '<!--', '-->',
  '&amp;', '&lt;', '${', '${yarn.nodemanager.resource.memory-mb}', 'yarn.resourcemanager.am.max-attempts', 'yarn.scheduler.maximum-allocation-mb',
  [0xe9], [0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xef, 0xbb, 0xbf],
]
const tokenBytes = TOKENS.map((t) => (typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t)))

const token = fc.integer({min: 0, max: tokenBytes.length - 1}).map((i) => tokenBytes[i]!)
/** A line-oriented soup of the fragments above. */
const tokenSoup = fc.array(token, {maxLength: 120}).map((parts) => Buffer.concat(parts))
const randomBytes = fc.uint8Array({maxLength: 600}).map((b) => Buffer.from(b))
const randomText = fc.string({unit: 'binary', maxLength: 300}).map((s) => Buffer.from(s, 'utf8'))

type Mutation = {op: 'insert' | 'delete' | 'flip' | 'token' | 'duplicate' | 'truncate'; at: number; n: number; t: number}
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('insert', 'delete', 'flip', 'token', 'duplicate', 'truncate'),
  at: fc.nat(), n: fc.integer({min: 0, max: 255}), t: fc.nat(),
})

function mutate(seed: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(seed)
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1)
    if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.n]), b.subarray(at)])
    else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (m.n % 8))])
    else if (m.op === 'flip' && at < b.length) b[at] = b[at]! ^ (1 << (m.n % 8))
    else if (m.op === 'token') b = Buffer.concat([b.subarray(0, at), tokenBytes[m.t % tokenBytes.length]!, b.subarray(at)])
    else if (m.op === 'duplicate') b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + m.n), b.subarray(at)])
    else if (m.op === 'truncate') b = b.subarray(0, at)
  }
  return b
}

/** A real file of this kind with bytes inserted, deleted, flipped, duplicated or cut. */
const mutated = (kind: FileKind) => fc.tuple(fc.nat(), fc.array(mutation, {minLength: 1, maxLength: 10}))
  .map(([i, muts]) => mutate(SEEDS[kind][i % SEEDS[kind].length]!, muts))

/** Whole-file transformations: BOM, CRLF, lone CR, latin-1, NUL, a duplicated block of lines. */
const WRAPS: Array<(b: Buffer) => Buffer> = [
  (b) => b,
  (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]),
  (b) => Buffer.from(b.toString('latin1').replaceAll('\n', '\r\n'), 'latin1'),
  (b) => Buffer.from(b.toString('latin1').replaceAll('\n', '\r'), 'latin1'),
  (b) => Buffer.from(b.toString('utf8').replaceAll('é', '\u00e9'), 'latin1'),
  (b) => Buffer.concat([b, Buffer.from([0]), b]),
  (b) => Buffer.concat([b, Buffer.from('\n'), b]),
  (b) => Buffer.concat([b.subarray(0, b.length >> 1), Buffer.from([0xe9, 0x0a]), b.subarray(b.length >> 1)]),
]
const wrapped = (inner: fc.Arbitrary<Buffer>) => fc.tuple(fc.integer({min: 0, max: WRAPS.length - 1}), inner).map(([w, b]) => WRAPS[w]!(b))

/** Shapes that blew parsers up elsewhere, at sizes cheap enough for thousands of cases. */
const shapes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.integer({min: 1, max: 3000}).map((n) => Buffer.from(`a: ${'['.repeat(n)}${']'.repeat(n)}\n`)),
  fc.integer({min: 1, max: 3000}).map((n) => Buffer.from(`a: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`)),
  fc.integer({min: 1, max: 3000}).map((n) => Buffer.from(`a:\n${'- '.repeat(n)}x\n`)),
  fc.integer({min: 1, max: 400}).map((n) => Buffer.from(Array.from({length: n}, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' v\n')),
  fc.tuple(fc.integer({min: 1, max: 12}), fc.integer({min: 1, max: 12}), fc.boolean()).map(([levels, width, map]) => aliasBomb(levels, width, map)),
  fc.integer({min: 1, max: 300}).map((n) => Buffer.from(Array.from({length: n}, () => 'rest.port: 8081').join('\n'))),
  fc.integer({min: 1, max: 5000}).map((n) => Buffer.from(`taskmanager.memory.network.fraction: ${'1'.repeat(n)}x\nrest.port: ${'9'.repeat(n)}\n`)),
  fc.string({maxLength: 80}).map((k) => Buffer.from(`${k}: 1\n"${k.replaceAll('"', '')}": 2\n? [${k}]\n: 3\n1: a\ntrue: b\n*x : c\n`)),
  fc.integer({min: 1, max: 200_000}).map((n) => Buffer.from(`${'x'.repeat(n)}: ${'y'.repeat(n)}\n${'#'.repeat(n)}\n`)),
  fc.integer({min: 1, max: 20_000}).map((n) => Buffer.from('<property>'.repeat(n) + '<!--'.repeat(n))),
  fc.integer({min: 1, max: 20_000}).map((n) => Buffer.from(`server.1=${'a:'.repeat(n)}\n${'h '.repeat(n)}\n`)),
)

export function aliasBomb(levels: number, width: number, map: boolean): Buffer {
  const lines = [map ? 'a0: &a0 {k: lol}' : 'a0: &a0 [lol, lol]']
  for (let i = 1; i <= levels; i++) {
    const refs = Array.from({length: width}, (_, j) => (map ? `k${j}: *a${i - 1}` : `*a${i - 1}`)).join(', ')
    lines.push(map ? `a${i}: &a${i} {${refs}}` : `a${i}: &a${i} [${refs}]`)
  }
  return Buffer.from(`${lines.join('\n')}\n`)
}

/** Bytes for a file of this kind: random, soup, mutated real files, the shapes above, wrapped. */
export const fileBytes = (kind: FileKind): fc.Arbitrary<Buffer> => wrapped(fc.oneof(
  {arbitrary: randomBytes, weight: 2}, {arbitrary: randomText, weight: 1}, {arbitrary: tokenSoup, weight: 3},
  {arbitrary: mutated(kind), weight: 4}, {arbitrary: shapes, weight: 2},
))

// ---- running one case the way `flinkctl validate` does

const made: string[] = []
after(() => {
  for (const d of made) rmSync(d, {recursive: true, force: true})
})

/** A fresh conf dir holding the example cluster's files, with `kind` replaced by `bytes`. */
export function confDirWith(kind: FileKind, bytes: Buffer, companions = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'flinkctl-fuzz-'))
  made.push(dir)
  writeCase(dir, kind, bytes, companions)
  return dir
}

/** Rewrites `dir` for the next case (one dir per property keeps the file system out of the timing). */
export function writeCase(dir: string, kind: FileKind, bytes: Buffer, companions = true): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  if (companions) {
    for (const [f, content] of Object.entries(REPO_CONF)) {
      if (kind === 'flink-conf.yaml' && f === 'config.yaml') continue
      if (kind === 'slaves' && f === 'workers') continue
      writeFileSync(join(dir, f), content)
    }
  }
  writeFileSync(join(dir, kind), bytes)
}

export const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'flinkctl-fuzz-'))
  made.push(dir)
  return dir
}

/** Flink versions that read the file (flink-conf.yaml: 1.x only; config.yaml: 1.19+). */
export const VERSIONS: Record<FileKind, string[]> = {
  'config.yaml': ['2.3.0', '1.20.0'], 'flink-conf.yaml': ['1.20.0', '1.18.1'],
  masters: ['2.3.0', '1.20.0'], workers: ['2.3.0'], slaves: ['1.20.0'], 'zoo.cfg': ['2.3.0', '1.20.0'], 'yarn-site.xml': ['2.3.0'],
}

export type CaseResult = {outcome: ValidateOutcome} | {configError: ConfigError}

/**
 * `flinkctl validate -c dir` in-process: a result (findings, maybe a failure) or a ConfigError
 * (exit 3). Anything else thrown is the crash the fuzz tests look for, and propagates.
 */
export function validateCase(dir: string, kind: FileKind, version: string): CaseResult {
  const yarn = kind === 'yarn-site.xml'
  try {
    return {outcome: validateConfDirs({confDirs: [dir], flinkVersion: version, target: yarn ? 'yarn' : 'standalone',
      env: yarn ? {HADOOP_CONF_DIR: dir, HADOOP_CLASSPATH: '/opt/hadoop/*'} : {}})}
  } catch (err) {
    if (err instanceof ConfigError) return {configError: err}
    throw err
  }
}

const SEVERITIES = new Set(['error', 'warning', 'info'])

/** The invariant of every case: findings that are well formed, or a ConfigError with exit 3. */
export function assertWellFormed(r: CaseResult, what: string): void {
  if ('configError' in r) {
    assert.equal(r.configError.exit, ExitCode.ConfigInvalid, what)
    assert.ok(r.configError.message.length > 0, what)
    return
  }
  const {outcome} = r
  for (const report of outcome.reports) {
    for (const f of report.findings) {
      assert.match(f.rule, /^[A-Z][A-Z0-9-]+$/, what)
      assert.ok(SEVERITIES.has(f.severity), what)
      assert.equal(typeof f.message, 'string', what)
      assert.ok(f.message.length > 0 && f.message.length <= 1000, `${what}: message of ${f.message.length} characters`)
      assert.ok(f.hint.length <= 1000, `${what}: hint of ${f.hint.length} characters`)
      if (f.line !== undefined) assert.ok(Number.isInteger(f.line) && f.line >= 1, `${what}: line ${f.line}`)
    }
  }
  if (outcome.failure) assert.equal(outcome.failure.exit, ExitCode.ConfigInvalid, what)
  else assert.equal(outcome.errors, 0, what)
}

