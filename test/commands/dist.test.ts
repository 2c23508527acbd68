// `flinkctl dist` as a user runs it: the real bin/run.js over the compiled dist/ (npm run build first).
// Nothing is downloaded or assembled: fetch is exercised on homes that are already complete.
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {writeTree} from '../helpers/fixtures.ts'
import {repoRoot} from '../helpers/ground-flink.ts'

const bin = join(repoRoot, 'bin/run.js')
// the recipe's own idea of a complete 1.20.0 home, independent of the TypeScript that checks it
const recipeHash = (v: string) => execFileSync('/bin/sh', [join(repoRoot, 'templates/dist/assemble.sh'), '--hash', v], {encoding: 'utf8'}).trim()

function flinkctl(args: string[], env: Record<string, string | undefined> = {}) {
  const started = Date.now()
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: repoRoot, encoding: 'utf8', env: {...process.env, ...env}})
  return {code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started}
}

/** PATH with neither mvn nor java: anything that tried to assemble would fail with DIST_TOOL_MISSING. */
const NO_TOOLS = {PATH: writeTree({'bin/.keep': ''})}

function completeHome(root: string, version: string, marker = recipeHash(version)): string {
  const home = join(root, `flink-${version}`)
  mkdirSync(join(home, 'lib'), {recursive: true})
  writeFileSync(join(home, 'lib', `flink-dist-${version}.jar`), 'jar')
  writeFileSync(join(home, '.complete'), `${marker}\n`)
  return home
}

describe('flinkctl dist fetch', () => {
  it('prints only the path of a complete home on stdout and reuses it without Maven', () => {
    const root = writeTree({})
    const home = completeHome(root, '1.20.0')
    const r = flinkctl(['dist', 'fetch', '1.20.0', '--dir', root], NO_TOOLS)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `${home}\n`)
    assert.match(r.stderr, /flink-1\.20\.0: already complete/)
    const json = JSON.parse(flinkctl(['dist', 'fetch', '1.20.0', '--dir', root, '--json'], NO_TOOLS).stdout)
    assert.deepEqual(json, {ok: true, command: 'dist:fetch', result: {home, version: '1.20.0', reused: true, source: 'maven', root}})
  })

  it('would rebuild a home whose marker does not match the recipe (and says what is missing)', () => {
    const root = writeTree({})
    completeHome(root, '1.20.0', 'f'.repeat(64))
    const r = flinkctl(['dist', 'fetch', '1.20.0', '--dir', root], NO_TOOLS)
    assert.equal(r.code, 6)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^error: Maven \(mvn on PATH\) is needed to assemble Flink 1\.20\.0 from Maven Central\n {2}hint: .*apt-get install maven.*--tarball flink-1\.20\.0-bin-scala_2\.12\.tgz/)
    const json = JSON.parse(flinkctl(['dist', 'fetch', '1.20.0', '--dir', root, '--json'], NO_TOOLS).stdout)
    assert.equal(json.ok, false)
    assert.equal(json.error.code, 'DIST_TOOL_MISSING')
    assert.equal(json.error.exit, 6)
  })

  it('exits 2 for a version it cannot assemble, naming the supported ones', () => {
    const r = flinkctl(['dist', 'fetch', '9.9.9', '--dir', writeTree({})], NO_TOOLS)
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^error: Flink 9\.9\.9 cannot be assembled from Maven Central \(supported: 1\.20\.0, 2\.3\.0\)\n {2}hint: /)
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/)
    const json = JSON.parse(flinkctl(['dist', 'fetch', '9.9.9', '--json']).stdout)
    assert.equal(json.error.code, 'USAGE')
    assert.equal(json.error.exit, 2)
    assert.equal(flinkctl(['dist', 'fetch']).code, 2)
    assert.equal(flinkctl(['dist', 'fetch', '--tarball', '/nonexistent.tgz']).code, 2)
  })

  it('unpacks an official tarball and prints its home', () => {
    const src = writeTree({'flink-1.19.1/lib/flink-dist-1.19.1.jar': 'jar', 'flink-1.19.1/conf/config.yaml': 'a: 1\n'})
    const file = join(src, 'flink-1.19.1-bin-scala_2.12.tgz')
    execFileSync('tar', ['-czf', file, '-C', src, 'flink-1.19.1'])
    const root = writeTree({})
    const r = flinkctl(['dist', 'fetch', '--tarball', file, '--dir', root])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `${join(root, 'flink-1.19.1')}\n`)
    assert.equal(readFileSync(join(root, 'flink-1.19.1/conf/config.yaml'), 'utf8'), 'a: 1\n')
    const mismatch = flinkctl(['dist', 'fetch', '2.3.0', '--tarball', file, '--dir', root])
    assert.equal(mismatch.code, 2)
    assert.match(mismatch.stderr, /holds Flink 1\.19\.1, not 2\.3\.0/)
  })

  it('reuses the real home test/ground/flink/build.sh assembled (skipped when it is not built)', (t) => {
    const cache = process.env.FLINKCTL_TEST_CACHE ?? join(homedir(), '.cache/flinkctl-test')
    const marker = join(cache, 'flink-1.20.0/.complete')
    if (!existsSync(marker)) return t.skip('no ground home: run test/ground/flink/build.sh 1.20.0')
    // a recipe change makes the ground stale until prepare.sh rebuilds it; that is not this test's business
    if (readFileSync(marker, 'utf8').trim() !== recipeHash('1.20.0')) return t.skip('ground home is stale: run test/ground/flink/build.sh 1.20.0')
    const r = flinkctl(['dist', 'fetch', '1.20.0', '--dir', cache], NO_TOOLS)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `${join(cache, 'flink-1.20.0')}\n`)
  })
})

describe('flinkctl dist list', () => {
  it('lists homes with their state, and the versions fetch can assemble', () => {
    const root = writeTree({'flink-1.9.0/README': 'not ours'})
    const home = completeHome(root, '2.3.0')
    const r = flinkctl(['dist', 'list', '--dir', root])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, [
      'VERSION  STATE       SOURCE   HOME',
      `1.9.0    incomplete  unknown  ${join(root, 'flink-1.9.0')}`,
      `2.3.0    ready       maven    ${home}`,
      'assemblable with `flinkctl dist fetch <version>`: 1.20.0, 2.3.0 (any version: --tarball FILE)',
      '',
    ].join('\n'))
    const json = JSON.parse(flinkctl(['dist', 'list', '--dir', root, '--json']).stdout)
    assert.equal(json.ok, true)
    assert.deepEqual(json.result.supported, ['1.20.0', '2.3.0'])
    assert.deepEqual(json.result.distributions[1], {version: '2.3.0', home, state: 'ready', source: 'maven'})
  })

  it('says so when there is none, using XDG_CACHE_HOME by default', () => {
    const xdg = writeTree({})
    const r = flinkctl(['dist', 'list'], {XDG_CACHE_HOME: xdg})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^no Flink distributions in ${join(xdg, 'flinkctl/dist')}\n`))
  })
})
