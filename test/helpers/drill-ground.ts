// The drill e2e's cluster on the SSH test ground: peers on h1-h3, JobManagers on h1 and h2,
// three TaskManagers (two on h3, one on h4), the checker job (parallelism 2) running with
// checkpoints every second. Every claim a test makes is checked independently over ssh + pgrep,
// REST and the daemons' own logs.
import assert from 'node:assert/strict'
import {drillReportSchema} from '../../src/lib/output/drill-schema.ts'
import {explain, type CliResult} from './flinkctl.ts'
import {haClusterGround, parseLogTime, type HaCluster} from './ha-cluster.ts'
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

/**
 * From a JobManager's own log, after `since` (epoch ms): when its ZooKeeper connection was first
 * suspended, when Curator next deemed it lost, and when the JobManager next gave up leadership.
 */
export async function connectionLog(g: DrillGround, logDir: string, host: string, since: number): Promise<{suspended?: number; lost?: number; revoked?: number; lines: string[]}> {
  const out = await g.onHost(host, `cat ${logDir}/flink-*-standalonesession-*-${host}.log* 2>/dev/null | grep -E 'Connection to ZooKeeper (suspended|lost)|revoked (the )?leadership|lost leadership' || true`)
  const lines = out.split('\n').filter((l) => (parseLogTime(l) ?? 0) >= since - 50)
  const first = (re: RegExp, after = 0) => lines.map((l) => (re.test(l) ? parseLogTime(l) : undefined)).find((t): t is number => t !== undefined && t >= after)
  const suspended = first(/Connection to ZooKeeper suspended/)
  // Curator tells its listeners in turn: a revocation may be logged a few ms before the suspension
  return {suspended, lost: first(/Connection to ZooKeeper lost/, suspended ?? since), revoked: first(/revoked (the )?leadership|lost leadership/i), lines}
}

/**
 * A quorum loss drill (a majority of 3 peers killed for 8 s) under --verify, and what the leader's
 * own log says: with tolerate-suspended-connections false it gives up leadership as its connection
 * is suspended; with true only once Curator deems the session lost, a session timeout later.
 */
export async function assertQuorumLoss(g: DrillGround, logDir: string, tolerate: boolean): Promise<string> {
  const {report: d} = await g.drill(['--target', 'zk-quorum', '--kill', '--down', '8s', '--verify'])
  const round = d.rounds[0]!
  assert.equal(round.ok, true, JSON.stringify(round.checks))
  assert.equal(round.target.kind, 'zk-quorum')
  assert.equal(round.target.restore.daemon, 'zookeeper-majority')
  if (round.target.restore.daemon === 'zookeeper-majority') assert.equal(round.target.restore.peers.length, 2, 'a majority of 3')
  const names = round.phases.map((p) => p.name)
  for (const p of ['quorum-lost', 'quorum-back', 'rest', 'jobs-running', 'tasks-running', 'checkpoint']) assert.ok(names.includes(p as never), `phase ${p} in ${names.join(',')}`)
  // with an 8 s outage and 4 s sessions both settings give up leadership: at once (false) or once the session is lost (true)
  const lost = round.phases.find((p) => p.name === 'leadership-lost')
  assert.ok(lost, 'the JobManagers gave up leadership without a quorum')
  const session = d.sessionTimeout.effectiveMs
  const check = round.checks.find((c) => c.name === (tolerate ? 'leadership was kept through the suspension and given up only once the session was lost' : 'the JobManagers gave up leadership without a quorum'))
  assert.ok(check?.ok, JSON.stringify(round.checks))
  if (tolerate) assert.ok(lost.ms! >= 0.75 * session, `given up +${lost.ms} ms, session ${session} ms`)
  assertVerified(round, g.jobId)
  assert.ok(round.checks.some((c) => c.name.endsWith('state restored from a checkpoint') && c.ok), 'suspended, then recovered from its checkpoint: not failed terminally')
  // independently, the leader's own log: suspended, then revoked at once (false) or after the session (true)
  const log = await connectionLog(g, logDir, round.before.leader!, round.faultAt)
  assert.ok(log.suspended !== undefined && log.revoked !== undefined, log.lines.join('\n'))
  const gap = log.revoked - log.suspended
  if (tolerate) {
    assert.ok(gap >= 0.75 * session, `revoked ${gap} ms after the suspension, session ${session} ms:\n${log.lines.join('\n')}`)
    assert.ok(log.lost !== undefined && log.lost <= log.revoked + 50, `Curator deemed the session lost before the revocation:\n${log.lines.join('\n')}`)
  } else {
    assert.ok(gap < 0.5 * session, `revoked ${gap} ms after the suspension, session ${session} ms:\n${log.lines.join('\n')}`)
  }
  // the whole quorum serves again
  const modes = await Promise.all(['h1', 'h2', 'h3'].map((h) => g.onHost(h, "exec 3<>/dev/tcp/127.0.0.1/2181; printf srvr >&3; cat <&3 | sed -n 's/^Mode: //p'")))
  assert.deepEqual([...modes].sort(), ['follower', 'follower', 'leader'])
  await g.whole()
  return `session ${session} ms; leadership given up +${lost.ms} ms after the quorum was lost (drill); the leader's log: revoked ${gap} ms after the suspension; recovery ${round.recoveryMs} ms`
}
