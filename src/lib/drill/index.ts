// Failover drills: fault one identified process, time the recovery, check nothing was lost, restore.
export {runDrill, requestedSessionTimeoutMs} from './drill.ts'
export {drillOutcome, explain, summarize} from './explain.ts'
export {plannedPhases} from './phases.ts'
export {DrillError, resolveTarget, pickJobManager} from './targets.ts'
export {readSteady, type Steady} from './steady.ts'
export type * from './types.ts'
export {runYarnDrill, YARN_AM_MAIN_CLASS} from './yarn.ts'
