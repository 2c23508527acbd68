/**
 * config push against real directories through LocalHost: temp dirs stand in for the conf dirs
 * of remote hosts, so every shell script here runs for real under /bin/sh.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {diffConf, inspectRemote, localConfFiles, parseMode, planPush, pushConf, pushConfAll, type LocalFile} from '../../../src/lib/cluster/push.ts'
import {HostError, type ExecOptions, type ExecResult, type Host} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'

const root = mkdtempSync(join(tmpdir(), 'flinkctl-push-'))
after(() => rmSync(root, {recursive: true, force: true}))

let seq = 0
const fresh = (label: string): string => {
  const d = join(root, `${label}-${seq++}`)
  mkdirSync(d, {recursive: true})
  return d
}

/** A bastion conf dir with the usual files plus junk that must never be pushed. */
function bastion(): string {
  const d = fresh('bastion')
  writeFileSync(join(d, 'config.yaml'), 'jobmanager.rpc.address: jm1\ntaskmanager.numberOfTaskSlots: 2\n')
  writeFileSync(join(d, 'workers'), 'w1\nw2\n')
  writeFileSync(join(d, 'masters'), 'jm1:8081\n')
  writeFileSync(join(d, 'empty.properties'), '')
  writeFileSync(join(d, 'secret.properties'), 'password=hunter2\n', {mode: 0o600})
  chmodSync(join(d, 'secret.properties'), 0o600)
  writeFileSync(join(d, 'hook.sh'), '#!/bin/sh\necho hi\n')
  chmodSync(join(d, 'hook.sh'), 0o755)
  // junk
  writeFileSync(join(d, 'config.yaml~'), 'old')
  writeFileSync(join(d, '.config.yaml.swp'), 'vim')
  writeFileSync(join(d, '.hidden'), 'x')
  mkdirSync(join(d, '.flinkctl/prev'), {recursive: true})
  writeFileSync(join(d, '.flinkctl/prev/workers'), 'stale')
  mkdirSync(join(d, 'subdir'))
  writeFileSync(join(d, 'subdir/nested.yaml'), 'a: 1\n')
  symlinkSync('/nonexistent/target', join(d, 'dangling'))
  return d
}

interface Snap {ino: number; mtimeMs: number; ctimeMs: number; mode: number}
function snapshot(dir: string): Map<string, Snap> {
  const out = new Map<string, Snap>()
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name), {throwIfNoEntry: false})
    if (st?.isFile()) out.set(name, {ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, mode: st.mode & 0o7777})
  }
  return out
}

/** Every entry of a dir, hidden ones included (to see leftovers). */
const entries = (dir: string): string[] => readdirSync(dir).sort()

/** The names a pushed conf dir holds: the files and flinkctl's state dir. */
const withState = (files: readonly LocalFile[]): string[] => [...files.map((f) => f.name), '.flinkctl'].sort()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs scripts on the real LocalHost with a PATH that lacks some tools. */
class RestrictedHost implements Host {
  readonly local = true
  readonly user = 'root'
  readonly inner: LocalHost
  readonly bin: string
  readonly name: string
  constructor(name: string, without: readonly string[]) {
    this.name = name
    this.inner = new LocalHost(name)
    this.bin = fresh('bin')
    const seen = new Set<string>()
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
      if (!existsSync(dir)) continue
      for (const tool of readdirSync(dir)) {
        if (without.includes(tool) || seen.has(tool)) continue
        seen.add(tool)
        symlinkSync(join(dir, tool), join(this.bin, tool))
      }
    }
  }
  sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.inner.sh(`PATH=${this.bin}; export PATH\n${script}`, args, opts)
  }
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> { return this.inner.run(argv, opts) }
  async close(): Promise<void> {}
}

/** Flips one byte of what it sends on stdin: a corrupted transfer. */
class CorruptingHost extends LocalHost {
  override sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.stdin && opts.stdin.length > 0) {
      const b = Buffer.from(opts.stdin)
      b[b.length - 1] = b[b.length - 1]! ^ 0x20
      opts = {...opts, stdin: b}
    }
    return super.sh(script, args, opts)
  }
}

describe('localConfFiles', () => {
  it('returns the regular files with content, sha256 and mode, and skips junk, hidden files, dirs and dangling links', () => {
    const d = bastion()
    const files = localConfFiles(d)
    assert.deepEqual(files.map((f) => f.name), ['config.yaml', 'empty.properties', 'hook.sh', 'masters', 'secret.properties', 'workers'])
    const byName = new Map(files.map((f) => [f.name, f]))
    assert.equal(byName.get('hook.sh')!.mode, 0o755)
    assert.equal(byName.get('secret.properties')!.mode, 0o600)
    assert.equal(byName.get('workers')!.sha256, require_sha('w1\nw2\n'))
    assert.equal(byName.get('empty.properties')!.sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    assert.equal(byName.get('workers')!.content.toString(), 'w1\nw2\n')
  })

  it('refuses a missing conf dir with a typed error', () => {
    assert.throws(() => localConfFiles(join(root, 'nope')), (e: Error & {code?: string}) => e.code === 'CONF_DIR')
  })
})

describe('parseMode', () => {
  it('reads octal and ls -l forms', () => {
    assert.equal(parseMode('644'), 0o644)
    assert.equal(parseMode('4755'), 0o4755)
    assert.equal(parseMode('-rw-r--r--'), 0o644)
    assert.equal(parseMode('-rwsr-x--T+'), 0o5750)
    assert.equal(parseMode('-rwxr-sr-x.'), 0o2755)
    assert.equal(parseMode('-r--------'), 0o400)
  })
})

describe('planPush', () => {
  const f = (name: string, content: string, mode = 0o644): LocalFile => ({name, content: Buffer.from(content), sha256: require_sha(content), mode})
  it('classifies create, update, mode-only, unchanged and conflict', () => {
    const local = [f('a', 'x'), f('b', 'y'), f('c', 'z', 0o600), f('d', 'w'), f('e', 'v')]
    const remote = new Map([
      ['b', {state: 'file' as const, sha256: require_sha('old'), mode: 0o644, size: 3}],
      ['c', {state: 'file' as const, sha256: require_sha('z'), mode: 0o644, size: 1}],
      ['d', {state: 'file' as const, sha256: require_sha('w'), mode: 0o644, size: 1}],
      ['e', {state: 'other' as const, reason: 'not a regular file'}],
    ])
    assert.deepEqual(planPush(local, remote).map((p) => [p.name, p.action]), [['a', 'create'], ['b', 'update'], ['c', 'mode'], ['d', 'unchanged'], ['e', 'conflict']])
  })
  it('compares content when the host had no hash tool, and updates when neither is known', () => {
    const local = [f('a', 'same'), f('b', 'new'), f('c', 'big')]
    const remote = new Map([
      ['a', {state: 'file' as const, sha256: undefined, mode: 0o644, size: 4, content: Buffer.from('same')}],
      ['b', {state: 'file' as const, sha256: undefined, mode: 0o644, size: 3, content: Buffer.from('old')}],
      ['c', {state: 'file' as const, sha256: undefined, mode: 0o644, size: 3}],
    ])
    assert.deepEqual(planPush(local, remote).map((p) => p.action), ['unchanged', 'update', 'update'])
  })
})

function require_sha(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

describe('pushConf', () => {
  const host = new LocalHost('w1')
  let src: string
  let files: LocalFile[]
  before(() => {
    src = bastion()
    files = localConfFiles(src)
  })

  it('creates every file with its mode, creating the conf dir, and leaves no temp files or state dir behind', async () => {
    const target = join(fresh('host'), 'opt/flink/conf')
    const r = await pushConf(host, target, files, {sourceDir: src})
    assert.deepEqual(r.created, files.map((f) => f.name))
    assert.deepEqual([r.updated, r.unchanged, r.modeChanged, r.previousKept], [[], [], [], []])
    assert.deepEqual(entries(target), withState(files))
    assert.deepEqual(entries(join(target, '.flinkctl')), ['manifest'], 'no staging dir, no journal left')
    assert.equal(readFileSync(join(target, '.flinkctl/manifest'), 'utf8'), files.map((f) => `${f.name}\n`).join(''))
    for (const f of files) {
      assert.deepEqual(readFileSync(join(target, f.name)), f.content, f.name)
      assert.equal(statSync(join(target, f.name)).mode & 0o7777, f.mode, `${f.name} mode`)
    }
    // the conf dir itself gets the ordinary umask, not the private one used for temp files
    assert.equal(statSync(target).mode & 0o777, 0o755 & ~process.umask())
  })

  it('skips every file on a second push and touches nothing (inode, mtime, ctime unchanged)', async () => {
    const target = fresh('host')
    await pushConf(host, target, files)
    const before = snapshot(target)
    await sleep(20)
    const r = await pushConf(host, target, files)
    assert.deepEqual(r.unchanged, files.map((f) => f.name))
    assert.deepEqual([r.created, r.updated, r.modeChanged, r.previousKept], [[], [], [], []])
    assert.deepEqual(snapshot(target), before)
    assert.deepEqual(entries(target), withState(files))
  })

  it('updates only the changed file, keeps its previous version, and leaves every other file untouched', async () => {
    const target = fresh('host')
    await pushConf(host, target, files)
    writeFileSync(join(target, 'extra-on-host'), 'not ours') // push never deletes
    const before = snapshot(target)
    await sleep(20)
    const changed = files.map((f) => (f.name === 'config.yaml' ? {...f, content: Buffer.from('jobmanager.rpc.address: jm2\n'), sha256: require_sha('jobmanager.rpc.address: jm2\n')} : f))
    const r = await pushConf(host, target, changed)
    assert.deepEqual(r.updated, ['config.yaml'])
    assert.deepEqual(r.unchanged, files.map((f) => f.name).filter((n) => n !== 'config.yaml'))
    assert.deepEqual(r.previousKept, [`${target}/.flinkctl/prev/config.yaml`])
    const now = snapshot(target)
    for (const [name, s] of before) {
      if (name === 'config.yaml') continue
      assert.deepEqual(now.get(name), s, `${name} must not be touched`)
    }
    assert.equal(readFileSync(join(target, 'config.yaml'), 'utf8'), 'jobmanager.rpc.address: jm2\n')
    assert.notEqual(now.get('config.yaml')!.ino, before.get('config.yaml')!.ino, 'replaced by rename, not rewritten in place')
    // the previous version: old bytes, old inode (so old mode and mtime too)
    const prev = join(target, '.flinkctl/prev/config.yaml')
    assert.equal(readFileSync(prev, 'utf8'), 'jobmanager.rpc.address: jm1\ntaskmanager.numberOfTaskSlots: 2\n')
    assert.equal(statSync(prev).ino, before.get('config.yaml')!.ino)
    assert.deepEqual(entries(target), [...files.map((f) => f.name), '.flinkctl', 'extra-on-host'].sort())
    assert.deepEqual(readdirSync(join(target, '.flinkctl/prev')), ['config.yaml'])
  })

  it('applies a mode-only change with chmod: same inode and mtime, nothing kept', async () => {
    const target = fresh('host')
    await pushConf(host, target, files)
    const before = snapshot(target)
    await sleep(20)
    const changed = files.map((f) => (f.name === 'hook.sh' ? {...f, mode: 0o700} : f))
    const r = await pushConf(host, target, changed)
    assert.deepEqual(r.modeChanged, ['hook.sh'])
    assert.deepEqual([r.created, r.updated, r.previousKept], [[], [], []])
    const after = snapshot(target).get('hook.sh')!
    assert.equal(after.mode, 0o700)
    assert.equal(after.ino, before.get('hook.sh')!.ino)
    assert.equal(after.mtimeMs, before.get('hook.sh')!.mtimeMs)
    assert.deepEqual(entries(join(target, '.flinkctl')), ['manifest'], 'nothing kept')
  })

  it('writes binary content and many files byte-exactly in one round trip', async () => {
    const target = fresh('host')
    const bin = Buffer.from(Array.from({length: 70000}, (_, i) => (i * 7919) % 256))
    const many: LocalFile[] = [
      {name: 'a.bin', content: bin, sha256: createHash('sha256').update(bin).digest('hex'), mode: 0o640},
      {name: 'name with spaces', content: Buffer.from('x\n'), sha256: require_sha('x\n'), mode: 0o644},
      {name: "it's-$HOME-`x`", content: Buffer.from('q'), sha256: require_sha('q'), mode: 0o644},
      ...files,
    ]
    let calls = 0
    const counting: Host = {name: 'w1', local: true, user: 'root', sh: (s, a, o) => { calls++; return host.sh(s, a, o) }, run: (a, o) => host.run(a, o), close: async () => {}}
    const r = await pushConf(counting, target, many)
    assert.equal(calls, 2, 'one inspection, one write')
    assert.equal(r.created.length, many.length)
    for (const f of many) assert.deepEqual(readFileSync(join(target, f.name)), f.content, f.name)
    assert.equal(statSync(join(target, 'a.bin')).mode & 0o7777, 0o640)
    calls = 0
    await pushConf(counting, target, many)
    assert.equal(calls, 1, 'nothing to write: inspection only')
  })

  it('does nothing on a dry run', async () => {
    const target = fresh('host')
    const r = await pushConf(host, target, files, {dryRun: true})
    assert.equal(r.dryRun, true)
    assert.deepEqual(r.created, files.map((f) => f.name))
    assert.deepEqual(entries(target), [])
  })

  it('skips the bastion itself: a local host whose conf dir is the source (also through a symlink)', async () => {
    const link = join(fresh('links'), 'conf')
    symlinkSync(src, link)
    const before = snapshot(src)
    for (const dir of [src, link, `${src}/`]) {
      const r = await pushConf(host, dir, files, {sourceDir: src})
      assert.equal(r.skipped, 'source', dir)
    }
    assert.deepEqual(snapshot(src), before)
  })

  it('fails on a host whose conf dir cannot exist (parent is a file), with nothing left behind', async () => {
    const base = fresh('host')
    writeFileSync(join(base, 'afile'), 'x')
    await assert.rejects(pushConf(host, join(base, 'afile/conf'), files), (e: unknown) => {
      assert.ok(e instanceof HostError)
      assert.equal(e.host, 'w1')
      assert.equal(e.code, 'PUSH_FAILED')
      assert.match(e.message, /nothing was changed/)
      return true
    })
    assert.deepEqual(entries(base), ['afile'])
  })

  it('refuses before writing anything when a target path is a directory on the host', async () => {
    const target = fresh('host')
    mkdirSync(join(target, 'workers'))
    await assert.rejects(pushConf(host, target, files), (e: HostError) => e.code === 'PUSH_CONFLICT' && /workers is not a regular file/.test(e.message))
    assert.deepEqual(entries(target), ['workers'])
  })

  it('rolls back a corrupted transfer: no temp files, old files untouched', async () => {
    const target = fresh('host')
    await pushConf(host, target, files)
    const before = snapshot(target)
    const changed = files.map((f) => ({...f, content: Buffer.concat([f.content, Buffer.from('# changed\n')]), sha256: require_sha(f.content.toString() + '# changed\n')}))
    await assert.rejects(pushConf(new CorruptingHost('w1'), target, changed), (e: HostError) => {
      assert.equal(e.code, 'PUSH_FAILED')
      assert.match(e.message, /does not match|nothing was changed/)
      return true
    })
    assert.deepEqual(snapshot(target), before)
    assert.deepEqual(entries(target), withState(files), 'no temp files')
    assert.deepEqual(entries(join(target, '.flinkctl')), ['manifest'], 'the staging dir is gone, no journal')
  })

  it('reports per host: one host failing does not stop or spoil another', async () => {
    const good = fresh('host')
    const badBase = fresh('host')
    writeFileSync(join(badBase, 'f'), '')
    const hosts = [new LocalHost('good'), new LocalHost('bad')]
    // Same path on every host is the rule; here two local "hosts" get different dirs through a wrapper.
    const routed = hosts.map((h): Host => ({
      name: h.name, local: false, user: 'root', run: (a, o) => h.run(a, o), close: async () => {},
      sh: (s, a = [], o) => h.sh(s, [h.name === 'good' ? good : join(badBase, 'f/conf'), ...a.slice(1)], o),
    }))
    const outcomes = await pushConfAll(routed, '/placeholder', files)
    assert.deepEqual(outcomes.map((o) => [o.host, o.ok]), [['good', true], ['bad', false]])
    assert.deepEqual(outcomes[0]!.value!.created, files.map((f) => f.name))
    assert.equal(outcomes[1]!.error!.code, 'PUSH_FAILED')
    assert.deepEqual(entries(good), withState(files))
  })

  for (const [label, without] of [
    ['shasum', ['sha256sum']],
    ['openssl', ['sha256sum', 'shasum']],
    ['no hash tool', ['sha256sum', 'shasum', 'openssl']],
    ['no GNU stat, no head -c', ['sha256sum', 'stat', 'head']],
  ] as const) {
    it(`works with ${label} on the host`, async () => {
      const h = new RestrictedHost('w1', without)
      const probe = await h.sh('command -v sha256sum shasum openssl stat head; true')
      for (const t of without) assert.ok(!probe.stdout.includes(`/${t}\n`), `${t} must be hidden`)
      const target = fresh('host')
      const r1 = await pushConf(h, target, files)
      assert.deepEqual(r1.created, files.map((f) => f.name))
      for (const f of files) {
        assert.deepEqual(readFileSync(join(target, f.name)), f.content)
        assert.equal(statSync(join(target, f.name)).mode & 0o7777, f.mode)
      }
      const state = await inspectRemote(h, target, files.map((f) => f.name))
      for (const f of files) {
        const s = state.get(f.name)!
        assert.equal(s.state, 'file')
        if (s.state === 'file') {
          assert.equal(s.sha256, f.sha256, `${f.name} hash (computed here from content without a tool)`)
          assert.equal(s.mode, f.mode)
          assert.equal(s.size, f.content.length)
        }
      }
      const before = snapshot(target)
      const r2 = await pushConf(h, target, files)
      assert.deepEqual(r2.unchanged, files.map((f) => f.name))
      assert.deepEqual(snapshot(target), before)
      const changed = files.map((f) => (f.name === 'workers' ? {...f, content: Buffer.from('w9\n'), sha256: require_sha('w9\n')} : f))
      const d = await diffConf(h, target, changed)
      assert.deepEqual(d.same, files.map((f) => f.name).filter((n) => n !== 'workers'))
      assert.deepEqual(d.differs.map((x) => x.name), ['workers'])
      assert.match(d.differs[0]!.unifiedDiff!, /\n-w1\n-w2\n\+w9\n$/)
      const r3 = await pushConf(h, target, changed)
      assert.deepEqual(r3.updated, ['workers'])
      assert.equal(readFileSync(join(target, 'workers'), 'utf8'), 'w9\n')
      assert.deepEqual(entries(target), [...files.map((f) => f.name), '.flinkctl'].sort())
    })
  }
})

describe('inspectRemote', () => {
  it('reports missing, other and file states in one round trip', async () => {
    const d = fresh('host')
    writeFileSync(join(d, 'a'), 'abc')
    chmodSync(join(d, 'a'), 0o640)
    mkdirSync(join(d, 'dir'))
    symlinkSync('/nonexistent', join(d, 'dangling'))
    const s = await inspectRemote(new LocalHost('w1'), d, ['a', 'missing', 'dir', 'dangling'])
    assert.deepEqual(s.get('a'), {state: 'file', sha256: require_sha('abc'), mode: 0o640, size: 3})
    assert.deepEqual(s.get('missing'), {state: 'missing'})
    assert.equal(s.get('dir')!.state, 'other')
    assert.equal(s.get('dangling')!.state, 'other')
  })
  it('treats a missing conf dir as all files missing', async () => {
    const s = await inspectRemote(new LocalHost('w1'), join(root, 'no/such/dir'), ['a'])
    assert.deepEqual(s.get('a'), {state: 'missing'})
  })
})
