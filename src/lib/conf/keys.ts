import type {FlinkVersion} from './types.ts'

export interface KeyAlias {
  /** The key Flink reads first. */
  key: string
  /** Older names Flink still reads, in the order it tries them. */
  deprecated: readonly string[]
  /** Versions from which `key` is the canonical name (older versions read the first deprecated one). */
  since?: readonly [number, number]
  /** Versions from which the deprecated names are no longer read at all. */
  deprecatedRemovedIn?: readonly [number, number]
}

/**
 * Renames that change what a cluster does. The generated catalog (catalog.ts) adds the rest of
 * Flink's fallback keys; these are kept by hand because their version rules matter to HA.
 */
export const KEY_ALIASES: readonly KeyAlias[] = [
  {key: 'high-availability.type', deprecated: ['high-availability', 'recovery.mode'], since: [1, 17]},
  {key: 'high-availability.storageDir', deprecated: ['high-availability.zookeeper.storageDir', 'recovery.zookeeper.storageDir']},
  {key: 'high-availability.cluster-id', deprecated: ['high-availability.zookeeper.path.namespace', 'recovery.zookeeper.path.namespace']},
  {key: 'high-availability.zookeeper.quorum', deprecated: ['recovery.zookeeper.quorum']},
  {key: 'high-availability.zookeeper.path.root', deprecated: ['recovery.zookeeper.path.root']},
  {key: 'high-availability.zookeeper.client.session-timeout', deprecated: ['recovery.zookeeper.client.session-timeout']},
  {key: 'high-availability.zookeeper.client.connection-timeout', deprecated: ['recovery.zookeeper.client.connection-timeout']},
  {key: 'high-availability.zookeeper.client.retry-wait', deprecated: ['recovery.zookeeper.client.retry-wait']},
  {key: 'high-availability.zookeeper.client.max-retry-attempts', deprecated: ['recovery.zookeeper.client.max-retry-attempts']},
  {key: 'high-availability.jobmanager.port', deprecated: ['recovery.jobmanager.port']},
  {key: 'env.java.opts.all', deprecated: ['env.java.opts'], since: [1, 17]},
  {key: 'jobmanager.memory.heap.size', deprecated: ['jobmanager.heap.size'], deprecatedRemovedIn: [2, 0]},
  {key: 'taskmanager.memory.flink.size', deprecated: ['taskmanager.heap.size'], deprecatedRemovedIn: [2, 0]},
  {key: 'taskmanager.memory.network.min', deprecated: ['taskmanager.network.memory.min']},
  {key: 'taskmanager.memory.network.max', deprecated: ['taskmanager.network.memory.max']},
  {key: 'taskmanager.memory.network.fraction', deprecated: ['taskmanager.network.memory.fraction']},
  {key: 'taskmanager.memory.managed.size', deprecated: ['taskmanager.memory.size']},
  {key: 'state.backend.type', deprecated: ['state.backend'], since: [1, 17]},
]

export const atLeast = (v: FlinkVersion | undefined, major: number, minor: number): boolean =>
  v === undefined || v.major > major || (v.major === major && v.minor >= minor)

export const below = (v: FlinkVersion | undefined, major: number, minor: number): boolean =>
  v !== undefined && (v.major < major || (v.major === major && v.minor < minor))

/** The canonical name and its aliases as the given version reads them. */
export function aliasesFor(key: string, version: FlinkVersion | undefined): {key: string; deprecated: string[]} | undefined {
  const alias = KEY_ALIASES.find((a) => a.key === key || a.deprecated.includes(key))
  if (!alias) return undefined
  if (alias.since && below(version, alias.since[0], alias.since[1])) {
    // Before the rename, the first deprecated name is the real key and the new one is unknown.
    const [first, ...rest] = alias.deprecated as [string, ...string[]]
    return {key: first, deprecated: rest}
  }
  if (alias.deprecatedRemovedIn && atLeast(version, ...alias.deprecatedRemovedIn) && version !== undefined) {
    return {key: alias.key, deprecated: []}
  }
  return {key: alias.key, deprecated: [...alias.deprecated]}
}

// Flink's GlobalConfiguration.SENSITIVE_KEYS (password, secret, fs.azure.account.key, apikey, api-key, auth-params,
// service-key, token, basic-auth, jaas.config, http-headers) plus the usual spellings of credentials.
const SECRET = /(password|passwd|secret|token|credential|private[-_.]?key|access[-_.]?key|secret[-_.]?key|auth[-_.]?info|sasl\.jaas|api[-_.]?key|\.key$|keystore-password|truststore-password|fs\.azure\.account\.key|auth-params|service-key|basic-auth|jaas\.config|http-headers)/i

/** Keys whose values must never be printed or logged (a superset of Flink's own GlobalConfiguration.isSensitive). */
export const isSecretKey = (key: string): boolean => SECRET.test(key)

export const REDACTED = '******'
