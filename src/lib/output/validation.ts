import type {ValidateOutcome} from '../validate/run.ts'
import {displayPath, findingJson, renderFindings} from './findings.ts'
import type {Style} from './style.ts'

export function renderValidation(outcome: ValidateOutcome, s: Style, quiet = false): string {
  const blocks: string[] = []
  for (const report of outcome.reports) {
    const shown = report.findings.filter((f) => !quiet || f.severity === 'error')
    const head = `${displayPath(report.configFile ?? report.confDir)} (Flink ${report.flinkVersion ?? 'version unknown'})`
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
