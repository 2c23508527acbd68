import assert from 'node:assert/strict'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {runForeground, startDaemons, stopDaemons, stopRequestFor} from '../../../src/lib/daemon/index.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {cmdline, ground, pidLines, track, waitFor} from './helpers.ts'

/** Starts the plan in the foreground and waits until java (perl here) has replaced the shell. */
async function launch(plan: ReturnType<ReturnType<typeof ground>['plan']>) {
  let pid: number | undefined
  const done = runForeground(plan, {onSpawn: (p) => { pid = p; track(p) }})
  await waitFor('exec', () => pid !== undefined && cmdline(pid)?.[0] === 'perl')
  return {pid: pid!, done}
}

describe('runForeground', () => {
  it('records $$ (the JVM\'s pid after exec), passes SIGTERM on, returns the exit code and removes its pid line', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor', foreground: true, index: 3, hostname: 'elsewhere'})
    const {pid, done} = await launch(plan)
    assert.deepEqual(pidLines(plan.paths.pidFile), [String(pid)])
    const argv = cmdline(pid)!
    assert.ok(argv.includes(`-Dlog.file=${join(g.logDir, `flink-tester-taskexecutor-0-${hostname()}`)}.log`), 'index and host decided here, as for start')
    assert.ok(argv.includes(`-Dlog4j.configurationFile=file:${g.conf.confDir}/log4j-console.properties`))
    assert.ok(argv.includes(plan.mainClass))
    process.kill(process.pid, 'SIGTERM') // what a supervisor sends to flinkctl
    assert.equal(await done, 143)
    assert.deepEqual(pidLines(plan.paths.pidFile), [], 'Flink\'s console mode leaves this line behind')
  })

  it('a JVM that fails to start: its exit status comes back', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'historyserver', foreground: true}, 'fail')
    assert.equal(await runForeground(plan), 1)
    assert.deepEqual(pidLines(plan.paths.pidFile), [])
  })

  it('shares the pid file with background instances: stop finds the foreground one, and its index does not clash', async () => {
    const g = ground()
    const host = new LocalHost()
    const bg = g.plan({daemon: 'taskexecutor'})
    const r = await startDaemons(host, [bg])
    track(r.instances[0]!.pid)
    const fg = g.plan({daemon: 'taskexecutor', foreground: true})
    const {pid, done} = await launch(fg)
    assert.ok(cmdline(pid)!.some((a) => a.startsWith('-Dlog.file=') && a.includes('-taskexecutor-1-')))
    assert.deepEqual(pidLines(bg.paths.pidFile), [String(r.instances[0]!.pid), String(pid)])
    const stop = await stopDaemons(host, stopRequestFor(bg)) // the newest: the foreground one
    assert.deepEqual(stop.outcomes.map((o) => [o.result, o.pid]), [['stopped', pid]])
    assert.equal(await done, 143)
    assert.deepEqual(pidLines(bg.paths.pidFile), [String(r.instances[0]!.pid)])
    await stopDaemons(host, stopRequestFor(bg, {all: true}))
  })
})
