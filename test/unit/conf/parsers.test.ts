import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {parseHostFile} from '../../../src/lib/conf/host-files.ts'
import {parseLegacyFlinkConf} from '../../../src/lib/conf/legacy-yaml.ts'
import {getValue, haMode, loadCluster} from '../../../src/lib/conf/load.ts'
import {parseDuration, parseMemorySize} from '../../../src/lib/conf/sizes.ts'
import {parseStandardConfigYaml} from '../../../src/lib/conf/standard-yaml.ts'
import {clientPortOf, parseZooCfg} from '../../../src/lib/conf/zoo-cfg.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const values = (m: Map<string, {value: string}>) => Object.fromEntries([...m].map(([k, v]) => [k, v.value]))

describe('flink-conf.yaml (legacy flat format)', () => {
  it('reads key: value lines with Flink\'s tolerance', () => {
    const text = [
      '# a comment',
      '  jobmanager.rpc.address:   jm1.example.com   ',
      'rest.address: http://x:8081/path   # trailing comment',
      'env.java.opts.all: -Dfoo=a:b -Dbar=c',
      '',
      'bad.line.without.space:value',
      'empty.value: ',
      'taskmanager.numberOfTaskSlots: 2\r',
    ].join('\n')
    const {entries, notes} = parseLegacyFlinkConf(text, 'flink-conf.yaml')
    assert.deepEqual(values(entries), {
      'jobmanager.rpc.address': 'jm1.example.com',
      'rest.address': 'http://x:8081/path',
      'env.java.opts.all': '-Dfoo=a:b -Dbar=c',
      'taskmanager.numberOfTaskSlots': '2',
    })
    const addr = entries.get('jobmanager.rpc.address')!.source
    assert.deepEqual(addr, {kind: 'file', file: 'flink-conf.yaml', line: 2, col: 3})
    assert.deepEqual(notes.map((n) => [n.rule, n.line]), [['CONF-SKIPPED-LINE', 6], ['CONF-SKIPPED-LINE', 7]])
    assert.match(notes[0]!.hint, /bad\.line\.without\.space: value/)
  })

  it('cuts a value at # as Flink does, and says so', () => {
    const {entries, notes} = parseLegacyFlinkConf('security.ssl.key-password: se#cret\n', 'f')
    assert.equal(entries.get('security.ssl.key-password')!.value, 'se')
    assert.equal(notes[0]!.rule, 'CONF-HASH-IN-VALUE')
  })

  it('keeps the last of repeated keys', () => {
    const {entries, notes} = parseLegacyFlinkConf('a.b: 1\na.b: 2\n', 'f')
    assert.equal(entries.get('a.b')!.value, '2')
    assert.equal((entries.get('a.b')!.source as {line: number}).line, 2)
    assert.equal(notes[0]!.rule, 'CONF-DUPLICATE-KEY')
  })
})

describe('config.yaml (standard YAML)', () => {
  it('flattens nested maps to dotted keys and keeps positions', () => {
    const text = [
      'high-availability:',
      '  type: zookeeper',
      '  zookeeper:',
      '    quorum: "zk1:2181,zk2:2181"',
      'taskmanager.numberOfTaskSlots: 4',
      'taskmanager.memory.network.fraction: 0.10',
      'pipeline.jars:',
      '  - file:///a.jar',
      '  - file:///b.jar',
      'pipeline.cached-files: [name:a;path:b]',
      'metrics.reporter.prom.filter.includes: {a: 1, b: 2}',
      'web.submit.enable: false',
    ].join('\n')
    const {entries, notes} = parseStandardConfigYaml(text, 'config.yaml')
    assert.deepEqual(notes, [])
    assert.deepEqual(values(entries), {
      'high-availability.type': 'zookeeper',
      'high-availability.zookeeper.quorum': 'zk1:2181,zk2:2181',
      'taskmanager.numberOfTaskSlots': '4',
      'taskmanager.memory.network.fraction': '0.10',
      'pipeline.jars': 'file:///a.jar;file:///b.jar',
      'pipeline.cached-files': "'name:a;path:b'",
      // like GlobalConfiguration.flatten, every map is flattened, flow style included
      'metrics.reporter.prom.filter.includes.a': '1',
      'metrics.reporter.prom.filter.includes.b': '2',
      'web.submit.enable': 'false',
    })
    assert.deepEqual(entries.get('high-availability.zookeeper.quorum')!.source, {kind: 'file', file: 'config.yaml', line: 4, col: 5})
  })

  it('reports a dotted and a nested form of one key as a duplicate', () => {
    const {notes} = parseStandardConfigYaml('rest.port: 1\nrest:\n  port: 2\n', 'c')
    assert.equal(notes[0]!.rule, 'CONF-DUPLICATE-KEY')
    assert.equal(notes[0]!.line, 3)
  })

  it('reports YAML syntax errors with their line', () => {
    const {notes} = parseStandardConfigYaml('a: 1\nb: [1,\nc: 2\n', 'c')
    assert.equal(notes[0]!.rule, 'CONF-YAML-SYNTAX')
    assert.ok(notes[0]!.line! >= 2)
  })
})

describe('masters, workers, zoo.cfg', () => {
  it('reads masters as extractHostName does', () => {
    const {list, notes} = parseHostFile('# header\njm1:8081\n  jm2:8082 # standby\n/rack1/jm3\njm4:80x1\n\njm5 extra\n', 'masters', 'masters')
    assert.deepEqual(list.entries.map((e) => [e.host, e.port, e.badPort, e.line]), [
      ['jm1', 8081, undefined, 2], ['jm2', 8082, undefined, 3], ['jm3', undefined, undefined, 4], ['jm4', undefined, '80x1', 5], ['jm5', undefined, undefined, 7],
    ])
    assert.deepEqual(notes.map((n) => n.rule), ['HOSTS-EXTRA-WORDS'])
  })

  it('keeps repeated workers (one TaskManager per line) and does not split ports', () => {
    const {list} = parseHostFile('tm1\ntm1\ntm2:22\n', 'workers', 'workers')
    assert.deepEqual(list.entries.map((e) => e.host), ['tm1', 'tm1', 'tm2:22'])
  })

  it('reads zoo.cfg servers with client ports', () => {
    const {zoo, notes} = parseZooCfg('clientPort=2200\nserver.2=b:2888:3888;2182\nserver.1 = a:2888:3888\nserver.3=c:2888:3888:observer;0.0.0.0:2183\n', 'zoo.cfg')
    assert.deepEqual(notes, [])
    assert.deepEqual(zoo.servers.map((s) => [s.id, s.host, s.peerPort, s.leaderPort, clientPortOf(zoo, s), s.line]), [
      [1, 'a', 2888, 3888, 2200, 3], [2, 'b', 2888, 3888, 2182, 2], [3, 'c', 2888, 3888, 2183, 4],
    ])
  })
})

describe('memory sizes and durations (Flink semantics)', () => {
  it('parses memory sizes', () => {
    const cases: Array<[string, number]> = [['1728m', 1728 * 2 ** 20], ['1 gb', 2 ** 30], ['4096', 4096], ['64 kibibytes', 65536], ['2T', 2 * 2 ** 40], ['0', 0]]
    for (const [text, bytes] of cases) assert.deepEqual(parseMemorySize(text), {ok: true, value: bytes}, text)
    for (const bad of ['1.5g', '-1m', 'm', '', '12 parsecs', '99999999999999999999']) assert.equal(parseMemorySize(bad).ok, false, bad)
  })

  it('parses durations', () => {
    const cases: Array<[string, number]> = [['60000', 60000], ['60 s', 60000], ['1 min', 60000], ['2h', 7_200_000], ['500 ms', 500], ['1d', 86_400_000]]
    for (const [text, ms] of cases) assert.deepEqual(parseDuration(text), {ok: true, value: ms}, text)
    for (const bad of ['1.5s', 's', '10 fortnights']) assert.equal(parseDuration(bad).ok, false, bad)
  })
})

describe('loading a conf dir', () => {
  const files = {
    'conf/flink-conf.yaml': 'high-availability: zookeeper\nrest.port: 8081\n',
    'conf/config.yaml': 'high-availability.type: none\nrest.port: 9091\n',
    'conf/masters': 'jm1:8081\n',
  }

  it('chooses the file Flink would read for the version', () => {
    const root = writeTree(files)
    const at = (v: string) => loadCluster({confDir: join(root, 'conf'), flinkVersion: v, env: {}})
    assert.equal(at('1.18.1').flink.format, 'legacy')
    assert.equal(at('1.20.0').flink.format, 'legacy')
    assert.equal(at('2.1.0').flink.format, 'standard')
    assert.equal(getValue(at('2.1.0'), 'rest.port')!.value, '9091')
    assert.ok(at('1.20.0').notes.some((n) => n.rule === 'CONF-FILE-SHADOWED'))
  })

  it('applies -D over the files and resolves HA mode through deprecated keys', () => {
    const root = writeTree(files)
    const conf = loadCluster({confDir: join(root, 'conf'), flinkVersion: '1.20.0', dynamic: ['rest.port=7000'], env: {}})
    assert.deepEqual(conf.flink.entries.get('rest.port')!.source, {kind: 'dynamic', arg: 'rest.port=7000'})
    assert.equal(haMode(conf).mode, 'zookeeper')
    assert.equal(haMode(conf).resolved!.foundAs, 'high-availability')
  })

  it('finds the conf dir from FLINK_CONF_DIR and FLINK_HOME, and the version from lib/flink-dist', () => {
    const root = writeTree({...files, 'lib/flink-dist-1.19.2.jar': ''})
    assert.equal(loadCluster({env: {FLINK_HOME: root}}).version!.raw, '1.19.2')
    assert.equal(loadCluster({env: {FLINK_CONF_DIR: join(root, 'conf')}}).confDir, join(root, 'conf'))
    assert.throws(() => loadCluster({env: {}}), /no configuration directory/)
  })
})

// Deterministic fuzzing: random bytes and mutated real files must never make a parser throw.
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('parsers never crash on arbitrary input', () => {
  const repoConf = new URL('../../../conf/', import.meta.url)
  const seeds = ['config.yaml', 'masters', 'workers', 'zoo.cfg'].map((f) => readFileSync(new URL(f, repoConf), 'utf8'))
  seeds.push(readFileSync(new URL('../../../templates/flink-conf.yaml.tmpl', import.meta.url), 'utf8'))
  const parsers: Array<[string, (t: string) => unknown]> = [
    ['legacy', (t) => parseLegacyFlinkConf(t, 'f')],
    ['standard', (t) => parseStandardConfigYaml(t, 'f')],
    ['masters', (t) => parseHostFile(t, 'f', 'masters')],
    ['workers', (t) => parseHostFile(t, 'f', 'workers')],
    ['zoo.cfg', (t) => parseZooCfg(t, 'f')],
  ]
  const alphabet = ':#\n\r\t -{}[],;="\'\\&*!|>%@`.0123456789abcxyz\u0000\u00e9\u{1F600}'

  for (const [name, parse] of parsers) {
    it(`${name}: 1500 random and mutated inputs`, () => {
      const next = rng(name.length * 7919)
      for (let i = 0; i < 1500; i++) {
        let text: string
        if (i % 2 === 0) {
          const bytes = Uint8Array.from({length: Math.floor(next() * 200)}, () => Math.floor(next() * 256))
          text = Buffer.from(bytes).toString('utf8')
        } else {
          const chars = [...seeds[i % seeds.length]!]
          for (let m = 0; m < 1 + Math.floor(next() * 8); m++) {
            const at = Math.floor(next() * chars.length)
            const op = next()
            const c = alphabet[Math.floor(next() * alphabet.length)]!
            if (op < 0.4) chars.splice(at, 1)
            else if (op < 0.8) chars.splice(at, 0, c)
            else chars[at] = c
          }
          text = chars.join('')
        }
        assert.doesNotThrow(() => parse(text), `input #${i}: ${JSON.stringify(text.slice(0, 80))}`)
      }
    })
  }
})
