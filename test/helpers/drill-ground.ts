// The drill e2e's cluster on the SSH test ground: peers on h1-h3, JobManagers on h1 and h2,
// three TaskManagers (two on h3, one on h4), the checker job (parallelism 2) running with
// checkpoints every second. Every claim a test makes is checked independently over ssh + pgrep,
// REST and the daemons' own logs.
import assert from 'node:assert/strict'
import {drillReportSchema} from '../../src/lib/output/drill-schema.ts'
import {explain, type CliResult} from './flinkctl.ts'
import {haClusterGround, type HaCluster} from './ha-cluster.ts'
import {waitFor} from './wait.ts'

export const MAIN = {
  jm: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  tm: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
  zk: 'org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer',
} as const

/** What runs where when the cluster is whole. */
export const WHOLE = {jm: {h1: 1, h2: 1}, tm: {h3: 2, h4: 1}, zk: {h1: 1, h2: 1, h3: 1}} as const

export interface DrillGround extends HaCluster {
  jobId: string
  onHost(host: string, cmd: string): Promise<string>
  pids(host: string, main: string): Promise<number[]>
  /** Waits until every daemon runs where WHOLE says, and returns the pids per host. */
  whole(): Promise<Record<string, Record<string, number[]>>>
  rest(path: string): Promise<any>
  /** Runs `flinkctl drill ARGS --json`, asserts the exit code, returns the parsed report. */
  drill(args: string[], exit?: number): Promise<{report: ReturnType<typeof drillReportSchema.parse>; r: CliResult}>
}

export async function drillGround(base: string, home: string, conf: string[] = []): Promise<DrillGround> {
  const c = await haClusterGround(base, home, {workers: ['h3', 'h3', 'h4'], conf})
  const onHost = async (host: string, cmd: string) => {
    const r = await c.ground.ssh(host, cmd)
    assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`)
    return r.stdout.trim()
  }
  const pids = async (host: string, main: string) =>
    (await onHost(host, `pgrep -f '[${main[0]}]${main.slice(1)}' || true`)).split('\n').filter(Boolean).map(Number)
  const rest = async (path: string) => {
    const s = await c.cli('ha', 'status', '--json')
    const url = s.json?.result?.leader?.url
    assert.ok(url, explain(['ha', 'status'], s))
    const res = await fetch(new URL(path, url))
    assert.equal(res.status, 200, `${url}${path}`)
    return res.json() as Promise<any>
  }
  const whole = async () => waitFor('every daemon running where the conf puts it', 120_000, async () => {
    const out: Record<string, Record<string, number[]>> = {}
    for (const [kind, hosts] of Object.entries(WHOLE)) {
      out[kind] = {}
      for (const [h, n] of Object.entries(hosts)) {
        const p = await pids(h, MAIN[kind as keyof typeof MAIN])
        if (p.length !== n) return undefined
        out[kind]![h] = p
      }
    }
    return out
  })
  const g: DrillGround = {
    ...c, jobId: '', onHost, pids, rest, whole,
    async drill(args, exit = 0) {
      const r = await c.cli('drill', ...args, '--json')
      assert.equal(r.code, exit, explain(['drill', ...args], r))
      return {report: drillReportSchema.parse(r.json!.result ?? r.json!.error!.details), r}
    },
  }
  for (const args of [['start-zookeeper-quorum'], ['start-cluster', '--timeout', '240s']]) {
    const r = await c.cli(...args, '--json')
    assert.equal(r.code, 0, explain(args, r))
  }
  const sub = await c.cli('job', 'submit', '--checker', '--rate', '200', '--keys', '8', '-p', '2', '--json')
  assert.equal(sub.code, 0, explain(['job', 'submit', '--checker'], sub))
  g.jobId = sub.json!.result.jobId
  assert.match(g.jobId, /^[0-9a-f]{32}$/)
  await waitFor('two completed checkpoints', 120_000, async () => (((await rest(`/jobs/${g.jobId}/checkpoints`)).counts?.completed ?? 0) >= 2 ? true : undefined))
  return g
}

/** The phases a round of this kind and fault goes through (the TaskManager's: when it ran tasks). */
export function expectedPhases(kind: string, fault: string, tmHadTasks = true): string[] {
  const recovery = ['jobs-running', 'tasks-running', 'checkpoint']
  // a partition longer than what detects it fails over like a kill
  if (fault === 'partition') fault = 'kill'
  switch (kind) {
    case 'leader': return ['leader-gone', 'new-leader', 'rest', ...recovery]
    case 'standby': return fault === 'pause' ? ['checkpoint'] : ['contender-gone', 'checkpoint']
    case 'taskmanager': return fault === 'pause' || !tmHadTasks ? ['checkpoint'] : ['job-restarted', ...recovery]
    case 'zk-peer': return ['quorum-degraded', 'checkpoint']
    case 'zk-leader': return ['quorum-degraded', 'quorum-leader', 'checkpoint']
    default: throw new Error(kind)
  }
}

/** The checker's verdict in a passing round: records moved on, none lost or doubled, in state. */
export function assertVerified(round: any, jobId: string): void {
  const v = round.verify
  assert.ok(v, `round ${round.round}: no checker counts`)
  assert.equal(v.jobId, jobId)
  assert.ok(v.after, `round ${round.round}: no reading after the recovery`)
  assert.ok(v.after.emitted > v.before.emitted, `round ${round.round}: emitted ${v.before.emitted} → ${v.after.emitted}`)
  assert.equal(v.after.lost, 0, `round ${round.round}: lost ${v.after.lost}`)
  assert.equal(v.after.doubled, 0, `round ${round.round}: doubled ${v.after.doubled}`)
  assert.equal(v.keys, 8, 'every key seen')
  assert.equal(v.after.subtasks, 2)
  for (const name of ['emitted after the recovery > before the fault', 'no record lost', 'no record doubled']) {
    assert.ok(round.checks.some((c: any) => c.name.endsWith(name) && c.ok), `round ${round.round}: check '${name}' missing or failed: ${JSON.stringify(round.checks)}`)
  }
}
