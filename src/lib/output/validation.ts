import type {ValidateOutcome} from '../validate/run.ts'
import {displayPath, findingJson, renderFindings} from './findings.ts'
import type {Style} from './style.ts'

const SOURCE = {flag: 'from --flink-version', 'dist-jar': "from the Flink home's lib/flink-dist jar"} as const

/** "Flink 1.18.1 from --flink-version" (plus the catalogued release when it differs from the version's own line). */
function versionNote(r: ValidateOutcome['reports'][number]): string {
  const catalog = r.catalogRelease ? `; keys of Flink ${r.catalogRelease}` : ''
  if (!r.flinkVersion) return `Flink version unknown: no --flink-version or --flink-home${catalog}`
  const own = /^(\d+\.\d+)/.exec(r.flinkVersion)?.[1]
  return `Flink ${r.flinkVersion} ${r.versionSource ? SOURCE[r.versionSource] : ''}`.trim() + (own === r.catalogRelease ? '' : catalog)
}

export function renderValidation(outcome: ValidateOutcome, s: Style, quiet = false): string {
  const blocks: string[] = []
  for (const report of outcome.reports) {
    const shown = report.findings.filter((f) => !quiet || f.severity === 'error')
    const head = `${displayPath(report.configFile ?? report.confDir)} (${versionNote(report)})`
    if (shown.length > 0) blocks.push(`${s.bold(head)}\n${renderFindings(shown, s)}`)
    blocks.push(`${head}: ${report.errors} error(s), ${report.warnings} warning(s)`)
  }
  return blocks.join('\n')
}

export const validationJson = (outcome: ValidateOutcome) => ({
  clusters: outcome.reports.map((r) => ({
    ...r,
    confDir: displayPath(r.confDir),
    configFile: r.configFile && displayPath(r.configFile),
    findings: r.findings.map(findingJson),
  })),
  errors: outcome.errors,
  warnings: outcome.warnings,
})
