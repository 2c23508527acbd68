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
  /** Where the version came from: --flink-version, or the Flink home's lib/flink-dist jar. */
  versionSource: 'flag' | 'dist-jar' | undefined
  /** The catalogued release the keys were checked against, e.g. "1.18". */
  catalogRelease: string | undefined
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
  const all = [...conf.notes, ...RULES.filter((rule) => !rule.targets || rule.targets.includes(target)).flatMap((rule) => rule.check(ctx))]
  const findings = collapse(all).map(bounded)
  findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0))
  return {
    confDir: conf.confDir,
    flinkVersion: conf.version?.raw,
    versionSource: conf.version?.detectedFrom,
    catalogRelease: catalog?.line,
    configFile: conf.flink.file,
    findings,
    errors: all.filter((f) => f.severity === 'error').length,
    warnings: all.filter((f) => f.severity === 'warning').length,
  }
}

/** Findings shown per rule, file and severity; 100,000 repeated lines must not make 100,000 of them. */
export const MAX_FINDINGS_PER_RULE = 100

function collapse(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>()
  for (const f of findings) {
    const k = `${f.rule}\0${f.file ?? ''}\0${f.severity}`
    const group = groups.get(k)
    if (group) group.push(f)
    else groups.set(k, [f])
  }
  if ([...groups.values()].every((g) => g.length <= MAX_FINDINGS_PER_RULE)) return [...findings]
  return [...groups.values()].flatMap((group) => {
    if (group.length <= MAX_FINDINGS_PER_RULE) return group
    const kept = group.slice(0, MAX_FINDINGS_PER_RULE)
    const next = group[MAX_FINDINGS_PER_RULE]!
    return [...kept, {rule: next.rule, severity: next.severity, file: next.file, line: next.line, col: next.col,
      message: `${group.length - MAX_FINDINGS_PER_RULE} more ${next.rule} finding(s) in this file from here on; flinkctl shows the first ${MAX_FINDINGS_PER_RULE}`,
      hint: next.hint}]
  })
}
