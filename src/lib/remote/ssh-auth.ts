// Who we are and whom we trust: the keys offered (agent, IdentityFile) and the verdict on the
// host's key with the message and hint for each way it can be wrong.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import ssh2 from 'ssh2'
import type {AnyAuthMethod, ParsedKey} from 'ssh2'
import {quoteArg} from '../launch/shell.ts'
import {type Host, HostError} from './host.ts'
import {fingerprint, type KnownHostEntry} from './known-hosts.ts'
import {type ResolvedHost} from './ssh-config.ts'

import type {ConnectSettings} from './ssh-connect.ts'

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa']

interface AuthPlan {
  methods: AnyAuthMethod[]
  tried: string[]
}

function readPublicBlob(file: string): Buffer | undefined {
  try {
    const key = ssh2.utils.parseKey(readFileSync(`${file}.pub`))
    if (!(key instanceof Error)) return (Array.isArray(key) ? key[0]! : key).getPublicSSH()
  } catch {}
  return undefined
}

/** Agent first (filtered to the IdentityFiles when IdentitiesOnly), then the key files that are usable without a passphrase. */
export function planAuth(label: string, target: ResolvedHost, s: ConnectSettings): AuthPlan {
  const methods: AnyAuthMethod[] = []
  const tried: string[] = []
  const username = target.user
  const explicit = target.identityFiles.length > 0
  const files = explicit ? target.identityFiles : DEFAULT_IDENTITIES.map((f) => join(s.context.home, '.ssh', f))
  const allowedBlobs: Buffer[] = []
  const keys: {file: string; key: ParsedKey}[] = []
  for (const file of files) {
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch (err) {
      const pub = readPublicBlob(file)
      if (pub) allowedBlobs.push(pub)
      else if (explicit) s.notes.push(`${label}: identity file ${file} not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
      continue
    }
    const parsed = ssh2.utils.parseKey(data)
    if (parsed instanceof Error) {
      const pub = readPublicBlob(file)
      if (pub) allowedBlobs.push(pub)
      if (/encrypted|passphrase/i.test(parsed.message)) {
        s.notes.push(`${label}: skipped ${file}: it is protected by a passphrase and flinkctl never prompts; load it into ssh-agent with ssh-add`)
      } else {
        s.notes.push(`${label}: skipped ${file}: ${parsed.message}`)
      }
      continue
    }
    const key = Array.isArray(parsed) ? parsed[0]! : parsed
    if (!key.isPrivateKey()) {
      allowedBlobs.push(key.getPublicSSH())
      continue
    }
    allowedBlobs.push(key.getPublicSSH())
    keys.push({file, key})
  }
  const agentPath = target.identityAgent === 'none' ? undefined : (target.identityAgent ?? s.agentSocket)
  if (agentPath) {
    const agent = new ssh2.OpenSSHAgent(agentPath)
    methods.push({type: 'agent', username, agent: target.identitiesOnly ? filteredAgent(agent, allowedBlobs) : agent})
    tried.push(`ssh-agent (${agentPath}${target.identitiesOnly ? ', IdentitiesOnly' : ''})`)
  }
  for (const {file, key} of keys) {
    methods.push({type: 'publickey', username, key})
    tried.push(file)
  }
  return {methods, tried}
}

/** IdentitiesOnly: only the agent keys whose public half matches a configured IdentityFile. */
function filteredAgent(inner: InstanceType<typeof ssh2.OpenSSHAgent>, allowed: Buffer[]): InstanceType<typeof ssh2.BaseAgent> {
  class Filtered extends ssh2.BaseAgent<ParsedKey> {
    getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
      inner.getIdentities((err, keys) => {
        if (err) return cb(err)
        cb(undefined, ((keys ?? []) as ParsedKey[]).filter((k) => allowed.some((b) => b.equals(k.getPublicSSH()))))
      })
    }
    sign(pubKey: ParsedKey, data: Buffer, options: any, cb?: any): void {
      inner.sign(pubKey, data, options, cb)
    }
  }
  return new Filtered()
}

const ED25519_FIRST = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

/** Host key algorithms with the types known_hosts has for this host first, as ssh orders them. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const algsOf = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])
  const first = knownTypes.flatMap(algsOf).filter((a) => ED25519_FIRST.includes(a))
  return [...new Set([...first, ...ED25519_FIRST])]
}

export type Verdict =
  | {kind: 'unknown' | 'changed' | 'revoked'; keyType: string; blob: Buffer; entry?: KnownHostEntry}
  | {kind: 'record-failed'; error: Error}

export function hostKeyError(label: string, v: Verdict, target: ResolvedHost, keyName: string, keyPort: number, userFiles: string[]): HostError {
  const where = keyPort === 22 ? keyName : `[${keyName}]:${keyPort}`
  const kh = userFiles[0] ?? '~/.ssh/known_hosts'
  if (v.kind === 'record-failed') {
    return new HostError(label, `could not record the host key of ${where} in ${kh}: ${v.error.message}`, {code: 'HOST_KEY_RECORD', cause: v.error})
  }
  const fp = `${v.keyType} ${fingerprint(v.blob)}`
  const short = v.keyType.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa')
  if (v.kind === 'unknown') {
    return new HostError(label, `host key of ${where} is not in known_hosts (${fp}); refusing to connect`, {
      code: 'HOST_KEY_UNKNOWN',
      hint: `check that fingerprint, then run again with --accept-new-host-keys to record it, or add it yourself: ssh-keyscan -p ${target.port} -t ${short} ${target.hostName} >> ${kh}`,
    })
  }
  if (v.kind === 'revoked') {
    return new HostError(label, `host key of ${where} (${fp}) is marked @revoked in ${v.entry?.file}:${v.entry?.line}; refusing to connect`, {
      code: 'HOST_KEY_REVOKED',
      hint: 'the host presents a key its administrators revoked: ask them for its new key',
    })
  }
  return new HostError(label, `host key of ${where} has CHANGED: it presents ${fp}, but ${v.entry?.file}:${v.entry?.line} has another ${v.keyType} key; this could be a man-in-the-middle attack, refusing to connect`, {
    code: 'HOST_KEY_CHANGED',
    hint: `if the host was reinstalled and you trust its new key, remove the old one with: ssh-keygen -R ${quoteArg(where)} -f ${v.entry?.file ?? kh}`,
  })
}
