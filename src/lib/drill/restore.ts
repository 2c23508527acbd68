// Putting back what a drill round faulted, and waiting until it serves again.
import {probeQuorum, restEndpoints, expectedTaskManagers} from '../cluster/probes.ts'
import {startDaemon} from '../cluster/daemon-ops.ts'
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {signalDaemon} from '../daemon/index.ts'
import {ExitCode} from '../errors.ts'
import {RestClient} from '../rest/client.ts'
import {sleep} from './phases.ts'
import type {DrillOptions, DrillTarget, RoundResult} from './types.ts'

/** Brings back what a round faulted, and waits until it serves again. Never throws. */
export async function restore(session: Session, target: DrillTarget, fault: DrillOptions['fault'], continued: boolean, emit: Emit): Promise<RoundResult['restored']> {
  const start = Date.now()
  try {
    if (target.restore.daemon === 'zookeeper-majority') return await restoreMajority(session, target, target.restore.peers, fault, continued, emit)
    if (fault === 'pause') {
      if (continued) return {ok: true, detail: `SIGCONT sent to ${target.pid}`, ms: 0}
      const r = await signalDaemon(session.pool.get(target.host), target.pid, target.mainClass, 'CONT')
      return {ok: r.result === 'sent', detail: r.result === 'sent' ? `SIGCONT sent to ${target.pid}` : `pid ${target.pid} is ${r.result}`, ms: Date.now() - start}
    }
    const r = target.restore
    if (r.daemon === 'yarn') return {ok: false, detail: 'a YARN ApplicationMaster is restarted by YARN, not by the drill', ms: 0}
    const report = await startDaemon(session, {
      daemon: r.daemon, host: target.host, push: false,
      ...(r.daemon === 'standalonesession' ? {webuiPort: r.webuiPort} : r.daemon === 'taskexecutor' ? {count: r.count} : {peerId: r.peerId}),
    })
    const started = report.daemons.flatMap((d) => d.started)
    if (report.exit !== ExitCode.Ok) return {ok: false, detail: `restart failed: ${report.failedHosts.map((f) => f.message).join('; ')}`, ms: Date.now() - start}
    emit({level: 'info', host: target.host, message: `restarted ${target.label}`})
    // serving again: a JobManager's REST answers, the TaskManager count is back, the peer has a mode
    const until = Date.now() + 90_000
    while (Date.now() < until) {
      if (r.daemon === 'standalonesession') {
        const e = restEndpoints(session).find((x) => x.label === target.label || (x.host === target.host && x.port === r.webuiPort))
        try {
          if (e) { await new RestClient(e.url, {timeoutMs: 1000}).config(); return {ok: true, detail: `${target.label} running again as a standby`, ms: Date.now() - start} }
        } catch { /* starting */ }
      } else if (r.daemon === 'taskexecutor') {
        const expected = r.registered ?? expectedTaskManagers(session.conf)
        for (const e of restEndpoints(session)) {
          try {
            const o = await new RestClient(e.url, {timeoutMs: 1000}).overview()
            if (o.taskmanagers >= expected) return {ok: true, detail: `${expected} TaskManagers registered again`, ms: Date.now() - start}
            break
          } catch { /* next */ }
        }
      } else {
        const q = await probeQuorum(session, 1000)
        const p = q.peers.find((x) => x.id === r.peerId)
        if (p?.ok && (p.mode || p.srvr === 'disabled')) return {ok: true, detail: `peer ${r.peerId} serves again${p.mode ? ` as ${p.mode}` : ''}`, ms: Date.now() - start}
      }
      await sleep(250)
    }
    return {ok: false, detail: `${target.label} restarted (${started.length} instance) but does not serve within 90 s`, ms: Date.now() - start}
  } catch (err) {
    return {ok: false, detail: `could not restore ${target.label}: ${(err as Error).message}`, ms: Date.now() - start}
  }
}

/** zk-quorum: every peer of the majority running (SIGCONT, or started again), and the whole quorum serving. */
async function restoreMajority(session: Session, target: DrillTarget, peers: ReadonlyArray<{peerId: number; host: string; pid: number}>, fault: DrillOptions['fault'], continued: boolean, emit: Emit): Promise<RoundResult['restored']> {
  const start = Date.now()
  if (fault === 'pause' && !continued) {
    const sent = await Promise.all(peers.map((p) => signalDaemon(session.pool.get(p.host), p.pid, target.mainClass, 'CONT')))
    const bad = sent.map((r, i) => (r.result === 'sent' ? undefined : `pid ${peers[i]!.pid} is ${r.result}`)).filter(Boolean)
    if (bad.length) return {ok: false, detail: `SIGCONT not sent: ${bad.join('; ')}`, ms: Date.now() - start}
  } else if (fault !== 'pause') {
    const reports = await Promise.all(peers.map((p) => startDaemon(session, {daemon: 'zookeeper', host: p.host, peerId: p.peerId, push: false})))
    const failed = reports.flatMap((r) => (r.exit === ExitCode.Ok ? [] : r.failedHosts.map((f) => `${f.host}: ${f.message}`)))
    if (failed.length) return {ok: false, detail: `restart failed: ${failed.join('; ')}`, ms: Date.now() - start}
    emit({level: 'info', message: `restarted ${target.label}`})
  }
  const until = Date.now() + 90_000
  while (Date.now() < until) {
    const q = await probeQuorum(session, 1000)
    if (q.serving === q.total && q.leader !== undefined) return {ok: true, detail: `${fault === 'pause' ? 'SIGCONT sent; ' : ''}${q.serving}/${q.total} peers serve again, peer ${q.leader} leads`, ms: Date.now() - start}
    await sleep(250)
  }
  return {ok: false, detail: `${target.label} ${fault === 'pause' ? 'resumed' : 'restarted'} but the quorum does not serve whole within 90 s`, ms: Date.now() - start}
}
