/** config diff: unified diffs, redaction of secrets, and the per-host summary. */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {diffConf, diffConfAll, diffLines, localConfFiles, redactInline, redactLines, unifiedDiff} from '../../../src/lib/cluster/push.ts'
import {REDACTED} from '../../../src/lib/conf/keys.ts'
import type {ExecOptions, Host} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'

const root = mkdtempSync(join(tmpdir(), 'flinkctl-diff-'))
after(() => rmSync(root, {recursive: true, force: true}))
let seq = 0
const fresh = (label: string): string => {
  const d = join(root, `${label}-${seq++}`)
  mkdirSync(d, {recursive: true})
  return d
}
const labels = {localLabel: 'bastion:conf/x', remoteLabel: 'w1:conf/x'}

describe('unifiedDiff', () => {
  it('matches diff -u for a changed line in the middle', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n'
    const b = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n'
    assert.equal(unifiedDiff('x', a, b, labels), [
      '--- bastion:conf/x', '+++ w1:conf/x', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8', '',
    ].join('\n'))
  })

  it('splits distant changes into hunks and merges close ones', () => {
    const a = Array.from({length: 20}, (_, i) => `l${i + 1}`).join('\n') + '\n'
    const b = a.replace('l2\n', 'L2\n').replace('l18\n', '').replace('l20\n', 'l20\nl21\n')
    assert.equal(unifiedDiff('x', a, b, labels), [
      '--- bastion:conf/x', '+++ w1:conf/x',
      '@@ -1,5 +1,5 @@', ' l1', '-l2', '+L2', ' l3', ' l4', ' l5',
      '@@ -15,6 +15,6 @@', ' l15', ' l16', ' l17', '-l18', ' l19', ' l20', '+l21', '',
    ].join('\n'))
  })

  it('handles empty sides and a missing final newline like diff -u', () => {
    assert.equal(unifiedDiff('x', '', 'a\nb\n', labels), '--- bastion:conf/x\n+++ w1:conf/x\n@@ -0,0 +1,2 @@\n+a\n+b\n')
    assert.equal(unifiedDiff('x', 'a\n', 'a', labels), '--- bastion:conf/x\n+++ w1:conf/x\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n')
    assert.equal(unifiedDiff('x', 'same\n', 'same\n', labels), '')
  })

  it('gives up (undefined) past maxEdits', () => {
    const a = Array.from({length: 50}, (_, i) => `a${i}`).join('\n')
    const b = Array.from({length: 50}, (_, i) => `b${i}`).join('\n')
    assert.equal(unifiedDiff('x', a, b, {...labels, maxEdits: 10}), undefined)
    assert.ok(unifiedDiff('x', a, b, {...labels, maxEdits: 100})!.includes('+b49'))
  })
})

describe('diffLines', () => {
  /** Length of the longest common subsequence, by dynamic programming. */
  const lcs = (a: string[], b: string[]): number => {
    const t = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
    for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!)
    return t[0]![0]!
  }
  it('produces a minimal, valid edit script on random inputs', () => {
    let seed = 42
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
    for (let round = 0; round < 300; round++) {
      const a = Array.from({length: rnd(15)}, () => 'abcd'[rnd(4)]!)
      const b = Array.from({length: rnd(15)}, () => 'abcd'[rnd(4)]!)
      const ops = diffLines(a, b)!
      // replaying the script turns a into b
      const rebuilt: string[] = []
      let ai = 0
      for (const e of ops) {
        if (e.op === '=') { assert.equal(a[e.a], b[e.b]); assert.equal(e.a, ai); ai++; rebuilt.push(b[e.b]!) }
        else if (e.op === '-') { assert.equal(e.a, ai); ai++ }
        else rebuilt.push(b[e.b]!)
      }
      assert.equal(ai, a.length)
      assert.deepEqual(rebuilt, b)
      assert.equal(ops.filter((e) => e.op === '=').length, lcs(a, b), `minimal for ${a.join('')} -> ${b.join('')}`)
    }
  })
})

describe('redaction', () => {
  it('redacts secret keys in flat and nested YAML, block scalars and lists', () => {
    const lines = [
      'jobmanager.rpc.address: jm1',
      's3.secret-key: abc123',
      'security:',
      '  ssl:',
      '    internal:',
      '      keystore-password: "kp"',
      '      enabled: true',
      'fs:',
      '  s3:',
      '    access-key: AKIA',
      'sasl.jaas.config: |',
      '  line one user=x',
      '  line two',
      'next: ok',
      'token:',
      '- t1',
      '- t2',
      'env.java.opts.all: -Xmx1g -Djavax.net.ssl.keyStorePassword=pw9 -Dfoo=bar',
      '# old: s3.secret-key: oldsecret',
      'flow: {user: u, password: fp}',
      'url: jdbc:postgresql://bob:pgpass@db/flink',
    ]
    assert.deepEqual(redactLines('config.yaml', lines), [
      'jobmanager.rpc.address: jm1',
      `s3.secret-key: ${REDACTED}`,
      'security:',
      '  ssl:',
      '    internal:',
      `      keystore-password: ${REDACTED}`,
      '      enabled: true',
      'fs:',
      '  s3:',
      `    access-key: ${REDACTED}`,
      'sasl.jaas.config: |',
      `  ${REDACTED}`,
      `  ${REDACTED}`,
      'next: ok',
      'token:',
      REDACTED,
      REDACTED,
      `env.java.opts.all: -Xmx1g -Djavax.net.ssl.keyStorePassword=${REDACTED} -Dfoo=bar`,
      `# old: s3.secret-key: ${REDACTED}`,
      `flow: {user: u, password: ${REDACTED}}`,
      `url: jdbc:postgresql://bob:${REDACTED}@db/flink`,
    ])
  })

  it('redacts properties (with continuation lines) and Hadoop XML', () => {
    assert.deepEqual(redactLines('zoo.cfg', ['tickTime=2000', 'ssl.keyStore.password = s1', 'secret.key: a\\', '  b', 'after=1']),
      ['tickTime=2000', `ssl.keyStore.password = ${REDACTED}`, `secret.key: ${REDACTED}`, `  ${REDACTED}`, 'after=1'])
    assert.deepEqual(redactLines('core-site.xml', [
      '<property><name>fs.s3a.secret.key</name><value>x1</value></property>',
      '<property>', '  <name>fs.s3a.endpoint</name>', '  <value>http://s3</value>', '</property>',
      '<property>', '  <name>fs.s3a.access.key</name>', '  <value>', '    x2', '  </value>', '</property>',
    ]), [
      `<property><name>fs.s3a.secret.key</name><value>${REDACTED}</value></property>`,
      '<property>', '  <name>fs.s3a.endpoint</name>', '  <value>http://s3</value>', '</property>',
      '<property>', '  <name>fs.s3a.access.key</name>', `  <value>${REDACTED}`, `    ${REDACTED}`, '  </value>', '</property>',
    ])
  })

  it('leaves ordinary text alone', () => {
    for (const l of ['taskmanager.numberOfTaskSlots: 4', 'rest.address: http://jm:8081', 'log4j.rootLogger=INFO, file', '12:30:01 started']) assert.equal(redactInline(l), l)
  })
})

describe('diffConf', () => {
  const secretOld = 'oldS3cretValue'
  const secretNew = 'newS3cretValue'
  const jksBytes = Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0xff, 0x00])

  function setup(): {src: string; target: string} {
    const src = fresh('bastion')
    const target = fresh('host')
    const conf = (secret: string, slots: number) => [
      'jobmanager.rpc.address: jm1',
      `taskmanager.numberOfTaskSlots: ${slots}`,
      'security:',
      '  ssl:',
      `    keystore-password: ${secret}`,
      'parallelism.default: 1',
      '',
    ].join('\n')
    writeFileSync(join(src, 'config.yaml'), conf(secretNew, 4))
    writeFileSync(join(target, 'config.yaml'), conf(secretOld, 2))
    writeFileSync(join(src, 'workers'), 'w1\nw2\n')
    writeFileSync(join(target, 'workers'), 'w1\nw2\n')
    writeFileSync(join(src, 'masters'), 'jm1:8081\n')
    writeFileSync(join(src, 'start.sh'), 'echo\n')
    chmodSync(join(src, 'start.sh'), 0o755)
    writeFileSync(join(target, 'start.sh'), 'echo\n')
    chmodSync(join(target, 'start.sh'), 0o644)
    writeFileSync(join(src, 'keystore.jks'), jksBytes)
    writeFileSync(join(target, 'keystore.jks'), Buffer.concat([jksBytes, Buffer.from([1])]))
    writeFileSync(join(src, 'blob.bin'), Buffer.from([1, 2, 0, 3]))
    writeFileSync(join(target, 'blob.bin'), Buffer.from([1, 2, 0, 4, 5]))
    writeFileSync(join(src, 'tls.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
    writeFileSync(join(target, 'tls.key'), '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n')
    writeFileSync(join(target, 'only-on-host.yaml'), 'a: 1\n')
    writeFileSync(join(target, '.hidden'), 'x')
    return {src, target}
  }

  it('summarises a host: same, missing, extra, content and mode differences, secrets redacted', async () => {
    const {src, target} = setup()
    const files = localConfFiles(src)
    const r = await diffConf(new LocalHost('w1'), target, files, {sourceDir: src})
    assert.deepEqual(r.same, ['workers'])
    assert.deepEqual(r.missingRemote, ['masters'])
    assert.deepEqual(r.extraRemote, ['only-on-host.yaml'])
    const by = new Map(r.differs.map((d) => [d.name, d]))
    assert.deepEqual([...by.keys()].sort(), ['blob.bin', 'config.yaml', 'keystore.jks', 'start.sh', 'tls.key'])

    assert.deepEqual(by.get('start.sh'), {name: 'start.sh', content: false, mode: true, modeLocal: '0755', modeRemote: '0644', sizeLocal: 5, sizeRemote: 5})

    const conf = by.get('config.yaml')!
    assert.equal(conf.unifiedDiff, [
      `--- w1:${target}/config.yaml`,
      `+++ bastion:${target}/config.yaml`,
      '@@ -1,6 +1,6 @@',
      ' jobmanager.rpc.address: jm1',
      '-taskmanager.numberOfTaskSlots: 2',
      '+taskmanager.numberOfTaskSlots: 4',
      ' security:',
      '   ssl:',
      `-    keystore-password: ${REDACTED}`,
      `+    keystore-password: ${REDACTED}`,
      ' parallelism.default: 1',
      '',
    ].join('\n'))

    const blob = by.get('blob.bin')!
    assert.equal(blob.unifiedDiff, undefined)
    assert.deepEqual(blob.binary, {localBytes: 4, remoteBytes: 5, localSha256: sha([1, 2, 0, 3]), remoteSha256: sha([1, 2, 0, 4, 5])})
    assert.match(blob.note!, /binary file differs \(4 bytes vs 5 bytes\)/)
    assert.match(by.get('tls.key')!.note!, /secret file, content not shown/)
    assert.match(by.get('keystore.jks')!.note!, /secret file/)

    const json = JSON.stringify(r)
    for (const s of [secretOld, secretNew, 'AAAA', 'BBBB']) assert.ok(!json.includes(s), `${s} leaked into the result`)
  })

  it('fetches the differing files in the same single round trip', async () => {
    const {src, target} = setup()
    const inner = new LocalHost('w1')
    let calls = 0
    const counting: Host = {name: 'w1', local: true, user: 'root', run: (a, o) => inner.run(a, o), close: async () => {},
      sh: (s: string, a?: readonly string[], o?: ExecOptions) => { calls++; return inner.sh(s, a, o) }}
    const r = await diffConf(counting, target, localConfFiles(src))
    assert.equal(calls, 1)
    assert.ok(r.differs.find((d) => d.name === 'config.yaml')!.unifiedDiff)
  })

  it('summarises files over maxDiffBytes by size and hash', async () => {
    const {src, target} = setup()
    const r = await diffConf(new LocalHost('w1'), target, localConfFiles(src), {maxDiffBytes: 10})
    const conf = r.differs.find((d) => d.name === 'config.yaml')!
    assert.equal(conf.unifiedDiff, undefined)
    assert.match(conf.note!, /^differs \(\d+ bytes vs \d+ bytes\)$/)
    assert.ok(!JSON.stringify(r).includes(secretOld))
  })

  it('reports a missing conf dir as everything missing, and the source dir as skipped', async () => {
    const {src} = setup()
    const files = localConfFiles(src)
    const r = await diffConf(new LocalHost('w1'), join(root, 'nowhere'), files)
    assert.deepEqual(r.missingRemote, files.map((f) => f.name))
    assert.deepEqual([r.same, r.extraRemote, r.differs], [[], [], []])
    const link = join(fresh('l'), 'conf')
    symlinkSync(src, link)
    const s = await diffConf(new LocalHost('localhost'), link, files, {sourceDir: src})
    assert.equal(s.skipped, 'source')
  })

  it('runs per host with diffConfAll, keeping failures per host', async () => {
    const {src, target} = setup()
    const broken: Host = {name: 'down', local: false, user: 'root', run: async () => { throw new Error('x') }, close: async () => {},
      sh: async () => ({code: 255, stdout: '', stderr: 'ssh: connect to host down port 22: Connection refused', durationMs: 1, timedOut: false})}
    const out = await diffConfAll([new LocalHost('w1'), broken], target, localConfFiles(src))
    assert.equal(out[0]!.ok, true)
    assert.equal(out[1]!.ok, false)
    assert.match(out[1]!.error!.message, /Connection refused/)
  })
})

function sha(bytes: number[]): string {
  return createHash('sha256').update(Buffer.from(bytes)).digest('hex')
}
