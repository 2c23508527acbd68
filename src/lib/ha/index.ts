// High availability as ZooKeeper and the REST API show it: status, and a stream of changes.
import type {ClusterConf} from '../conf/types.ts'
import type {Emit} from '../cluster/events.ts'
import {withSession, type ReachOptions} from '../cluster/session.ts'
import {haPaths} from '../zk/leader.ts'
import {connectClusterZk, requireZooKeeperHa} from './status.ts'
import {watchHa, type HaChange} from './watch.ts'

export {haStatus, requireZooKeeperHa, connectClusterZk, probeMasters, type HaStatusReport} from './status.ts'
export {readHaState, decodeCounter, type HaState, type HaJobState} from './state.ts'
export {watchHa, describeChange, type HaChange} from './watch.ts'

/** `ha status --watch`: streams changes until the signal aborts; returns how many were reported. */
export async function watchClusterHa(conf: ClusterConf, reach: ReachOptions, signal: AbortSignal, onChange: (c: HaChange) => void, emit: Emit): Promise<number> {
  requireZooKeeperHa(conf)
  return withSession(conf, reach, emit, async (session) => {
    let n = 0
    while (!signal.aborted) {
      const zk = await connectClusterZk(session)
      const expired = new Promise<void>((r) => zk.on('expired', () => r()))
      const inner = new AbortController()
      const stop = () => inner.abort()
      signal.addEventListener('abort', stop, {once: true})
      void expired.then(() => {
        emit({level: 'warn', message: 'ZooKeeper session expired; reconnecting'})
        inner.abort()
      })
      try {
        await watchHa(zk, haPaths(conf), {signal: inner.signal, onChange: (c) => { n++; onChange(c) }, onError: (e) => emit({level: 'warn', message: `ZooKeeper: ${e.message}`})})
      } finally {
        signal.removeEventListener('abort', stop)
        await zk.close()
      }
    }
    return n
  })
}
