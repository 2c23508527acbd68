// One targeted test per crash, hang or blow-up the conf-file fuzz tests found, with the input
// shape that triggered it. Wall-clock bounds are avoided: each input is sized so that the old
// code's behaviour (quadratic, exponential or a stack overflow) is unmistakable in the result or
// would take minutes, while the fixed code answers in milliseconds.
import assert from 'node:assert/strict'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {parseHostFile} from '../../../src/lib/conf/host-files.ts'
import {parseLegacyFlinkConf} from '../../../src/lib/conf/legacy-yaml.ts'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {decodeConfBytes, firstInvalidUtf8, javaTrim} from '../../../src/lib/conf/read-text.ts'
import {redactInline} from '../../../src/lib/conf/redact.ts'
import {parseStandardConfigYaml, YAML_MAX_DEPTH} from '../../../src/lib/conf/standard-yaml.ts'
import {parseZooCfg} from '../../../src/lib/conf/zoo-cfg.ts'
import {parseHadoopXml} from '../../../src/lib/validate/hadoop-xml.ts'
import {checkValueType, MAX_FINDINGS_PER_RULE, suggestKey, validateCluster} from '../../../src/lib/validate/index.ts'
import {writeTree} from '../../helpers/fixtures.ts'
import {aliasBomb} from './gen.ts'

const rules = (notes: Array<{rule: string}>) => notes.map((n) => n.rule)
const MB = 1024 * 1024

describe('config.yaml: limits of Flink\'s YAML loader', () => {
  it('10,000-deep nesting ([[[[, {a: {a:, - - -) is one CONF-YAML-LIMIT, not a stack overflow', () => {
    for (const text of [`a: ${'['.repeat(10_000)}${']'.repeat(10_000)}`, `a: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}`, `a:\n${'- '.repeat(10_000)}x`, `a: ${'['.repeat(3 * MB - 10)}`]) {
      const {notes, entries} = parseStandardConfigYaml(text, 'c')
      assert.deepEqual(rules(notes), ['CONF-YAML-LIMIT'], notes.map((n) => n.message).join('|'))
      assert.equal(notes[0]!.line, text.startsWith('a:\n') ? 2 : 1)
      assert.equal(entries.size, 0)
    }
  })

  it('nesting up to the limit still loads', () => {
    const depth = YAML_MAX_DEPTH - 2
    const {notes, entries} = parseStandardConfigYaml(`a: ${'['.repeat(depth)}x${']'.repeat(depth)}\n`, 'c')
    assert.deepEqual(notes, [])
    assert.equal(entries.size, 1)
  })

  it('an alias bomb (10^9 expansions) is refused like Flink refuses it: more than 50 aliases of collections', () => {
    for (const map of [false, true]) {
      const {notes} = parseStandardConfigYaml(aliasBomb(9, 10, map).toString(), 'c')
      assert.deepEqual(rules(notes), ['CONF-YAML-LIMIT'])
      assert.match(notes[0]!.message, /50 aliases/)
    }
    // 50 are fine, and aliases of scalars do not count (Flink 2.3.0 loads both)
    assert.deepEqual(parseStandardConfigYaml(aliasBomb(5, 10, false).toString(), 'c').notes, [])
    assert.deepEqual(parseStandardConfigYaml(`x: &x v\n${Array.from({length: 100}, (_, i) => `k${i}: *x`).join('\n')}\n`, 'c').notes, [])
  })

  it('more than 3 Mi characters is refused, at the line where the limit is crossed', () => {
    const {notes} = parseStandardConfigYaml(`a: 1\nb: ${'x'.repeat(3 * MB)}\n`, 'c')
    assert.deepEqual(notes.map((n) => [n.rule, n.line]), [['CONF-YAML-LIMIT', 2]])
  })

  it('NUL and other control characters are an error at their line (SnakeYAML: "special characters are not allowed")', () => {
    const {notes} = parseStandardConfigYaml('a: 1\n# x\u0001y\n', 'c')
    assert.deepEqual(notes.map((n) => [n.rule, n.severity, n.line, n.col]), [['CONF-ENCODING', 'error', 2, 4]])
    assert.deepEqual(parseStandardConfigYaml('a: "tab\there"\nb: caf\u00e9 \u0085 \ufeff\n', 'c').notes, [])
  })

  it('keys that are numbers, booleans or collections are errors (Flink 2.3.0: ClassCastException)', () => {
    const {notes} = parseStandardConfigYaml('1: a\ntrue: b\n? [x, y]\n: c\n"2": quoted is fine\n', 'c')
    assert.deepEqual(notes.map((n) => [n.rule, n.line]), [['CONF-YAML-SYNTAX', 1], ['CONF-YAML-SYNTAX', 2], ['CONF-YAML-SYNTAX', 3]])
  })

  it('at most 20 syntax errors from a file of garbage lines', () => {
    const {notes} = parseStandardConfigYaml('a: [\n'.repeat(5000), 'c')
    assert.ok(notes.length > 0 && notes.length <= 20, String(notes.length))
  })
})

describe('bytes: BOM, not UTF-8, as each file\'s reader sees them', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf])
  it('config.yaml: a BOM is fine (UnicodeReader skips it), a latin-1 byte is an error with its position', () => {
    assert.deepEqual(decodeConfBytes(Buffer.concat([bom, Buffer.from('a: 1\n')]), 'c', 'config.yaml').notes, [])
    const {notes} = decodeConfBytes(Buffer.from('a: 1\nb: caf\u00e9\n', 'latin1'), 'c', 'config.yaml')
    assert.deepEqual(notes.map((n) => [n.rule, n.severity, n.line, n.col]), [['CONF-ENCODING', 'error', 2, 7]])
    assert.match(notes[0]!.message, /0xE9/)
  })

  it('config.yaml in UTF-16 with a BOM decodes, as Flink\'s loader does', () => {
    const utf16 = Buffer.from('\ufeffrest.port: 8081\n', 'utf16le')
    const {text, notes} = decodeConfBytes(utf16, 'c', 'config.yaml')
    assert.deepEqual(notes, [])
    assert.equal(text.replace('\ufeff', ''), 'rest.port: 8081\n')
  })

  it('flink-conf.yaml: a BOM stays in the first key, as Flink 1.20.0 reads it, and is reported', () => {
    const {text, notes} = decodeConfBytes(Buffer.concat([bom, Buffer.from('rest.port: 8081\n')]), 'f', 'flink-conf.yaml')
    assert.deepEqual(notes.map((n) => [n.rule, n.severity]), [['CONF-ENCODING', 'warning']])
    assert.match(notes[0]!.message, /\\uFEFFrest\.port/)
    assert.deepEqual([...parseLegacyFlinkConf(text, 'f').entries.keys()], ['\ufeffrest.port'])
  })

  it('masters and zoo.cfg: a BOM is a warning; zoo.cfg bytes are never "invalid" (ISO-8859-1)', () => {
    assert.deepEqual(rules(decodeConfBytes(Buffer.concat([bom, Buffer.from('jm1\n')]), 'm', 'hosts').notes), ['CONF-ENCODING'])
    assert.deepEqual(rules(decodeConfBytes(Buffer.concat([bom, Buffer.from('server.1=a:1:2\n')]), 'z', 'zoo.cfg').notes), ['CONF-ENCODING'])
    assert.deepEqual(decodeConfBytes(Buffer.from([0x61, 0xe9, 0x0a]), 'z', 'zoo.cfg').notes, [])
  })

  it('finds the first malformed sequence: lone continuation, overlong, surrogate, past U+10FFFF, truncated', () => {
    const at = (bytes: number[]) => firstInvalidUtf8(Buffer.from([0x61, ...bytes]))
    assert.equal(at([0x80]), 1)
    assert.equal(at([0xc0, 0x80]), 1)
    assert.equal(at([0xed, 0xa0, 0x80]), 1)
    assert.equal(at([0xf4, 0x90, 0x80, 0x80]), 1)
    assert.equal(at([0xe2, 0x82]), 1)
    assert.equal(at([0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]), 8)
  })

  it('Java\'s trim: NUL and controls go, NBSP and a BOM stay (the legacy parser read NUL-prefixed keys wrong)', () => {
    assert.equal(javaTrim('\u0000 a\u0001 '), 'a')
    assert.equal(javaTrim('\u00a0a\ufeff'), '\u00a0a\ufeff')
    assert.deepEqual([...parseLegacyFlinkConf('\u0000rest.port: 8081\n', 'f').entries.keys()], ['rest.port'])
  })
})

describe('huge lines and regex backtracking', () => {
  // each of these took seconds at 40,000 characters before the fix and would take hours at 10 MB
  const long = 1_000_000
  it('a number type check over a long run of digits (\\d+\\.?\\d* backtracked quadratically)', () => {
    assert.match(checkValueType('x.fraction', `${'1'.repeat(long)}x`, 'double', {})!.reason, /not a number/)
    assert.equal(checkValueType('x.fraction', `${'1'.repeat(long)}.5e3`, 'double', {}), undefined)
  })

  it('yarn-site.xml with unclosed <property> and <!-- (lazy regexes rescanned to the end from each)', () => {
    assert.equal(parseHadoopXml('<property><name>'.repeat(long / 16), 'y').props.size, 0)
    assert.equal(parseHadoopXml('<!--'.repeat(long / 4), 'y').props.size, 0)
    const site = parseHadoopXml('<!-- <property><name>no</name></property> -->\n<property>\n  <name>a&amp;b</name><value> 1 </value></property>', 'y')
    assert.deepEqual([...site.props].map(([k, v]) => [k, v.value, v.line, v.col]), [['a&b', '1', 3, 3]])
  })

  it('secret redaction of a skipped legacy line (every position of a long word was a match start)', () => {
    assert.equal(redactInline('x'.repeat(long)).length, long)
    assert.equal(redactInline('-Ds3.secret-key=abc a=b'), '-Ds3.secret-key=****** a=b')
    const {notes} = parseLegacyFlinkConf(`a:${'x'.repeat(long)}\nb${':='.repeat(long / 2)}\u2028\n`, 'f')
    assert.deepEqual(rules(notes), ['CONF-SKIPPED-LINE', 'CONF-SKIPPED-LINE'])
    assert.ok(notes.every((n) => n.message.length < 400), 'the quoted line is clipped')
  })

  it('a 10 MB workers line is not split into 5 million words, and the message stays short', () => {
    const {list, notes} = parseHostFile(`tm1${' w'.repeat(5 * MB)}\n`, 'w', 'workers')
    assert.deepEqual(list.entries.map((e) => e.host), ['tm1'])
    assert.equal(notes[0]!.rule, 'HOSTS-EXTRA-WORDS')
    assert.ok(notes[0]!.message.length < 300)
  })

  it('a 10 MB zoo.cfg server line is not split at every colon', () => {
    const {notes} = parseZooCfg(`server.1=zk1:${'a:'.repeat(5 * MB)}\n`, 'z')
    assert.deepEqual(rules(notes), ['ZOO-SERVER-SYNTAX'])
    assert.ok(notes[0]!.message.length < 300)
  })

  it('did-you-mean over 20,000 unknown keys (a full matrix per candidate made 95,000 keys take 150 s)', () => {
    const known = new Set(['rest.port', 'rest.address', 'high-availability.type', 'taskmanager.numberOfTaskSlots'])
    assert.equal(suggestKey('rest.prot', known), 'rest.port')
    assert.equal(suggestKey('REST.PORT', known), 'rest.port')
    assert.equal(suggestKey('high-availabilty.typ', known), 'high-availability.type')
    assert.equal(suggestKey('completely.different', known), undefined)
    const root = writeTree({'conf/config.yaml': Array.from({length: 20_000}, (_, i) => `key.number.${i}: v`).join('\n')})
    const report = validateCluster(loadCluster({confDir: join(root, 'conf'), flinkVersion: '2.3.0', env: {}}))
    assert.equal(report.findings.filter((f) => f.rule === 'CONF-UNKNOWN-KEY').length, MAX_FINDINGS_PER_RULE + 1)
  })
})

describe('validation output stays bounded', () => {
  it('100,000 repeated keys: the count stays exact, the findings shown are capped per rule and file', () => {
    const root = writeTree({'conf/flink-conf.yaml': 'rest.port: 8081\n'.repeat(100_000)})
    const report = validateCluster(loadCluster({confDir: join(root, 'conf'), flinkVersion: '1.20.0', env: {}}))
    const dups = report.findings.filter((f) => f.rule === 'CONF-DUPLICATE-KEY')
    assert.equal(dups.length, MAX_FINDINGS_PER_RULE + 1)
    assert.match(dups.at(-1)!.message, /99899 more CONF-DUPLICATE-KEY/)
    assert.equal(report.warnings, 99_999)
  })

  it('a 10 MB value quoted in a message is cut to a few hundred characters', () => {
    const root = writeTree({'conf/flink-conf.yaml': `rest.port: ${'9'.repeat(10 * MB)}\n`})
    const report = validateCluster(loadCluster({confDir: join(root, 'conf'), flinkVersion: '1.20.0', env: {}}))
    const type = report.findings.find((f) => f.rule === 'CONF-TYPE')!
    assert.ok(type.message.length <= 600, String(type.message.length))
    assert.match(type.message, /characters cut/)
  })
})

describe('unreadable conf files are exit 3, never a crash', () => {
  it('a directory where config.yaml or masters should be (readFileSync threw EISDIR: exit 1)', () => {
    for (const name of ['config.yaml', 'masters']) {
      const root = writeTree({'conf/zoo.cfg': 'server.1=a:1:2\n'})
      mkdirSync(join(root, 'conf', name))
      assert.throws(() => loadCluster({confDir: join(root, 'conf'), flinkVersion: '2.3.0', env: {}}),
        (err: Error & {exit?: number}) => err.name === 'ConfigError' && err.exit === 3 && err.message.includes(name))
    }
  })
})
