import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {describe, it} from 'node:test'
import {findDaemonProcesses, signalDaemon} from '../../../src/lib/daemon/index.ts'
import {parseProcesses} from '../../../src/lib/daemon/signal.ts'
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

  it('with ports, names the TCP ports each process listens on (how a drill finds the TaskManager running tasks)', async () => {
    const port = await freePort()
    const listener = spawnLoose(['perl', '-MIO::Socket::INET', '-e',
      'my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], ReuseAddr => 1) or die; sleep 1 while 1', String(port), CLS])
    const quiet = daemonLike('--webui-port', '18083')
    await waitFor('listening', () => readFileSync('/proc/net/tcp', 'utf8').includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`))
    const found = await findDaemonProcesses(local, CLS, {ports: true})
    assert.deepEqual(found.find((p) => p.pid === listener)?.ports, [port], JSON.stringify(found))
    assert.equal(found.find((p) => p.pid === quiet)?.ports, undefined, 'a process listening on nothing has no ports')
    assert.equal((await findDaemonProcesses(local, CLS)).find((p) => p.pid === listener)?.ports, undefined, 'ports only when asked')
  })

  it('parses ports only for processes it listed, in hex', () => {
    assert.deepEqual(parseProcesses(`proc\t12\tjava ${CLS}\nport\t12\t1F90\nport\t13\t1F91\nport\t12\tzz\n`), [{pid: 12, commandLine: `java ${CLS}`, ports: [8080]}])
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    }).on('error', reject)
  })
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x')
  } catch {
    return ''
  }
}
