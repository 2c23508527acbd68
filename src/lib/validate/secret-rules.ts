// Credentials written into the config file, and a config file others can read. Messages name keys, never values.
import {statSync} from 'node:fs'
import {isSecretKey} from '../conf/keys.ts'
import {type ConfigEntry, type Finding} from '../conf/types.ts'
import {at, finding, type Rule} from './rule-kit.ts'

/** Last key segments that name a switch, a class, a path or a type next to a credential, not the credential. */
const NOT_A_SECRET_SEGMENT = new Set([
  'enabled', 'enable', 'provider', 'providers', 'class', 'classes', 'type', 'file', 'path', 'dir', 'keytab', 'keystore',
  'truststore', 'algorithm', 'algorithms', 'mechanism', 'protocol', 'interval', 'timeout', 'renewal', 'mode', 'name',
  'location', 'format', 'scope', 'expiration', 'ratio', 'size', 'secrets', 'secretkeyref',
])

/** `org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider` (or a comma-separated list of them). */
function isClassNames(v: string): boolean {
  return v.split(',').every((name) => {
    const parts = name.trim().split('.')
    return parts.length >= 2 && parts.every((p) => /^[A-Za-z_$][\w$]*$/.test(p)) && /^[A-Z]/.test(parts.at(-1)!)
  })
}

/** A value that is a credential in clear: not empty, not a reference, not a flag, number, class name or path. */
export function holdsPlainSecret(entry: ConfigEntry): boolean {
  if (!isSecretKey(entry.key)) return false
  const last = entry.key.slice(entry.key.lastIndexOf('.') + 1).toLowerCase()
  if (NOT_A_SECRET_SEGMENT.has(last) || last.endsWith('provider') || last.endsWith('-enabled')) return false
  // delegation tokens are obtained at run time; their keys tune that, they hold none
  if (entry.key.includes('delegation.token')) return false
  const v = entry.value.trim()
  if (v === '' || v === '******' || v.includes('${')) return false
  if (/^(true|false)$/i.test(v) || /^\d+(\.\d+)?\s*[a-z]{0,4}$/i.test(v)) return false
  if (v.startsWith('/') || v.startsWith('file:') || isClassNames(v)) return false
  return true
}

const NO_ENV = 'Flink does not expand ${VAR} in its config file'

/** Where this kind of credential can live instead, as Flink and its file system plugins support it. */
function hintFor(key: string): string {
  const k = key.toLowerCase()
  if (k.startsWith('s3.') || k.startsWith('s3a.') || k.startsWith('fs.s3a.') || k.startsWith('fs.s3.') || k.startsWith('presto.s3.')) {
    return `drop the key and give the hosts an IAM role (instance profile, IRSA), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the Flink processes: the S3 plugins' default credential chain reads both when s3.access-key is unset (${NO_ENV})`
  }
  if (k.startsWith('fs.azure.')) return `use a managed identity or OAuth (fs.azure.account.auth.type) instead of the account key (${NO_ENV})`
  if (k.startsWith('gs.') || k.startsWith('fs.gs.')) return `point GOOGLE_APPLICATION_CREDENTIALS at a key file only the Flink user can read, or use the VM's service account (${NO_ENV})`
  if (k.startsWith('security.ssl.')) return 'Flink reads keystore passwords only from its configuration: keep the file readable by the Flink user alone (chmod 600)'
  return `keep the file readable by the Flink user alone (chmod 600); ${NO_ENV}, so render the value at deploy time (a Kubernetes Secret into FLINK_PROPERTIES of the official image) rather than committing it`
}

export const plainSecret: Rule = {
  id: 'CONF-PLAIN-SECRET',
  severity: 'info',
  summary: 'a password or access key in plain text in the config file (warning when the file is group- or world-readable)',
  check(ctx) {
    const out: Finding[] = []
    const inFile = [...ctx.conf.flink.entries.values()].filter((e) => e.source.kind === 'file' && holdsPlainSecret(e))
    for (const e of inFile) {
      out.push(finding(this, {...at(e), key: e.key, message: `'${e.key}' holds a credential in plain text`, hint: hintFor(e.key)}))
    }
    const file = ctx.conf.flink.file
    if (inFile.length === 0 || !file) return out
    let mode: number
    try {
      mode = statSync(file).mode & 0o777
    } catch {
      return out
    }
    const who = [mode & 0o040 ? 'its group' : '', mode & 0o004 ? 'every user' : ''].filter(Boolean).join(' and ')
    if (who) {
      out.push(finding(this, {file, line: 1, col: 1, severity: 'warning',
        message: `${file} holds ${inFile.length} credential(s) (${inFile.slice(0, 3).map((e) => e.key).join(', ')}${inFile.length > 3 ? ', …' : ''}) and is readable by ${who} (mode ${mode.toString(8).padStart(4, '0')})`,
        hint: `chmod 600 ${file}`}))
    }
    return out
  },
}
