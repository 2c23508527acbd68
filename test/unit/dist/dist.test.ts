// src/lib/dist: versions, paths, reuse, tool checks, the TypeScript <-> assemble.sh contract (with a
// fake `mvn` that lays out what pom.xml would produce; nothing is downloaded) and tarball installs.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {distJarVersion, distRoot, fetchDistribution, installTarball, listDistributions, recipeHash, supportedVersions} from '../../../src/lib/dist/index.ts'
import {rejectsWith, writeTree} from '../../helpers/fixtures.ts'
import {groundVersions, repoRoot} from '../../helpers/ground-flink.ts'

const ASSEMBLE = join(repoRoot, 'templates/dist/assemble.sh')
const shHash = (v: string) => execFileSync('/bin/sh', [ASSEMBLE, '--hash', v], {encoding: 'utf8'}).trim()

/** A home as the recipe leaves it, minus the bulk. */
function fakeHome(root: string, version: string, marker: string | null): string {
  const home = join(root, `flink-${version}`)
  mkdirSync(join(home, 'lib'), {recursive: true})
  mkdirSync(join(home, 'bin'), {recursive: true})
  writeFileSync(join(home, 'lib', `flink-dist-${version}.jar`), 'jar')
  writeFileSync(join(home, 'bin', 'bash-java-utils.jar'), 'jar')
  if (marker !== null) writeFileSync(join(home, '.complete'), `${marker}\n`)
  return home
}

/** PATH = an empty dir (+ given fake tools): no mvn, no java. */
function fakeBin(tools: Record<string, string> = {}): string {
  const dir = writeTree(Object.fromEntries(Object.entries(tools).map(([name, body]) => [`bin/${name}`, body])))
  mkdirSync(join(dir, 'bin'), {recursive: true})
  for (const name of Object.keys(tools)) chmodSync(join(dir, 'bin', name), 0o755)
  return join(dir, 'bin')
}

// Records each invocation, fails offline runs when asked, else lays out what pom.xml produces.
const FAKE_MVN = `#!/bin/sh
printf '%s\\n' "$*" >>"$FAKE_MVN_LOG"
home=; v=; l=; off=0
for a in "$@"; do
  case "$a" in
    -o) off=1 ;;
    -Dflink.home=*) home=\${a#-Dflink.home=} ;;
    -Dflink.version=*) v=\${a#-Dflink.version=} ;;
    -Dlog4j.version=*) l=\${a#-Dlog4j.version=} ;;
  esac
done
if [ "$off" = 1 ] && [ "\${FAKE_MVN_FAIL_OFFLINE:-0}" = 1 ]; then echo "[ERROR] artifact not in offline repository"; exit 1; fi
if [ "\${FAKE_MVN_FAIL:-0}" = 1 ]; then echo "[ERROR] fake failure"; exit 1; fi
mkdir -p "$home/lib" "$home/bin"
for f in "lib/flink-dist-$v.jar" bin/bash-java-utils.jar "lib/log4j-core-$l.jar" "lib/flink-connector-files-$v.jar"; do echo jar >"$home/$f"; done
`

/** Env for a recipe run with the fake mvn, a fake JDK and the example jar already downloaded. */
function recipeEnv(version: string, extra: Record<string, string> = {}) {
  const dir = writeTree({
    'jdk/bin/java': '',
    [`downloads/org/apache/flink/flink-examples-streaming/${version}/flink-examples-streaming-${version}-TopSpeedWindowing.jar`]: 'example',
  })
  const bin = fakeBin({mvn: FAKE_MVN})
  const log = join(dir, 'mvn.log')
  return {log, env: {PATH: `${bin}:/usr/bin:/bin`, HOME: dir, JAVA_HOME: join(dir, 'jdk'), FLINKCTL_DOWNLOADS: join(dir, 'downloads'), FAKE_MVN_LOG: log, ...extra}}
}

describe('dist: versions and paths', () => {
  it('supports exactly the versions of versions.txt, including both test-ground pins', () => {
    const versions = supportedVersions().map((s) => s.version)
    assert.deepEqual(versions, ['1.20.0', '2.3.0'])
    for (const v of groundVersions()) assert.ok(versions.includes(v), `test ground pins ${v}, which the recipe cannot assemble`)
    assert.deepEqual(supportedVersions().map((s) => s.log4j), ['2.17.1', '2.25.3'])
  })

  it('computes the same recipe hash as assemble.sh, different per version', () => {
    for (const v of ['1.20.0', '2.3.0']) assert.equal(recipeHash(v), shHash(v))
    assert.notEqual(recipeHash('1.20.0'), recipeHash('2.3.0'))
    assert.match(recipeHash('1.20.0'), /^[0-9a-f]{64}$/)
  })

  it('puts distributions under XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(distRoot({XDG_CACHE_HOME: '/x/cache', HOME: '/home/u'}), '/x/cache/flinkctl/dist')
    assert.equal(distRoot({HOME: '/home/u'}), '/home/u/.cache/flinkctl/dist')
    assert.equal(distRoot({XDG_CACHE_HOME: '', HOME: '/home/u'}), '/home/u/.cache/flinkctl/dist')
  })

  it('reads the version from flink-dist jar names', () => {
    assert.equal(distJarVersion('flink-dist-1.20.0.jar'), '1.20.0')
    assert.equal(distJarVersion('flink-dist_2.12-1.14.6.jar'), '1.14.6')
    assert.equal(distJarVersion('flink-dist-2.3.0-SNAPSHOT.jar'), '2.3.0-SNAPSHOT')
    assert.equal(distJarVersion('flink-table-runtime-1.20.0.jar'), undefined)
  })
})

describe('dist: fetchDistribution', () => {
  it('rejects versions it has no recipe for as a usage error naming the supported ones', async () => {
    for (const v of ['9.9.9', '1.20.1', '../1.20.0', '']) {
      const err = await rejectsWith(fetchDistribution({version: v, dir: writeTree({}), env: {PATH: ''}}), 'USAGE', 2)
      assert.match(err.message, /supported: 1\.20\.0, 2\.3\.0/)
      assert.match(err.hint ?? '', /--tarball/)
    }
  })

  it('reuses a complete home at once, with no Maven or JDK on PATH', async () => {
    const root = writeTree({})
    const home = fakeHome(root, '1.20.0', shHash('1.20.0'))
    const lines: string[] = []
    const r = await fetchDistribution({version: '1.20.0', dir: root, env: {PATH: fakeBin()}, onProgress: (l) => lines.push(l)})
    assert.deepEqual(r, {home, version: '1.20.0', reused: true, source: 'maven'})
    assert.match(lines.join('\n'), /already complete/)
  })

  it('does not reuse a home from an older recipe or one without its flink-dist jar', async () => {
    const stale = writeTree({})
    fakeHome(stale, '2.3.0', 'f'.repeat(64))
    // it goes on to rebuild, which here stops at the tool check
    await rejectsWith(fetchDistribution({version: '2.3.0', dir: stale, env: {PATH: fakeBin()}}), 'DIST_TOOL_MISSING', 6)
    const broken = writeTree({})
    fakeHome(broken, '2.3.0', recipeHash('2.3.0'))
    rmSync(join(broken, 'flink-2.3.0/lib/flink-dist-2.3.0.jar'))
    await rejectsWith(fetchDistribution({version: '2.3.0', dir: broken, env: {PATH: fakeBin()}}), 'DIST_TOOL_MISSING', 6)
  })

  it('never touches a flink-<v> directory it did not make', async () => {
    const root = writeTree({'flink-1.20.0/conf/config.yaml': 'mine\n'})
    const err = await rejectsWith(fetchDistribution({version: '1.20.0', dir: root, env: {PATH: fakeBin()}}), 'DIST_TARGET_EXISTS', 6)
    assert.match(err.message, /was not made by flinkctl/)
    assert.equal(readFileSync(join(root, 'flink-1.20.0/conf/config.yaml'), 'utf8'), 'mine\n')
  })

  it('names Maven, then the JDK, when they are missing, with install and tarball hints', async () => {
    const noMvn = await rejectsWith(fetchDistribution({version: '2.3.0', dir: writeTree({}), env: {PATH: fakeBin({java: '#!/bin/sh\n'})}}), 'DIST_TOOL_MISSING', 6)
    assert.match(noMvn.message, /Maven \(mvn on PATH\) is needed to assemble Flink 2\.3\.0/)
    assert.match(noMvn.hint ?? '', /apt-get install maven/)
    assert.match(noMvn.hint ?? '', /flink-2\.3\.0-bin-scala_2\.12\.tgz/)
    const noJava = await rejectsWith(fetchDistribution({version: '2.3.0', dir: writeTree({}), env: {PATH: fakeBin({mvn: '#!/bin/sh\n'})}}), 'DIST_TOOL_MISSING', 6)
    assert.match(noJava.message, /a JDK \(java on PATH\)/)
    const badHome = await rejectsWith(fetchDistribution({version: '2.3.0', dir: writeTree({}), env: {PATH: fakeBin({mvn: '#!/bin/sh\n'}), JAVA_HOME: '/nonexistent/jdk'}}), 'DIST_TOOL_MISSING', 6)
    assert.match(badHome.message, /JAVA_HOME=\/nonexistent\/jdk has no bin\/java/)
  })

  it('runs the recipe (offline) and leaves a complete home that the next call reuses', async () => {
    const root = writeTree({})
    const {log, env} = recipeEnv('1.20.0')
    const lines: string[] = []
    const r = await fetchDistribution({version: '1.20.0', dir: root, offline: true, env, onProgress: (l) => lines.push(l)})
    const home = join(root, 'flink-1.20.0')
    assert.deepEqual(r, {home, version: '1.20.0', reused: false, source: 'maven'})
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    assert.equal(calls.length, 1)
    assert.match(calls[0]!, /^-o -q -B -f \S+\/templates\/dist\/pom\.xml package -Pflink1 -Dflink\.version=1\.20\.0 -Dlog4j\.version=2\.17\.1 -Dflink\.home=\S+ -Dbuild\.dir=\S+$/)
    assert.equal(readFileSync(join(home, '.complete'), 'utf8').trim(), recipeHash('1.20.0'))
    assert.equal(readFileSync(join(home, 'examples/streaming/TopSpeedWindowing.jar'), 'utf8'), 'example')
    assert.deepEqual(readdirSync(join(home, 'conf')).sort(), ['log4j-cli.properties', 'log4j-console.properties', 'log4j-session.properties', 'log4j.properties'])
    for (const d of ['log', 'plugins', 'opt']) assert.ok(existsSync(join(home, d)), d)
    assert.ok(lines.some((l) => /resolved offline/.test(l)), lines.join('\n'))
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.tmp.')), [], 'staging dir left behind')

    const again = await fetchDistribution({version: '1.20.0', dir: root, env})
    assert.equal(again.reused, true)
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1, 'Maven ran again for a complete home')
  })

  it('goes online when the local repository lacks something, unless --offline', async () => {
    const root = writeTree({})
    const {log, env} = recipeEnv('2.3.0', {FAKE_MVN_FAIL_OFFLINE: '1'})
    const lines: string[] = []
    const r = await fetchDistribution({version: '2.3.0', dir: root, env, onProgress: (l) => lines.push(l)})
    assert.equal(r.reused, false)
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    assert.equal(calls.length, 2)
    assert.match(calls[0]!, /^-o .* -Pflink2 -Dflink\.version=2\.3\.0 -Dlog4j\.version=2\.25\.3 /)
    assert.doesNotMatch(calls[1]!, /^-o /)
    assert.ok(lines.some((l) => /resolving from Maven Central/.test(l)))

    const offlineRoot = writeTree({})
    const err = await rejectsWith(fetchDistribution({version: '2.3.0', dir: offlineRoot, offline: true, env}), 'DIST_BUILD_FAILED', 6)
    assert.match(err.message, /not everything is in the local Maven repository/)
    assert.match(err.hint ?? '', /without --offline/)
    assert.ok((err.details as {log: string[]}).log.some((l) => /artifact not in offline repository/.test(l)), 'Maven output kept in details')
    assert.ok(!existsSync(join(offlineRoot, 'flink-2.3.0')), 'a failed build left a home')
    assert.ok(existsSync(join(offlineRoot, '.flink-2.3.0.maven.log')), 'Maven log of the failure not kept')
    assert.deepEqual(readdirSync(offlineRoot).filter((n) => n.includes('.tmp.')), [])
  })

  it('fails offline before Maven when the example jar was never downloaded', async () => {
    const {log, env} = recipeEnv('1.20.0')
    const err = await rejectsWith(fetchDistribution({version: '1.20.0', dir: writeTree({}), offline: true, env: {...env, FLINKCTL_DOWNLOADS: writeTree({})}}), 'DIST_BUILD_FAILED', 6)
    assert.match(err.message, /TopSpeedWindowing\.jar is not in .*; run once without --offline/)
    assert.ok(!existsSync(log), 'Maven ran although the build could not finish')
  })
})

/** A gzip'd tarball with the given files, like flink-<v>-bin-scala_2.12.tgz. */
function tarball(files: Record<string, string>, top = true): string {
  const dir = writeTree(Object.fromEntries(Object.entries(files).map(([k, v]) => [`content/${k}`, v])))
  const file = join(dir, 'flink-bin.tgz')
  execFileSync('tar', ['-czf', file, '-C', join(dir, 'content'), ...(top ? readdirSync(join(dir, 'content')) : ['.'])])
  return file
}

describe('dist: installTarball', () => {
  const official = (v: string) => ({
    [`flink-${v}/lib/flink-dist-${v}.jar`]: 'jar',
    [`flink-${v}/lib/log4j-core-2.17.1.jar`]: 'jar',
    [`flink-${v}/bin/flink`]: '#!/bin/bash\n',
    [`flink-${v}/conf/config.yaml`]: 'jobmanager.rpc.address: localhost\n',
  })

  it('unpacks an official layout into <dir>/flink-<v>, once', async () => {
    const root = writeTree({})
    const file = tarball(official('1.19.1'))
    const r = await installTarball({file, dir: root})
    const home = join(root, 'flink-1.19.1')
    assert.deepEqual(r, {home, version: '1.19.1', reused: false, source: 'tarball'})
    assert.equal(readFileSync(join(home, 'conf/config.yaml'), 'utf8'), 'jobmanager.rpc.address: localhost\n')
    assert.match(readFileSync(join(home, '.complete'), 'utf8'), /^tarball sha256:[0-9a-f]{64} flink-bin\.tgz\n$/)
    assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.')), [], 'temp dir left behind')
    assert.equal((await installTarball({file, dir: root})).reused, true)
    assert.deepEqual(listDistributions({dir: root}), [{version: '1.19.1', home, state: 'ready', source: 'tarball'}])
  })

  it('makes a home that fetch reuses for that version without Maven', async () => {
    const root = writeTree({})
    await installTarball({file: tarball(official('1.20.0')), dir: root})
    const r = await fetchDistribution({version: '1.20.0', dir: root, env: {PATH: fakeBin()}})
    assert.deepEqual(r, {home: join(root, 'flink-1.20.0'), version: '1.20.0', reused: true, source: 'tarball'})
  })

  it('accepts a tarball without a top-level directory and a scala-suffixed flink-dist', async () => {
    const root = writeTree({})
    const r = await installTarball({file: tarball({'lib/flink-dist_2.12-1.14.6.jar': 'jar'}, false), dir: root})
    assert.equal(r.version, '1.14.6')
    assert.ok(existsSync(join(root, 'flink-1.14.6/lib/flink-dist_2.12-1.14.6.jar')))
  })

  it('refuses what is not a Flink binary distribution, leaving nothing behind', async () => {
    const root = writeTree({})
    const src = await rejectsWith(installTarball({file: tarball({'flink-1.20.0/pom.xml': '<project/>'}), dir: root}), 'DIST_TARBALL_INVALID', 6)
    assert.match(src.message, /no lib\/flink-dist\*\.jar/)
    const notTar = writeTree({'x.tgz': 'not a tarball'})
    const bad = await rejectsWith(installTarball({file: join(notTar, 'x.tgz'), dir: root}), 'DIST_TARBALL_INVALID', 6)
    assert.match(bad.message, /tar failed/)
    assert.deepEqual(readdirSync(root), [])
    await rejectsWith(installTarball({file: join(notTar, 'missing.tgz'), dir: root}), 'USAGE', 2)
  })

  it('replaces a home it made but not a directory someone else made', async () => {
    const root = writeTree({})
    fakeHome(root, '1.20.0', 'f'.repeat(64))
    await installTarball({file: tarball(official('1.20.0')), dir: root})
    assert.ok(existsSync(join(root, 'flink-1.20.0/conf/config.yaml')))
    const foreign = writeTree({'flink-1.20.0/README': 'mine'})
    await rejectsWith(installTarball({file: tarball(official('1.20.0')), dir: foreign}), 'DIST_TARGET_EXISTS', 6)
    assert.deepEqual(readdirSync(join(foreign, 'flink-1.20.0')), ['README'])
  })
})

describe('dist: listDistributions', () => {
  it('tells ready, stale and incomplete homes apart, sorted by version', () => {
    const root = writeTree({'flink-1.9.0/README': 'not ours', 'other/x': ''})
    fakeHome(root, '2.3.0', recipeHash('2.3.0'))
    fakeHome(root, '1.20.0', 'f'.repeat(64))
    assert.deepEqual(listDistributions({dir: root}).map((d) => [d.version, d.state, d.source]), [
      ['1.9.0', 'incomplete', 'unknown'],
      ['1.20.0', 'stale', 'maven'],
      ['2.3.0', 'ready', 'maven'],
    ])
    assert.deepEqual(listDistributions({dir: join(root, 'nonexistent')}), [])
  })
})
