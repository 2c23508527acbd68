// bin/pack-release: the two runtime tarballs and the npm package, checksummed; the arm64 one holds
// an aarch64 node; `npm install -g` of the package warns about nothing; and the x64 tarball,
// unpacked where a test host reaches it (any node of this machine hidden there), runs `flinkctl status` there
// against a running cluster of the SSH ground.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'
import {explain} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {skipUnlessRoot} from '../helpers/ground-hosts.ts'
import {haClusterGround, type HaCluster} from '../helpers/ha-cluster.ts'

const exec = promisify(execFile)
const repo = new URL('../..', import.meta.url).pathname
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string
const base = '/var/tmp/flinkctl-e2e/release'
const out = `${base}-out`

/** e_machine of an ELF file: 0x3e x86-64, 0xb7 aarch64. */
function elfMachine(file: string): number {
  const b = Buffer.alloc(20)
  const fd = openSync(file, 'r')
  readSync(fd, b, 0, 20, 0)
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF')
  return b.readUInt16LE(18)
}

describe('release tarballs', {skip: skipUnlessRoot(), timeout: 900_000}, () => {
  const newest = groundFlinkHomes().at(-1)!
  let g: HaCluster | undefined
  let failed = false

  before(async () => {
    assertHomeBuilt(newest)
    rmSync(out, {recursive: true, force: true})
    await exec(join(repo, 'bin/pack-release'), [out], {maxBuffer: 1 << 26})
  })

  after(async () => {
    if (g) {
      if (failed) await g.ground.keepLogs(join(base, 'failed-logs'))
      await g.cli('stop-cluster').catch(() => {})
      await g.cli('stop-zookeeper-quorum').catch(() => {})
      if (!process.env.FLINKCTL_GROUND_KEEP_UP) await g.ground.down()
    }
    rmSync(out, {recursive: true, force: true})
  })

  it('one command builds both architectures and the npm package, with checksums', async (t) => {
    t.after(() => void (failed ||= !t.passed))
    const names = [`flinkctl-${version}-linux-x64.tar.gz`, `flinkctl-${version}-linux-arm64.tar.gz`, `flinkctl-${version}.tgz`]
    for (const n of names) assert.ok(existsSync(join(out, n)), n)
    const sums = await exec('sha256sum', ['-c', 'SHA256SUMS'], {cwd: out})
    assert.deepEqual(sums.stdout.trim().split('\n').sort(), names.map((n) => `${n}: OK`).sort())
    for (const [arch, machine] of [['x64', 0x3e], ['arm64', 0xb7]] as const) {
      const dir = join(out, `unpacked-${arch}`)
      mkdirSync(dir)
      await exec('tar', ['-xzf', join(out, `flinkctl-${version}-linux-${arch}.tar.gz`), '-C', dir])
      const root = join(dir, `flinkctl-${version}-linux-${arch}`)
      assert.equal(elfMachine(join(root, 'lib/node')), machine, `${arch} node`)
      // nothing built for this machine's architecture inside: only node itself is a binary
      const natives = (await exec('find', [root, '-name', '*.node'])).stdout.trim()
      assert.equal(natives, '', natives)
    }
  })

  it('npm install -g of the package: no warning to act on, and it runs', async (t) => {
    t.after(() => void (failed ||= !t.passed))
    // no install script anywhere in the package: npm builds nothing at install time
    const pkg = join(out, 'npm-unpacked')
    mkdirSync(pkg)
    await exec('tar', ['-xzf', join(out, `flinkctl-${version}.tgz`), '-C', pkg])
    const manifests = (await exec('find', [join(pkg, 'package'), '-name', 'package.json', '-path', '*node_modules*'])).stdout.trim().split('\n')
    assert.ok(manifests.length > 20, `bundled: ${manifests.length}`)
    for (const m of manifests) {
      const scripts = JSON.parse(readFileSync(m, 'utf8')).scripts ?? {}
      for (const k of ['preinstall', 'install', 'postinstall']) assert.equal(scripts[k], undefined, `${m}: ${k}`)
    }
    const prefix = join(out, 'npm-global')
    const r = await exec('npm', ['install', '-g', join(out, `flinkctl-${version}.tgz`), '--prefix', prefix, '--no-audit', '--no-fund'], {maxBuffer: 1 << 24})
    assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /\bwarn|WARN|allow-scripts/i, r.stderr)
    const v = await exec(join(prefix, 'bin/flinkctl'), ['--version'])
    assert.match(v.stdout, new RegExp(`^flinkctl/${version.replace(/\./g, '\\.')} `))
  })

  it('the x64 tarball runs `flinkctl status` on a test host without Node, against the running cluster', async (t) => {
    t.after(() => void (failed ||= !t.passed))
    g = await haClusterGround(base, newest.home)
    for (const step of [['start-zookeeper-quorum', '--json'], ['start-cluster', '--json']]) {
      const r = await g.cli(...step)
      assert.equal(r.code, 0, explain(step, r))
    }
    // the ground hosts share this machine's files: the unpacked tarball and a copy of the conf
    // (the conf dir itself is private per host) are seen from h1
    const root = join(out, 'unpacked-x64', `flinkctl-${version}-linux-x64`)
    const conf = `${base}/conf-for-h1`
    cpSync(g.confDir, conf, {recursive: true})
    // this machine may have a node of its own (Debian's): h1's mount namespace hides it
    const hide = await g.ground.ssh('h1', 'for f in /usr/bin/node /usr/bin/nodejs /usr/local/bin/node; do [ -e "$f" ] && mount --bind /dev/null "$(readlink -f "$f")"; done; true')
    assert.equal(hide.code, 0, hide.stderr)
    // bash's command -v still names a file it cannot run: try running it
    const noNode = await g.ground.ssh('h1', '{ node --version || nodejs --version; } 2>/dev/null || echo none')
    assert.equal(noNode.stdout.trim(), 'none', 'h1 can run no node of its own')
    const r = await g.ground.ssh('h1', `${root}/bin/flinkctl status --conf-dir ${conf} --flink-home ${newest.home} --json`)
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
    const status = JSON.parse(r.stdout).result
    assert.ok(['h1', 'h2'].includes(status.jobmanager.leader.host), JSON.stringify(status.jobmanager))
    assert.equal(status.taskmanagers.registered, 2)
    assert.equal(status.quorum.healthy, true)
    assert.equal(status.hosts.length, 4)
    assert.ok(status.hosts.every((h: any) => h.reachable))
  })
})
