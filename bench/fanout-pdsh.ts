// `flinkctl status` and `flinkctl stop-cluster` on 32 and on 128 SSH test hosts against
// `pdsh -R ssh` sending each host the very same probe, in the same run, alternating (and swapping
// who goes first) so machine noise hits both alike. The probe is taken from flinkctl's own code:
// status and stop-cluster run against a recording pool, and what they would send to a worker is
// what pdsh sends (`sh -c <script> sh`, with the ground's ssh_config and pdsh's fanout set to
// flinkctl's --parallel). No daemons run: status still asks every host for its four daemon types,
// stop-cluster still visits every worker to read and prune its TaskManager pid file.
// Prints medians, the ratio flinkctl/pdsh, flinkctl's peak RSS (/usr/bin/time %M) and how many
// hosts failed. Target (issue 13): ratio <= 0.5 at 32 and 128 hosts, RSS <= 150 MB at 128, 0 failed.
// Needs root (the SSH test ground; installs pdsh and time with apt-get when missing).
// Usage: node bench/fanout-pdsh.ts [runs=5] [sizes=32,128] [parallel=32]
import {execFile, execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadCluster} from '../src/lib/conf/load.ts'
import {clusterStatus, stopCluster} from '../src/lib/cluster/ops.ts'
import type {Session} from '../src/lib/cluster/session.ts'
import {quoteArg} from '../src/lib/launch/shell.ts'
import type {Host} from '../src/lib/remote/host.ts'
import {HostPool} from '../src/lib/remote/pool.ts'
import {FLINKCTL_BIN} from '../test/helpers/flinkctl.ts'
import {groundFlinkHomes, repoRoot} from '../test/helpers/ground-flink.ts'
import {groundInstall, groundUp} from '../test/helpers/ground-hosts.ts'

const runs = Number(process.argv[2] ?? 5)
const sizes = (process.argv[3] ?? '32,128').split(',').map(Number)
const parallel = Number(process.argv[4] ?? 32)
const base = process.env.FLINKCTL_BENCH_DIR ?? '/var/tmp/flinkctl-bench/fanout-pdsh'
const home = groundFlinkHomes().at(-1)!.home
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Debian packages for the baseline, installed the way hosts.sh install does (quietly, once). */
function aptInstall(pkgs: Record<string, string>): void {
  const missing = Object.entries(pkgs).filter(([, file]) => !existsSync(file)).map(([p]) => p)
  if (missing.length === 0) return
  console.error(`installing ${missing.join(' ')}`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  execFileSync('apt-get', ['update', '-qq'], {env, stdio: ['ignore', 'ignore', 'inherit']})
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {env, stdio: ['ignore', 'ignore', 'inherit']})
}

interface Timed {
  ms: number
  code: number
  stdout: string
  stderr: string
  /** Peak RSS of the timed process, kB (/usr/bin/time %M). */
  rssKb: number
}

/** Runs file under /usr/bin/time (both tools alike) and measures wall time from here. */
function timed(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const rssFile = join(base, 'time.out')
  return new Promise((resolve) => {
    const start = performance.now()
    execFile('/usr/bin/time', ['-f', '%M', '-o', rssFile, file, ...args], {cwd: repoRoot, env: {...process.env, NO_COLOR: '1', ...env}, maxBuffer: 256 * 1024 * 1024, timeout: 600_000}, (error, stdout, stderr) => {
      const ms = performance.now() - start
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1))
      resolve({ms, code, stdout: String(stdout), stderr: String(stderr), rssKb})
    })
  })
}

/** The script flinkctl's status or stop-cluster would send to worker `probe`, from its own code. */
async function scriptOf(confDir: string, op: 'status' | 'stop-cluster', probe: string): Promise<string> {
  const conf = loadCluster({confDir, flinkHome: home})
  const sent = new Map<string, string>()
  const recording = (name: string): Host => ({
    name,
    local: false,
    user: 'root',
    async sh(script) {
      sent.set(name, script)
      return {code: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false}
    },
    async run() {
      throw new Error('not recorded')
    },
    async close() {},
  })
  // the real pool's fan-out, with hosts that only record what they are sent
  const pool = new (class extends HostPool {
    override get(name: string): Host {
      return recording(name)
    }
  })()
  const session: Session = {conf, pool, parallel, emit: () => {}}
  if (op === 'status') await clusterStatus(session)
  else await stopCluster(session)
  const script = sent.get(probe)
  if (!script) throw new Error(`${op} sent nothing to ${probe}`)
  return script
}

await groundInstall()
aptInstall({pdsh: '/usr/bin/pdsh', time: '/usr/bin/time'})
rmSync(base, {recursive: true, force: true})
mkdirSync(base, {recursive: true})
const ground = await groundUp({hosts: Math.max(...sizes), privateEmpty: ['/tmp']})
try {
  const names = ground.hosts.map((h) => h.name)
  type Row = {size: number; op: 'status' | 'stop-cluster'; flinkctl: number[]; pdsh: number[]; rss: number[]; failedFlinkctl: number; failedPdsh: number}
  const rows: Row[] = []
  const setups = sizes.map((size) => {
    const dir = join(base, `conf-${size}`)
    mkdirSync(dir, {recursive: true})
    // no HA and no JobManager: status asks every worker for its daemons and REST (port 1) fails at once
    writeFileSync(join(dir, 'config.yaml'), `rest.port: 1\nenv.ssh.opts: -F ${ground.sshConfig}\n`)
    writeFileSync(join(dir, 'workers'), `${names.slice(0, size).join('\n')}\n`)
    writeFileSync(join(dir, 'hostfile'), `${names.slice(0, size).join('\n')}\n`)
    return {size, dir}
  })

  /** flinkctl: the real binary; failed hosts from its JSON report. */
  const runFlinkctl = async (size: number, dir: string, op: Row['op']) => {
    const r = await timed(process.execPath, [FLINKCTL_BIN, op, '--conf-dir', dir, '--flink-home', home, '--parallel', String(parallel), '--json'], {FLINK_CONF_DIR: undefined, FLINK_HOME: undefined})
    let failed = size
    try {
      const result = JSON.parse(r.stdout).result
      if (op === 'status') failed = result.hosts.filter((h: any) => h.host !== 'localhost' && !h.reachable).length + (size - result.hosts.filter((h: any) => h.host !== 'localhost').length)
      else failed = result.failedHosts.length + (size - result.daemons.filter((d: any) => d.host !== 'localhost').length)
    } catch {
      console.error(`flinkctl ${op} on ${size} hosts: exit ${r.code}: ${r.stderr.slice(-2000)}`)
    }
    if (failed) console.error(`flinkctl ${op} on ${size} hosts: ${failed} failed: ${r.stderr.slice(-1500)}`)
    return {ms: r.ms, rssKb: r.rssKb, failed}
  }
  /** pdsh: the same script, `; echo` of its status so every host's answer is counted. */
  const runPdsh = async (size: number, dir: string, script: string) => {
    const command = `sh -c ${quoteArg(script)} sh; echo "fc-rc $?"`
    const r = await timed('pdsh', ['-R', 'ssh', '-f', String(parallel), '-w', `^${join(dir, 'hostfile')}`, command], {PDSH_SSH_ARGS_APPEND: `-F ${ground.sshConfig}`})
    const ok = new Set([...r.stdout.matchAll(/^(\S+): fc-rc 0$/gm)].map((m) => m[1]))
    const failed = size - ok.size
    if (failed) console.error(`pdsh on ${size} hosts: ${failed} failed: ${r.stderr.slice(-1500)}`)
    return {ms: r.ms, failed}
  }

  for (const {size, dir} of setups) {
    for (const op of ['status', 'stop-cluster'] as const) {
      const script = await scriptOf(dir, op, names[0]!)
      const row: Row = {size, op, flinkctl: [], pdsh: [], rss: [], failedFlinkctl: 0, failedPdsh: 0}
      // warm-up, not counted: page cache, sshd's first forks, ARP
      await runFlinkctl(size, dir, op)
      await runPdsh(size, dir, script)
      for (let i = 0; i < runs; i++) {
        const f = async () => {
          const r = await runFlinkctl(size, dir, op)
          row.flinkctl.push(r.ms)
          row.rss.push(r.rssKb)
          row.failedFlinkctl += r.failed
        }
        const p = async () => {
          const r = await runPdsh(size, dir, script)
          row.pdsh.push(r.ms)
          row.failedPdsh += r.failed
        }
        if (i % 2 === 0) {
          await f()
          await p()
        } else {
          await p()
          await f()
        }
      }
      rows.push(row)
      console.error(`${op} on ${size} hosts: flinkctl ${row.flinkctl.map((x) => x.toFixed(0)).join(' ')} ms; pdsh ${row.pdsh.map((x) => x.toFixed(0)).join(' ')} ms`)
    }
  }

  console.log(`${runs} alternating runs each, --parallel ${parallel} = pdsh -f ${parallel}; medians`)
  console.log('HOSTS  COMMAND       FLINKCTL  PDSH     RATIO  FLINKCTL PEAK RSS  FAILED (flinkctl/pdsh)')
  for (const r of rows) {
    const f = median(r.flinkctl)
    const p = median(r.pdsh)
    console.log(`${String(r.size).padEnd(6)} ${r.op.padEnd(13)} ${(f / 1000).toFixed(2).padStart(6)} s  ${(p / 1000).toFixed(2).padStart(5)} s  ${(f / p).toFixed(2).padStart(5)}  ${(Math.max(...r.rss) / 1024).toFixed(0).padStart(6)} MB          ${r.failedFlinkctl}/${r.failedPdsh}`)
  }
  for (const r of rows) console.log(`ratio ${r.op} ${r.size} hosts: ${(median(r.flinkctl) / median(r.pdsh)).toFixed(2)} (target <= 0.5)`)
  console.log(JSON.stringify({bench: 'fanout-pdsh', runs, parallel, target: {ratio: 0.5, rssMb: 150}, rows: rows.map((r) => ({
    hosts: r.size, command: r.op, flinkctlMedianMs: Math.round(median(r.flinkctl)), pdshMedianMs: Math.round(median(r.pdsh)),
    ratio: +(median(r.flinkctl) / median(r.pdsh)).toFixed(2), flinkctlPeakRssMb: Math.round(Math.max(...r.rss) / 1024),
    failedHosts: {flinkctl: r.failedFlinkctl, pdsh: r.failedPdsh},
  }))}))
} finally {
  await ground.down()
}
