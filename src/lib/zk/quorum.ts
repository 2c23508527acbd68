import {connectZk, type ConnectOptions, type ZkClient} from './client.ts'
import {ZkError} from './errors.ts'
import {fourLetterWord, parseSrvr, type FourLetterOptions, type ZkMode} from './four-letter.ts'

export interface QuorumPeer {
  id: number
  host: string
  clientPort: number
}

export interface PeerHealth {
  id: number
  host: string
  port: number
  /** The peer serves clients now. */
  ok: boolean
  /** From srvr; undefined when only a client connection could prove the peer serves. */
  mode?: ZkMode
  via: 'srvr' | 'client'
  error?: string
  /** Duration of the probe that decided `ok`. */
  latencyMs: number
  /** Why srvr did not decide: the word is not whitelisted, the port answered nothing, or the answer was not srvr's. */
  srvr?: 'disabled' | 'no-answer' | 'unrecognised'
  version?: string
  zxid?: string
  nodeCount?: number
}

export interface QuorumHealthOptions {
  /** Per peer and per probe (srvr, then the client connection). Default 3000. */
  timeoutMs?: number
  /** Injected for tests; the defaults are the real ones. */
  fourLetter?: (host: string, port: number, word: string, opts: FourLetterOptions) => Promise<string>
  connect?: (connectString: string, opts: ConnectOptions) => Promise<Pick<ZkClient, 'exists' | 'close'>>
}

const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

async function probePeer(peer: QuorumPeer, opts: QuorumHealthOptions): Promise<PeerHealth> {
  const timeoutMs = opts.timeoutMs ?? 3000
  const fourLetter = opts.fourLetter ?? fourLetterWord
  const base = {id: peer.id, host: peer.host, port: peer.clientPort}
  let started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  let srvr: PeerHealth['srvr']
  try {
    const answer = parseSrvr(await fourLetter(peer.host, peer.clientPort, 'srvr', {timeoutMs}))
    switch (answer.status) {
      case 'ok':
        return {...base, ok: true, mode: answer.mode, via: 'srvr', latencyMs: elapsed(), version: answer.version, zxid: answer.zxid, nodeCount: answer.nodeCount}
      case 'not-serving':
        return {...base, ok: false, via: 'srvr', latencyMs: elapsed(), error: 'running but not serving requests (no quorum?)'}
      case 'disabled':
        srvr = 'disabled'
        break
      case 'unrecognised':
        srvr = 'unrecognised'
        break
    }
  } catch (err) {
    // A closed port settles it; an open port that says nothing may still serve clients.
    if (!(err instanceof ZkError && err.code === 'ZK_NO_ANSWER')) return {...base, ok: false, via: 'srvr', latencyMs: elapsed(), error: message(err)}
    srvr = 'no-answer'
  }

  started = performance.now()
  const connect = opts.connect ?? connectZk
  let zk: Pick<ZkClient, 'exists' | 'close'> | undefined
  try {
    // One peer only: a connect string naming the ensemble would prove some other peer serves.
    zk = await connect(`${bracket(peer.host)}:${peer.clientPort}`, {connectTimeoutMs: timeoutMs, sessionTimeoutMs: Math.max(4000, timeoutMs), opTimeoutMs: timeoutMs})
    await zk.exists('/')
    return {...base, ok: true, via: 'client', latencyMs: elapsed(), srvr}
  } catch (err) {
    return {...base, ok: false, via: 'client', latencyMs: elapsed(), srvr, error: message(err)}
  } finally {
    await zk?.close()
  }
}

/** Probes every peer at once: srvr first, a client session to that one peer when srvr cannot tell. */
export function quorumHealth(peers: readonly QuorumPeer[], opts: QuorumHealthOptions = {}): Promise<PeerHealth[]> {
  return Promise.all(peers.map((p) => probePeer(p, opts)))
}

export interface QuorumSummary {
  serving: number
  total: number
  /** Serving peers needed for a majority. */
  needed: number
  /** The leader's id, when exactly one peer reports leading (or the single standalone peer). */
  leader?: number
  leaders: number[]
  /** Serving peers whose mode is unknown (srvr disabled): the leader may be among them. */
  modeUnknown: number[]
  /** Peers reporting standalone mode although the list has several peers: separate one-node ensembles. */
  standaloneInEnsemble: number[]
  healthy: boolean
}

/**
 * Healthy: a single peer that serves, or a majority serving with exactly one leader. A serving
 * follower proves a leader exists, so with unknown modes "no leader seen" is not counted against it.
 */
export function quorumSummary(results: readonly PeerHealth[]): QuorumSummary {
  const total = results.length
  const serving = results.filter((r) => r.ok)
  const needed = Math.floor(total / 2) + 1
  const leaders = serving.filter((r) => r.mode === 'leader').map((r) => r.id)
  const modeUnknown = serving.filter((r) => r.mode === undefined).map((r) => r.id)
  const standaloneInEnsemble = total > 1 ? serving.filter((r) => r.mode === 'standalone').map((r) => r.id) : []
  let healthy: boolean
  let leader: number | undefined
  if (total === 1) {
    healthy = serving.length === 1 && (serving[0]!.mode === undefined || serving[0]!.mode === 'standalone')
    if (healthy) leader = serving[0]!.id
  } else {
    const oneLeader = leaders.length === 1 || (leaders.length === 0 && modeUnknown.length > 0)
    healthy = total > 0 && serving.length >= needed && oneLeader && standaloneInEnsemble.length === 0
    if (leaders.length === 1) leader = leaders[0]
  }
  return {serving: serving.length, total, needed, ...(leader === undefined ? {} : {leader}), leaders, modeUnknown, standaloneInEnsemble, healthy}
}
