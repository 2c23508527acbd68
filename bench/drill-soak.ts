// Soak: consecutive drill rounds with --verify on the SSH test ground (2 JobManagers, 3
// TaskManagers, 3 peers, the checker job at 200 records/s over 8 keys, 4 s ZooKeeper sessions).
// Prints per kind: rounds passed, records emitted/lost/doubled, recovery p50/p95/max per phase,
// and the ratio of the p95 recovery to the goal (session timeout + 5 s). Goal: every round
// passes, 0 lost, 0 doubled, ratio <= 1.0 for the leader SIGKILL.
// Needs root. Usage: node bench/drill-soak.ts [rounds=20] [kinds=leader] [flink version=newest]
//   e.g. node bench/drill-soak.ts 20 leader,standby,taskmanager,zk-peer,zk-leader
import {groundFlinkHomes} from '../test/helpers/ground-flink.ts'
import {drillGround} from '../test/helpers/drill-ground.ts'
import {Chalk} from 'chalk'
import {drillReportSchema} from '../src/lib/output/drill-schema.ts'
import {renderRound} from '../src/lib/output/ha.ts'
import type {RoundResult} from '../src/lib/drill/types.ts'

const rounds = Number(process.argv[2] ?? 20)
const kinds = (process.argv[3] ?? 'leader').split(',')
const homes = groundFlinkHomes()
const {home, version} = homes.find((h) => h.version === process.argv[4]) ?? homes.at(-1)!
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN
}
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`

console.log(`drill soak: Flink ${version}, ${rounds} rounds per kind (${kinds.join(', ')}), --verify`)
const started = Date.now()
// heartbeats as in the drills e2e, so that a TaskManager cut off for 15 s is declared lost
const g = await drillGround('/var/tmp/flinkctl-bench/soak', home, ['heartbeat.interval: 2000', 'heartbeat.timeout: 10000', 'metrics.fetcher.update-interval: 1000'])
const plain = new Chalk({level: 0})
let failedKinds = 0
try {
  for (const kind of kinds) {
    const t0 = Date.now()
    // each kind in one drill invocation: its rounds are consecutive; a failed round ends the run
    const r = await g.cli('drill', '--target', kind, '--rounds', String(rounds), '--verify', '--settle', '240s', '--json')
    const d = drillReportSchema.parse(r.json?.result ?? r.json?.error?.details)
    const passed = d.rounds.filter((x) => x.ok).length
    const v = d.rounds.map((x) => x.verify).filter((x) => x !== undefined)
    const emitted = v.reduce((a, x) => a + x.emitted, 0)
    const lost = Math.max(0, ...v.map((x) => x.after?.lost ?? 0))
    const doubled = Math.max(0, ...v.map((x) => x.after?.doubled ?? 0))
    console.log(`\n${kind}: ${passed}/${rounds} rounds passed (exit ${r.code}) in ${sec(Date.now() - t0)}; records emitted ${emitted}, lost ${lost}, doubled ${doubled}`)
    console.log('  phase            p50        p95        max')
    const names = [...new Set(d.rounds.flatMap((x) => x.phases.map((p) => p.name)))]
    for (const n of names) {
      const xs = d.rounds.flatMap((x) => x.phases.filter((p) => p.name === n && p.ms !== undefined).map((p) => p.ms!))
      console.log(`  ${n.padEnd(16)} ${sec(pct(xs, 50)).padStart(9)}  ${sec(pct(xs, 95)).padStart(9)}  ${sec(Math.max(...xs)).padStart(9)}`)
    }
    const recovery = d.rounds.map((x) => x.recoveryMs).filter((x): x is number => x !== undefined)
    const goal = d.sessionTimeout.effectiveMs + 5000
    console.log(`  recovery         ${sec(pct(recovery, 50)).padStart(9)}  ${sec(pct(recovery, 95)).padStart(9)}  ${sec(Math.max(...recovery)).padStart(9)}`)
    console.log(`  p95 recovery / goal (session timeout ${sec(d.sessionTimeout.effectiveMs)} + 5 s) = ${(pct(recovery, 95) / goal).toFixed(2)}`)
    for (const x of d.rounds.filter((y) => !y.ok)) console.log(`  round ${x.round} failed: ${x.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`)
    if (passed !== rounds || lost > 0 || doubled > 0) failedKinds++
    if (d.rounds[0]) console.log(`\n  round 1 as \`flinkctl drill\` prints it:\n${renderRound(d.rounds[0] as RoundResult, plain).replace(/^/gm, '    ')}`)
  }
  // one partition of the leader's host and one quorum loss, printed whole (the README's examples)
  for (const args of [['--partition', '12s'], ['--target', 'zk-quorum', '--down', '8s']]) {
    const r = await g.cli('drill', ...args, '--verify', '--settle', '240s', '--json')
    const d = drillReportSchema.parse(r.json?.result ?? r.json?.error?.details)
    console.log(`\ndrill ${args.join(' ')} --verify: exit ${r.code}`)
    for (const x of d.rounds) console.log(renderRound(x as RoundResult, plain).replace(/^/gm, '    '))
    if (r.code !== 0) failedKinds++
  }
} finally {
  await g.ground.down()
}
console.log(`\ntotal ${sec(Date.now() - started)}`)
process.exitCode = failedKinds > 0 ? 1 : 0
