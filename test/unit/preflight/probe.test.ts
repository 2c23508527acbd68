// The host programs run for real with this machine's sh, against a throwaway Flink home.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {describe, it} from 'node:test'
import {libCheck} from '../../../src/lib/preflight/checks.ts'
import {libManifest} from '../../../src/lib/preflight/preflight.ts'
import {CLOCK_SCRIPT, FACTS_SCRIPT, OWNERS_SCRIPT, parseClock, parseFacts, parseOwners} from '../../../src/lib/preflight/probe.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const run = async (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  (await promisify(execFile)('sh', ['-c', script, 'sh', ...args], {env, maxBuffer: 1 << 24})).stdout

function home() {
  const dir = writeTree({'lib/flink-dist-2.3.0.jar': 'dist bytes', 'lib/a b.jar': 'spaces in a name', 'lib/sub/x.jar': 'nested'})
  writeFileSync(join(dir, 'elsewhere.jar'), 'linked')
  symlinkSync(join(dir, 'elsewhere.jar'), join(dir, 'lib', 'linked.jar'))
  // a java that is Java 8, as a planted wrong JDK would answer
  mkdirSync(join(dir, 'jdk8', 'bin'), {recursive: true})
  writeFileSync(join(dir, 'jdk8', 'bin', 'java'), '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\necho \'Java(TM) SE Runtime Environment (build 1.8.0_392-b08)\' >&2\n')
  chmodSync(join(dir, 'jdk8', 'bin', 'java'), 0o755)
  return dir
}

describe('FACTS_SCRIPT on this machine', () => {
  it('java, lib/ (symlinks followed, odd names), nearest existing dirs, names, limits: the same manifest as the bastion computes', async () => {
    const h = home()
    const out = parseFacts(await run(FACTS_SCRIPT, [`home=${h}`, `java=${h}/jdk8/bin/java`, `dir=${h}/not/yet/there`, 'dir=/', 'name=localhost', 'name=no-such-host.invalid']))
    assert.deepEqual(out.java.lines, ['java version "1.8.0_392"', 'Java(TM) SE Runtime Environment (build 1.8.0_392-b08)'])
    assert.equal(out.java.exitStatus, 0)
    assert.equal(out.home, 'yes')
    const mine = await libManifest(join(h, 'lib'))
    assert.deepEqual(out.lib!.map((f) => f.name).sort(), ['a b.jar', 'flink-dist-2.3.0.jar', 'linked.jar', 'sub/x.jar'])
    assert.deepEqual([...out.lib!].sort((a, b) => (a.name < b.name ? -1 : 1)), mine)
    assert.equal(libCheck(out, mine, h).level, 'ok')
    writeFileSync(join(h, 'lib', 'sub', 'x.jar'), 'nestee')
    const changed = parseFacts(await run(FACTS_SCRIPT, [`home=${h}`]))
    assert.match(libCheck(changed, mine, h).detail, /different: sub\/x\.jar/, 'same size, other bytes')
    assert.equal(out.dirs.length, 2)
    assert.ok(out.dirs[0]!.availKiB! > 0 && out.dirs[0]!.writable)
    assert.ok(!existsSync(join(h, 'not')), 'preflight creates nothing')
    assert.ok(out.names[0]!.addresses!.some((a) => a === '127.0.0.1' || a === '::1'))
    assert.deepEqual(out.names[1], {index: 1, addresses: []})
    assert.ok(out.nofile && (out.nofile.soft === 'unlimited' || out.nofile.soft > 0))
    assert.equal(out.complete, true, 'the script ran to its end')
  })

  it('finds the version behind "Picked up" lines, and a probe cut short is not complete', async () => {
    const h = home()
    writeFileSync(join(h, 'jdk8', 'bin', 'java'), '#!/bin/sh\nfor i in 1 2 3; do echo "Picked up JAVA_TOOL_OPTIONS: -Dx=$i" >&2; done\necho \'openjdk version "17.0.9" 2023-10-17\' >&2\n')
    const out = parseFacts(await run(FACTS_SCRIPT, [`home=${h}`, `java=${h}/jdk8/bin/java`]))
    assert.ok(out.java.lines.includes('openjdk version "17.0.9" 2023-10-17'), out.java.lines.join('|'))
    const cut = parseFacts('uname\tLinux\njava\topenjdk version "17"\nhome\tyes\n')
    assert.equal(cut.complete, false)
    assert.equal(cut.lastTag, 'home')
  })

  it('a missing java and a missing home', async () => {
    const out = parseFacts(await run(FACTS_SCRIPT, ['home=/nonexistent/flink', 'java=/nonexistent/jdk/bin/java']))
    assert.equal(out.java.found, false)
    assert.equal(out.home, 'no')
    assert.equal(parseFacts(await run(FACTS_SCRIPT, ['java=no-such-java-binary'])).java.found, false)
  })

  it('sees a port this process listens on, and OWNERS_SCRIPT names this process', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as {port: number}).port
    try {
      const out = parseFacts(await run(FACTS_SCRIPT, []))
      const row = out.listening!.find((l) => l.port === port)
      assert.ok(row?.inode, `port ${port} listed with its inode`)
      const owners = parseOwners(await run(OWNERS_SCRIPT, [row.inode!]))
      assert.equal(owners.get(row.inode!)?.pid, String(process.pid))
    } finally {
      server.close()
    }
  })

  it('hostile paths and names stay data: nothing runs', async () => {
    const h = home()
    const canary = join(h, 'canary')
    const evil = [`$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `x' ; touch '${canary}`, `-rf`, '--', `\ntouch ${canary}`]
    const out = await run(FACTS_SCRIPT, [...evil.map((e) => `home=${e}`), ...evil.map((e) => `java=${e}`), ...evil.map((e) => `dir=${e}`), ...evil.map((e) => `name=${e}`)])
    assert.ok(!existsSync(canary), 'a canary file was created')
    assert.equal(parseFacts(out).dirs.length, evil.length)
    await run(OWNERS_SCRIPT, [`$(touch ${canary})`, `; touch ${canary}`])
    assert.ok(!existsSync(canary))
  })
})

describe('CLOCK_SCRIPT', () => {
  it('this machine, then a faked date 30 s ahead on PATH, then a date without %N', async () => {
    const now = parseClock(await run(CLOCK_SCRIPT, []))!
    assert.ok(Math.abs(now.ms - Date.now()) < 2000 && now.resolutionMs === 1)
    const bin = writeTree({})
    writeFileSync(join(bin, 'date'), '#!/bin/sh\nexec /bin/date -d "@$(( $(/bin/date +%s) + 30 ))" "$@"\n')
    chmodSync(join(bin, 'date'), 0o755)
    const ahead = parseClock(await run(CLOCK_SCRIPT, [], {...process.env, PATH: `${bin}:${process.env.PATH}`}))!
    assert.ok(ahead.ms - Date.now() > 28_000 && ahead.ms - Date.now() < 32_000, `${ahead.ms - Date.now()} ms`)
    const plain = writeTree({})
    writeFileSync(join(plain, 'date'), '#!/bin/sh\ncase "$1" in +%s%N) echo "$(/bin/date +%s)N";; *) exec /bin/date "$@";; esac\n')
    chmodSync(join(plain, 'date'), 0o755)
    const coarse = parseClock(await run(CLOCK_SCRIPT, [], {...process.env, PATH: `${plain}:${process.env.PATH}`}))!
    assert.equal(coarse.resolutionMs, 1000)
  })
})
