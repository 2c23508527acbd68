import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {findDaemonProcesses, signalDaemon} from '../../../src/lib/daemon/index.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'
import {alive, cmdline, spawnLoose, track, waitFor} from './helpers.ts'

const local = new LocalHost()
const CLS = 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint'
const daemonLike = (...args: string[]) => {
  const pid = spawnLoose(['perl', '-e', '$SIG{TERM} = sub { exit 143 }; sleep 1 while 1', '--', CLS, ...args])
  track(pid)
  return pid
}

describe('finding and signalling one daemon process', () => {
  it('lists the processes running the class with their command lines, and nothing else', async () => {
    const a = daemonLike('--webui-port', '18081')
    const b = daemonLike('--webui-port', '18082')
    const other = spawnLoose(['sleep', '60'])
    track(other)
    await waitFor('exec', () => (cmdline(a) ?? []).includes(CLS) && (cmdline(b) ?? []).includes(CLS))
    const found = await findDaemonProcesses(local, CLS)
    const mine = found.filter((p) => p.pid === a || p.pid === b)
    assert.equal(mine.length, 2, JSON.stringify(found))
    assert.match(mine.find((p) => p.pid === a)!.commandLine, /--webui-port 18081/)
    assert.ok(!found.some((p) => p.pid === other || p.pid === process.pid), 'only processes of the class')
  })

  it('signals a process only while it runs the class: sent, then gone; a foreign pid is left alone', async () => {
    const jm = daemonLike()
    const sleeper = spawnLoose(['sleep', '60'])
    track(sleeper)
    await waitFor('exec', () => (cmdline(jm) ?? []).includes(CLS))
    const foreign = await signalDaemon(local, sleeper, CLS, 'KILL')
    assert.equal(foreign.result, 'foreign')
    assert.ok(alive(sleeper), 'a pid running something else is never signalled')

    const stop = await signalDaemon(local, jm, CLS, 'STOP')
    assert.equal(stop.result, 'sent')
    assert.ok(stop.hostTime === undefined || Math.abs(stop.hostTime - Date.now()) < 5000, `host time ${stop.hostTime}`)
    await waitFor('stopped', () => /^\S+ \S+ T/.test(readStat(jm)))
    assert.equal((await signalDaemon(local, jm, CLS, 'CONT')).result, 'sent')
    await waitFor('continued', () => !/^\S+ \S+ T/.test(readStat(jm)))
    assert.equal((await signalDaemon(local, jm, CLS, 'KILL')).result, 'sent')
    await waitFor('killed', () => !alive(jm))
    assert.equal((await signalDaemon(local, jm, CLS, 'KILL')).result, 'gone')
  })
})

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x')
  } catch {
    return ''
  }
}
