// How late flinkctl's drill notices each phase, against when it happened by the processes' own
// logs (same clock: the ground's hosts are namespaces on this machine):
//   new-leader  vs the new leader's "http://…:8081 was granted leadership" (DispatcherRestEndpoint)
//   leader-gone vs the quorum leader's "Expiring session 0x…" of the killed JobManager's session
// Several SIGKILL rounds on a 2-master cluster. Target (issue 5): median lag <= 250 ms.
// Needs root (the SSH test ground). Usage: node bench/drill-lag.ts [rounds]
import {join} from 'node:path'
import {groundFlinkHomes} from '../test/helpers/ground-flink.ts'
import {haClusterGround, parseLogTime} from '../test/helpers/ha-cluster.ts'

const rounds = Number(process.argv[2] ?? 5)
const {home, version} = groundFlinkHomes().at(-1)!
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const must = (ok: boolean, what: string) => { if (!ok) throw new Error(what) }

const c = await haClusterGround('/var/tmp/flinkctl-bench/drill', home)
try {
  for (const args of [['start-zookeeper-quorum'], ['start-cluster', '--timeout', '240s']]) {
    const r = await c.cli(...args, '--json')
    must(r.code === 0, `${args[0]} failed: ${r.stderr.slice(-1500)}`)
  }
  const sub = await c.cli('job', 'submit', join(home, 'examples/streaming/TopSpeedWindowing.jar'), '--json')
  must(sub.code === 0, `job submit failed: ${sub.stderr.slice(-1500)}`)
  await new Promise((r) => setTimeout(r, 5000))
  const r = await c.cli('drill', '--rounds', String(rounds), '--json')
  must(r.code === 0, `drill failed (exit ${r.code}): ${r.stderr.slice(-3000)}`)
  const report = r.json!.result
  const logs = async (host: string, glob: string) => (await c.ground.ssh(host, `cat ${c.base}/log/${glob} 2>/dev/null || true`)).stdout.split('\n')
  const lags: Record<string, number[]> = {'new-leader': [], 'leader-gone': []}
  const actual: Record<string, number[]> = {'new-leader': [], 'leader-gone': []}
  for (const round of report.rounds) {
    const phase = (n: string) => round.phases.find((p: any) => p.name === n)
    // the new leader's own record of the moment its REST endpoint became leader
    const host = round.after.leader as string
    const granted = (await logs(host, `flink-*-standalonesession-*-${host}.log*`))
      .filter((l) => /DispatcherRestEndpoint.* was granted leadership/.test(l)).map(parseLogTime).filter((t): t is number => t !== undefined && t >= round.faultAt - 1000).sort((a, b) => a - b)
    const nl = phase('new-leader')
    if (granted.length && nl) {
      lags['new-leader']!.push(nl.at - granted[0]!)
      actual['new-leader']!.push(granted[0]! - round.faultAt)
    }
    // the quorum leader's record of the killed JobManager's session expiring
    const expired = (await Promise.all(['h1', 'h2', 'h3'].map((h) => logs(h, `flink-*-zookeeper-*-${h}.log*`)))).flat()
      .filter((l) => /Expiring session 0x/.test(l)).map(parseLogTime).filter((t): t is number => t !== undefined && t >= round.faultAt).sort((a, b) => a - b)
    const lg = phase('leader-gone')
    if (expired.length && lg) {
      lags['leader-gone']!.push(lg.at - expired[0]!)
      actual['leader-gone']!.push(expired[0]! - round.faultAt)
    }
  }
  const out: Record<string, unknown> = {bench: 'drill-lag', flink: version, rounds, target: 250}
  for (const phase of ['leader-gone', 'new-leader']) {
    const xs = lags[phase]!
    if (xs.length === 0) { console.log(`${phase}: no log event found to compare with`); continue }
    const m = median(xs)
    const measuredMs = median(actual[phase]!.map((a, i) => a + xs[i]!))
    const eventMs = median(actual[phase]!)
    console.log(`${phase.padEnd(12)} event at +${eventMs.toFixed(0)} ms (log), flinkctl saw it at +${measuredMs.toFixed(0)} ms: lag median ${m.toFixed(0)} ms (min ${Math.min(...xs)}, max ${Math.max(...xs)}, ${xs.length} rounds), ratio ${(measuredMs / eventMs).toFixed(3)}`)
    out[phase] = {lagMedianMs: Math.round(m), lagMinMs: Math.min(...xs), lagMaxMs: Math.max(...xs), rounds: xs.length, eventMedianMs: Math.round(eventMs), measuredMedianMs: Math.round(measuredMs), ratio: +(measuredMs / eventMs).toFixed(3)}
  }
  console.log(`target: lag median <= 250 ms`)
  console.log(JSON.stringify(out))
} finally {
  await c.cli('stop-cluster', '--json')
  await c.cli('stop-zookeeper-quorum', '--json')
  await c.ground.down()
}
