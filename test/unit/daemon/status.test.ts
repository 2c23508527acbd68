import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {daemonStatus, parseUptime, startDaemons, statusSpecFor, stopDaemons, stopRequestFor, type Started} from '../../../src/lib/daemon/index.ts'
import type {Host} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {writeTree} from '../../helpers/fixtures.ts'
import {alive, cmdline, ground, spawnLoose, track, waitFor} from './helpers.ts'

const local = new LocalHost()
/** The same scripts under bash instead of dash (bash is /bin/sh on some hosts; Flink's scripts run there). */
const bash: Host = {
  name: 'localhost', local: true, user: local.user, run: (a, o) => local.run(a, o), close: async () => {},
  sh: (script, args = [], opts) => local.run(['bash', '-c', script, 'bash', ...args], opts),
}

/** A grep that rejects -a/-o (as some minimal ones do): status falls back to one grep per class. */
const shimDir = writeTree({grep: `#!/bin/sh\ncase "$1" in -a*) echo "grep: invalid option" >&2; exit 2;; esac\nexec ${execFileSync('sh', ['-c', 'command -v grep']).toString().trim()} "$@"\n`})
chmodSync(join(shimDir, 'grep'), 0o755)
const plainGrep: Host = {
  name: 'localhost', local: true, user: local.user, run: (a, o) => local.run(a, o), close: async () => {},
  sh: (script, args = [], opts) => local.run(['env', `PATH=${shimDir}:${process.env.PATH}`, 'sh', '-c', script, 'sh', ...args], opts),
}

describe('daemonStatus', () => {
  after(() => { delete process.env.FLINKCTL_DAEMON_NO_PROC })

  for (const [name, host, noProc] of [['dash, /proc', local, false], ['bash, /proc', bash, false], ['dash, ps only (no /proc, as on macOS)', local, true], ['dash, /proc, a grep without -a/-o', plainGrep, false]] as const) {
    it(`one round trip for several daemons: running/stale/foreign entries, uptime, log file, unrecorded processes (${name})`, async () => {
      if (noProc) process.env.FLINKCTL_DAEMON_NO_PROC = '1'
      else delete process.env.FLINKCTL_DAEMON_NO_PROC
      const g = ground()
      const tm = g.plan({daemon: 'taskexecutor'})
      const r = await startDaemons(host, [tm])
      assert.ok(r.ok, JSON.stringify(r.instances.map((i) => ({...i, plan: undefined}))))
      const s = r.instances[0] as Started
      track(s.pid)
      // one started by hand with the same main class, recorded nowhere
      const loose = spawnLoose(g.plan({daemon: 'taskexecutor', index: 7}).argv)
      const sleeper = spawnLoose(['sleep', '60'])
      const dead = spawnLoose(['true'])
      await waitFor('exec', () => (cmdline(loose) ?? []).includes(tm.mainClass) && !alive(dead))
      writeFileSync(tm.paths.pidFile, `${s.pid}\n${dead}\n\n${sleeper}\nbogus\n`)
      await sleep(1100)

      const jm = g.plan({daemon: 'standalonesession'})
      const [tms, jms] = await daemonStatus(host, [statusSpecFor(tm), statusSpecFor(jm)])
      assert.deepEqual(tms!.entries.map((e) => [e.line, e.state, e.pid]), [[1, 'running', s.pid], [2, 'stale', dead], [3, 'foreign', sleeper], [4, 'invalid', undefined]])
      const run = tms!.entries[0]!
      assert.ok(run.uptimeSeconds !== undefined && run.uptimeSeconds >= 1 && run.uptimeSeconds < 60, `uptime ${run.uptimeSeconds}`)
      assert.equal(run.logFile, s.logFile)
      assert.equal(tms!.running, 1)
      assert.equal(tms!.entries[2]!.uptimeSeconds, undefined, 'nothing reported about a foreign process')
      const u = tms!.unrecorded.find((x) => x.pid === loose)
      assert.ok(u, `unrecorded: ${JSON.stringify(tms!.unrecorded)}`)
      assert.match(u.logFile!, /flink-tester-taskexecutor-7-/)
      assert.ok(!tms!.unrecorded.some((x) => x.pid === s.pid || x.pid === sleeper))
      assert.deepEqual(jms!.entries, [])
      assert.ok(!jms!.unrecorded.some((x) => x.pid === loose || x.pid === s.pid))
      assert.ok(alive(loose) && alive(sleeper), 'status never stops anything')

      // stop/start agree with status on this shell too
      const stop = await stopDaemons(host, stopRequestFor(tm, {all: true}))
      assert.deepEqual(stop.outcomes.map((o) => o.result), ['dropped', 'dropped', 'dropped', 'stopped'])
      assert.ok(alive(loose), 'an unrecorded process is never stopped')
      process.kill(loose, 'SIGKILL')
      process.kill(sleeper, 'SIGKILL')
    })
  }

  it('parses ps elapsed times', () => {
    assert.equal(parseUptime('42'), 42)
    assert.equal(parseUptime('01:02'), 62)
    assert.equal(parseUptime('03:00:05'), 10805)
    assert.equal(parseUptime('2-00:00:01'), 172801)
    assert.equal(parseUptime(''), undefined)
  })
})
