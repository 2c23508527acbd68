import {Flags} from '@oclif/core'
import type {PlanRequest} from '../cluster/plans.ts'
import {UsageError} from '../errors.ts'
import type {LaunchPlan} from '../launch/plan.ts'
import {confFlags} from './base-command.ts'
import {planJson, renderPlans} from './plans.ts'
import type {Style} from './style.ts'

/** Flags of the daemon commands (jobmanager, taskmanager). */
export const planFlags = {
  ...confFlags,
  host: Flags.string({description: 'Host to start on (same as the positional host).'}),
  'dry-run': Flags.boolean({description: 'Print the plan per host; touch nothing.'}),
  user: Flags.string({description: 'User the daemon runs as on the hosts (FLINK_IDENT_STRING; default: $USER).'}),
}

/** Until daemons are started on hosts, only --dry-run is honest. */
export function requireDryRun(dryRun: boolean | undefined): void {
  if (!dryRun) throw new UsageError('starting daemons on hosts is not available in this version; only --dry-run plans are', 'add --dry-run to see the exact command per host')
}

/** `-D k=v` flags become the daemon's own `-D k=v` arguments, as jobmanager.sh/taskmanager.sh pass them. */
export function planRequest(flags: {dynamic?: string[]; user?: string}, action: string, host: string | undefined): PlanRequest {
  return {host, userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]), foreground: action === 'start-foreground', user: flags.user}
}

export function showPlans(plans: LaunchPlan[], say: (text: string) => void, style: Style): {plans: unknown[]} {
  say(renderPlans(plans, style))
  return {plans: plans.map(planJson)}
}
