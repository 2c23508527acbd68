import {refuseInvalid} from '../cluster/guard.ts'
import {startCluster, type StartOptions, type StartReport} from '../cluster/ops.ts'
import type {Session} from '../cluster/session.ts'
import {ExitCode, FlinkctlError} from '../errors.ts'
import {preflight, preflightFailure, type PreflightReport} from './preflight.ts'

/** start-cluster --preflight found errors: nothing was started; `details` is the report. */
export class PreflightFailed extends FlinkctlError {
  readonly report: PreflightReport
  constructor(report: PreflightReport) {
    const {message, hint} = preflightFailure(report)
    super(`${message}; nothing was started`, {
      code: 'PREFLIGHT_FAILED', exit: report.exit === ExitCode.Failed ? ExitCode.Failed : ExitCode.PartialFailure,
      hint: `${hint ? `${hint}; ` : ''}\`flinkctl preflight\` shows every check`, details: report,
    })
    this.name = 'PreflightFailed'
    this.report = report
  }
}

/** start-cluster --preflight: the checks first (with --dry-run too: they only read); any error (not a warning) stops before a host is touched. */
export async function startClusterChecked(session: Session, opts: StartOptions & {preflight: boolean}): Promise<StartReport & {preflight?: PreflightReport}> {
  if (!opts.preflight) return startCluster(session, opts)
  // an invalid conf is refused as without --preflight, before any host is asked
  refuseInvalid(session.conf)
  const checked = await preflight(session)
  if (checked.errors > 0) throw new PreflightFailed(checked)
  for (const h of checked.hosts) for (const c of h.checks) if (c.level === 'warn') session.emit({level: 'warn', host: h.host, message: `preflight ${c.check}: ${c.detail}`})
  return {...await startCluster(session, opts), preflight: checked}
}
