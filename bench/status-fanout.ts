// `flinkctl status` across 32 SSH test hosts against `flinkctl status` on one of them, in the
// same run, alternating so machine noise hits both alike. Each host runs one TaskManager-like
// process to report. Prints both medians and the ratio. Target (issue 4): ratio <= 2.
// Also prints where the CPU went: the ground's hosts share this machine's cores with flinkctl, so
// their sshd logins and shells (work a real fleet does on its own CPUs) are part of the wall time.
// Needs root (the SSH test ground). Usage: node bench/status-fanout.ts [runs] [hosts]
import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'
import {flinkctl} from '../test/helpers/flinkctl.ts'
import {groundFlinkHomes} from '../test/helpers/ground-flink.ts'
import {groundInstall, groundUp} from '../test/helpers/ground-hosts.ts'

const runs = Number(process.argv[2] ?? 7)
const n = Number(process.argv[3] ?? 32)
const base = '/var/tmp/flinkctl-bench/status'
const home = groundFlinkHomes().at(-1)!.home
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** CPU seconds this machine spent (all cores) since boot, from /proc/stat. */
const machineCpu = () => {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq] = f.map(Number)
  return (user! + nice! + system! + irq! + softirq!) / 100
}
/** CPU seconds of the ground's sshd listeners and every child they reaped (logins, shells, scripts). */
const groundCpu = (stateDir: string) => {
  const ps = execFileSync('ps', ['-e', '-ww', '-o', 'pid=', '-o', 'args='], {encoding: 'utf8'})
  let ticks = 0
  for (const line of ps.split('\n')) {
    if (!line.includes('[listener]') || !line.includes(stateDir)) continue
    try {
      const stat = readFileSync(`/proc/${line.trim().split(/\s+/)[0]}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
    } catch { /* gone */ }
  }
  return ticks / 100
}

await groundInstall()
rmSync(base, {recursive: true, force: true})
const ground = await groundUp({hosts: n, privateEmpty: ['/tmp']})
try {
  const conf = (dir: string, workers: string[]) => {
    mkdirSync(dir, {recursive: true})
    // no HA and no JobManager: status still asks every host for its daemons and REST for its state
    writeFileSync(join(dir, 'config.yaml'), `rest.port: 1\nenv.ssh.opts: -F ${ground.sshConfig}\n`)
    writeFileSync(join(dir, 'workers'), `${workers.join('\n')}\n`)
    return dir
  }
  const names = ground.hosts.map((h) => h.name)
  const many = conf(join(base, 'many'), names)
  const one = conf(join(base, 'one'), [names[0]!])
  // something to report on every host: a process that looks like a TaskManager, in its pid file
  await Promise.all(names.map((h) => ground.ssh(h, "nohup perl -e 'sleep 3600' org.apache.flink.runtime.taskexecutor.TaskManagerRunner >/dev/null 2>&1 </dev/null & echo $! > /tmp/flink-root-taskexecutor.pid")))
  const cpu: {machine: number; hosts: number}[] = []
  const time = async (dir: string) => {
    const [m0, g0] = [machineCpu(), groundCpu(ground.stateDir)]
    const start = performance.now()
    const r = await flinkctl(['status', '--conf-dir', dir, '--flink-home', home, '--json'])
    const ms = performance.now() - start
    if (dir === many) cpu.push({machine: machineCpu() - m0, hosts: groundCpu(ground.stateDir) - g0})
    const hosts = r.json?.result?.hosts
    // the workers, plus this machine (where a JobManager would run without HA)
    const workers = (hosts ?? []).filter((h: any) => h.host !== 'localhost')
    if (workers.length !== (dir === many ? n : 1)) throw new Error(`status failed (exit ${r.code}): ${r.stderr.slice(-2000)}`)
    const running = workers.filter((h: any) => h.daemons?.some((d: any) => d.instances.some((i: any) => i.state === 'running'))).length
    if (running !== workers.length) throw new Error(`expected a running instance on every host, got ${running}/${workers.length}`)
    return ms
  }
  await time(one)
  await time(many)
  cpu.length = 0
  const single: number[] = []
  const fan: number[] = []
  for (let i = 0; i < runs; i++) {
    single.push(await time(one))
    fan.push(await time(many))
  }
  const s = median(single)
  const f = median(fan)
  console.log(`status, 1 host    median ${s.toFixed(0)} ms`)
  console.log(`status, ${n} hosts  median ${f.toFixed(0)} ms`)
  console.log(`ratio ${(f / s).toFixed(2)} (target <= 2)`)
  const machine = median(cpu.map((c) => c.machine))
  const hosts = median(cpu.map((c) => c.hosts))
  const cores = availableParallelism()
  console.log(`${n} hosts, CPU per run (median): ${machine.toFixed(2)} s on this machine, of which ${hosts.toFixed(2)} s in the ground hosts' sshd logins and shells;`)
  console.log(`  on ${cores} cores that CPU alone takes >= ${(machine / cores * 1000).toFixed(0)} ms of wall time (${(hosts / cores * 1000).toFixed(0)} ms of it the hosts' own work)`)
  console.log(JSON.stringify({bench: 'status-fanout', runs, hosts: n, singleMedianMs: Math.round(s), fanoutMedianMs: Math.round(f), ratio: +(f / s).toFixed(2), target: 2,
    cores, fanoutCpuSeconds: +machine.toFixed(2), groundHostsCpuSeconds: +hosts.toFixed(2)}))
} finally {
  await ground.down()
}
