import {catalogFor} from '../conf/catalog.ts'
import {getValue} from '../conf/load.ts'
import type {ClusterConf, Finding} from '../conf/types.ts'
import {hadoopConfDir, readYarnSite} from './hadoop-xml.ts'
import {RULES} from './rules.ts'

export {LOADER_RULES, RULES, parseQuorum, suggestKey, checkValueType} from './rules.ts'
export type {Rule, RuleContext, QuorumEntry} from './rules.ts'

export interface ValidationReport {
  confDir: string
  flinkVersion: string | undefined
  configFile: string | undefined
  findings: Finding[]
  errors: number
  warnings: number
}

const ORDER = {error: 0, warning: 1, info: 2} as const

/** Rules quote values and keys; one from a 10 MB line must not turn into a 10 MB message. */
const MAX_TEXT = 600
const shorten = (s: string): string => (s.length <= MAX_TEXT ? s : `${s.slice(0, 400)}… (${s.length - 550} characters cut) …${s.slice(-150)}`)
function bounded(f: Finding): Finding {
  if (f.message.length <= MAX_TEXT && f.hint.length <= MAX_TEXT && (f.key?.length ?? 0) <= MAX_TEXT) return f
  return {...f, message: shorten(f.message), hint: shorten(f.hint), ...(f.key === undefined ? {} : {key: shorten(f.key)})}
}

/** Runs every rule over a loaded cluster; returns findings, never throws for bad configuration. */
export function validateCluster(conf: ClusterConf, others: readonly ClusterConf[] = [], target: 'standalone' | 'yarn' = 'standalone'): ValidationReport {
  const catalog = catalogFor(conf.version)
  const hadoopDir = hadoopConfDir(conf.env, getValue(conf, 'env.hadoop.conf.dir')?.value)
  const yarnSite = hadoopDir ? readYarnSite(hadoopDir) : undefined
  const ctx = {conf, catalog, yarnSite, others, target}
  const findings = [...conf.notes, ...RULES.filter((rule) => !rule.targets || rule.targets.includes(target)).flatMap((rule) => rule.check(ctx))].map(bounded)
  findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0))
  return {
    confDir: conf.confDir,
    flinkVersion: conf.version?.raw,
    configFile: conf.flink.file,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  }
}
