import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {
  appendHostKey,
  checkHostKey,
  entryMatches,
  fingerprint,
  hashHostName,
  keyTypeOfBlob,
  knownHostsName,
  lookupHostKey,
  lookupInEntries,
  parseKnownHosts,
} from '../../../src/lib/remote/known-hosts.ts'

/** A syntactically valid public key blob of a type (string type, then random bytes). */
function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(t.length)
  const body = createHash('sha256').update(seed).digest()
  const blen = Buffer.alloc(4)
  blen.writeUInt32BE(body.length)
  return Buffer.concat([len, t, blen, body])
}
const ED = 'ssh-ed25519'
const k1 = blob(ED, 'one')
const k2 = blob(ED, 'two')
const r1 = blob('ssh-rsa', 'rsa-one')
const line = (hosts: string, b: Buffer, marker = '') => `${marker ? `${marker} ` : ''}${hosts} ${keyTypeOfBlob(b)} ${b.toString('base64')}`

const hasKeygen = spawnSync('ssh-keygen', ['-?'], {stdio: 'ignore'}).error === undefined

describe('known_hosts parsing', () => {
  it('reads plain, bracketed, hashed, marked lines and skips junk', () => {
    const text = [
      '# comment',
      '',
      line('h1,10.0.0.1', k1),
      line('[h2]:2222', k2) + ' a comment',
      line('|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g=', k1),
      line('*.bad', k2, '@revoked'),
      line('*', k1, '@cert-authority'),
      line('x', k1, '@unknown-marker'),
      'only two-fields',
      `h3 ssh-rsa ${k1.toString('base64')}`, // field disagrees with the blob: corrupt
      'h4 ssh-ed25519 !!!notbase64',
      '  \th5\tssh-ed25519\t' + k2.toString('base64'),
    ].join('\n')
    const e = parseKnownHosts(text, 'kh')
    assert.deepEqual(
      e.map((x) => [x.line, x.marker ?? '', x.patterns?.join(',') ?? (x.hashed ? 'hashed' : '?'), x.keyType]),
      [
        [3, '', 'h1,10.0.0.1', ED],
        [4, '', '[h2]:2222', ED],
        [5, '', 'hashed', ED],
        [6, 'revoked', '*.bad', ED],
        [7, 'cert-authority', '*', ED],
        [12, '', 'h5', ED],
      ],
    )
  })

  it('names hosts as ssh does: [host]:port off port 22, lower-cased', () => {
    assert.equal(knownHostsName('H1', 22), 'h1')
    assert.equal(knownHostsName('h1', 2222), '[h1]:2222')
  })

  it('matches wildcards and negations in host patterns', () => {
    const [e] = parseKnownHosts(line('*.example.com,!evil.example.com,10.0.0.?', k1))
    assert.ok(entryMatches(e!, 'web.example.com'))
    assert.ok(!entryMatches(e!, 'evil.example.com'))
    assert.ok(entryMatches(e!, '10.0.0.7'))
    assert.ok(!entryMatches(e!, '10.0.0.17'))
    const [p] = parseKnownHosts(line('[*.example.com]:2222', k1))
    assert.ok(entryMatches(p!, '[a.example.com]:2222'))
    assert.ok(!entryMatches(p!, 'a.example.com'))
  })

  it('fingerprints like ssh-keygen -l (SHA256, base64 without padding)', () => {
    assert.match(fingerprint(k1), /^SHA256:[A-Za-z0-9+/]{43}$/)
  })
})

describe('checkHostKey', () => {
  const entries = parseKnownHosts(
    [line('h1,10.0.0.1', k1), line('[h2]:2222', k2), line('rsaonly', r1), line('both', k1), line('both', k2), line('*', k2, '@revoked'), line('h9', k2)].join('\n'),
    'kh',
  )
  const check = (host: string, port: number, b: Buffer) => lookupInEntries(entries, host, port, keyTypeOfBlob(b)!, b).status

  it('match, unknown, changed and revoked', () => {
    assert.equal(check('h1', 22, k1), 'match')
    assert.equal(check('10.0.0.1', 22, k1), 'match')
    assert.equal(check('H1', 22, k1), 'match')
    assert.equal(check('h1', 2222, k1), 'unknown', 'port 2222 needs a [h1]:2222 entry')
    assert.equal(check('nobody', 22, k1), 'unknown')
    assert.equal(check('h1', 22, blob(ED, 'three')), 'changed')
    assert.equal(check('h2', 2222, k2), 'revoked', '@revoked * wins over a valid entry')
    assert.equal(check('h9', 22, k2), 'revoked')
    // another type than the known one is unknown, not changed (ssh then warns, we refuse)
    assert.equal(check('rsaonly', 22, k1), 'unknown')
    // one of several keys of a host
    assert.equal(check('both', 22, k1), 'match')
  })

  it('reports the deciding line and the known key types', () => {
    const r = lookupInEntries(entries, 'h1', 22, ED, blob(ED, 'x'))
    assert.equal(r.status, 'changed')
    assert.equal(r.entry?.line, 1)
    assert.deepEqual(lookupInEntries(entries, 'rsaonly', 22, ED, k1).knownTypes, ['ssh-rsa'])
  })

  it('reads several files and tolerates missing ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkctl-kh-'))
    after(() => rmSync(dir, {recursive: true, force: true}))
    writeFileSync(join(dir, 'a'), line('a', k1) + '\n')
    writeFileSync(join(dir, 'b'), line('b', k2) + '\n')
    const files = [join(dir, 'missing'), join(dir, 'a'), join(dir, 'b')]
    assert.equal(await checkHostKey(files, 'a', 22, ED, k1), 'match')
    assert.equal(await checkHostKey(files, 'b', 22, ED, k2), 'match')
    assert.equal(await checkHostKey(files, 'b', 22, ED, k1), 'changed')
    assert.equal((await lookupHostKey(files, 'b', 22, ED, k1)).entry?.file, join(dir, 'b'))
  })
})

describe('hashed entries against OpenSSH', {skip: hasKeygen ? false : 'ssh-keygen not installed'}, () => {
  let dir: string
  let realKey: Buffer
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flinkctl-khh-'))
    // a real host key, so ssh-keygen accepts the lines
    const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')])
    assert.equal(gen.status, 0, String(gen.stderr))
    realKey = Buffer.from(readFileSync(join(dir, 'hostkey.pub'), 'utf8').split(' ')[1]!, 'base64')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('matches lines hashed by ssh-keygen -H, including [host]:port', async () => {
    const kh = join(dir, 'known_hosts')
    writeFileSync(kh, [line('h1.example.com', realKey), line('[h2.example.com]:2222', realKey), line('10.1.2.3', realKey)].join('\n') + '\n')
    const r = spawnSync('ssh-keygen', ['-H', '-f', kh], {encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    const hashed = readFileSync(kh, 'utf8')
    assert.doesNotMatch(hashed, /example\.com|10\.1\.2\.3/, 'ssh-keygen hashed every name')
    assert.equal(parseKnownHosts(hashed).filter((e) => e.hashed).length, 3)
    assert.equal(await checkHostKey([kh], 'h1.example.com', 22, ED, realKey), 'match')
    assert.equal(await checkHostKey([kh], 'H1.EXAMPLE.COM', 22, ED, realKey), 'match')
    assert.equal(await checkHostKey([kh], 'h2.example.com', 2222, ED, realKey), 'match')
    assert.equal(await checkHostKey([kh], 'h2.example.com', 22, ED, realKey), 'unknown')
    assert.equal(await checkHostKey([kh], '10.1.2.3', 22, ED, realKey), 'match')
    assert.equal(await checkHostKey([kh], 'h3.example.com', 22, ED, realKey), 'unknown')
    assert.equal(await checkHostKey([kh], 'h1.example.com', 22, ED, k1), 'changed')
  })

  it('writes hashed lines that ssh-keygen -F finds', async () => {
    const kh = join(dir, 'ours')
    await appendHostKey(kh, 'h7.example.com', 2200, ED, realKey, {hash: true})
    const text = readFileSync(kh, 'utf8')
    assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /)
    const found = spawnSync('ssh-keygen', ['-F', '[h7.example.com]:2200', '-f', kh], {encoding: 'utf8'})
    assert.equal(found.status, 0, `ssh-keygen -F did not find our hashed line: ${found.stdout}${found.stderr}`)
    const missing = spawnSync('ssh-keygen', ['-F', 'h7.example.com', '-f', kh], {encoding: 'utf8'})
    assert.notEqual(missing.status, 0)
    assert.equal(hashHostName('x', Buffer.alloc(20)), hashHostName('x', Buffer.alloc(20)))
  })
})

describe('appendHostKey', () => {
  it('creates the folder 0700 and the file 0600, and appends after a missing newline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkctl-kha-'))
    after(() => rmSync(dir, {recursive: true, force: true}))
    const file = join(dir, 'new', '.ssh', 'known_hosts')
    await appendHostKey(file, 'H1', 22, ED, k1)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(statSync(join(dir, 'new', '.ssh')).mode & 0o777, 0o700)
    assert.equal(readFileSync(file, 'utf8'), `${line('h1', k1)}\n`)
    writeFileSync(file, line('other', k2)) // no trailing newline
    await appendHostKey(file, 'h2', 2222, ED, k1)
    assert.equal(readFileSync(file, 'utf8'), `${line('other', k2)}\n${line('[h2]:2222', k1)}\n`)
    assert.equal(await checkHostKey([file], 'h2', 2222, ED, k1), 'match')
  })

  it('keeps lines whole when many appends run at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkctl-khc-'))
    after(() => rmSync(dir, {recursive: true, force: true}))
    const file = join(dir, 'known_hosts')
    await Promise.all(Array.from({length: 50}, (_, i) => appendHostKey(file, `host${i}`, 22, ED, blob(ED, String(i)))))
    const entries = parseKnownHosts(readFileSync(file, 'utf8'))
    assert.equal(entries.length, 50)
    for (let i = 0; i < 50; i++) assert.equal(lookupInEntries(entries, `host${i}`, 22, ED, blob(ED, String(i))).status, 'match')
  })
})
