// src/lib/job/checker.ts: the source hash, the cache (atomic entries, reuse, concurrent builds),
// refusals before any process runs, tool checks and build failures, with a fake `mvn` that logs
// its argv and cwd and lays out target/flinkctl-checker.jar (nothing is compiled or downloaded).
import assert from 'node:assert/strict'
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {UsageError} from '../../../src/lib/errors.ts'
import {CHECKER_MAIN_CLASS, CHECKER_METRICS, CHECKER_OPERATOR, checkerArgs, checkerCacheRoot, checkerJar, checkerSourceHash} from '../../../src/lib/job/checker.ts'
import {rejectsWith, writeTree} from '../../helpers/fixtures.ts'
import {repoRoot} from '../../helpers/ground-flink.ts'

const FAKE_MVN = `#!/bin/sh
printf '%s|%s\\n' "$(pwd)" "$*" >>"$FAKE_MVN_LOG"
if [ "\${FAKE_MVN_FAIL:-0}" = 1 ]; then i=1; while [ $i -le 30 ]; do echo "[ERROR] line $i"; i=$((i+1)); done; exit 1; fi
v=; for a in "$@"; do case "$a" in -Dflink.version=*) v=\${a#-Dflink.version=} ;; esac; done
/bin/mkdir -p target && printf 'jar for %s\\n' "$v" >target/flinkctl-checker.jar
`

/** A copy of templates/ with just the checker, so a test can change its files. */
function templatesCopy(): string {
  const dir = writeTree({})
  cpSync(join(repoRoot, 'templates/checker'), join(dir, 'checker'), {recursive: true})
  return dir
}

/** PATH with the given fake tools only (no /usr/bin: the machine's own mvn and java live there); a private cache and an mvn log. */
function toolEnv(tools: {mvn?: boolean; java?: boolean}, extra: Record<string, string> = {}) {
  const dir = writeTree({})
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  if (tools.mvn) writeFileSync(join(bin, 'mvn'), FAKE_MVN)
  if (tools.java) writeFileSync(join(bin, 'java'), '#!/bin/sh\n')
  for (const f of readdirSync(bin)) chmodSync(join(bin, f), 0o755)
  const log = join(dir, 'mvn.log')
  return {dir, log, cache: join(dir, 'cache'), env: {PATH: bin, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), FAKE_MVN_LOG: log, ...extra}}
}

const mvnCalls = (log: string): string[][] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('|')) : [])

describe('checker: constants and source hash', () => {
  it('names the class, operator and metrics the Java job uses', () => {
    const src = join(repoRoot, 'templates/checker/src/main/java/io/flinkctl/checker')
    const job = readFileSync(join(src, 'CheckerJob.java'), 'utf8')
    const op = readFileSync(join(src, 'Checker.java'), 'utf8')
    assert.equal(CHECKER_MAIN_CLASS, 'io.flinkctl.checker.CheckerJob')
    assert.match(job, /public final class CheckerJob/)
    assert.match(readFileSync(join(repoRoot, 'templates/checker/pom.xml'), 'utf8'), /<mainClass>io\.flinkctl\.checker\.CheckerJob<\/mainClass>/)
    assert.match(job, new RegExp(`\\.name\\("${CHECKER_OPERATOR}"\\)\\s*\\.uid\\("${CHECKER_OPERATOR}"\\)`))
    for (const m of CHECKER_METRICS) assert.match(op, new RegExp(`group\\.gauge\\("${m}"`), `gauge ${m} is not registered`)
    assert.equal((op.match(/group\.gauge\(/g) ?? []).length, CHECKER_METRICS.length)
  })

  it('hashes paths and contents: a changed, added or renamed file changes it, a target/ dir does not', () => {
    const t = templatesCopy()
    const h0 = checkerSourceHash(t)
    assert.match(h0, /^[0-9a-f]{64}$/)
    assert.equal(checkerSourceHash(t), h0)
    assert.equal(checkerSourceHash(), checkerSourceHash(templatesCopy()), 'a copy hashes like the original')

    mkdirSync(join(t, 'checker/target'))
    writeFileSync(join(t, 'checker/target/flinkctl-checker.jar'), 'built by hand')
    assert.equal(checkerSourceHash(t), h0, 'target/ is build output, not source')

    const java = join(t, 'checker/src/main/java/io/flinkctl/checker/Pacer.java')
    writeFileSync(java, `${readFileSync(java, 'utf8')}// changed\n`)
    const h1 = checkerSourceHash(t)
    assert.notEqual(h1, h0)

    writeFileSync(join(t, 'checker/src/main/java/io/flinkctl/checker/Extra.java'), 'class Extra {}\n')
    const h2 = checkerSourceHash(t)
    assert.notEqual(h2, h1)
    renameSync(join(t, 'checker/src/main/java/io/flinkctl/checker/Extra.java'), join(t, 'checker/src/main/java/io/flinkctl/checker/Extra2.java'))
    assert.notEqual(checkerSourceHash(t), h2)

    const u = writeTree({'checker/a': 'xy', 'checker/b': ''})
    const v = writeTree({'checker/a': 'x', 'checker/b': 'y'})
    assert.notEqual(checkerSourceHash(u), checkerSourceHash(v), 'content moved between files')
  })

  it('caches under XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(checkerCacheRoot({XDG_CACHE_HOME: '/x/cache', HOME: '/home/u'}), '/x/cache/flinkctl/checker')
    assert.equal(checkerCacheRoot({HOME: '/home/u'}), '/home/u/.cache/flinkctl/checker')
  })
})

describe('checker: checkerArgs', () => {
  it('passes only what is set, as --flag value pairs', () => {
    assert.deepEqual(checkerArgs({}), [])
    assert.deepEqual(checkerArgs({rate: 500, keys: 16, parallelism: 2, name: 'my checker', dropEvery: 100, repeatEvery: 7}),
      ['--rate', '500', '--keys', '16', '--parallelism', '2', '--drop-every', '100', '--repeat-every', '7', '--name', 'my checker'])
  })

  it('refuses what is not a positive integer, and an empty name, as usage errors', () => {
    for (const [key, bad] of [['rate', 0], ['keys', -1], ['parallelism', 1.5], ['dropEvery', Number.NaN], ['repeatEvery', Number.POSITIVE_INFINITY], ['rate', 2 ** 60]] as const) {
      assert.throws(() => checkerArgs({[key]: bad}), (err: unknown) => err instanceof UsageError && /must be a positive integer/.test(err.message), `${key}=${bad}`)
    }
    assert.throws(() => checkerArgs({name: ' '}), UsageError)
  })
})

describe('checker: checkerJar', () => {
  it('refuses a malformed version with a usage error before any process runs', async () => {
    const t = toolEnv({mvn: true, java: true})
    for (const v of ['', 'latest', '2', '../1.20.0', '1.20.0;rm -rf /', '2.3.0 -o', '-Dx=1', '1.20.0-']) {
      await rejectsWith(checkerJar({flinkVersion: v, env: t.env}), 'USAGE', 2)
    }
    assert.deepEqual(mvnCalls(t.log), [], 'mvn ran')
    assert.equal(existsSync(t.cache), false)
  })

  it('names Maven, then the JDK, when missing (CHECKER_TOOL_MISSING, with an install hint)', async () => {
    const noMvn = await rejectsWith(checkerJar({flinkVersion: '2.3.0', env: toolEnv({java: true}).env}), 'CHECKER_TOOL_MISSING', 6)
    assert.match(noMvn.message, /Maven \(mvn on PATH\) is needed to build flinkctl's checker job/)
    assert.match(noMvn.hint ?? '', /apt-get install maven/)
    const noJava = await rejectsWith(checkerJar({flinkVersion: '2.3.0', env: toolEnv({mvn: true}).env}), 'CHECKER_TOOL_MISSING', 6)
    assert.match(noJava.message, /a JDK \(java on PATH\)/)
  })

  it('builds in a temporary copy, caches the jar per version and source hash, then reuses it', async () => {
    const t = toolEnv({mvn: true, java: true})
    const progress: string[] = []
    const first = await checkerJar({flinkVersion: '1.20.0', env: t.env, onProgress: (l) => progress.push(l)})
    const hash = checkerSourceHash()
    assert.deepEqual(first, {path: join(t.cache, 'flinkctl/checker', `1.20.0-${hash.slice(0, 12)}`, 'flinkctl-checker.jar'), version: '1.20.0', cached: false, sourceHash: hash})
    assert.equal(readFileSync(first.path, 'utf8'), 'jar for 1.20.0\n')
    const calls = mvnCalls(t.log)
    assert.equal(calls.length, 1)
    assert.equal(calls[0]![1], '-B -q -Dflink.version=1.20.0 package')
    assert.notEqual(calls[0]![0], join(repoRoot, 'templates/checker'), 'built in the templates dir')
    assert.equal(existsSync(calls[0]![0]!), false, 'the temporary build dir is left behind')
    assert.equal(existsSync(join(repoRoot, 'templates/checker/target')), false)
    assert.ok(progress.some((l) => /building the checker job for Flink 1\.20\.0 with Maven/.test(l)))

    const second = await checkerJar({flinkVersion: '1.20.0', env: t.env})
    assert.deepEqual(second, {...first, cached: true})
    assert.equal(mvnCalls(t.log).length, 1, 'the cached jar was rebuilt')

    const other = await checkerJar({flinkVersion: '2.3.0', env: t.env, offline: true})
    assert.equal(other.cached, false)
    assert.notEqual(other.path, first.path)
    assert.equal(mvnCalls(t.log)[1]![1], '-B -q -o -Dflink.version=2.3.0 package')
    assert.deepEqual(readdirSync(join(t.cache, 'flinkctl/checker')).sort(), [`1.20.0-${hash.slice(0, 12)}`, `2.3.0-${hash.slice(0, 12)}`], 'staging dirs left behind')
  })

  it('rebuilds when the source changes (a new entry beside the old one)', async () => {
    const t = toolEnv({mvn: true, java: true})
    const tpl = templatesCopy()
    const a = await checkerJar({flinkVersion: '2.3.0', env: t.env, templatesDir: tpl})
    writeFileSync(join(tpl, 'checker/pom.xml'), `${readFileSync(join(tpl, 'checker/pom.xml'), 'utf8')}<!-- changed -->\n`)
    const b = await checkerJar({flinkVersion: '2.3.0', env: t.env, templatesDir: tpl})
    assert.equal(b.cached, false)
    assert.notEqual(b.sourceHash, a.sourceHash)
    assert.notEqual(b.path, a.path)
    assert.ok(existsSync(a.path))
  })

  it('lets concurrent builds of one entry both succeed with one complete entry', async () => {
    // both calls pass the cache check before either build ends, so both build and race to rename
    const t = toolEnv({mvn: true, java: true})
    const [a, b] = await Promise.all([checkerJar({flinkVersion: '2.3.0', env: t.env}), checkerJar({flinkVersion: '2.3.0', env: t.env})])
    assert.equal(mvnCalls(t.log).length, 2, 'both built (neither saw a cache entry)')
    assert.equal(a.path, b.path)
    assert.equal(readFileSync(a.path, 'utf8'), 'jar for 2.3.0\n')
    assert.deepEqual(readdirSync(join(t.cache, 'flinkctl/checker')), [`2.3.0-${checkerSourceHash().slice(0, 12)}`])
  })

  it('reports a failed build with the last 20 lines of Maven output and caches nothing', async () => {
    const t = toolEnv({mvn: true, java: true}, {FAKE_MVN_FAIL: '1'})
    const err = await rejectsWith(checkerJar({flinkVersion: '2.3.0', env: t.env, offline: true}), 'CHECKER_BUILD_FAILED', 6)
    assert.match(err.message, /building the checker job for Flink 2\.3\.0 failed: mvn exited with 1/)
    assert.match(err.message, /\[ERROR\] line 11\n[^]*\[ERROR\] line 30$/)
    assert.doesNotMatch(err.message, /line 10\n/)
    assert.match(err.hint ?? '', /without --offline/)
    assert.equal(existsSync(join(t.cache, 'flinkctl/checker')), false)
  })
})
