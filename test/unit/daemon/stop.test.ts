import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {startDaemons, stopDaemons, stopRequestFor, type Started, type StopOutcome} from '../../../src/lib/daemon/index.ts'
import type {LaunchPlan} from '../../../src/lib/launch/plan.ts'
import type {Host} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {alive, cmdline, ground, pidLines, spawnLoose, track, waitFor} from './helpers.ts'

const host = new LocalHost()

async function start(plans: LaunchPlan[]): Promise<number[]> {
  const r = await startDaemons(host, plans)
  assert.ok(r.ok)
  const pids = r.instances.filter((i): i is Started => i.status === 'started').map((s) => s.pid)
  track(...pids)
  for (const p of pids) await waitFor('exec', () => (cmdline(p) ?? []).includes(plans[0]!.mainClass))
  return pids
}

const brief = (o: StopOutcome) => (o.result === 'dropped' ? [o.result, o.state, o.pid] : o.result === 'stopped' ? [o.result, o.signal, o.pid] : [o.result, o.pid])

describe('stopDaemons', () => {
  it('stop takes the newest running instance (Flink: the last line); stop-all the rest', async () => {
    const g = ground()
    const plans = [g.plan({daemon: 'taskexecutor'}), g.plan({daemon: 'taskexecutor', index: 1})]
    const [a, b] = await start(plans)
    const r = await stopDaemons(host, stopRequestFor(plans[0]!))
    assert.deepEqual(r.outcomes.map(brief), [['stopped', 'TERM', b]])
    assert.ok(r.ok && r.stopped === 1 && !r.nothingToStop)
    assert.ok(!alive(b!) && alive(a!))
    assert.deepEqual(pidLines(plans[0]!.paths.pidFile), [String(a)])

    const all = await stopDaemons(host, stopRequestFor(plans[0]!, {all: true}))
    assert.deepEqual(all.outcomes.map(brief), [['stopped', 'TERM', a]])
    assert.ok(!existsSync(plans[0]!.paths.pidFile), 'an empty pid file is deleted, as Flink does')

    const none = await stopDaemons(host, stopRequestFor(plans[0]!, {all: true}))
    assert.ok(none.nothingToStop && none.ok && none.outcomes.length === 0)
  })

  it('escalates to SIGKILL after the grace period, in parallel for several instances', async () => {
    const g = ground()
    const plans = [g.plan({daemon: 'taskexecutor'}, 'stubborn'), g.plan({daemon: 'taskexecutor', index: 1}, 'stubborn')]
    const pids = await start(plans)
    const r = await stopDaemons(host, stopRequestFor(plans[0]!, {all: true, graceMs: 1000}))
    assert.deepEqual(r.outcomes.map(brief), pids.map((p) => ['stopped', 'KILL', p]))
    for (const o of r.outcomes) assert.ok(o.result === 'stopped' && o.waitedMs >= 1000, JSON.stringify(o))
    // in parallel: one after the other, the whole stop would last at least the two waits added up
    const waits = r.outcomes.map((o) => (o as {waitedMs: number}).waitedMs)
    assert.ok(r.durationMs < waits[0]! + waits[1]!, `one grace period for both, not one each (${r.durationMs} ms for waits of ${waits.join(' and ')} ms)`)
    for (const p of pids) assert.ok(!alive(p))
    assert.deepEqual(pidLines(plans[0]!.paths.pidFile), [])
  })

  it('removes the pid line only after the process is gone; a process that outlives SIGKILL keeps its line', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor'}, 'stubborn')
    const [pid] = await start([plan])
    // nothing outlives a real SIGKILL sent by its owner, so this host swallows it (a process in
    // uninterruptible sleep on a hung NFS mount behaves the same way)
    const deaf: Host = {
      name: host.name, local: true, user: host.user, run: (a, o) => host.run(a, o), close: async () => {},
      sh: (script, args, opts) => host.sh(`kill() { if [ "$2" = KILL ]; then return 0; fi; command kill "$@"; }\n${script}`, args, opts),
    }
    const r = await stopDaemons(deaf, stopRequestFor(plan, {graceMs: 200, killWaitMs: 300}))
    assert.deepEqual(r.outcomes.map(brief), [['failed', pid]])
    assert.ok(!r.ok)
    assert.match((r.outcomes[0] as {reason: string}).reason, /still running after SIGKILL/)
    assert.ok(alive(pid!))
    assert.deepEqual(pidLines(plan.paths.pidFile), [String(pid)], 'kept while the process is there')

    const real = await stopDaemons(host, stopRequestFor(plan, {graceMs: 200}))
    assert.deepEqual(real.outcomes.map(brief), [['stopped', 'KILL', pid]])
    assert.ok(!alive(pid!))
    assert.deepEqual(pidLines(plan.paths.pidFile), [])
  })

  it('never signals a reused pid: a live unrelated process is dropped as foreign and keeps running; dead pids are dropped as stale', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor'})
    const [tm] = await start([plan])
    const sleeper = spawnLoose(['sleep', '60']) // its pid stands for a recycled one
    const dead = spawnLoose(['true'])
    await waitFor('true to exit', () => !alive(dead))
    writeFileSync(plan.paths.pidFile, `${dead}\n${tm}\n${sleeper}\nnot-a-pid\n`)
    // stop (newest only): the newest *running* instance is the TaskManager, not the last line
    const r = await stopDaemons(host, stopRequestFor(plan))
    assert.deepEqual(r.outcomes.map(brief), [['dropped', 'stale', dead], ['dropped', 'foreign', sleeper], ['dropped', 'invalid', undefined], ['stopped', 'TERM', tm]])
    assert.ok(alive(sleeper), 'the unrelated process was not signalled')
    assert.ok(!alive(tm!))
    assert.deepEqual(pidLines(plan.paths.pidFile), [])
    process.kill(sleeper, 'SIGKILL')
  })

  it('stops a daemon Flink\'s flink-daemon.sh started (pid file written the way it writes it)', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'standalonesession'})
    // flink-daemon.sh: "$JAVA_RUN" … > "$out" 200<&- 2>&1 < /dev/null &  then  echo $mypid >> "$pid"
    const pid = spawnLoose(plan.argv, plan.env)
    await waitFor('exec', () => (cmdline(pid) ?? []).includes(plan.mainClass))
    writeFileSync(plan.paths.pidFile, `${pid}\n`)
    const r = await stopDaemons(host, stopRequestFor(plan))
    assert.deepEqual(r.outcomes.map(brief), [['stopped', 'TERM', pid]])
    await waitFor('gone', () => !alive(pid))
    assert.ok(!existsSync(plan.paths.pidFile))
  })

  it('leaves lines a concurrent start appended while it waited', async () => {
    const g = ground()
    const plan = g.plan({daemon: 'taskexecutor'}, 'stubborn')
    const [old] = await start([plan])
    const stopping = stopDaemons(host, stopRequestFor(plan, {all: true, graceMs: 800}))
    await sleep(300) // the stop is waiting for its TERM, without the lock
    const fresh = g.plan({daemon: 'taskexecutor'})
    const r = await startDaemons(host, [fresh, fresh]) // old one still counts as running: one more
    const news = r.instances.filter((i): i is Started => i.status === 'started')
    track(...news.map((s) => s.pid))
    assert.equal(news.length, 1)
    assert.equal(news[0]!.index, 1, 'index 0 is still the stopping process\'s')
    const s = await stopping
    assert.deepEqual(s.outcomes.map(brief), [['stopped', 'KILL', old]])
    assert.deepEqual(pidLines(plan.paths.pidFile), [String(news[0]!.pid)])
    assert.equal(readFileSync(plan.paths.pidFile, 'utf8'), `${news[0]!.pid}\n`)
    await stopDaemons(host, stopRequestFor(plan, {all: true}))
  })
})
