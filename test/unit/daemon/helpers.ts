// A Flink home whose "java" is a perl one-liner that carries every argument on its command line,
// so pid files, log names and identification are exercised without starting JVMs.
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import type {ClusterConf} from '../../../src/lib/conf/types.ts'
import {planDaemon, type DaemonPlanOptions, type LaunchPlan} from '../../../src/lib/launch/plan.ts'
import {writeTree} from '../../helpers/fixtures.ts'

// FAKE_JAVA_MODE (exported through plan.env): default ends on SIGTERM with 143 like a JVM,
// stubborn ignores SIGTERM, fail prints what a JVM prints for a bad option and exits 1.
const FAKE_JAVA = `#!/bin/sh
case "\${FAKE_JAVA_MODE:-}" in
  fail)
    echo "Unrecognized VM option 'UseBogusGC'" >&2
    echo "Error: Could not create the Java Virtual Machine." >&2
    echo "Error: A fatal exception has occurred. Program will exit." >&2
    exit 1;;
  stubborn) exec perl -e '$SIG{TERM} = "IGNORE"; sleep 1 while 1' -- "$@";;
  *) exec perl -e '$SIG{TERM} = sub { exit 143 }; sleep 1 while 1' -- "$@";;
esac
`

export interface Ground {
  root: string
  conf: ClusterConf
  pidDir: string
  logDir: string
  javaHome: string
  user: string
  plan(opts: Partial<DaemonPlanOptions> & Pick<DaemonPlanOptions, 'daemon'>, mode?: 'fail' | 'stubborn'): LaunchPlan
}

const tracked = new Set<number>()
/** Remembers pids to SIGKILL when the test file ends, so no fake daemon outlives the tests. */
export function track(...pids: number[]): void {
  for (const p of pids) tracked.add(p)
}
after(() => {
  for (const p of tracked) {
    try {
      process.kill(p, 'SIGKILL')
    } catch { /* gone */ }
  }
})

export function ground(extraConf = '', extraFiles: Record<string, string> = {}): Ground {
  const root = writeTree({
    'lib/flink-dist-1.20.0.jar': '',
    'java/bin/java': FAKE_JAVA,
    'conf/config.yaml': `jobmanager.memory.process.size: 1600m\ntaskmanager.memory.process.size: 1728m\nenv.java.opts.all: "-Xlog:gc:file=\${FLINK_LOG_PREFIX}.gc"\n${extraConf}`,
    'conf/zoo.cfg': 'tickTime=2000\ndataDir=/var/lib/zk\nserver.1=localhost:2888:3888;2181\nserver.2=localhost:2889:3889;2182\n',
    'pid dir/.keep': '',
    ...extraFiles,
  })
  chmodSync(join(root, 'java/bin/java'), 0o755)
  const pidDir = join(root, 'pid dir') // a space: every path must be quoted
  const logDir = join(root, 'log')
  const javaHome = join(root, 'java')
  const conf = loadCluster({confDir: join(root, 'conf'), flinkHome: root, env: {}})
  const user = 'tester'
  return {
    root, conf, pidDir, logDir, javaHome, user,
    plan(opts, mode) {
      const env = {FLINK_PID_DIR: pidDir, FLINK_LOG_DIR: logDir, JAVA_HOME: javaHome}
      const p = planDaemon(conf, {host: 'localhost', user, ...opts, env: {...env, ...opts.env}}, () => readFileSync(join(root, 'conf/zoo.cfg'), 'utf8'))
      if (mode) p.env.FAKE_JAVA_MODE = mode
      return p
    },
  }
}

export function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)
  } catch {
    return undefined
  }
}

/** Alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\S+ \(.*\) [ZX]/s.test(stat)
  } catch {
    return false
  }
}

export function pidLines(pidFile: string): string[] {
  return existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter((l) => l !== '') : []
}

export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** A process outside flinkctl, e.g. one Flink's own scripts started; detached so it outlives nothing but the test. */
export function spawnLoose(argv: string[], env: Record<string, string> = {}): number {
  const child = spawn(argv[0]!, argv.slice(1), {stdio: 'ignore', detached: true, env: {...process.env, ...env}})
  child.unref()
  track(child.pid!)
  return child.pid!
}
