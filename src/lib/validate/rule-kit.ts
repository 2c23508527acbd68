// What every rule shares: the context, the finding helpers, the quorum parser.
import {type Catalog} from '../conf/catalog.ts'
import {getValue, isZooKeeperHa, type Resolved} from '../conf/load.ts'
import {type ClusterConf, type ConfigEntry, type Finding, type Severity, where} from '../conf/types.ts'
import {type HadoopConf} from './hadoop-xml.ts'

export interface RuleContext {
  conf: ClusterConf
  catalog: Catalog | undefined
  yarnSite: HadoopConf | undefined
  /** What the configuration deploys: a standalone cluster (masters/workers) or a YARN session. */
  target?: 'standalone' | 'yarn'

  /** Other clusters validated together, to catch clusters that would share ZooKeeper state. */
  others: readonly ClusterConf[]
}

export interface Rule {
  id: string
  severity: Severity
  summary: string
  /** Where the rule applies (default: both). */
  targets?: ReadonlyArray<'standalone' | 'yarn'>
  check: (ctx: RuleContext) => Finding[]
}

export const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1'])
export const version = (ctx: RuleContext) => ctx.conf.version

export function at(entry: ConfigEntry | undefined): Pick<Finding, 'file' | 'line' | 'col'> {
  return entry ? where(entry.source) : {}
}

export function finding(rule: Rule | {id: string; severity: Severity}, f: Omit<Finding, 'rule' | 'severity'> & {severity?: Severity}): Finding {
  return {rule: rule.id, severity: f.severity ?? rule.severity, ...f}
}

/** Where to point when a key is missing: the config file itself. */
export function fileOf(ctx: RuleContext): Pick<Finding, 'file' | 'line' | 'col'> {
  return ctx.conf.flink.file ? {file: ctx.conf.flink.file, line: 1, col: 1} : {file: ctx.conf.confDir}
}

export const haOn = (ctx: RuleContext) => isZooKeeperHa(ctx.conf)
export const value = (ctx: RuleContext, key: string): Resolved | undefined => getValue(ctx.conf, key)

export interface QuorumEntry {
  host: string
  port: number | undefined
  text: string
}

/** Flink strips all whitespace from the quorum before use. */
export function parseQuorum(text: string): {entries: QuorumEntry[]; chroot?: string; errors: string[]} {
  const errors: string[] = []
  let stripped = text.replace(/\s+/g, '')
  let chroot: string | undefined
  const slash = stripped.indexOf('/')
  if (slash !== -1) {
    chroot = stripped.slice(slash)
    stripped = stripped.slice(0, slash)
  }
  const entries: QuorumEntry[] = []
  for (const part of stripped.split(',')) {
    if (part === '') {
      errors.push('an empty entry (two commas, or a trailing comma)')
      continue
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(.*))?$/.exec(part)
    if (!m) {
      errors.push(`'${part}' is not host:port`)
      continue
    }
    const host = m[1]!
    const portText = m[2]
    if (portText === undefined) {
      entries.push({host, port: undefined, text: part})
      continue
    }
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      errors.push(`'${part}' has port '${portText}', which is not a port number`)
      continue
    }
    if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(host)) {
      errors.push(`'${host}' is not a host name`)
      continue
    }
    entries.push({host, port: Number(portText), text: part})
  }
  return {entries, chroot, errors}
}


/** ' (-D key=value)' for a value given on the command line, so the message says where it came from. */
export function sourceNote(entry: ConfigEntry | undefined): string {
  return entry?.source.kind === 'dynamic' ? ` (-D ${entry.source.arg})` : ''
}
