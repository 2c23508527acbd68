import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {drillOutcome, explain, pickJobManager, plannedPhases, summarize, type RoundResult} from '../../../src/lib/drill/index.ts'
import {toleratedCheck} from '../../../src/lib/drill/explain.ts'
import {rpcEndpointOf, subtasksByTaskManager, taskExecutorIndex} from '../../../src/lib/drill/targets.ts'
import {RestClient} from '../../../src/lib/rest/client.ts'

const CLS = 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint'

describe('drill pieces', () => {
  it('picks the JobManager of a masters entry by its web UI port, else the only one, never a guess', () => {
    const a = {pid: 10, commandLine: `java -cp x ${CLS} --configDir /c --webui-port 8081`}
    const b = {pid: 11, commandLine: `java -cp x ${CLS} --configDir /c --webui-port 8082`}
    assert.equal(pickJobManager([a, b], 8082)?.pid, 11)
    assert.equal(pickJobManager([a], 9999)?.pid, 10, 'the only JobManager on the host')
    assert.equal(pickJobManager([a, b], 9999), undefined, 'two and neither matches: refuse to guess')
    assert.equal(pickJobManager([{pid: 12, commandLine: `java ${CLS} -D rest.port=8083`}, a], 8083)?.pid, 12)
  })

  it('plans the phases a fault should produce', () => {
    assert.deepEqual(plannedPhases('leader', 'kill', true, true), ['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
    assert.deepEqual(plannedPhases('leader', 'kill', false, true), ['leader-gone', 'new-leader', 'rest'])
    assert.deepEqual(plannedPhases('leader', 'pause', true, false), ['checkpoint'], 'a pause shorter than the session timeout fails nothing over')
    assert.deepEqual(plannedPhases('taskmanager', 'kill', true, true), ['job-restarted', 'jobs-running', 'tasks-running', 'checkpoint'])
    assert.deepEqual(plannedPhases('taskmanager', 'kill', true, true, false), ['checkpoint'], 'an idle TaskManager restarts no job')
    assert.deepEqual(plannedPhases('zk-leader', 'kill', true, true), ['quorum-degraded', 'quorum-leader', 'checkpoint'])
    assert.deepEqual(plannedPhases('standby', 'kill', true, true), ['contender-gone', 'checkpoint'])
    assert.deepEqual(plannedPhases('yarn-am', 'kill', true, true), ['attempt-failed', 'new-attempt', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
  })

  it('counts the subtasks each TaskManager runs, keyed by its RPC port (path first, then the default resource id)', async () => {
    assert.deepEqual(rpcEndpointOf({id: '10.200.0.13:41234-7a1b2c', path: 'pekko.tcp://flink@10.200.0.13:41234/user/rpc/taskmanager_0'}), {addr: '10.200.0.13', port: 41234})
    assert.deepEqual(rpcEndpointOf({id: 'custom-id', path: 'akka.tcp://flink@h3:6122/user/rpc/taskmanager_0'}), {addr: 'h3', port: 6122})
    assert.deepEqual(rpcEndpointOf({id: 'h3:6123-abcdef'}), {addr: 'h3', port: 6123})
    assert.equal(rpcEndpointOf({id: 'custom-id'}), undefined)
    const answers: Record<string, unknown> = {
      '/taskmanagers': {taskmanagers: [
        {id: '10.0.0.3:41001-aaaaaa', path: 'pekko.tcp://flink@10.0.0.3:41001/user/rpc/taskmanager_0'},
        {id: '10.0.0.4:41002-bbbbbb', path: 'pekko.tcp://flink@10.0.0.4:41002/user/rpc/taskmanager_0'},
      ]},
      '/jobs/j1': {jid: 'j1', name: 'x', state: 'RUNNING', vertices: [{id: 'v1', name: 'src', parallelism: 2, status: 'RUNNING'}, {id: 'v2', name: 'sink', parallelism: 1, status: 'RUNNING'}]},
      '/jobs/j1/vertices/v1/taskmanagers': {id: 'v1', taskmanagers: [
        {'taskmanager-id': '10.0.0.3:41001-aaaaaa', endpoint: '10.0.0.3:36000', status: 'RUNNING', 'status-counts': {RUNNING: 1, FINISHED: 0}},
        {'taskmanager-id': '10.0.0.4:41002-bbbbbb', endpoint: '10.0.0.4:36000', status: 'RUNNING', 'status-counts': {RUNNING: 1}},
      ]},
      '/jobs/j1/vertices/v2/taskmanagers': {id: 'v2', taskmanagers: [{'taskmanager-id': '10.0.0.3:41001-aaaaaa', status: 'RUNNING', 'status-counts': {RUNNING: 1}}]},
    }
    const fetch = (async (url: string | URL) => {
      const body = answers[new URL(String(url)).pathname]
      return new Response(JSON.stringify(body ?? {errors: ['Not found']}), {status: body ? 200 : 404, headers: {'content-type': 'application/json'}})
    }) as typeof globalThis.fetch
    const counts = await subtasksByTaskManager(new RestClient('http://jm:8081', {fetch}), ['j1'])
    assert.deepEqual(counts!.map((c) => [c.addr, c.port, c.subtasks]).sort(), [['10.0.0.3', 41001, 2], ['10.0.0.4', 41002, 1]])
    assert.equal(await subtasksByTaskManager(new RestClient('http://jm:8081', {fetch}), ['missing']), undefined, 'an unanswered question is unknown, not zero')
  })

  it('explains what dominated: a SIGKILLed leader waits for its ZooKeeper session', () => {
    const round = {fault: 'kill' as const, target: {} as never, phases: [
      {name: 'leader-gone' as const, ms: 5900}, {name: 'new-leader' as const, ms: 6000}, {name: 'rest' as const, ms: 6400},
      {name: 'jobs-running' as const, ms: 7900}, {name: 'tasks-running' as const, ms: 8000}, {name: 'checkpoint' as const, ms: 8800},
    ]}
    const why = explain(round, {sessionTimeoutMs: 6000, requestedMs: 60_000})
    assert.match(why[0]!, /session expired after 5\.9 s of the 6\.0 s session timeout/)
    assert.match(why[1]!, /high-availability\.zookeeper\.client\.session-timeout \(requested 60\.0 s, granted 6\.0 s/)
    const slowCheckpoint = explain({...round, phases: [{name: 'leader-gone', ms: 100}, {name: 'checkpoint', ms: 30_000}]}, {sessionTimeoutMs: 6000, requestedMs: 6000, checkpointInterval: '30s'})
    assert.match(slowCheckpoint.join(' '), /execution\.checkpointing\.interval \(30s\)/)
    assert.deepEqual(explain({...round, phases: []}, {sessionTimeoutMs: 1, requestedMs: 1}), [])
  })

  it('names a TaskManager instance by the index in its log file name', () => {
    assert.equal(taskExecutorIndex('java -Dlog.file=/var/log/flink/flink-root-taskexecutor-1-h3.log -cp x org.apache.flink.runtime.taskexecutor.TaskManagerRunner'), 1)
    assert.equal(taskExecutorIndex('java -Dlog.file=/l/flink-a-b-taskexecutor-12-host.example.com.log Main'), 12)
    assert.equal(taskExecutorIndex('java -Dlog.file=/l/flink-root-standalonesession-0-h1.log Main'), undefined)
    assert.equal(taskExecutorIndex('java Main'), undefined)
  })

  it('explains a TaskManager round by the TaskManager, not by a leader change that did not happen', () => {
    const round = {fault: 'kill' as const, target: {kind: 'taskmanager'} as never, phases: [
      {name: 'job-restarted' as const, ms: 10_300}, {name: 'jobs-running' as const, ms: 11_300}, {name: 'tasks-running' as const, ms: 13_000}, {name: 'checkpoint' as const, ms: 16_000},
    ]}
    const why = explain(round, {sessionTimeoutMs: 6000, requestedMs: 6000, heartbeatTimeout: '50 s'}).join(' ')
    assert.match(why, /the JobManager took 10\.3 s of 16\.0 s to fail the tasks of the lost TaskManager/)
    assert.match(why, /heartbeat\.timeout \(50 s\)/)
    assert.doesNotMatch(why, /new leader/)
    const paused = explain({...round, fault: 'pause'}, {sessionTimeoutMs: 6000, requestedMs: 6000}).join(' ')
    assert.match(paused, /a stopped TaskManager answers nothing/)
    const leader = explain({...round, target: {kind: 'leader'} as never, phases: [{name: 'leader-gone', ms: 100}, {name: 'jobs-running', ms: 9000}]}, {sessionTimeoutMs: 6000, requestedMs: 6000}).join(' ')
    assert.match(leader, /register with it/)
  })

  it('plans a quorum loss: lost, back, then the jobs; and explains leadership given up without a quorum', () => {
    assert.deepEqual(plannedPhases('zk-quorum', 'kill', true, true), ['quorum-lost', 'quorum-back', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'])
    assert.deepEqual(plannedPhases('zk-quorum', 'pause', false, true), ['quorum-lost', 'quorum-back'])
    const round = {fault: 'kill' as const, target: {kind: 'zk-quorum'} as never, phases: [
      {name: 'quorum-lost' as const, ms: 300}, {name: 'leadership-lost' as const, ms: 9000}, {name: 'quorum-back' as const, ms: 11_000},
    ]}
    assert.match(explain(round, {sessionTimeoutMs: 4000, requestedMs: 4000}).join(' '), /suspended ZooKeeper connection revokes leadership at once/)
    assert.match(explain(round, {sessionTimeoutMs: 4000, requestedMs: 4000, tolerateSuspended: true}).join(' '), /keeps leadership through a suspended connection until the session is lost \(session timeout 4\.0 s\)/)
  })

  it('with tolerate-suspended-connections: true, fails a leadership given up before the session could be lost, or kept through a longer outage', () => {
    const ph = (...xs: Array<[string, number]>) => ({phases: xs.map(([name, ms]) => ({name: name as never, at: 0, ms}))})
    // given up once the session (4 s) was lost: the setting took effect
    assert.equal(toleratedCheck(ph(['quorum-lost', 200], ['leadership-lost', 4300], ['quorum-back', 9000]), 4000).ok, true)
    // given up at once, as with false: the JobManagers do not run with the setting
    const early = toleratedCheck(ph(['quorum-lost', 200], ['leadership-lost', 600], ['quorum-back', 9000]), 4000)
    assert.equal(early.ok, false)
    assert.match(early.detail, /sooner than the session could be lost/)
    // kept through a short outage
    assert.equal(toleratedCheck(ph(['quorum-lost', 200], ['quorum-back', 3500]), 4000).ok, true)
    // kept while the quorum was gone for 12 s: a leader without a quorum
    const kept = toleratedCheck(ph(['quorum-lost', 200], ['quorum-back', 12_200]), 4000)
    assert.equal(kept.ok, false)
    assert.match(kept.detail, /kept serving jobs for 12\.0 s without a quorum/)
    assert.equal(toleratedCheck(ph(['quorum-lost', 200]), 4000).ok, false)
  })

  it('summarizes min/median/max per phase over the rounds that reached it', () => {
    const r = (ms: number[]) => ({phases: [{name: 'leader-gone', ms: ms[0]}, {name: 'new-leader', ms: ms[1]}]}) as unknown as RoundResult
    assert.deepEqual(summarize([r([4000, 4100]), r([4400, 4450]), r([4200, 4300])]), [
      {phase: 'leader-gone', rounds: 3, minMs: 4000, medianMs: 4200, maxMs: 4400},
      {phase: 'new-leader', rounds: 3, minMs: 4100, medianMs: 4300, maxMs: 4450},
    ])
  })

  it('says by its exit code whether every round recovered, passed and met the budget', () => {
    const good = {ok: true, timedOut: false, withinBudget: true}
    assert.deepEqual(drillOutcome([good, good], 2, false), {ok: true, exit: 0})
    assert.deepEqual(drillOutcome([good, {...good, withinBudget: false}], 2, false), {ok: true, exit: 8}, 'recovered and passed, but over budget')
    assert.deepEqual(drillOutcome([good, {...good, ok: false, withinBudget: false}], 2, false), {ok: false, exit: 7}, 'a failed check outranks the budget')
    assert.deepEqual(drillOutcome([good, {ok: false, timedOut: true}], 2, false), {ok: false, exit: 5})
    assert.deepEqual(drillOutcome([good], 2, false), {ok: false, exit: 7}, 'a round missing (steady state never returned)')
    assert.deepEqual(drillOutcome([good, good], 2, true), {ok: false, exit: 7}, 'interrupted')
  })
})
