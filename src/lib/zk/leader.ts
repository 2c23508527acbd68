import {getValue} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import type {ZkClient} from './client.ts'

/** Leader information Flink wrote with ObjectOutputStream: writeUTF(address), writeObject(UUID). */
export type LeaderInfo =
  | {kind: 'leader'; address: string; sessionId: string}
  /** Bytes that are not Flink's leader encoding: reported, never thrown. */
  | {kind: 'unknown-format'; reason: string; length: number; head: string}

const STREAM_HEADER = 0xaced0005
const TC_BLOCKDATA = 0x77
const TC_BLOCKDATALONG = 0x7a
// TC_OBJECT TC_CLASSDESC "java.util.UUID" serialVersionUID flags, 2 fields J leastSigBits J mostSigBits, TC_ENDBLOCKDATA TC_NULL
const UUID_DESCRIPTOR = Buffer.from(
  '7372000e6a6176612e7574696c2e55554944bc9903f7986d852f020002' +
  '4a000c6c65617374536967426974734a000b6d6f7374536967426974737870',
  'hex',
)
const UUID_PART = UUID_DESCRIPTOR.length + 16

/** Java's modified UTF-8 (DataInput.readUTF); undefined on a malformed sequence. */
function decodeModifiedUtf8(bytes: Uint8Array): string | undefined {
  const units: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const a = bytes[i]!
    if (a < 0x80) {
      units.push(a)
    } else if ((a & 0xe0) === 0xc0) {
      const b = bytes[++i]
      if (b === undefined || (b & 0xc0) !== 0x80) return undefined
      units.push(((a & 0x1f) << 6) | (b & 0x3f))
    } else if ((a & 0xf0) === 0xe0) {
      const b = bytes[++i]
      const c = bytes[++i]
      if (b === undefined || c === undefined || (b & 0xc0) !== 0x80 || (c & 0xc0) !== 0x80) return undefined
      units.push(((a & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f))
    } else {
      return undefined
    }
  }
  let out = ''
  // Surrogate pairs arrive as two units (that is what "modified" means), so joining units rebuilds them.
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.slice(i, i + 8192))
  return out
}

const uuidText = (most: bigint, least: bigint): string => {
  const h = most.toString(16).padStart(16, '0') + least.toString(16).padStart(16, '0')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * Decodes a connection_info / *_lock node (flink-ha.md §3). Empty or missing data means no leader
 * (undefined); anything that is not exactly Flink's encoding is an 'unknown-format' result.
 */
export function decodeLeaderInfo(data: Uint8Array | null | undefined): LeaderInfo | undefined {
  if (!data || data.length === 0) return undefined
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const unknown = (reason: string): LeaderInfo => ({kind: 'unknown-format', reason, length: buf.length, head: buf.subarray(0, 16).toString('hex')})
  if (buf.length < 4 || buf.readUInt32BE(0) !== STREAM_HEADER) return unknown('not a Java serialization stream (no AC ED 00 05 header)')

  // writeUTF goes through block data, flushed in records of at most 1024 bytes.
  const blocks: Buffer[] = []
  let off = 4
  while (off < buf.length && (buf[off] === TC_BLOCKDATA || buf[off] === TC_BLOCKDATALONG)) {
    const long = buf[off] === TC_BLOCKDATALONG
    if (off + (long ? 5 : 2) > buf.length) return unknown('truncated block-data header')
    const n = long ? buf.readInt32BE(off + 1) : buf[off + 1]!
    off += long ? 5 : 2
    if (n < 0 || off + n > buf.length) return unknown('truncated block data')
    blocks.push(buf.subarray(off, off + n))
    off += n
  }
  const block = Buffer.concat(blocks)
  if (block.length < 2) return unknown('no leader address in the stream')
  const utfLength = block.readUInt16BE(0)
  if (2 + utfLength > block.length) return unknown('leader address is truncated')
  if (2 + utfLength < block.length) return unknown('unexpected data after the leader address')
  const address = decodeModifiedUtf8(block.subarray(2))
  if (address === undefined) return unknown('leader address is not modified UTF-8')

  const rest = buf.subarray(off)
  if (rest.length !== UUID_PART || !rest.subarray(0, UUID_DESCRIPTOR.length).equals(UUID_DESCRIPTOR)) {
    return unknown('the leader session id is not a serialized java.util.UUID')
  }
  // Fields are serialized in name order: leastSigBits first, then mostSigBits.
  const least = rest.readBigUInt64BE(UUID_DESCRIPTOR.length)
  const most = rest.readBigUInt64BE(UUID_DESCRIPTOR.length + 8)
  return {kind: 'leader', address, sessionId: uuidText(most, least)}
}

export interface HaPaths {
  /** high-availability.zookeeper.path.root, normalised (`/flink`). */
  root: string
  /** high-availability.cluster-id, normalised (`/default`). */
  clusterId: string
  /** Curator's namespace as an absolute path: `/flink/default`. Everything below is relative to it. */
  base: string
  /** `<base>/leader` — 1.15+: parent of latch and the `<component>/connection_info` nodes. */
  leader: string
  /** `<base>/leader/latch` — 1.15+ single latch. */
  latch: string
  /** `<base>/leaderlatch` (high-availability.zookeeper.path.latch) — ≤ 1.14 per-component latches. */
  legacyLatch: string
  /** `<base>/leader` (high-availability.zookeeper.path.leader) — ≤ 1.14 `<component>_lock` nodes. */
  legacyLeader: string
  /** `<base>/jobgraphs` (high-availability.zookeeper.path.jobgraphs). */
  jobgraphs: string
  /** `<base>/execution-plans` — Flink 2.x keeps the job graphs ("execution plans") here instead of jobgraphs. */
  executionPlans: string
  /** `<base>/jobs` — 1.15+ checkpoints and counters per job. */
  jobs: string
}

/** Curator-style: each part without leading/trailing slashes (empty parts dropped), joined under `/`. */
export function joinZkPath(...parts: string[]): string {
  const segments = parts.flatMap((p) => p.split('/')).filter((s) => s !== '')
  return `/${segments.join('/')}`
}

const confValue = (conf: Pick<ClusterConf, 'flink' | 'version'>, keys: string[], fallback: string): string => {
  for (const key of keys) {
    const v = getValue(conf, key)?.value
    if (v !== undefined && v.trim() !== '') return v.trim()
  }
  return fallback
}

/**
 * The znodes of a cluster from its configuration. Aliases come from conf/keys.ts (cluster-id is
 * also read as high-availability.zookeeper.path.namespace and recovery.zookeeper.path.namespace).
 * `overrides.clusterId` stands in for what YARN / native Kubernetes set at deploy time.
 */
export function haPaths(conf: Pick<ClusterConf, 'flink' | 'version'>, overrides: {root?: string; clusterId?: string} = {}): HaPaths {
  const root = joinZkPath(overrides.root ?? confValue(conf, ['high-availability.zookeeper.path.root'], '/flink'))
  const clusterId = joinZkPath(overrides.clusterId ?? confValue(conf, ['high-availability.cluster-id'], '/default'))
  const base = joinZkPath(root, clusterId)
  const legacyLatch = confValue(conf, ['high-availability.zookeeper.path.latch', 'recovery.zookeeper.path.latch'], '/leaderlatch')
  const legacyLeader = confValue(conf, ['high-availability.zookeeper.path.leader', 'recovery.zookeeper.path.leader'], '/leader')
  const jobgraphs = confValue(conf, ['high-availability.zookeeper.path.jobgraphs', 'recovery.zookeeper.path.jobgraphs'], '/jobgraphs')
  return {
    root,
    clusterId,
    base,
    leader: joinZkPath(base, 'leader'),
    latch: joinZkPath(base, 'leader', 'latch'),
    legacyLatch: joinZkPath(base, legacyLatch),
    legacyLeader: joinZkPath(base, legacyLeader),
    jobgraphs: joinZkPath(base, jobgraphs),
    executionPlans: joinZkPath(base, 'execution-plans'),
    jobs: joinZkPath(base, 'jobs'),
  }
}

export interface LatchEntry {
  name: string
  path: string
  /** Curator's sequence suffix (`…-latch-0000000012` → 12); the lowest holds the latch. */
  sequence: number | undefined
  /** Session owning the latch node (`0x…`); undefined if it vanished while being read. */
  ephemeralOwner?: string
}

export interface ComponentLeader {
  /** Node name: rest_server, dispatcher, resource_manager, job-<id> / <id>; ≤ 1.14: *_lock. */
  component: string
  path: string
  address?: string
  sessionId?: string
  /** Set instead of address/sessionId when the node holds bytes that are not Flink leader information. */
  unknownFormat?: string
  ephemeralOwner: string
}

export interface JobLeader extends ComponentLeader {
  jobId: string
}

export type LegacyComponent = 'rest_server' | 'dispatcher' | 'resource_manager'

export interface LeaderReport {
  /** '1.15+' when <base>/leader/latch exists, 'legacy' when <base>/leaderlatch does, else 'none'. */
  layout: '1.15+' | 'legacy' | 'none'
  base: string
  /** Absent when the node is missing or empty (no leader known). */
  rest?: ComponentLeader
  dispatcher?: ComponentLeader
  resourceManager?: ComponentLeader
  /** JobMaster leaders. */
  jobs: JobLeader[]
  /** 1.15+: latch children, the leader first. */
  latch?: LatchEntry[]
  /** ≤ 1.14: one latch per component, each leader first. */
  latches?: Record<LegacyComponent, LatchEntry[]>
  /**
   * Every leader node is owned by the session holding its latch (1.15+: the single latch).
   * false while leadership changes hands; undefined when there is nothing to compare.
   */
  ownersConsistent?: boolean
}

const JOB_ID = /^[0-9a-f]{32}$/
const sequenceOf = (name: string): number | undefined => {
  const m = /latch-(\d+)$/.exec(name) ?? /(\d{10})$/.exec(name)
  return m ? Number(m[1]) : undefined
}

async function readLatch(zk: ZkClient, path: string): Promise<LatchEntry[]> {
  const names = (await zk.getChildren(path)) ?? []
  const entries = await Promise.all(names.map(async (name): Promise<LatchEntry> => {
    const child = joinZkPath(path, name)
    const stat = await zk.exists(child)
    return {name, path: child, sequence: sequenceOf(name), ...(stat ? {ephemeralOwner: stat.ephemeralOwner} : {})}
  }))
  return entries.sort((a, b) => (a.sequence ?? Infinity) - (b.sequence ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

async function readComponent(zk: ZkClient, component: string, path: string): Promise<ComponentLeader | undefined> {
  const node = await zk.getData(path)
  const info = decodeLeaderInfo(node?.data)
  if (!node || !info) return undefined
  const base = {component, path, ephemeralOwner: node.stat.ephemeralOwner}
  return info.kind === 'leader' ? {...base, address: info.address, sessionId: info.sessionId} : {...base, unknownFormat: info.reason}
}

const sameOwner = (leader: ComponentLeader | undefined, latch: LatchEntry[] | undefined): boolean | undefined =>
  leader === undefined ? undefined : latch?.[0]?.ephemeralOwner === undefined ? false : leader.ephemeralOwner === latch[0].ephemeralOwner

const allTrue = (checks: Array<boolean | undefined>): boolean | undefined => {
  const known = checks.filter((c): c is boolean => c !== undefined)
  return known.length === 0 ? undefined : known.every(Boolean)
}

/** Who leads, read from ZooKeeper in either layout (flink-ha.md §2.3). */
export async function readLeader(zk: ZkClient, paths: HaPaths): Promise<LeaderReport> {
  if (await zk.exists(paths.latch)) return readModern(zk, paths)
  if (await zk.exists(paths.legacyLatch)) return readLegacy(zk, paths)
  return {layout: 'none', base: paths.base, jobs: []}
}

async function readModern(zk: ZkClient, paths: HaPaths): Promise<LeaderReport> {
  const names = (await zk.getChildren(paths.leader)) ?? []
  const info = (name: string) => readComponent(zk, name, joinZkPath(paths.leader, name, 'connection_info'))
  const jobNames = names.filter((n) => JOB_ID.test(n) || /^job-[0-9a-f]{32}$/.test(n))
  const [latch, rest, dispatcher, resourceManager, jobs] = await Promise.all([
    readLatch(zk, paths.latch),
    info('rest_server'),
    info('dispatcher'),
    info('resource_manager'),
    Promise.all(jobNames.map(async (n) => {
      const leader = await info(n)
      return leader ? {...leader, jobId: n.replace(/^job-/, '')} : undefined
    })),
  ])
  const jobLeaders = jobs.filter((j): j is JobLeader => j !== undefined)
  const ownersConsistent = allTrue([rest, dispatcher, resourceManager, ...jobLeaders].map((c) => sameOwner(c, latch)))
  return {
    layout: '1.15+',
    base: paths.base,
    ...(rest ? {rest} : {}),
    ...(dispatcher ? {dispatcher} : {}),
    ...(resourceManager ? {resourceManager} : {}),
    jobs: jobLeaders,
    latch,
    ...(ownersConsistent === undefined ? {} : {ownersConsistent}),
  }
}

async function readLegacy(zk: ZkClient, paths: HaPaths): Promise<LeaderReport> {
  const components: LegacyComponent[] = ['rest_server', 'dispatcher', 'resource_manager']
  const names = (await zk.getChildren(paths.legacyLeader)) ?? []
  const jobIds = names.filter((n) => JOB_ID.test(n))
  const [leaders, latchList, jobs] = await Promise.all([
    Promise.all(components.map((c) => readComponent(zk, `${c}_lock`, joinZkPath(paths.legacyLeader, `${c}_lock`)))),
    Promise.all(components.map((c) => readLatch(zk, joinZkPath(paths.legacyLatch, `${c}_lock`)))),
    Promise.all(jobIds.map(async (id) => {
      const [leader, latch] = await Promise.all([
        readComponent(zk, 'job_manager_lock', joinZkPath(paths.legacyLeader, id, 'job_manager_lock')),
        readLatch(zk, joinZkPath(paths.legacyLatch, id, 'job_manager_lock')),
      ])
      return leader ? {leader: {...leader, jobId: id}, latch} : undefined
    })),
  ])
  const [rest, dispatcher, resourceManager] = leaders
  const latches = {rest_server: latchList[0]!, dispatcher: latchList[1]!, resource_manager: latchList[2]!}
  const jobLeaders = jobs.filter((j) => j !== undefined)
  const ownersConsistent = allTrue([
    ...leaders.map((l, i) => sameOwner(l, latchList[i])),
    ...jobLeaders.map((j) => sameOwner(j.leader, j.latch)),
  ])
  return {
    layout: 'legacy',
    base: paths.base,
    ...(rest ? {rest} : {}),
    ...(dispatcher ? {dispatcher} : {}),
    ...(resourceManager ? {resourceManager} : {}),
    jobs: jobLeaders.map((j) => j.leader),
    latches,
    ...(ownersConsistent === undefined ? {} : {ownersConsistent}),
  }
}
