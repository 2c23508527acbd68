import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {clockCheck, diskChecks, javaCheck, javaSupport, libCheck, nameChecks, openFilesCheck} from '../../../src/lib/preflight/checks.ts'
import {javaMajorOf, parseClock, parseFacts, type HostFacts} from '../../../src/lib/preflight/probe.ts'

const v = (raw: string) => {
  const [major, minor, patch] = raw.split('.').map(Number)
  return {major: major!, minor: minor!, patch: patch!, raw, detectedFrom: 'flag' as const}
}
const facts = (over: Partial<HostFacts> = {}): HostFacts => ({java: {found: true, lines: []}, home: 'yes', lib: [], dirs: [], names: [], complete: true, ...over})

describe('java', () => {
  it('reads the major from java -version, old and new schemes', () => {
    assert.deepEqual(javaMajorOf(['java version "1.8.0_392"']), {major: 8, version: '1.8.0_392'})
    assert.deepEqual(javaMajorOf(['openjdk version "17.0.15" 2025-04-15']), {major: 17, version: '17.0.15'})
    assert.deepEqual(javaMajorOf(['Picked up JAVA_TOOL_OPTIONS: -Xmx1g', 'openjdk version "21" 2023-09-19']), {major: 21, version: '21'})
    assert.equal(javaMajorOf(['bash: java: not found']), undefined)
  })
  it('the ranges per Flink line', () => {
    assert.deepEqual(javaSupport(v('2.3.0')).supported, [11, 17, 21])
    assert.deepEqual(javaSupport(v('1.20.0')), {supported: [8, 11, 17], beta: [21]})
    assert.deepEqual(javaSupport(v('1.18.1')), {supported: [8, 11], beta: [17]})
  })
  it('supported passes, beta warns, outside the range and missing java fail', () => {
    const j = (line: string, ver: string) => javaCheck(facts({java: {found: true, lines: [line], exitStatus: 0}}), v(ver), 'java on PATH')
    assert.equal(j('openjdk version "17.0.15"', '2.3.0').level, 'ok')
    assert.equal(j('openjdk version "21.0.2"', '1.20.0').level, 'warn')
    const old = j('java version "1.8.0_392"', '2.3.0')
    assert.equal(old.level, 'error')
    assert.match(old.detail, /Java 1\.8\.0_392 is not supported by Flink 2\.3 \(supported: 11, 17, 21\)/)
    assert.equal(javaCheck(facts({java: {found: false, lines: []}}), v('2.3.0'), 'env.java.home /opt/jdk').level, 'error')
    assert.equal(javaCheck(facts({java: {found: true, lines: ['Error: could not open `lib/jvm.cfg`'], exitStatus: 1}}), v('2.3.0'), 'PATH').level, 'error')
  })
})

describe('lib', () => {
  const mine = [{name: 'a.jar', size: 3, sha256: 'aa'}, {name: 'flink-dist-2.3.0.jar', size: 10, sha256: 'dd'}]
  it('the same names, sizes and hashes pass', () => {
    assert.equal(libCheck(facts({lib: [...mine].reverse()}), mine, '/opt/flink').level, 'ok')
  })
  it('a different build is an error naming the files', () => {
    const c = libCheck(facts({lib: [{name: 'a.jar', size: 3, sha256: 'aa'}, {name: 'flink-dist-2.3.0.jar', size: 10, sha256: 'ee'}, {name: 'extra.jar', size: 1, sha256: 'ff'}]}), mine, '/opt/flink')
    assert.equal(c.level, 'error')
    assert.match(c.detail, /different: flink-dist-2\.3\.0\.jar; only there: extra\.jar/)
    assert.match(libCheck(facts({lib: [mine[0]!]}), mine, '/opt/flink').detail, /missing: flink-dist-2\.3\.0\.jar/)
  })
  it('no home, or no lib/ there, is an error; no sha256 tool a warning', () => {
    assert.equal(libCheck(facts({home: 'no', lib: undefined}), mine, '/opt/flink').check, 'flink-home')
    assert.equal(libCheck(facts({home: 'nolib', lib: undefined}), mine, '/opt/flink').level, 'error')
    assert.equal(libCheck(facts({lib: undefined}), mine, '/opt/flink').level, 'warn')
  })
})

describe('clock', () => {
  it('warning above 500 ms, error above 5 s, beyond the uncertainty of the measurement', () => {
    assert.equal(clockCheck(120, 5).level, 'ok')
    assert.equal(clockCheck(-800, 5).level, 'warn')
    assert.equal(clockCheck(30_000, 5).level, 'error')
    assert.match(clockCheck(30_000, 5).detail, /\+30\.0 s from this machine/)
    assert.equal(clockCheck(900, 500).level, 'ok', 'a whole-seconds clock cannot tell 900 ms')
    assert.equal(clockCheck(undefined, 0).level, 'warn')
  })
  it('parses date +%s%N and the whole-seconds fallback', () => {
    assert.deepEqual(parseClock('ns\t1765000000123456789\n'), {ms: 1765000000123, resolutionMs: 1})
    assert.deepEqual(parseClock('s\t1765000000\n'), {ms: 1765000000000, resolutionMs: 1000})
    assert.equal(parseClock('ns\t\n'), undefined)
  })
})

describe('names', () => {
  const answers = (m: Record<string, Record<string, string[] | undefined>>) => new Map(Object.entries(m).map(([h, n]) => [h, new Map(Object.entries(n))]))
  it('a host resolving a cluster name to another address than the others is an error there only', () => {
    const r = nameChecks(['h1', 'h2'], answers({
      h1: {h1: ['127.0.1.1'], h2: ['10.0.0.2']},
      h2: {h1: ['10.0.0.1'], h2: ['10.0.0.2']},
      h3: {h1: ['10.0.0.1', 'fe80::1'], h2: ['10.0.0.2']},
    }))
    assert.equal(r.get('h1')!.level, 'error')
    assert.match(r.get('h1')!.detail, /h1 → 127\.0\.1\.1 here, 10\.0\.0\.1 on h2, h3/)
    assert.equal(r.get('h2')!.level, 'ok')
    assert.equal(r.get('h3')!.level, 'ok')
  })
  it('a name that does not resolve is an error; a tie marks both sides; loopback names are skipped', () => {
    const r = nameChecks(['h1', 'localhost'], answers({a: {h1: [], localhost: ['127.0.0.1']}, b: {h1: ['10.0.0.1'], localhost: ['::1']}}))
    assert.match(r.get('a')!.detail, /h1 does not resolve/)
    assert.equal(r.get('b')!.level, 'ok')
    const tie = nameChecks(['h1'], answers({a: {h1: ['10.0.0.1']}, b: {h1: ['10.0.0.9']}}))
    assert.equal(tie.get('a')!.level, 'error')
    assert.equal(tie.get('b')!.level, 'error')
  })
  it('a loopback answer loses against any other, even on a tie; one loopback answer everywhere fails a multi-host cluster', () => {
    const two = nameChecks(['h1'], answers({h1: {h1: ['127.0.1.1']}, h2: {h1: ['10.0.0.1']}}))
    assert.equal(two.get('h1')!.level, 'error')
    assert.equal(two.get('h2')!.level, 'ok')
    const all = nameChecks(['jm'], answers({a: {jm: ['127.0.0.1']}, b: {jm: ['127.0.0.1']}}))
    assert.match(all.get('a')!.detail, /jm → 127\.0\.0\.1 \(loopback\) on every host/)
    assert.equal(nameChecks(['jm'], answers({a: {jm: ['127.0.1.1']}})).get('a')!.level, 'ok', 'a single-host cluster may live on loopback')
  })
  it('no getent: a warning, not a pass', () => {
    assert.equal(nameChecks(['h1'], answers({a: {h1: undefined}})).get('a')!.level, 'warn')
  })
})

describe('disk and open files', () => {
  const dirs = [{path: '/opt/flink/log', use: 'log dir'}, {path: '/tmp', use: 'pid dir'}]
  it('thresholds and writability', () => {
    const f = parseFacts('dir\t0\t100000\tyes\ndir\t1\t90000000\tno\nnofile\t1024\t524288\n')
    const c = diskChecks(f, dirs)
    assert.deepEqual(c.map((x) => x.level), ['error', 'error'])
    assert.match(c[0]!.detail, /log dir \/opt\/flink\/log: 98 MiB free/)
    assert.match(c[1]!.detail, /not writable/)
    assert.equal(diskChecks(parseFacts('dir\t0\t9000000\tyes\n'), dirs)[0]!.level, 'ok')
    const conf = diskChecks(parseFacts('dir\t0\t9000000\tno\n'), [{path: '/etc/flink', use: 'conf dir'}])
    assert.equal(conf[0]!.level, 'warn', 'only a push writes the conf dir')
    assert.match(conf[0]!.detail, /--no-push/)
    const o = openFilesCheck(f)
    assert.equal(o.level, 'warn')
    assert.match(o.hint!, /raise the soft limit/)
    assert.equal(openFilesCheck(parseFacts('nofile\tunlimited\tunlimited\n')).level, 'ok')
  })
})
