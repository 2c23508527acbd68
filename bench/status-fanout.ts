// `flinkctl status` across 32 SSH test hosts against `flinkctl status` on one of them, in the
// same run, alternating so machine noise hits both alike. Each host runs one TaskManager-like
// process to report. Prints both medians and the ratio. Target (issue 4): ratio <= 2.
// Needs root (the SSH test ground). Usage: node bench/status-fanout.ts [runs] [hosts]
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
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
  const time = async (dir: string) => {
    const start = performance.now()
    const r = await flinkctl(['status', '--conf-dir', dir, '--flink-home', home, '--json'])
    const ms = performance.now() - start
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
  console.log(JSON.stringify({bench: 'status-fanout', runs, hosts: n, singleMedianMs: Math.round(s), fanoutMedianMs: Math.round(f), ratio: +(f / s).toFixed(2), target: 2}))
} finally {
  await ground.down()
}
