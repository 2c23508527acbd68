import type {PreflightReport} from '../preflight/preflight.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

/** One row per host and check, then the hints of what failed and a summary line. */
export function renderPreflight(r: PreflightReport, s: Style): string {
  const level = (l: string) => (l === 'ok' ? s.green('ok') : l === 'warn' ? s.yellow('warn') : s.red('error'))
  const rows: string[][] = []
  for (const h of r.hosts) {
    h.checks.forEach((c, i) => rows.push([i === 0 ? h.host : '', i === 0 ? h.roles.join(',') : '', c.check, level(c.level), c.detail]))
  }
  const lines = [table(['HOST', 'ROLES', 'CHECK', 'RESULT', 'DETAIL'], rows, s), '']
  const hints = r.hosts.flatMap((h) => h.checks.filter((c) => c.level !== 'ok' && c.hint).map((c) => `  ${h.host} ${c.check}: ${c.hint}`))
  if (hints.length) lines.push('What to do:', ...[...new Set(hints)], '')
  const bad = r.hosts.filter((h) => h.level === 'error').map((h) => h.host)
  lines.push(`preflight: ${r.hosts.length} hosts, Flink ${r.flinkVersion ?? '?'} at ${r.flinkHome} (${r.libFiles} files in lib/): ` +
    (bad.length ? s.red(`${r.errors} error(s) on ${bad.join(', ')}`) : s.green('no errors')) + (r.warnings ? `, ${r.warnings} warning(s)` : ''))
  return lines.join('\n')
}
