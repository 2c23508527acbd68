// `job submit --checker` and `drill --verify`: the checker jar built for the Flink version of the
// home (cached), submitted like any jar, with checkpointing on when the cluster configures none.
import type {Emit} from '../cluster/events.ts'
import type {Session} from '../cluster/session.ts'
import {getValue} from '../conf/load.ts'
import {formatVersion} from '../conf/version.ts'
import {UsageError} from '../errors.ts'
import {CHECKER_MAIN_CLASS, checkerArgs, checkerJar, type CheckerArgsOptions} from './checker.ts'
import {submitJob, type RestTarget, type SubmitReport} from './index.ts'

export interface CheckerOptions extends CheckerArgsOptions {
  /** Checkpoint interval when the cluster sets none (default 1 s: a drill needs frequent checkpoints). */
  checkpointInterval?: string
  rest?: RestTarget
  timeoutMs?: number
  offline?: boolean
}

/** Builds (or reuses) the checker jar for the home's Flink version and submits it; waits until every task runs. */
export async function submitChecker(session: Session, opts: CheckerOptions, emit: Emit = session.emit): Promise<SubmitReport & {checker: {flinkVersion: string; jar: string; cached: boolean}}> {
  const version = session.conf.version
  if (!version) throw new UsageError('the Flink version of the home is unknown, so the checker cannot be built for it', 'pass --flink-home (a home with lib/flink-dist-<version>.jar) or --flink-version')
  const flinkVersion = formatVersion(version)
  const args = checkerArgs(opts)
  emit({level: 'info', message: `checker jar for Flink ${flinkVersion}`})
  const jar = await checkerJar({flinkVersion, offline: opts.offline, onProgress: (line) => emit({level: 'info', message: line})})
  emit({level: 'info', message: `${jar.cached ? 'cached' : 'built'} ${jar.path}`})
  const interval = getValue(session.conf, 'execution.checkpointing.interval')?.value
  const report = await submitJob(session, {
    jar: jar.path, entryClass: CHECKER_MAIN_CLASS, args, rest: opts.rest, timeoutMs: opts.timeoutMs,
    ...(opts.parallelism ? {parallelism: opts.parallelism} : {}),
    ...(interval ? {} : {jobConf: {'execution.checkpointing.interval': opts.checkpointInterval ?? '1s'}}),
  }, emit)
  return {...report, checker: {flinkVersion, jar: jar.path, cached: jar.cached}}
}
