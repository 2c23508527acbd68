// config push SIGKILLed at N seeded random moments (default 20) while pushing to 8 SSH test
// hosts (test/helpers/push-kill.ts: a 2 MB log4j file, changed, added, removed and unchanged
// files). Prints, per round, how many hosts hold the old set, the new set, or neither
// ("half-written": the failure atomic push rules out), and the totals. Target (issue 13): 0.
// Needs root (the SSH test ground). Usage: node bench/push-kill.ts [rounds] [seed]
import {rmSync} from 'node:fs'
import {groundFlinkHomes} from '../test/helpers/ground-flink.ts'
import {groundInstall, groundUp} from '../test/helpers/ground-hosts.ts'
import {e2eBase, fileSets, killRounds, runAndKill, writeSet} from '../test/helpers/push-kill.ts'

const rounds = Number(process.argv[2] ?? process.env.FLINKCTL_KILL_ROUNDS ?? 20)
const seed = Number(process.argv[3] ?? process.env.FLINKCTL_KILL_SEED ?? 13)
const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8']
const base = `${e2eBase()}/bench-push-kill`
const confDir = `${base}/conf`
const home = groundFlinkHomes().at(-1)!.home

await groundInstall()
rmSync(base, {recursive: true, force: true})
const g = await groundUp({hosts: hosts.length, privateEmpty: ['/tmp', confDir]})
try {
  const sets = fileSets(hosts, [`env.ssh.opts: -F ${g.sshConfig}`])
  const args = ['--flink-home', home]
  const push = () => runAndKill(['config', 'push', '--conf-dir', confDir, ...args], undefined)
  writeSet(confDir, sets.a)
  if ((await push()).code !== 0) throw new Error('the first push failed')
  const timings: number[] = []
  for (const t of ['b', 'a'] as const) {
    writeSet(confDir, sets[t])
    timings.push((await push()).ms)
  }
  const pushMs = Math.max(...timings)
  const startMs = (await runAndKill(['validate', '--conf-dir', confDir, ...args], undefined)).ms
  console.log(`one push: ${pushMs} ms (${startMs} ms before any host is reached); ${rounds} kills, seed ${seed}`)
  const out = await killRounds({
    g, hosts, confDir, sets, args, rounds, seed, pushMs, startMs,
    onRound: (r) => console.log(`round ${String(r.round).padStart(2)}: push ${r.target.toUpperCase()} killed at ${String(r.delayMs).padStart(5)} ms${r.killed ? '' : ' (had ended)'}: A ${r.onA.length}, B ${r.onB.length}, half-written ${r.mixed.length}${r.mixed.length ? ` (${r.mixed.map((m) => m.host).join(' ')})` : ''}${r.journals.length ? `, journal left on ${r.journals.join(' ')}` : ''}`),
  })
  const observed = out.length * hosts.length
  const mixed = out.reduce((n, r) => n + r.mixed.length, 0)
  const switching = out.filter((r) => r.onA.length > 0 && r.onB.length > 0).length
  writeSet(confDir, sets.b)
  const final = await push()
  console.log(`half-written hosts: ${mixed} of ${observed} host states observed (ratio ${(mixed / observed).toFixed(3)}); kills that landed while hosts were switching: ${switching}/${out.length}; converging push: exit ${final.code}`)
  process.exitCode = mixed === 0 && final.code === 0 ? 0 : 1
} finally {
  await g.down()
}
