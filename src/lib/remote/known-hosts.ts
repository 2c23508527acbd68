// OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed host
// names, [host]:port, wildcard and negated patterns, @revoked; @cert-authority lines are
// ignored (flinkctl does not do host certificates). Lookups follow ssh: a key of the same type
// that differs is a changed host key, a revoked key is refused even when also listed as valid.
import {createHash, createHmac, randomBytes} from 'node:crypto'
import {mkdir, open, readFile, stat} from 'node:fs/promises'
import {dirname} from 'node:path'
import {matchPattern} from './ssh-config.ts'

export interface KnownHostEntry {
  file: string
  line: number
  marker?: 'revoked' | 'cert-authority'
  /** Comma-separated patterns (plain entries). */
  patterns?: string[]
  /** A hashed entry: HMAC-SHA1 of the name keyed with the salt. */
  hashed?: {salt: Buffer; hash: Buffer}
  keyType: string
  keyBlob: Buffer
}

export type HostKeyStatus = 'match' | 'unknown' | 'changed' | 'revoked'

export interface HostKeyLookup {
  status: HostKeyStatus
  /** The line that decided: the matching, differing (changed) or revoking entry. */
  entry?: KnownHostEntry
  /** Key types known for this host (to prefer them in the key exchange, as ssh does). */
  knownTypes: string[]
}

/** The name ssh looks up: `host`, or `[host]:port` off port 22. */
export const knownHostsName = (host: string, port: number): string => (port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`)

export function parseKnownHosts(text: string, file = '<known_hosts>'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/[ \t]+/)
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue
    let marker: KnownHostEntry['marker']
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!
      if (m === '@revoked') marker = 'revoked'
      else if (m === '@cert-authority') marker = 'cert-authority'
      else continue // unknown marker: ssh skips the line
    }
    if (fields.length < 3) continue
    const [hosts, keyType, b64] = fields as [string, string, string]
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue
    const keyBlob = Buffer.from(b64, 'base64')
    // the blob starts with its own type; a line whose field disagrees is corrupt
    if (keyTypeOfBlob(keyBlob) !== keyType) continue
    const entry: KnownHostEntry = {file, line: i + 1, keyType, keyBlob}
    if (marker) entry.marker = marker
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      if (!salt || !hash) continue
      entry.hashed = {salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64')}
    } else {
      entry.patterns = hosts.split(',').filter((p) => p !== '')
    }
    entries.push(entry)
  }
  return entries
}

/** Whether an entry names `name` (already in knownHostsName form). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest()
    return h.length === entry.hashed.hash.length && h.equals(entry.hashed.hash)
  }
  let matched = false
  for (const p of entry.patterns ?? []) {
    if (p.startsWith('!')) {
      if (matchPattern(name, p.slice(1))) return false
    } else if (matchPattern(name, p)) {
      matched = true
    }
  }
  return matched
}

/** Type name inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const len = blob.readUInt32BE(0)
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined
  return blob.subarray(4, 4 + len).toString('latin1')
}

/** OpenSSH's fingerprint form: SHA256:<base64 without padding>. */
export const fingerprint = (blob: Buffer): string => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`

/** A `|1|salt|hash` host field, as `ssh-keygen -H` and HashKnownHosts write it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest()
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`
}

/** Decides a presented key against parsed entries (all files, in order). */
export function lookupInEntries(entries: readonly KnownHostEntry[], host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyLookup {
  const name = knownHostsName(host, port)
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name))
  const revoked = mine.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob))
  const valid = mine.filter((e) => e.marker === undefined)
  const knownTypes = [...new Set(valid.map((e) => e.keyType))]
  if (revoked) return {status: 'revoked', entry: revoked, knownTypes}
  const same = valid.find((e) => e.keyBlob.equals(keyBlob))
  if (same) return {status: 'match', entry: same, knownTypes}
  const differing = valid.find((e) => e.keyType === keyType)
  if (differing) return {status: 'changed', entry: differing, knownTypes}
  return {status: 'unknown', knownTypes}
}

/**
 * Parsed files by path, valid while the file's identity, size and mtime stay the same: every
 * handshake of a fan-out reads the same known_hosts, which holds a line per host, so parsing it
 * per handshake costs O(hosts²). A key recorded meanwhile (accept-new) changes size and mtime.
 */
const parsedFiles = new Map<string, {stamp: string; entries: Promise<KnownHostEntry[]>}>()

async function readOne(file: string): Promise<KnownHostEntry[]> {
  let stamp: string
  try {
    const st = await stat(file)
    stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`
  } catch {
    return []
  }
  const hit = parsedFiles.get(file)
  if (hit?.stamp === stamp) return hit.entries
  const entries = readFile(file, 'utf8').then((text) => parseKnownHosts(text, file), () => [])
  parsedFiles.set(file, {stamp, entries})
  return entries
}

/** Reads the files that exist (missing or unreadable ones count as empty, as in ssh). */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = []
  for (const file of files) all.push(...(await readOne(file)))
  return all
}

export async function lookupHostKey(files: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyLookup> {
  return lookupInEntries(await readKnownHosts(files), host, port, keyType, keyBlob)
}

export async function checkHostKey(files: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyStatus> {
  return (await lookupHostKey(files, host, port, keyType, keyBlob)).status
}

/**
 * Records a host key: creates the folder (0700) and file (0600) when missing and appends one
 * line with a single O_APPEND write, so concurrent writers never interleave within a line.
 */
export async function appendHostKey(file: string, host: string, port: number, keyType: string, keyBlob: Buffer, opts: {hash?: boolean} = {}): Promise<string> {
  const name = knownHostsName(host, port)
  const line = `${opts.hash ? hashHostName(name) : name} ${keyType} ${keyBlob.toString('base64')}\n`
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  const fh = await open(file, 'a+', 0o600)
  try {
    const {size} = await fh.stat()
    let sep = ''
    if (size > 0) {
      const last = Buffer.alloc(1)
      await fh.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) sep = '\n'
    }
    await fh.write(sep + line)
  } finally {
    parsedFiles.delete(file)
    await fh.close()
  }
  return line
}
