import type {ClusterConf, Finding} from '../conf/types.ts'
import {ConfigError} from '../errors.ts'
import {validateCluster, type ValidationReport} from '../validate/index.ts'

/**
 * The gate in front of every command that touches hosts: any error finding refuses the whole
 * command before a connection is opened, naming the file, line, key and fix of the first one.
 */
export function refuseInvalid(conf: ClusterConf, target: 'standalone' | 'yarn' = 'standalone'): ValidationReport {
  const report = validateCluster(conf, [], target)
  const first: Finding | undefined = report.findings.find((f) => f.severity === 'error')
  if (!first) return report
  const where = first.file ? `${first.file}${first.line ? `:${first.line}` : ''}${first.col ? `:${first.col}` : ''}: ` : ''
  const more = report.errors > 1 ? ` (and ${report.errors - 1} more error(s); run \`flinkctl validate${target === 'yarn' ? ' --yarn' : ''}\`)` : ''
  const key = first.key && !first.message.startsWith(first.key) ? `${first.key}: ` : ''
  throw new ConfigError(`${where}${key}${first.message} [${first.rule}]${more}`, {
    code: 'CONFIG_INVALID',
    hint: `${first.hint ?? 'fix the configuration'}; nothing was ${target === 'yarn' ? 'submitted to YARN' : 'started or changed on any host'}`,
    details: {findings: report.findings.filter((f) => f.severity === 'error')},
  })
}
