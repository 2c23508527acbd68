// Failover drills: fault one identified process, time the recovery, check nothing was lost, restore.
export {runDrill, drillOutcome, explain, summarize, plannedPhases, requestedSessionTimeoutMs} from './drill.ts'
export {DrillError, resolveTarget, pickJobManager} from './targets.ts'
export {readSteady, type Steady} from './steady.ts'
export type * from './types.ts'
export {runYarnDrill, YARN_AM_MAIN_CLASS} from './yarn.ts'
